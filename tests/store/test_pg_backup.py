"""Backups of the PostgreSQL store (analytics/store/pg_backup.py): pg_dump under the signed
manifest, restored only into a new, empty database, only what the program's tables are."""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from analytics.config import Settings
from analytics.store import backup as bk
from analytics.store import db, mirror, pg_backup, shared
from tests.store.test_backup import EVIDENCE, add_evidence


def new_database(server: str, prefix: str) -> str:
    return mirror.create_database(server, f"{prefix}_{uuid.uuid4().hex[:16]}")


def run_sql(url: str, sql: str) -> None:
    conn = shared._connect_pg(url)
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


@dataclass
class Trip:
    source: str
    restored: str
    folder: Path
    key: Path
    evidence_in: Path
    evidence_out: Path
    counts: dict[str, int]
    evidence_paths: list[str]


@pytest.fixture(scope="module")
def trip(tmp_path_factory, pg_server, demo_db_path, fuyang) -> Trip:
    """The demo city in PostgreSQL with two evidence files, backed up and restored into a new
    database."""
    root = tmp_path_factory.mktemp("pgbackup")
    source = new_database(pg_server, "src")
    mirror.copy_from_file(demo_db_path, source)
    evidence_in = root / "evidence"
    conn = mirror.open_store(source, fuyang)
    try:
        paths = add_evidence(conn, evidence_in)
    finally:
        conn.close()
    key = root / "keys" / pg_backup.KEY_NAME
    folder = pg_backup.backup_shared(source, evidence_in, root / "backups", "test", key_file=key)
    restored, evidence_out = new_database(pg_server, "restored"), root / "evidence2"
    counts = pg_backup.restore(folder, restored, evidence_out, fuyang, key_file=key)
    return Trip(source, restored, folder, key, evidence_in, evidence_out, counts, paths)


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text("utf-8"))


def copy_of(trip: Trip, tmp_path: Path) -> Path:
    folder = tmp_path / trip.folder.name
    shutil.copytree(trip.folder, folder)
    return folder


def resign(folder: Path, manifest: dict, key: Path) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    (folder / "manifest.json").write_bytes(data)
    secret = bytes.fromhex(key.read_text("ascii").strip())
    (folder / "manifest.hmac").write_text(hmac.new(secret, data, "sha256").hexdigest() + "\n")


DATA_TABLES = [*db.TABLES, "dataset", "column_mappings", "schema_version"]


def test_the_folder_holds_the_dump_the_evidence_and_the_signed_manifest(trip):
    files = sorted(p.relative_to(trip.folder).as_posix() for p in trip.folder.rglob("*.*"))
    assert files == sorted(
        ["data/store.dump", "manifest.hmac", "manifest.json"]
        + [f"evidence/{p}" for p in trip.evidence_paths]
    )
    manifest = manifest_of(trip.folder)
    assert (manifest["store"], manifest["format"], manifest["label"]) == ("postgresql", 2, "test")
    assert (manifest["schema_version"], manifest["city_adcode"]) == (db.LATEST_VERSION, "341200")
    dump = (trip.folder / "data" / "store.dump").read_bytes()
    assert manifest["dump"] == {
        "file": "data/store.dump",
        "sha256": hashlib.sha256(dump).hexdigest(),
        "size_bytes": len(dump),
    }
    assert dump.startswith(b"PGDMP")  # pg_dump's custom format
    secret = bytes.fromhex(trip.key.read_text("ascii").strip())
    signed = hmac.new(secret, (trip.folder / "manifest.json").read_bytes(), "sha256").hexdigest()
    assert (trip.folder / "manifest.hmac").read_text().strip() == signed
    assert trip.key.stat().st_mode & 0o777 == 0o600


def test_the_manifest_counts_every_table_of_the_store(trip):
    tables = manifest_of(trip.folder)["tables"]
    expected = {*DATA_TABLES, *(f"{t}_gone" for t in DATA_TABLES), "store_revision", "store_log"}
    assert set(tables) == expected and len(tables) == 54
    hashes = mirror.verify(trip.source)
    assert {t: tables[t]["rows"] for t in DATA_TABLES} == {t: hashes[t][0] for t in DATA_TABLES}
    assert tables["hazards"]["rows"] == 231 and tables["attachments"]["rows"] == 2
    assert tables["store_revision"]["rows"] == 1
    assert all(tables[f"{t}_gone"]["rows"] == 0 for t in DATA_TABLES)  # nothing deleted yet


