"""Backups: the database's tables as Parquet plus its evidence files, authenticated; restoring them.
(A PostgreSQL store is backed up with pg_dump under the same manifest: pg_backup.py.)

A backup is a folder ``hazards-backup-<YYYYmmdd-HHMMSS>-<label>`` holding ``data/<table>.parquet``
(one file for each table of the program's own schema at the database's version), ``evidence/``
(same ``<sha[:2]>/<sha><ext>`` layout as the evidence folder), ``manifest.json`` (schema version;
each table's file, SHA-256, size, rows and columns; every evidence file's SHA-256 and size) and
``manifest.hmac``: the HMAC-SHA256 of the manifest's exact bytes under the backup key.

The backup key is a file kept outside the backup folder: by default next to the database
(``<database name>.backup-key``, mode 0600), made by the first backup. Moving a backup to another
server means carrying the key separately (not inside the backup folder) and putting it next to the
target database, or naming it with ``--key``.

Restore trusts nothing in the folder until the manifest's HMAC checks out, and never executes SQL
from a backup: the schema comes from the program's own migrations, and only the Parquet files the
authenticated manifest lists are loaded, each into a table of the program's own list by name,
after its SHA-256 and its columns are checked. The new database is built beside the target and
replaces it only when complete.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import shutil
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from analytics.accounts import sessions
from analytics.store import db
from analytics.store.manifest import (
    FORMAT_VERSION,
    MANIFEST,
    SIGNATURE,
    BackupError,
    key_file_for,
    key_id,
    known_tables,
    load_key,
    os_reason,
    outside,
    read_manifest,
    sign,
)

log = logging.getLogger(__name__)

PREFIX = "hazards-backup-"
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}
_SHA = re.compile(r"[0-9a-f]{64}")
_LABEL = re.compile(r"[\w.\-]{1,60}")
_PARTIAL = re.compile(rf"\.{PREFIX}.*\.partial")
_PARTIAL_PID = re.compile(r"\.pid(\d+)\.[^.]*\.partial")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_path(path: Path) -> str:
    """A path safe to put inside a single-quoted SQL literal (COPY takes no parameters)."""
    text = str(path.resolve())
    if "'" in text:
        raise BackupError(f"路径中不能包含单引号：{text}")
    return text


def copy_verified(src: Path, dst: Path, sha256: str, what: str = "证据文件") -> int:
    """Copy src to dst while hashing it; return its size. dst appears only when the hash matches."""
    if not src.is_file():
        raise BackupError(f"{what}缺失：{src}（SHA-256 {sha256}）")
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
                f"{what}校验失败（内容与 SHA-256 {sha256} 不符，文件在备份后被修改或已损坏）：{src}"
            )
        os.replace(part, dst)
    finally:
        part.unlink(missing_ok=True)
    return size


def file_sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# --- backup -------------------------------------------------------------------------------------


def clean_partials(out_dir: Path) -> list[Path]:
    """Remove folders left by backups that were killed part way; return what was removed.

    A partial folder names the process writing it; one whose process still runs is left alone.
    """
    out_dir = Path(out_dir)
    removed = []
    for folder in sorted(out_dir.iterdir()) if out_dir.is_dir() else []:
        if not folder.is_dir() or not _PARTIAL.fullmatch(folder.name):
            continue
        m = _PARTIAL_PID.search(folder.name)
        if m and _alive(int(m.group(1))):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        log.warning("removed an unfinished backup folder %s", folder)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def backup(
    conn: duckdb.DuckDBPyConnection,
    evidence_dir: Path,
    out_dir: Path,
    label: str = "manual",
    *,
    key_file: Path,
) -> Path:
    """Write a consistent, authenticated backup folder under out_dir and return its path.

    The folder is written as ``.<name>.pid<N>.<random>.partial`` and renamed when complete;
    partial folders of backups killed earlier are removed first (clean_partials).
    """
    check_label(label)
    if Path(key_file).resolve().is_relative_to(Path(out_dir).resolve()):
        log.warning("the backup key %s is inside the backup folder %s", key_file, out_dir)
    key = load_key(key_file, create=True)
    final, tmp, now = start_folder(out_dir, label)
    try:
        version, tables, files = _export(conn, tmp / "data")
        evidence = copy_evidence(files, evidence_dir, tmp / "evidence")
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": now.isoformat(),
            "label": label,
            "schema_version": version,
            "duckdb_version": duckdb.__version__,
            "key_id": key_id(key),
            "tables": tables,
            "evidence": evidence,
        }
        seal(tmp, final, manifest, key)
    except (duckdb.Error, OSError) as e:
        raise BackupError(f"备份失败：{e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def check_label(label: str) -> None:
    if not _LABEL.fullmatch(label):
        raise BackupError(f"备份标签只能包含文字、数字、点、横线和下划线：{label}")


def start_folder(out_dir: Path, label: str) -> tuple[Path, Path, datetime]:
    """The backup's final folder, the ``.partial`` folder it is written into, and its time.

    Partial folders of backups killed earlier are removed first (clean_partials).
    """
    check_label(label)
    now = datetime.now().astimezone()
    final = Path(out_dir) / f"{PREFIX}{now:%Y%m%d-%H%M%S}-{label}"
    try:
        if final.exists():
            raise BackupError(f"备份文件夹已存在：{final}，请稍后再试或换一个标签。")
        final.parent.mkdir(parents=True, exist_ok=True)
        clean_partials(final.parent)
        tmp = Path(
            tempfile.mkdtemp(
                prefix=f".{final.name}.pid{os.getpid()}.", suffix=".partial", dir=final.parent
            )
        )
    except OSError as e:  # not a folder, no permission, disk full: said, not a traceback
        raise BackupError(f"无法在 {final.parent} 中创建备份文件夹：{os_reason(e)}") from e
    return final, tmp, now


def copy_evidence(files: list[tuple[str, str]], evidence_dir: Path, into: Path) -> list[dict]:
    """Copy each attachment's file (sha, mime) into the backup, checked; the manifest entries."""
    evidence = []
    for sha, mime in files:
        if not _SHA.fullmatch(sha or ""):
            raise BackupError(f"附件记录的 SHA-256 无效：{sha}")
        rel = f"{sha[:2]}/{sha}{EXTENSIONS.get(mime, '.bin')}"
        size = copy_verified(Path(evidence_dir) / rel, into / rel, sha)
        evidence.append({"path": rel, "sha256": sha, "size_bytes": size})
    return evidence


