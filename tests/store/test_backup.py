"""Backups of the database and evidence files, and restoring them into a new place."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from analytics.store import backup as bk
from analytics.store import db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
EVIDENCE = [  # (mime, ext, content)
    ("image/jpeg", ".jpg", b"\xff\xd8\xff\xe0 fake photo of a missing guardrail"),
    ("application/pdf", ".pdf", b"%PDF-1.4 fake acceptance form"),
]


def add_evidence(conn, evidence_dir: Path) -> list[str]:
    """Attach one evidence file to each of the first two hazard events; return the paths."""
    events = [
        r[0]
        for r in conn.execute("SELECT event_id FROM hazard_events ORDER BY 1 LIMIT 2").fetchall()
    ]
    paths = []
    for event_id, (mime, ext, content) in zip(events, EVIDENCE, strict=True):
        sha = hashlib.sha256(content).hexdigest()
        conn.execute(
            "INSERT INTO attachments (sha256, mime, size_bytes) VALUES (?, ?, ?)",
            [sha, mime, len(content)],
        )
        conn.execute(
            "INSERT INTO event_attachments (event_id, sha256, file_name) VALUES (?, ?, ?)",
            [event_id, sha, f"证据{ext}"],
        )
        rel = f"{sha[:2]}/{sha}{ext}"
        (evidence_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (evidence_dir / rel).write_bytes(content)
        paths.append(rel)
    return paths


@pytest.fixture(scope="module")
def key(tmp_path_factory) -> Path:
    """A backup key outside every test's folders."""
    return tmp_path_factory.mktemp("key") / "hazards.backup-key"


@dataclass
class RoundTrip:
    source: Path
    folder: Path
    restored: Path
    evidence_out: Path
    counts: dict[str, int]
    evidence_paths: list[str]
    key_file: Path


@pytest.fixture(scope="module")
def trip(tmp_path_factory, demo_db_path) -> RoundTrip:
    """The demo database with two evidence files, backed up and restored elsewhere."""
    root = tmp_path_factory.mktemp("backup")
    source, evidence_in = root / "src.duckdb", root / "evidence"
    shutil.copy(demo_db_path, source)
    key_file = bk.key_file_for(source)
    conn = db.connect(source)
    try:
        paths = add_evidence(conn, evidence_in)
        folder = bk.backup(conn, evidence_in, root / "backups", label="test", key_file=key_file)
    finally:
        conn.close()
    restored, evidence_out = root / "restored" / "hazards.duckdb", root / "evidence2"
    counts = bk.restore(folder, restored, evidence_out, key_file=key_file)
    return RoundTrip(source, folder, restored, evidence_out, counts, paths, key_file)


def frame(path: Path, sql: str) -> pd.DataFrame:
    conn = db.connect(path, read_only=True)
    try:
        return conn.execute(sql).df()
    finally:
        conn.close()


def test_folder_layout(trip):
    assert re.fullmatch(r"hazards-backup-\d{8}-\d{6}-test", trip.folder.name)
    assert sorted(p.name for p in trip.folder.iterdir()) == [
        "data",
        "evidence",
        "manifest.hmac",
        "manifest.json",
    ]
    tables = [*db.TABLES, "dataset", "column_mappings"]
    assert sorted(p.name for p in (trip.folder / "data").iterdir()) == sorted(
        f"{t}.parquet" for t in tables
    )
    assert not list(trip.folder.rglob("*.sql"))  # no SQL in a backup
    assert not [p for p in trip.folder.parent.iterdir() if p != trip.folder]  # no temp left
    assert trip.key_file.name == "src.backup-key" and trip.key_file.parent == trip.source.parent
    assert trip.key_file.stat().st_mode & 0o777 == 0o600
    assert re.fullmatch(r"[0-9a-f]{64}\n", trip.key_file.read_text("ascii"))


@pytest.mark.parametrize("table", [*db.TABLES, "dataset", "column_mappings", "schema_version"])
def test_restore_reproduces_every_row(trip, table):
    sql = f"SELECT * FROM {table} ORDER BY ALL"  # fixed names  # noqa: S608
    if table == "hazards":
        sql = "SELECT * FROM hazards ORDER BY hazard_id"
    elif table == "schema_version":
        sql = "SELECT version, name FROM schema_version ORDER BY version"
    before, after = frame(trip.source, sql), frame(trip.restored, sql)
    pd.testing.assert_frame_equal(before, after)
    if table in ("hazards", "hazard_events", "attachments", "event_attachments"):
        assert len(after) > 0