def test_the_dump_lists_only_the_store_tables_keys_and_indexes(trip):
    listing = subprocess.run(
        ["pg_restore", "--list", str(trip.folder / "data" / "store.dump")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kinds = collections.Counter()
    for line in listing.splitlines():
        if line and not line.startswith(";"):
            words = line.split()
            kinds[" ".join(words[3:5]) if words[4] == "DATA" else words[3]] += 1
    # 26 data tables and their tombstones, store_revision and store_log; primary keys on the data
    # tables and the two meta tables (tombstones have none); a _rev index on each of the 52
    assert kinds == {"TABLE": 54, "TABLE DATA": 54, "CONSTRAINT": 28, "INDEX": 52}


def test_the_restored_database_holds_every_row(trip):
    assert mirror.verify(trip.restored) == mirror.verify(trip.source)
    assert trip.counts["hazards"] == 231 and trip.counts["attachments"] == 2
    assert set(trip.counts) == set(DATA_TABLES) - {"schema_version"}
    for rel, (_mime, _ext, content) in zip(trip.evidence_paths, EVIDENCE, strict=True):
        assert (trip.evidence_out / rel).read_bytes() == content


def test_the_restored_store_takes_writes_where_the_source_left_off(trip, tmp_path, pg_url, fuyang):
    source = mirror.open_store(trip.source, fuyang)
    (top,) = source.execute("SELECT max(event_id) FROM hazard_events").fetchone()
    source.close()
    pg_backup.restore(trip.folder, pg_url, tmp_path / "ev", fuyang, key_file=trip.key)
    conn = mirror.open_store(pg_url, fuyang)
    assert conn.shared.shared_revision() == manifest_of(trip.folder)["revision"]
    event = (
        "INSERT INTO hazard_events (hazard_id, event_at, actor, action)"
        " SELECT hazard_id, TIMESTAMP '2022-12-31 09:00', '测试', '更新' FROM hazards"
        " ORDER BY hazard_id LIMIT 1 RETURNING event_id"
    )
    assert conn.execute(event).fetchone() == (top + 1,)
    conn.close()


def test_a_changed_dump_is_refused_and_nothing_is_written(trip, tmp_path, pg_url, fuyang):
    folder = copy_of(trip, tmp_path)
    dump = folder / "data" / "store.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(bk.BackupError, match="数据库转储文件校验失败"):
        pg_backup.restore(folder, pg_url, tmp_path / "ev", fuyang, key_file=trip.key)
    assert mirror.existing_objects(pg_url) == []
    assert not (tmp_path / "ev").exists()


def test_a_changed_manifest_is_refused(trip, tmp_path, pg_url, fuyang):
    folder = copy_of(trip, tmp_path)
    manifest = manifest_of(folder)
    manifest["tables"]["hazards"]["rows"] = 230
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    with pytest.raises(bk.BackupError, match="备份清单签名校验失败"):
        pg_backup.restore(folder, pg_url, tmp_path / "ev", fuyang, key_file=trip.key)
    assert mirror.existing_objects(pg_url) == []


def test_a_database_holding_anything_is_refused_and_kept(trip, tmp_path, pg_url, fuyang):
    before = mirror.verify(trip.source)
    with pytest.raises(bk.BackupError, match="不是空的（已有 54 个数据表或函数"):
        pg_backup.restore(trip.folder, trip.source, tmp_path / "ev", fuyang, key_file=trip.key)
    assert mirror.verify(trip.source) == before
    run_sql(pg_url, "CREATE TABLE notes (id integer)")
    run_sql(pg_url, "INSERT INTO notes VALUES (7)")
    with pytest.raises(bk.BackupError, match=r"已有 1 个数据表或函数：public\.notes"):
        pg_backup.restore(trip.folder, pg_url, tmp_path / "ev", fuyang, key_file=trip.key)
    assert mirror.existing_objects(pg_url) == ["public.notes"]


def test_a_signed_dump_holding_a_function_is_refused(trip, tmp_path, pg_server, pg_url, fuyang):
    """A source database someone planted a function in, dumped and signed with the right key:
    only the table-of-contents check stands between it and pg_restore."""
    scratch = new_database(pg_server, "scratch")
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={scratch}", str(trip.folder / "data/store.dump")],
        check=True,
        capture_output=True,
    )
    run_sql(scratch, "CREATE FUNCTION public.evil() RETURNS integer LANGUAGE sql AS 'SELECT 1'")
    folder = copy_of(trip, tmp_path)
    dump = folder / "data" / "store.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={scratch}"],
        check=True,
        capture_output=True,
    )
    manifest = manifest_of(folder)
    manifest["dump"]["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
    manifest["dump"]["size_bytes"] = dump.stat().st_size
    resign(folder, manifest, trip.key)
    with pytest.raises(bk.BackupError, match="数据表之外的内容（共 1 项：") as err:
        pg_backup.restore(folder, pg_url, tmp_path / "ev", fuyang, key_file=trip.key)
    assert "FUNCTION public evil()" in str(err.value)
    assert mirror.existing_objects(pg_url) == []
    # the same archive without the function restores: the contents check alone refused it
    run_sql(scratch, "DROP FUNCTION public.evil()")
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={scratch}"],
        check=True,
        capture_output=True,
    )
    manifest["dump"]["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
    manifest["dump"]["size_bytes"] = dump.stat().st_size
    resign(folder, manifest, trip.key)
    counts = pg_backup.restore(folder, pg_url, tmp_path / "ev", fuyang, key_file=trip.key)
    assert counts["hazards"] == 231
    assert mirror.verify(pg_url) == mirror.verify(trip.source)


TABLES = {"hazards", "hazards_gone", "store_log"}


@pytest.mark.parametrize(
    ("entry", "ok"),
    [
        ("216; 1259 16385 TABLE public hazards postgres", True),
        ("3566; 0 16385 TABLE DATA public hazards_gone postgres", True),
        ("3390; 2606 16525 CONSTRAINT public hazards hazards_pkey postgres", True),
        ("3388; 1259 16526 INDEX public hazards__rev_idx postgres", True),
        ("3388; 1259 16526 INDEX public hazards_gone__rev_idx", True),  # no owner
        ("216; 1259 16385 TABLE public accounts postgres", False),  # not one of the tables
        ("216; 1259 16385 TABLE other hazards postgres", False),  # another schema
        ("3388; 1259 16526 INDEX public hazards_lower_idx postgres", False),
        ("3390; 2606 16525 CONSTRAINT public hazards hazards_check postgres", False),
        ("3390; 2606 16525 FK CONSTRAINT public hazards hazards_fkey postgres", False),
        ("254; 1255 16932 FUNCTION public evil() postgres", False),
        ("260; 2620 16940 TRIGGER public hazards audit postgres", False),
        ("5; 2615 2200 SCHEMA - public postgres", False),
        ("261; 0 0 ACL public TABLE hazards postgres", False),
        ("216; 1259 16385 TABLE public hazards extra words postgres", False),
        ("not a listing line", False),
    ],
)
def test_the_contents_allow_list(entry, ok):
    if ok:
        pg_backup.check_toc([entry], TABLES)
    else:
        with pytest.raises(bk.BackupError, match="拒绝恢复"):
            pg_backup.check_toc([entry], TABLES)


def test_a_backup_of_the_other_kind_is_refused_with_what_to_do(trip, tmp_path):
    with pytest.raises(bk.BackupError, match="共享数据库（PostgreSQL）的备份，只能恢复到新建"):
        bk.restore(trip.folder, tmp_path / "x.duckdb", tmp_path / "ev", key_file=trip.key)
    assert not (tmp_path / "x.duckdb").exists()


def test_a_file_backup_is_not_restored_into_postgresql(tmp_path, demo_db_path, pg_url, fuyang):
    key = tmp_path / "k" / "file.backup-key"
    conn = db.open_for_reading(demo_db_path)
    try:
        folder = bk.backup(conn, tmp_path / "ev", tmp_path / "bk", key_file=key)
    finally:
        conn.close()
    with pytest.raises(bk.BackupError, match="数据库文件的备份，不能直接恢复到 PostgreSQL"):
        pg_backup.restore(folder, pg_url, tmp_path / "ev2", fuyang, key_file=key)
    assert mirror.existing_objects(pg_url) == []


def test_another_city_s_backup_is_refused_before_anything(trip, tmp_path, pg_url, tiny_city):
    with pytest.raises(bk.BackupError, match="城市代码 341200"):
        pg_backup.restore(trip.folder, pg_url, tmp_path / "ev", tiny_city, key_file=trip.key)
    assert mirror.existing_objects(pg_url) == []


def test_where_the_key_lives(tmp_path):
    settings = replace(
        Settings.from_env(),
        db_path=tmp_path / "data" / "hazards.duckdb",
        backup_dir=tmp_path / "srv" / "backups",
        database_url="",
    )
    assert pg_backup.default_key_file(settings) == tmp_path / "data" / "hazards.backup-key"
    shared_store = replace(settings, database_url="postgresql://app@127.0.0.1:5432/hz")
    assert pg_backup.default_key_file(shared_store) == tmp_path / "srv" / "postgresql.backup-key"


def test_the_password_travels_outside_the_command_line(monkeypatch):
    seen = {}

    def fake_run(args, **kwargs):
        seen["args"], seen["env"] = args, kwargs["env"]
        return subprocess.CompletedProcess(args, 0, "listing", "")

    monkeypatch.setattr(pg_backup.subprocess, "run", fake_run)
    out = pg_backup._run(["pg_dump"], "导出", "postgresql://app:s%40cret@db.local:5432/hz")
    assert out == "listing"
    assert seen["args"] == ["pg_dump", "--dbname=postgresql://app@db.local:5432/hz"]
    assert seen["env"]["PGPASSWORD"] == "s@cret"


def test_a_trigger_planted_in_the_source_is_not_signed_into_a_backup(tmp_path, pg_url, tiny_city):
    mirror.open_store(pg_url, tiny_city).close()
    run_sql(
        pg_url,
        "CREATE FUNCTION public.stamp() RETURNS trigger LANGUAGE plpgsql AS"
        " 'BEGIN RETURN NEW; END'",
    )
    run_sql(
        pg_url,
        "CREATE TRIGGER stamp BEFORE INSERT ON hazards FOR EACH ROW EXECUTE FUNCTION stamp()",
    )
    out = tmp_path / "backups"
    with pytest.raises(bk.BackupError, match="不予备份") as err:
        pg_backup.backup_shared(pg_url, tmp_path / "ev", out, key_file=tmp_path / "k" / "key")
    assert "TRIGGER public hazards stamp" in str(err.value)
    assert list(out.iterdir()) == []  # no folder, not even a partial one
