"""The backup manifest and its key: signing, and reading a backup's manifest only once it is
authentic; the program's own tables, which are all a backup may hold.

The key (32 random bytes, hex, mode 0600) is a file outside every backup folder: by default
beside the database as ``<database name>.backup-key``. A manifest is trusted only when its
HMAC-SHA256 under the key matches ``manifest.hmac``; its ``key_id`` names the key that signed it
(a fingerprint, not the key) so that a backup signed elsewhere is explained.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any

import duckdb

from analytics.store import db

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SIGNATURE = "manifest.hmac"
FORMAT_VERSION = 2
KEY_SUFFIX = ".backup-key"
FILE_STORE, SHARED_STORE = "file", "postgresql"  # what a backup holds (manifest "store")
DUMP_FILE = "data/store.dump"  # a PostgreSQL backup's pg_dump archive
_SHA = re.compile(r"[0-9a-f]{64}")
_EVIDENCE_PATH = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{1,5}")


class BackupError(RuntimeError):
    """A backup or restore problem a user can act on; the message is Chinese."""


# --- the key ------------------------------------------------------------------------------------


def key_file_for(db_path: Path) -> Path:
    """Where the backup key of a database lives by default: beside the database file."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.name.removesuffix(".duckdb") + KEY_SUFFIX)


_OS_REASONS = {
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.ENOENT: "路径不存在",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EEXIST: "已存在同名文件",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统只读",
    errno.EDQUOT: "超出磁盘配额",
}


def os_reason(e: OSError) -> str:
    """What went wrong with a file or folder, in Chinese (the system's own text is English)."""
    return _OS_REASONS.get(e.errno or 0, f"系统错误（errno {e.errno}）")


def load_key(key_file: Path, *, create: bool = False) -> bytes:
    """The backup key (32 random bytes, stored as hex, mode 0600); made when create is set."""
    key_file = Path(key_file)
    try:
        return _load_key(key_file, create)
    except OSError as e:
        raise BackupError(f"无法创建或读取备份密钥文件 {key_file}：{os_reason(e)}") from e


def _load_key(key_file: Path, create: bool) -> bytes:
    if create and not key_file.exists():
        _create_key(key_file)
    if not key_file.is_file():
        raise BackupError(
            f"找不到备份密钥文件：{key_file}。恢复须使用做备份时的密钥：请从原服务器复制该密钥文件"
            "（与数据库文件同目录、名为“数据库名.backup-key”）到本机，或用 --key 指定其位置。"
        )
    if os.name == "posix" and key_file.stat().st_mode & 0o077:
        raise BackupError(
            f"备份密钥文件 {key_file} 的权限过宽（其他用户可读），请执行 chmod 600 {key_file} 后重试。"
        )
    text = key_file.read_text("ascii", errors="replace").strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise BackupError(f"备份密钥文件 {key_file} 内容无效（应为 64 位十六进制字符）。")
    return bytes.fromhex(text)


def _create_key(key_file: Path) -> None:
    """Write a new key whole (0600 from the start) and link it into place: a backup running at
    the same moment either makes the key or reads the complete one the other made."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    part = key_file.with_name(f".{key_file.name}.{secrets.token_hex(8)}.part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(part, key_file)
        except FileExistsError:
            return  # made by another backup at the same moment: use that one
        except OSError:  # a file system without hard links
            os.replace(part, key_file)
        log.warning("created the backup key %s: keep it, and carry it separately", key_file)
    finally:
        part.unlink(missing_ok=True)


def key_id(key: bytes) -> str:
    """A short fingerprint naming a key without revealing it (shown when keys differ)."""
    return hashlib.sha256(b"hazards-backup-key-id:" + key).hexdigest()[:16]


def sign(key: bytes, data: bytes) -> str:
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def outside(key_file: Path, folder: Path) -> None:
    if Path(key_file).resolve().is_relative_to(Path(folder).resolve()):
        raise BackupError(f"备份密钥文件 {key_file} 不能放在备份目录 {folder} 之内。")


# --- the program's own schema -------------------------------------------------------------------


@functools.cache
def known_tables(version: int) -> dict[str, tuple[str, ...]]:
    """The tables (and their columns, in order) the program's migrations make at version."""
    conn = duckdb.connect(":memory:", config=db.DUCKDB_CONFIG)
    try:
        db.migrate(conn, target=version)
        rows = conn.execute(
            "SELECT c.table_name, c.column_name FROM duckdb_columns() c JOIN duckdb_tables() t"
            " ON t.database_name = c.database_name AND t.schema_name = c.schema_name"
            " AND t.table_name = c.table_name"
            " WHERE c.database_name = current_database() AND c.table_name <> 'schema_version'"
            " ORDER BY c.table_name, c.column_index"
        ).fetchall()
    finally:
        conn.close()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return {t: tuple(cols) for t, cols in tables.items()}


# --- reading a backup's manifest  --------------------------------------------------------------