def seal(tmp: Path, final: Path, manifest: dict[str, Any], key: bytes) -> None:
    """Write the manifest and its signature, then rename the partial folder into place."""
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    (tmp / MANIFEST).write_bytes(data)
    (tmp / SIGNATURE).write_text(sign(key, data) + "\n", "ascii")
    if final.exists():
        raise BackupError(f"备份文件夹已存在：{final}，请稍后再试或换一个标签。")
    os.rename(tmp, final)


def _export(
    conn: duckdb.DuckDBPyConnection, target: Path
) -> tuple[int, dict[str, dict[str, Any]], list[tuple[str, str]]]:
    """Write each of the program's tables as Parquet; return the schema version, each table's
    file, hash, size, rows and columns, and the attachments (sha, mime).

    A cursor has its own transaction, so the counts, the files and the list see one snapshot.
    """
    target.mkdir(parents=True)
    cur = conn.cursor()
    tables: dict[str, dict[str, Any]] = {}
    try:
        cur.execute("BEGIN TRANSACTION")
        version = db.schema_version(cur)
        for table, columns in known_tables(version).items():
            cols = ", ".join(_quote(c) for c in columns)
            rows = cur.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]  # noqa: S608
            path = target / f"{table}.parquet"
            cur.execute(
                f"COPY (SELECT {cols} FROM {_quote(table)}) TO '{_sql_path(path)}' (FORMAT parquet)"  # noqa: S608
            )
            tables[table] = {
                "file": f"data/{table}.parquet",
                "rows": rows,
                "columns": list(columns),
            }
        files = []
        if "attachments" in tables:
            files = cur.execute("SELECT sha256, mime FROM attachments ORDER BY 1").fetchall()
        cur.execute("COMMIT")
    finally:
        cur.close()
    for table, entry in tables.items():
        entry["sha256"], entry["size_bytes"] = file_sha256(target / f"{table}.parquet")
    return version, tables, files