def test_evidence_files_restored_byte_for_byte(trip):
    for rel in trip.evidence_paths:
        original = (trip.folder.parent.parent / "evidence" / rel).read_bytes()
        assert (trip.folder / "evidence" / rel).read_bytes() == original
        assert (trip.evidence_out / rel).read_bytes() == original
    assert sorted(p.name for p in trip.evidence_out.rglob("*") if p.is_file()) == sorted(
        Path(rel).name for rel in trip.evidence_paths
    )


def test_manifest(trip):
    manifest = json.loads((trip.folder / "manifest.json").read_text("utf-8"))
    conn = db.connect(trip.source, read_only=True)
    try:
        expected = db.table_counts(conn)
    finally:
        conn.close()
    counts = {t: e["rows"] for t, e in manifest["tables"].items()}
    assert counts == trip.counts == {**expected, "dataset": 4, "column_mappings": 0}
    assert expected["hazards"] == 231 and expected["attachments"] == 2
    for table, entry in manifest["tables"].items():
        data = (trip.folder / entry["file"]).read_bytes()
        assert entry["file"] == f"data/{table}.parquet"
        assert (entry["sha256"], entry["size_bytes"]) == (
            hashlib.sha256(data).hexdigest(),
            len(data),
        )
        assert tuple(entry["columns"]) == bk.known_tables(db.LATEST_VERSION)[table]
    signature = (trip.folder / "manifest.hmac").read_text("ascii").strip()
    key = bytes.fromhex(trip.key_file.read_text("ascii").strip())
    raw = (trip.folder / "manifest.json").read_bytes()
    assert signature == hmac.new(key, raw, hashlib.sha256).hexdigest()
    assert manifest["format"] == 2 and manifest["key_id"] == bk.key_id(key)
    assert manifest["schema_version"] == db.LATEST_VERSION
    assert manifest["label"] == "test"
    assert {e["path"]: (e["sha256"], e["size_bytes"]) for e in manifest["evidence"]} == {
        f"{hashlib.sha256(c).hexdigest()[:2]}/{hashlib.sha256(c).hexdigest()}{ext}": (
            hashlib.sha256(c).hexdigest(),
            len(c),
        )
        for _, ext, c in EVIDENCE
    }