def read_manifest(backup_dir: Path, key: bytes, store: str = FILE_STORE) -> dict[str, Any]:
    """The backup's manifest once its HMAC under key checks out, checked for what restore uses;
    ``store`` is the kind the restore writes (a database file, or PostgreSQL)."""
    path = Path(backup_dir) / MANIFEST
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BackupError(f"备份清单 {path} 缺失或无法读取，这不是一个完整的备份：{e}") from e
    try:
        signature = (Path(backup_dir) / SIGNATURE).read_text("ascii").strip()
    except (OSError, ValueError):
        raise BackupError(
            f"备份 {backup_dir} 没有签名（{SIGNATURE}），可能是旧版本程序的备份或已被篡改，"
            "为安全起见拒绝恢复。"
        ) from None
    if not hmac.compare_digest(signature, sign(key, data)):
        raise BackupError(_signature_problem(data, key, backup_dir))
    try:
        manifest = json.loads(data.decode("utf-8"))
        found = manifest.get("format")
        if found != FORMAT_VERSION:
            raise BackupError(
                f"备份 {backup_dir} 的格式（{found}）与本程序不兼容（须为 {FORMAT_VERSION}），"
                "拒绝恢复。旧格式的备份请用做备份时的程序版本恢复，再用本程序重新备份。"
            )
        kind = manifest.get("store", FILE_STORE)
        if kind != store and kind in _WRONG_KIND:
            raise BackupError(_WRONG_KIND[kind].format(folder=backup_dir))
        ok = kind == store and _manifest_ok(manifest)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise BackupError(f"备份清单 {path} 格式不正确：{e}") from e
    if not ok:
        raise BackupError(f"备份清单 {path} 格式不正确或来自不兼容的程序版本。")
    return manifest


def _signature_problem(data: bytes, key: bytes, backup_dir: Path) -> str:
    """Why a signature fails: another key made the backup, or the manifest was changed."""
    try:
        theirs = json.loads(data.decode("utf-8")).get("key_id")
    except (ValueError, AttributeError):
        theirs = None
    if isinstance(theirs, str) and theirs != key_id(key):
        return (
            f"备份 {backup_dir} 是用另一把备份密钥签名的（密钥指纹 {theirs[:16]}，本机密钥指纹"
            f" {key_id(key)}）。请使用做备份的服务器上的备份密钥文件（--key 指定），否则拒绝恢复。"
        )
    return f"备份清单签名校验失败：{backup_dir} 的清单在备份后被修改过（或密钥不符），拒绝恢复。"


_WRONG_KIND = {
    SHARED_STORE: "备份 {folder} 是共享数据库（PostgreSQL）的备份，只能恢复到新建的空 PostgreSQL"
    " 数据库：python -m analytics restore 备份目录 --db postgresql://…/新数据库名。",
    FILE_STORE: "备份 {folder} 是数据库文件的备份，不能直接恢复到 PostgreSQL：请先恢复为数据库文件"
    "（--db 文件路径），再用 python -m analytics migrate-store 迁入新建的空数据库。",
}


def _manifest_ok(m: dict[str, Any]) -> bool:
    version = m["schema_version"]
    ok = m["format"] == FORMAT_VERSION and isinstance(version, int) and 0 < version
    tables, files = m["tables"], m["evidence"]
    ok = ok and isinstance(tables, dict) and isinstance(files, list)
    if m.get("store", FILE_STORE) == SHARED_STORE:
        ok = ok and _dump_entry_ok(m["dump"])
        ok = ok and all(_rows_entry_ok(e) for e in tables.values())
    else:
        ok = ok and all(_table_entry_ok(name, e) for name, e in tables.items())
    return ok and all(_evidence_entry_ok(e) for e in files)


def _dump_entry_ok(e: Any) -> bool:
    return (
        isinstance(e, dict)
        and e.get("file") == DUMP_FILE
        and isinstance(e.get("sha256"), str)
        and bool(_SHA.fullmatch(e["sha256"]))
        and isinstance(e.get("size_bytes"), int)
    )


def _rows_entry_ok(e: Any) -> bool:
    return isinstance(e, dict) and isinstance(e.get("rows"), int) and e["rows"] >= 0


def _table_entry_ok(name: str, e: Any) -> bool:
    return (
        isinstance(e, dict)
        and e.get("file") == f"data/{name}.parquet"
        and isinstance(e.get("sha256"), str)
        and bool(_SHA.fullmatch(e["sha256"]))
        and isinstance(e.get("rows"), int)
        and isinstance(e.get("columns"), list)
    )


def _evidence_entry_ok(entry: Any) -> bool:
    """An evidence entry names a file inside the evidence layout whose name is its hash."""
    sha = entry.get("sha256") if isinstance(entry, dict) else None
    rel = entry.get("path") if isinstance(entry, dict) else None
    if not isinstance(sha, str) or not isinstance(rel, str) or not _SHA.fullmatch(sha):
        return False
    return bool(_EVIDENCE_PATH.fullmatch(rel)) and rel.startswith(f"{sha[:2]}/{sha}.")