# --- restore ------------------------------------------------------------------------------------


def _fix_sequences(conn: duckdb.DuckDBPyConnection) -> None:
    """Make every id sequence start after the highest restored id.

    The migrations create each sequence at 1; restored rows carry their ids. DuckDB can neither
    ALTER a sequence's position nor drop one a default uses, so the default is dropped, the
    sequence recreated and the default put back.
    """
    starts = dict(
        conn.execute("SELECT sequence_name, start_value FROM duckdb_sequences()").fetchall()
    )
    for seq, (table, col) in db.SEQUENCES.items():
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


def _check_tables(manifest: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """The program's tables at the backup's version, which the manifest must list exactly."""
    known = known_tables(manifest["schema_version"])
    listed = manifest["tables"]
    if set(listed) != set(known):
        odd = sorted(set(listed) ^ set(known))
        raise BackupError(f"备份中的数据表与本程序的数据库结构不符（{'、'.join(odd)}），拒绝恢复。")
    for table, columns in known.items():
        if tuple(listed[table]["columns"]) != columns:
            raise BackupError(f"备份中数据表 {table} 的列与本程序的数据库结构不符，拒绝恢复。")
    return known


def _load_table(
    conn: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...], path: Path, rows: int
) -> None:
    """Insert one verified Parquet file into its table, its columns checked by name and order."""
    found = tuple(
        r[0] for r in conn.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    )
    if found != columns:
        raise BackupError(f"备份中数据表 {table} 的列与本程序的数据库结构不符，拒绝恢复。")
    cols = ", ".join(_quote(c) for c in columns)
    conn.execute(
        f"INSERT INTO {_quote(table)} ({cols}) SELECT {cols} FROM read_parquet(?)",  # noqa: S608
        [str(path)],
    )
    loaded = conn.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0]  # noqa: S608
    if loaded != rows:
        raise BackupError(
            f"恢复后数据表 {table} 有 {loaded} 行，备份清单记录为 {rows} 行，备份可能已损坏。"
        )


def _clean_killed_restores(db_path: Path) -> None:
    """Remove what a restore into db_path that was killed part way left beside it."""
    pattern = re.compile(
        rf"\.{re.escape(db_path.name)}\.restore-pid(\d+)-[0-9a-f]{{32}}\.(duckdb|duckdb\.wal|data)"
    )
    for path in db_path.parent.iterdir():
        m = pattern.fullmatch(path.name)
        if m and not _alive(int(m.group(1))):
            log.warning("removed what a killed restore left: %s", path)
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def restore(
    backup_dir: Path,
    db_path: Path,
    evidence_dir: Path,
    *,
    key_file: Path,
    overwrite: bool = False,
) -> dict[str, int]:
    """Rebuild db_path and the evidence files from a backup; return each table's row count.

    Nothing is read from the backup before its manifest's HMAC checks out; every file is checked
    against its SHA-256 as it is copied beside the target; db_path is replaced only once the new
    database is complete, checked and migrated.
    """
    backup_dir, db_path = Path(backup_dir), Path(db_path)
    outside(key_file, backup_dir)
    manifest = read_manifest(backup_dir, load_key(key_file))
    version = manifest["schema_version"]
    if version > db.LATEST_VERSION:
        raise BackupError(
            f"备份的数据库结构版本为 {version}，高于本程序支持的 {db.LATEST_VERSION}，"
            "请先升级程序再恢复。"
        )
    if db_path.exists() and not overwrite:
        raise BackupError(
            f"目标数据库文件已存在：{db_path}。如确需用备份覆盖它，请选择“覆盖”后重试。"
        )
    known = _check_tables(manifest)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _clean_killed_restores(db_path)
    token = f"pid{os.getpid()}-{uuid.uuid4().hex}"
    tmp = db_path.with_name(f".{db_path.name}.restore-{token}.duckdb")
    staged = db_path.with_name(f".{db_path.name}.restore-{token}.data")
    try:
        for table in known:  # verified copies: what is loaded is exactly what was hashed
            entry = manifest["tables"][table]
            copy_verified(
                backup_dir / entry["file"],
                staged / f"{table}.parquet",
                entry["sha256"],
                what=f"数据文件（{table}）",
            )
        conn = db.connect(tmp)
        try:
            db.migrate(conn, target=version)  # the program's own schema, never the backup's
            with db.transaction(conn):
                for table, columns in known.items():
                    rows = manifest["tables"][table]["rows"]
                    _load_table(conn, table, columns, staged / f"{table}.parquet", rows)
            _fix_sequences(conn)
            for item in manifest["evidence"]:
                rel, sha = item["path"], item["sha256"]
                copy_verified(backup_dir / "evidence" / rel, Path(evidence_dir) / rel, sha)
            db.migrate(conn)
            sessions.end_all_restored(conn)  # an ended session must not live again
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
        shutil.rmtree(staged, ignore_errors=True)
    return {t: manifest["tables"][t]["rows"] for t in known}


