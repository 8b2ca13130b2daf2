"""Backups of the database and evidence files, and restoring them into a new place."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from analytics import backup as bk
from analytics import db

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


@dataclass
class RoundTrip:
    source: Path
    folder: Path
    restored: Path
    evidence_out: Path
    counts: dict[str, int]
    evidence_paths: list[str]


@pytest.fixture(scope="module")
def trip(tmp_path_factory, demo_db_path) -> RoundTrip:
    """The demo database with two evidence files, backed up and restored elsewhere."""
    root = tmp_path_factory.mktemp("backup")
    source, evidence_in = root / "src.duckdb", root / "evidence"
    shutil.copy(demo_db_path, source)
    conn = db.connect(source)
    try:
        paths = add_evidence(conn, evidence_in)
        folder = bk.backup(conn, evidence_in, root / "backups", label="test")
    finally:
        conn.close()
    restored, evidence_out = root / "restored" / "hazards.duckdb", root / "evidence2"
    counts = bk.restore(folder, restored, evidence_out)
    return RoundTrip(source, folder, restored, evidence_out, counts, paths)


def frame(path: Path, sql: str) -> pd.DataFrame:
    conn = db.connect(path, read_only=True)
    try:
        return conn.execute(sql).df()
    finally:
        conn.close()


def test_folder_layout(trip):
    assert re.fullmatch(r"hazards-backup-\d{8}-\d{6}-test", trip.folder.name)
    assert (trip.folder / "db" / "schema.sql").is_file()
    assert not [p for p in trip.folder.parent.iterdir() if p != trip.folder]  # no temp left


@pytest.mark.parametrize("table", [*db.TABLES, "dataset", "schema_version"])
def test_restore_reproduces_every_row(trip, table):
    sql = f"SELECT * FROM {table} ORDER BY ALL"  # noqa: S608 - fixed names
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
    assert manifest["row_counts"] == expected == trip.counts
    assert expected["hazards"] == 231 and expected["attachments"] == 2
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


def test_sequences_skip_ids_inserted_explicitly(tmp_path, fuyang):
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
        folder = bk.backup(conn, tmp_path / "ev", tmp_path / "backups")
    finally:
        conn.close()
    bk.restore(folder, tmp_path / "b.duckdb", tmp_path / "ev2")
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


def test_restore_refuses_to_overwrite(trip, tmp_path, fuyang):
    target = tmp_path / "existing.duckdb"
    db.open_store(target, fuyang).close()
    with pytest.raises(bk.BackupError, match="已存在") as err:
        bk.restore(trip.folder, target, tmp_path / "ev")
    assert CHINESE.search(str(err.value))
    assert frame(target, "SELECT count(*) AS n FROM hazards")["n"][0] == 0
    bk.restore(trip.folder, target, tmp_path / "ev", overwrite=True)
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
        bk.restore(broken, target, tmp_path / "ev")
    assert victim.name in str(err.value) and CHINESE.search(str(err.value))
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # no temporary database left behind


def test_missing_evidence_file_is_named(tmp_path, demo_db_path):
    source = tmp_path / "src.duckdb"
    shutil.copy(demo_db_path, source)
    conn = db.connect(source)
    try:
        rel = add_evidence(conn, tmp_path / "ev")[0]
        (tmp_path / "ev" / rel).unlink()
        with pytest.raises(bk.BackupError, match="证据文件缺失") as err:
            bk.backup(conn, tmp_path / "ev", tmp_path / "backups")
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
    assert json.loads((folder / "manifest.json").read_text("utf-8"))["schema_version"] == 1
    counts = bk.restore(folder, tmp_path / "new.duckdb", tmp_path / "ev2")
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


def test_list_backups_newest_first(tmp_path, fuyang):
    out = tmp_path / "backups"
    conn = db.open_store(tmp_path / "a.duckdb", fuyang)
    try:
        first = bk.backup(conn, tmp_path / "ev", out, label="first")
        second = bk.backup(conn, tmp_path / "ev", out, label="second")
    finally:
        conn.close()
    (out / "hazards-backup-20990101-000000-broken").mkdir()  # no manifest: skipped
    (out / "hazards-backup-20990101-000001-bad").mkdir()
    (out / "hazards-backup-20990101-000001-bad" / "manifest.json").write_text("{", "utf-8")
    listed = bk.list_backups(out)
    assert [b["folder"] for b in listed] == [second, first]
    assert [b["label"] for b in listed] == ["second", "first"]
    assert listed[0]["schema_version"] == db.LATEST_VERSION and listed[0]["hazards"] == 0
    assert bk.list_backups(tmp_path / "nowhere") == []


def test_bad_paths_and_manifests_are_refused(tmp_path, fuyang):
    conn = db.open_store(tmp_path / "a.duckdb", fuyang)
    try:
        with pytest.raises(bk.BackupError, match="单引号"):
            bk.backup(conn, tmp_path / "ev", tmp_path / "it's")
        with pytest.raises(bk.BackupError, match="标签"):
            bk.backup(conn, tmp_path / "ev", tmp_path / "b", label="../x")
    finally:
        conn.close()
    with pytest.raises(bk.BackupError, match="备份清单"):
        bk.restore(tmp_path, tmp_path / "r.duckdb", tmp_path / "ev")
    (tmp_path / "manifest.json").write_text(
        json.dumps({"schema_version": db.LATEST_VERSION + 1, "row_counts": {}, "evidence": []}),
        "utf-8",
    )
    with pytest.raises(bk.BackupError, match="高于本程序支持"):
        bk.restore(tmp_path, tmp_path / "r.duckdb", tmp_path / "ev")
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
