"""Backups: the database exported as Parquet plus its evidence files, and restoring them.

A backup is a folder ``hazards-backup-<YYYYmmdd-HHMMSS>-<label>`` holding ``db/`` (DuckDB's
EXPORT DATABASE), ``evidence/`` (same ``<sha[:2]>/<sha><ext>`` layout as the evidence folder)
and ``manifest.json`` (row counts, schema version, every evidence file's SHA-256 and size).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from analytics import db

PREFIX = "hazards-backup-"
MANIFEST = "manifest.json"
FORMAT_VERSION = 1
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
SEQUENCES = {  # sequence -> (table, id column) whose ids must keep counting after a restore
    "hazard_event_seq": ("hazard_events", "event_id"), "import_seq": ("imports", "import_id"),
    "account_event_seq": ("account_events", "event_id"),
}  # fmt: skip
_SHA = re.compile(r"[0-9a-f]{64}")
_EVIDENCE_PATH = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{1,5}")
_LABEL = re.compile(r"[\w.\-]{1,60}")


class BackupError(RuntimeError):
    """A backup or restore problem a user can act on; the message is Chinese."""


def _sql_path(path: Path) -> str:
    """A path safe to put inside a single-quoted SQL literal (EXPORT/IMPORT take no parameters)."""
    text = str(path.resolve())
    if "'" in text:
        raise BackupError(f"路径中不能包含单引号：{text}")
    return text


def _copy_verified(src: Path, dst: Path, sha256: str) -> int:
    """Copy src to dst while hashing it; return its size. dst appears only when the hash matches."""
    if not src.is_file():
        raise BackupError(f"证据文件缺失：{src}（SHA-256 {sha256}）")
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = dst.with_name(f"{dst.name}.{uuid.uuid4().hex}.part")
    digest, size = hashlib.sha256(), 0
    try:
        with src.open("rb") as fin, part.open("wb") as fout:
            while chunk := fin.read(1 << 20):
                digest.update(chunk)
                fout.write(chunk)
                size += len(chunk)
        if digest.hexdigest() != sha256:
            raise BackupError(
                f"证据文件校验失败（内容与 SHA-256 {sha256} 不符，文件可能已损坏）：{src}"
            )
        os.replace(part, dst)
    finally:
        part.unlink(missing_ok=True)
    return size


def backup(
    conn: duckdb.DuckDBPyConnection, evidence_dir: Path, out_dir: Path, label: str = "manual"
) -> Path:
    """Write a consistent backup folder under out_dir and return its path."""
    if not _LABEL.fullmatch(label):
        raise BackupError(f"备份标签只能包含文字、数字、点、横线和下划线：{label}")
    now = datetime.now().astimezone()
    final = Path(out_dir) / f"{PREFIX}{now:%Y%m%d-%H%M%S}-{label}"
    if final.exists():
        raise BackupError(f"备份文件夹已存在：{final}，请稍后再试或换一个标签。")
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    try:
        version, counts, files = _export(conn, tmp / "db")
        evidence = []
        for sha, mime in files:
            if not _SHA.fullmatch(sha or ""):
                raise BackupError(f"附件记录的 SHA-256 无效：{sha}")
            rel = f"{sha[:2]}/{sha}{EXTENSIONS.get(mime, '.bin')}"
            size = _copy_verified(Path(evidence_dir) / rel, tmp / "evidence" / rel, sha)
            evidence.append({"path": rel, "sha256": sha, "size_bytes": size})
        manifest = {"format": FORMAT_VERSION, "created_at": now.isoformat(), "label": label,
                    "schema_version": version, "duckdb_version": duckdb.__version__,
                    "row_counts": counts, "evidence": evidence}  # fmt: skip
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
        if final.exists():
            raise BackupError(f"备份文件夹已存在：{final}，请稍后再试或换一个标签。")
        os.rename(tmp, final)
    except (duckdb.Error, OSError) as e:
        raise BackupError(f"备份失败：{e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _export(
    conn: duckdb.DuckDBPyConnection, target: Path
) -> tuple[int, dict[str, int], list[tuple[str, str]]]:
    """Export the database; return its schema version, row counts and attachments (sha, mime).

    A cursor has its own transaction, so the counts, the file list and the export see one snapshot.
    """
    cur = conn.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        version = db.schema_version(cur)
        sql = "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
        present = {r[0] for r in cur.execute(sql).fetchall()}
        counts = {
            t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed names
            for t in db.TABLES
            if t in present
        }
        files = []
        if "attachments" in present:
            files = cur.execute("SELECT sha256, mime FROM attachments ORDER BY 1").fetchall()
        cur.execute(f"EXPORT DATABASE '{_sql_path(target)}' (FORMAT parquet)")
        cur.execute("COMMIT")
    finally:
        cur.close()
    return version, counts, files


def read_manifest(backup_dir: Path) -> dict[str, Any]:
    """The backup's manifest, checked for the fields restore relies on."""
    path = Path(backup_dir) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        counts, files = manifest["row_counts"], manifest["evidence"]
        ok = isinstance(manifest["schema_version"], int) and isinstance(files, list)
        ok = ok and set(counts) <= set(db.TABLES)  # table names end up in SQL
        ok = ok and all(isinstance(n, int) for n in counts.values())
        ok = ok and all(_evidence_entry_ok(e) for e in files)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise BackupError(f"备份清单 {path} 缺失或无法读取，这不是一个完整的备份：{e}") from e
    if not ok:
        raise BackupError(f"备份清单 {path} 格式不正确，备份可能已损坏。")
    return manifest