def migration_label(version: int) -> str:
    """The label of the backup taken before a store of schema ``version`` is upgraded."""
    return f"before-migration-v{version}"


def upgrade_refused(e: Exception) -> BackupError:
    """The one message of a pre-upgrade backup that failed (either store): nothing upgraded."""
    return BackupError(f"升级前备份失败，数据库未升级：{str(e).removeprefix('备份失败：')}")


def backup_before_migration(
    db_path: Path, evidence_dir: Path, out_dir: Path, key_file: Path | None = None
) -> Path | None:
    """Back up an existing database that the next start would migrate; None when none is due.

    The same authenticated format as any backup, with the key beside the database by default.
    """
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
        raise upgrade_refused(e) from e
    try:
        old = db.schema_version(conn)
        if not 0 < old < db.LATEST_VERSION:
            return None
        return backup(
            conn,
            evidence_dir,
            out_dir,
            label=migration_label(old),
            key_file=key_file or key_file_for(db_path),
        )
    except BackupError as e:
        raise upgrade_refused(e) from e
    finally:
        conn.close()


def list_backups(out_dir: Path, key: bytes | None = None) -> list[dict[str, Any]]:
    """Backups under out_dir, newest first (folders without a readable manifest skipped).

    With the key, ``verified`` says whether each manifest's signature checks out; the files
    themselves are checked only by a restore.
    """
    out_dir = Path(out_dir)
    found = []
    for folder in sorted(out_dir.glob(f"{PREFIX}*")) if out_dir.is_dir() else []:
        if not folder.is_dir():
            continue
        try:
            data = (folder / MANIFEST).read_bytes()
            manifest = json.loads(data.decode("utf-8"))
            created = datetime.fromisoformat(manifest["created_at"])
            version = int(manifest["schema_version"])
            tables = manifest.get("tables") or {}
            hazards = int(
                tables["hazards"]["rows"]
                if "hazards" in tables
                else manifest.get("row_counts", {}).get("hazards", 0)
            )
        except (OSError, KeyError, TypeError, ValueError, AttributeError):
            continue
        verified = None
        if key is not None:
            try:
                signature = (folder / SIGNATURE).read_text("ascii").strip()
                verified = hmac.compare_digest(signature, sign(key, data))
            except (OSError, ValueError):
                verified = False
        found.append(
            {
                "folder": folder,
                "created_at": created,
                "label": manifest.get("label", ""),
                "schema_version": version,
                "hazards": hazards,
                "verified": verified,
            }
        )
    found.sort(key=lambda b: (b["created_at"], b["folder"].name), reverse=True)
    return found