def test_sequences_continue_after_restore(trip, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(trip.restored, path)
    conn = db.connect(path)
    try:
        top = conn.execute("SELECT max(event_id) FROM hazard_events").fetchone()[0]
        new = conn.execute(
            "INSERT INTO hazard_events (hazard_id, event_at, actor, action)"
            " SELECT min(hazard_id), TIMESTAMP '2022-06-01 09:00', '测试', '进展' FROM hazards"
            " RETURNING event_id"
        ).fetchone()[0]
        assert new == top + 1
    finally:
        conn.close()


def test_sequences_skip_ids_inserted_explicitly(tmp_path, fuyang, key):
    conn = db.open_store(tmp_path / "a.duckdb", fuyang)
    try:
        conn.execute(
            "INSERT INTO hazard_events (hazard_id, event_at, actor, action)"
            " VALUES ('h1', TIMESTAMP '2022-01-01', 'a', '发现')"
        )
        conn.execute(
            "INSERT INTO hazard_events (event_id, hazard_id, event_at, actor, action)"
            " VALUES (500, 'h1', TIMESTAMP '2022-01-02', 'a', '进展')"
        )
        conn.execute(
            "INSERT INTO imports (import_id, file_name, sha256, kind, imported_by)"
            " VALUES (7, 'a.xlsx', 'x', 'hazards', 'a')"
        )
        folder = bk.backup(conn, tmp_path / "ev", tmp_path / "backups", key_file=key)
    finally:
        conn.close()
    bk.restore(folder, tmp_path / "b.duckdb", tmp_path / "ev2", key_file=key)
    conn = db.connect(tmp_path / "b.duckdb")
    try:
        assert conn.execute(
            "INSERT INTO hazard_events (hazard_id, event_at, actor, action)"
            " VALUES ('h1', TIMESTAMP '2022-01-03', 'a', '进展') RETURNING event_id"
        ).fetchone() == (501,)
        assert conn.execute(
            "INSERT INTO imports (file_name, sha256, kind, imported_by)"
            " VALUES ('b.xlsx', 'y', 'hazards', 'a') RETURNING import_id"
        ).fetchone() == (8,)
    finally:
        conn.close()


@pytest.mark.file_store
def test_restore_refuses_to_overwrite(trip, tmp_path, fuyang):
    target = tmp_path / "existing.duckdb"
    db.open_store(target, fuyang).close()
    with pytest.raises(bk.BackupError, match="已存在") as err:
        bk.restore(trip.folder, target, tmp_path / "ev", key_file=trip.key_file)
    assert CHINESE.search(str(err.value))
    assert frame(target, "SELECT count(*) AS n FROM hazards")["n"][0] == 0
    bk.restore(trip.folder, target, tmp_path / "ev", overwrite=True, key_file=trip.key_file)
    assert frame(target, "SELECT count(*) AS n FROM hazards")["n"][0] == 231
    assert not Path(f"{target}.wal").exists()


def test_corrupted_evidence_fails_and_leaves_target_absent(trip, tmp_path):
    broken = tmp_path / trip.folder.name
    shutil.copytree(trip.folder, broken)
    victim = broken / "evidence" / trip.evidence_paths[1]
    data = bytearray(victim.read_bytes())
    data[3] ^= 0x01
    victim.write_bytes(bytes(data))
    target = tmp_path / "out" / "hazards.duckdb"
    with pytest.raises(bk.BackupError, match="校验失败") as err:
        bk.restore(broken, target, tmp_path / "ev", key_file=trip.key_file)
    assert victim.name in str(err.value) and CHINESE.search(str(err.value))
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary database left behind


def test_missing_evidence_file_is_named(tmp_path, demo_db_path, key):
    source = tmp_path / "src.duckdb"
    shutil.copy(demo_db_path, source)
    conn = db.connect(source)
    try:
        rel = add_evidence(conn, tmp_path / "ev")[0]
        (tmp_path / "ev" / rel).unlink()
        with pytest.raises(bk.BackupError, match="证据文件缺失") as err:
            bk.backup(conn, tmp_path / "ev", tmp_path / "backups", key_file=key)
    finally:
        conn.close()
    assert Path(rel).name in str(err.value)
    assert list((tmp_path / "backups").iterdir()) == []  # the half-written folder is gone


def test_backup_before_migration(tmp_path, trip):
    old = tmp_path / "old.duckdb"
    conn = db.connect(old)
    db.migrate(conn, target=1)
    conn.execute(
        "INSERT INTO hazards (hazard_id, unit_adcode, state) VALUES ('h1', '341202', '整改中')"
    )
    conn.close()
    folder = bk.backup_before_migration(old, tmp_path / "ev", tmp_path / "backups")
    assert folder is not None and folder.name.endswith("-before-migration-v1")
    db.connect(old).close()  # the read-only connection was closed: a writer can open the file
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert (manifest["format"], manifest["schema_version"]) == (2, 1)  # the same format
    assert (folder / "manifest.hmac").is_file() and not list(folder.rglob("*.sql"))
    key = bk.key_file_for(old)  # made beside the database
    assert key == tmp_path / "old.backup-key" and key.stat().st_mode & 0o777 == 0o600
    counts = bk.restore(folder, tmp_path / "new.duckdb", tmp_path / "ev2", key_file=key)
    v1_tables = ("units", "routes", "road_segments", "hazards", "hazard_events", "accidents")
    assert counts == {t: int(t == "hazards") for t in v1_tables}
    conn = db.connect(tmp_path / "new.duckdb", read_only=True)
    try:
        assert db.schema_version(conn) == db.LATEST_VERSION  # the old backup was upgraded
        assert conn.execute("SELECT hazard_id FROM hazards").fetchall() == [("h1",)]
    finally:
        conn.close()
    assert bk.backup_before_migration(trip.restored, tmp_path / "ev", tmp_path / "b2") is None
    assert bk.backup_before_migration(tmp_path / "absent.duckdb", tmp_path, tmp_path) is None


@pytest.mark.file_store
def test_a_failed_backup_before_migration_leaves_the_old_file(tmp_path):
    old = tmp_path / "old.duckdb"
    conn = db.connect(old)
    db.migrate(conn, target=1)
    conn.close()
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    with pytest.raises(
        bk.BackupError, match="^升级前备份失败，数据库未升级：无法在 .* 中创建备份文件夹"
    ):
        bk.backup_before_migration(old, tmp_path / "ev", blocked / "backups")
    conn = db.connect(old, read_only=True)
    assert db.schema_version(conn) == 1
    conn.close()


def test_list_backups_newest_first(tmp_path, fuyang, key):
    out = tmp_path / "backups"
    conn = db.open_store(tmp_path / "a.duckdb", fuyang)
    try:
        first = bk.backup(conn, tmp_path / "ev", out, label="first", key_file=key)
        second = bk.backup(conn, tmp_path / "ev", out, label="second", key_file=key)
    finally:
        conn.close()
    (out / "hazards-backup-20990101-000000-broken").mkdir()  # no manifest: skipped
    (out / "hazards-backup-20990101-000001-bad").mkdir()
    (out / "hazards-backup-20990101-000001-bad" / "manifest.json").write_text("{", "utf-8")
    listed = bk.list_backups(out)
    assert [b["verified"] for b in listed] == [None, None]
    listed = bk.list_backups(out, bk.load_key(key))
    assert [b["verified"] for b in listed] == [True, True]
    assert [b["folder"] for b in listed] == [second, first]
    assert [b["label"] for b in listed] == ["second", "first"]
    assert listed[0]["schema_version"] == db.LATEST_VERSION and listed[0]["hazards"] == 0
    assert bk.list_backups(tmp_path / "nowhere") == []


def test_bad_paths_and_manifests_are_refused(tmp_path, fuyang, key):
    conn = db.open_store(tmp_path / "a.duckdb", fuyang)
    try:
        with pytest.raises(bk.BackupError, match="单引号"):
            bk.backup(conn, tmp_path / "ev", tmp_path / "it's", key_file=key)
        with pytest.raises(bk.BackupError, match="标签"):
            bk.backup(conn, tmp_path / "ev", tmp_path / "b", label="../x", key_file=key)
    finally:
        conn.close()
    with pytest.raises(bk.BackupError, match="备份清单"):
        bk.restore(tmp_path, tmp_path / "r.duckdb", tmp_path / "ev", key_file=key)
    manifest = {"format": 2, "schema_version": db.LATEST_VERSION + 1, "tables": {}, "evidence": []}
    sign(tmp_path, manifest, key)
    with pytest.raises(bk.BackupError, match="高于本程序支持"):
        bk.restore(tmp_path, tmp_path / "r.duckdb", tmp_path / "ev", key_file=key)
    assert not (tmp_path / "r.duckdb").exists()


def test_reopening_the_store_while_its_first_connection_lives(tmp_path, demo_db_path, fuyang):
    """The app reopens its store when its resource cache is cleared, while sessions may still
    hold the first connection: the pre-upgrade check must not open the file differently."""
    path = tmp_path / "h.duckdb"
    shutil.copy(demo_db_path, path)
    first = db.open_store(path, fuyang)
    assert bk.backup_before_migration(path, tmp_path / "ev", tmp_path / "bk") is None  # current
    second = db.open_store(path, fuyang)
    assert (
        second.execute("SELECT count(*) FROM hazards").fetchone()[0]
        == (first.execute("SELECT count(*) FROM hazards").fetchone()[0])
    )
    first.close()
    second.close()


# --- attacks on a backup folder -----------------------------------------------------------------


def sign(folder: Path, manifest: dict, key_file: Path) -> None:
    """Write a manifest signed with the real key (an insider, or a stolen key)."""
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    (folder / "manifest.json").write_bytes(data)
    digest = hmac.new(bk.load_key(key_file, create=True), data, hashlib.sha256).hexdigest()
    (folder / "manifest.hmac").write_text(digest + "\n", "ascii")


def copy_of(trip: RoundTrip, tmp_path: Path) -> Path:
    folder = tmp_path / trip.folder.name
    shutil.copytree(trip.folder, folder)
    return folder


def hostile_sql(tmp_path: Path) -> tuple[str, Path, Path]:
    """SQL that writes a file on the server and reads a server file into the database."""
    secret, written = tmp_path / "secret.txt", tmp_path / "pwned.csv"
    secret.write_text("server secret", "utf-8")
    sql = (
        f"\nCOPY (SELECT 'pwned' AS x) TO '{written}' (FORMAT csv);\n"  # noqa: S608
        f"CREATE TABLE stolen AS SELECT * FROM read_text('{secret}');\n"
    )
    return sql, secret, written


def refused(folder: Path, tmp_path: Path, key_file: Path, match: str) -> str:
    target = tmp_path / "out" / "hazards.duckdb"
    with pytest.raises(bk.BackupError, match=match) as err:
        bk.restore(folder, target, tmp_path / "ev-out", key_file=key_file)
    assert CHINESE.search(str(err.value))
    assert not target.exists()
    assert not target.parent.exists() or list(target.parent.iterdir()) == []  # nothing left
    return str(err.value)


def test_sql_planted_in_a_backup_is_never_executed(trip, tmp_path):
    folder = copy_of(trip, tmp_path)
    sql, _, written = hostile_sql(tmp_path)
    (folder / "db").mkdir()  # where the old format kept its schema.sql and load.sql
    for name in ("schema.sql", "load.sql"):
        (folder / "db" / name).write_text(f"CREATE TABLE t (a INTEGER);{sql}", "utf-8")
    (folder / "data" / "schema.sql").write_text(sql, "utf-8")
    target = tmp_path / "restored.duckdb"
    counts = bk.restore(folder, target, tmp_path / "ev", key_file=trip.key_file)
    assert counts == trip.counts  # the planted files are not part of the backup: ignored
    assert not written.exists()
    tables = frame(target, "SELECT table_name FROM duckdb_tables() ORDER BY 1")["table_name"]
    assert "stolen" not in set(tables) and "t" not in set(tables)


def test_an_old_format_backup_with_sql_is_refused_unread(trip, tmp_path, fuyang):
    """A backup of the old format (EXPORT DATABASE: schema.sql, load.sql) with SQL appended."""
    folder = tmp_path / "hazards-backup-20220101-000000-old"
    folder.mkdir()
    conn = db.open_store(tmp_path / "old.duckdb", fuyang)
    conn.execute(f"EXPORT DATABASE '{folder / 'db'}' (FORMAT parquet)")
    conn.close()
    sql, _, written = hostile_sql(tmp_path)
    with (folder / "db" / "schema.sql").open("a", encoding="utf-8") as f:
        f.write(sql)
    old = {"format": 1, "schema_version": db.LATEST_VERSION, "row_counts": {}, "evidence": []}
    (folder / "manifest.json").write_text(json.dumps(old), "utf-8")
    assert "没有签名" in refused(folder, tmp_path, trip.key_file, "拒绝恢复")
    sign(folder, old, trip.key_file)  # even signed with the real key: the old format is not read
    assert "格式（1）与本程序不兼容" in refused(folder, tmp_path, trip.key_file, "拒绝恢复")
    assert not written.exists()


def test_a_data_file_changed_after_the_backup_is_refused(trip, tmp_path):
    folder = copy_of(trip, tmp_path)
    victim = folder / "data" / "hazards.parquet"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    message = refused(folder, tmp_path, trip.key_file, "校验失败")
    assert message.startswith("数据文件（hazards）校验失败") and str(victim) in message


def test_a_deleted_row_with_the_manifest_adjusted_is_refused(trip, tmp_path):
    folder = copy_of(trip, tmp_path)
    victim = folder / "data" / "hazards.parquet"
    conn = db.connect(":memory:")
    fewer = tmp_path / "fewer.parquet"
    conn.execute(
        f"COPY (SELECT * FROM read_parquet('{victim}') WHERE hazard_id <> "  # noqa: S608
        f"(SELECT min(hazard_id) FROM read_parquet('{victim}'))) TO '{fewer}' (FORMAT parquet)"
    )
    conn.close()
    shutil.copy(fewer, victim)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    entry = manifest["tables"]["hazards"]
    data = victim.read_bytes()
    entry["rows"] -= 1
    entry["sha256"], entry["size_bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    message = refused(folder, tmp_path, trip.key_file, "签名校验失败")
    assert message == (
        f"备份清单签名校验失败：{folder} 的清单在备份后被修改过（或密钥不符），拒绝恢复。"
    )


def test_a_wrong_or_missing_key_is_refused(trip, tmp_path):
    other = tmp_path / "other.backup-key"
    theirs = bk.key_id(bk.load_key(other, create=True))
    ours = json.loads((trip.folder / "manifest.json").read_text("utf-8"))["key_id"]
    message = refused(trip.folder, tmp_path, other, "另一把备份密钥")
    assert f"密钥指纹 {ours}" in message and f"本机密钥指纹 {theirs}" in message
    message = refused(trip.folder, tmp_path, tmp_path / "absent.backup-key", "找不到备份密钥文件")
    other.chmod(0o644)
    refused(trip.folder, tmp_path, other, "权限过宽")
    other.write_text("not a key\n", "ascii")
    other.chmod(0o600)
    refused(trip.folder, tmp_path, other, "内容无效")
    with pytest.raises(bk.BackupError, match="不能放在备份目录"):
        bk.restore(trip.folder, tmp_path / "x.duckdb", tmp_path, key_file=trip.folder / "k")


def test_tables_and_columns_come_from_the_program_even_when_signed(trip, tmp_path):
    """With the real key (an insider): the schema is still the program's own."""
    folder = copy_of(trip, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    evil = {**manifest["tables"]["units"], "file": "data/evil.parquet"}
    shutil.copy(folder / "data" / "units.parquet", folder / "data" / "evil.parquet")
    sign(folder, {**manifest, "tables": {**manifest["tables"], "evil": evil}}, trip.key_file)
    assert "（evil）" in refused(folder, tmp_path, trip.key_file, "数据表与本程序的数据库结构不符")

    victim = folder / "data" / "units.parquet"  # an extra column, the manifest claiming the old
    conn = db.connect(":memory:")
    conn.execute(
        f"COPY (SELECT *, 1 AS extra FROM read_parquet('{victim}')) TO '{tmp_path / 'x.parquet'}'"  # noqa: S608
        " (FORMAT parquet)"
    )
    conn.close()
    shutil.copy(tmp_path / "x.parquet", victim)
    data = victim.read_bytes()
    units = {
        **manifest["tables"]["units"],
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
    }
    sign(folder, {**manifest, "tables": {**manifest["tables"], "units": units}}, trip.key_file)
    message = refused(folder, tmp_path, trip.key_file, "列与本程序的数据库结构不符")
    assert message == "备份中数据表 units 的列与本程序的数据库结构不符，拒绝恢复。"


def test_leftover_partial_folders_are_cleaned_and_reported(tmp_path, fuyang, key):
    out = tmp_path / "backups"
    dead = out / ".hazards-backup-20220101-000000-app.pid999999999.x1y2.partial"
    older = out / ".hazards-backup-20220101-000001-app.abc123.partial"  # before pids were named
    live = out / f".hazards-backup-20220101-000002-app.pid{os.getpid()}.z9.partial"
    for folder in (dead, older, live):
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "hazards.parquet").write_bytes(b"half")
    (out / "unrelated.partial").mkdir()
    assert bk.clean_partials(out) == [dead, older]  # sorted by name
    assert sorted(p.name for p in out.iterdir()) == [live.name, "unrelated.partial"]
    shutil.copytree(live, dead)
    conn = db.open_store(tmp_path / "a.duckdb", fuyang)
    try:
        folder = bk.backup(conn, tmp_path / "ev", out, key_file=key)  # cleans before it writes
    finally:
        conn.close()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [live.name, "unrelated.partial", folder.name]
    )


def test_what_a_killed_restore_left_is_removed_by_the_next(trip, tmp_path):
    target = tmp_path / "hazards.duckdb"
    token = "pid999999999-" + "0" * 32
    dead_db = tmp_path / f".hazards.duckdb.restore-{token}.duckdb"
    dead_wal = tmp_path / f".hazards.duckdb.restore-{token}.duckdb.wal"
    dead_data = tmp_path / f".hazards.duckdb.restore-{token}.data"
    live = tmp_path / f".hazards.duckdb.restore-pid{os.getpid()}-{'1' * 32}.duckdb"
    for f in (dead_db, dead_wal, live):
        f.write_bytes(b"half")
    dead_data.mkdir()
    bk.restore(trip.folder, target, tmp_path / "ev", key_file=trip.key_file)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["ev", target.name, live.name])


def test_a_restore_ends_every_session_it_brings_back(tmp_path, demo_db_path, key):
    """A restore turns back the clock: a session ended since (a changed password, a sign-out)
    would live again, so every restored session is ended; everyone signs in again."""
    from datetime import datetime

    from analytics.accounts import sessions

    source = tmp_path / "src.duckdb"
    shutil.copy(demo_db_path, source)
    conn = db.connect(source)
    try:
        token = sessions.create(conn, "admin", datetime(2026, 12, 2, 9, 0))
        folder = bk.backup(conn, tmp_path / "ev", tmp_path / "backups", key_file=key)
    finally:
        conn.close()
    bk.restore(folder, tmp_path / "restored.duckdb", tmp_path / "ev2", key_file=key)
    conn = db.connect(tmp_path / "restored.duckdb")
    try:
        found = sessions.lookup(
            conn, sessions.token_hash(token), datetime(2026, 12, 2, 9, 1), 30, 12
        )
        assert found.username is None and "恢复" in found.reason
    finally:
        conn.close()