def _evidence_entry_ok(entry: Any) -> bool:
    """An evidence entry names a file inside the evidence layout whose name is its hash."""
    sha = entry.get("sha256") if isinstance(entry, dict) else None
    rel = entry.get("path") if isinstance(entry, dict) else None
    if not isinstance(sha, str) or not isinstance(rel, str) or not _SHA.fullmatch(sha):
        return False
    return bool(_EVIDENCE_PATH.fullmatch(rel)) and rel.startswith(f"{sha[:2]}/{sha}.")


def _fix_sequences(conn: duckdb.DuckDBPyConnection) -> None:
    """Make every id sequence start after the highest restored id.

    IMPORT re-creates sequences at their exported position; this only acts when rows carry
    explicit ids above it. DuckDB can neither ALTER a sequence's position nor drop one a default
    uses, so the default is dropped, the sequence recreated and the default put back.
    """
    starts = dict(
        conn.execute("SELECT sequence_name, start_value FROM duckdb_sequences()").fetchall()
    )
    for seq, (table, col) in SEQUENCES.items():
        if seq not in starts:
            continue
        top = conn.execute(f"SELECT max({col}) FROM {table}").fetchone()[0]  # noqa: S608
        if top is None or int(top) < starts[seq]:
            continue
        start = int(top) + 1
        with db.transaction(conn):
            conn.execute(f"ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT")
            conn.execute(f"DROP SEQUENCE {seq}")
            conn.execute(f"CREATE SEQUENCE {seq} START {start:d}")
            conn.execute(f"ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT nextval('{seq}')")


def _release(db_path: Path) -> None:
    """Make sure no other program holds db_path and no stale WAL would replay onto the new file."""
    try:
        db.connect(db_path).close()  # a clean close also folds a leftover WAL into the old file
    except db.DatabaseLockedError as e:
        raise BackupError(f"无法覆盖：{e}") from e
    except db.StoreError:
        pass  # an unreadable old file is exactly what a restore may replace
    Path(f"{db_path}.wal").unlink(missing_ok=True)


def restore(
    backup_dir: Path, db_path: Path, evidence_dir: Path, *, overwrite: bool = False
) -> dict[str, int]:
    """Rebuild db_path and the evidence files from a backup; return the manifest's row counts.

    db_path is replaced only once the new database is complete, checked and migrated.
    """
    backup_dir, db_path = Path(backup_dir), Path(db_path)
    manifest = read_manifest(backup_dir)
    if manifest["schema_version"] > db.LATEST_VERSION:
        raise BackupError(
            f"备份的数据库结构版本为 {manifest['schema_version']}，高于本程序支持的"
            f" {db.LATEST_VERSION}，请先升级程序再恢复。"
        )
    if db_path.exists() and not overwrite:
        raise BackupError(
            f"目标数据库文件已存在：{db_path}。如确需用备份覆盖它，请选择“覆盖”后重试。"
        )
    counts: dict[str, int] = manifest["row_counts"]
    export = backup_dir / "db"
    if not (export / "schema.sql").is_file():
        raise BackupError(f"备份中缺少数据库导出文件：{export}")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.restore-{uuid.uuid4().hex}.duckdb")
    try:
        conn = db.connect(tmp)
        try:
            conn.execute(f"IMPORT DATABASE '{_sql_path(export)}'")
            for table, expected in counts.items():
                found = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                if found != expected:
                    raise BackupError(
                        f"恢复后数据表 {table} 有 {found} 行，备份清单记录为 {expected} 行，备份可能已损坏。"
                    )
            _fix_sequences(conn)
            for item in manifest["evidence"]:
                rel, sha = item["path"], item["sha256"]
                _copy_verified(backup_dir / "evidence" / rel, Path(evidence_dir) / rel, sha)
            db.migrate(conn)
            conn.execute("CHECKPOINT")
        finally:
            conn.close()
        if db_path.exists():
            _release(db_path)
        os.replace(tmp, db_path)
    except (duckdb.Error, db.StoreError, OSError) as e:
        raise BackupError(f"恢复失败，原数据库未改动：{e}") from e
    finally:
        for leftover in (tmp, Path(f"{tmp}.wal")):
            leftover.unlink(missing_ok=True)
    return counts


def backup_before_migration(db_path: Path, evidence_dir: Path, out_dir: Path) -> Path | None:
    """Back up an existing database that the next start would migrate; None when none is due."""
    db_path = Path(db_path)
    if not db_path.exists():
        return None
    try:
        # opened as the store itself opens it: DuckDB refuses a second connection to a file
        # with another configuration in the same process (the app reopening its store after
        # its resource cache was cleared, while the old connection is still referenced)
        conn = db.connect(db_path)
    except db.DatabaseLockedError:
        raise  # nothing was being upgraded yet: the lock is the whole story
    except db.StoreError as e:
        raise BackupError(f"升级前备份失败：{e}") from e
    try:
        old = db.schema_version(conn)
        if not 0 < old < db.LATEST_VERSION:
            return None
        return backup(conn, evidence_dir, out_dir, label=f"before-migration-v{old}")
    finally:
        conn.close()


def list_backups(out_dir: Path) -> list[dict[str, Any]]:
    """Complete backups under out_dir, newest first (folders without a readable manifest skipped)."""
    out_dir = Path(out_dir)
    found = []
    for folder in sorted(out_dir.glob(f"{PREFIX}*")) if out_dir.is_dir() else []:
        if not folder.is_dir():
            continue
        try:
            manifest = read_manifest(folder)
            created = datetime.fromisoformat(manifest["created_at"])
            hazards = int(manifest["row_counts"].get("hazards", 0))
        except (BackupError, KeyError, TypeError, ValueError):
            continue
        found.append({"folder": folder, "created_at": created, "label": manifest.get("label", ""),
                      "schema_version": manifest["schema_version"], "hazards": hazards})  # fmt: skip
    found.sort(key=lambda b: (b["created_at"], b["folder"].name), reverse=True)
    return found
