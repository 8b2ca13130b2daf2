"""Backups of the PostgreSQL store (shared.py): a pg_dump archive plus the evidence files under the
same authenticated manifest as a file backup (backup.py, manifest.py); restoring one into a new,
empty database. ``make_backup`` and ``default_key_file`` pick the file or the PostgreSQL kind by
the settings (the 数据与设置 page and the backup command go through them).

A PostgreSQL backup is a folder ``hazards-backup-<YYYYmmdd-HHMMSS>-<label>`` holding
``data/store.dump`` (``pg_dump --format=custom`` of exactly the store's tables: each data table,
its ``<table>_gone`` tombstones, ``schema_version``, ``store_revision`` and ``store_log``, with
their primary keys and ``_rev`` indexes), ``evidence/``, ``manifest.json`` (``"store":
"postgresql"``; the dump's SHA-256 and size; every table's rows; the schema version, revision and
city) and ``manifest.hmac``. The dump, the row counts and the list of evidence files come from one
snapshot (pg_dump ``--snapshot`` of a transaction that exported it), so they agree.

The key: ``postgresql.backup-key`` in the backup folder setting's parent directory (by default
``data/postgresql.backup-key`` beside ``data/backups``), made by the first backup (mode 0600), or
the file ``--key`` names. There is no database file to keep it beside, and the database's name
is no anchor either (a restore writes into a database of another name), so it hangs on the one
setting both a backup and a restore on the same server share. Another server needs the key
carried separately (never inside a backup folder) and named with ``--key``.

Restore (``python -m analytics restore FOLDER --db postgresql://…/newdb``) trusts the dump only
through the manifest: pg_restore executes the SQL a dump carries (a crafted archive can hold any
statement under any label), so nothing is read from the folder before the manifest's HMAC checks
out, and the dump is copied aside while its SHA-256 is checked, so what pg_restore reads is
exactly what the key signed. On top of that, as defence in depth against a source database that
someone planted objects in (a function or trigger signed into a backup along with the tables):

- the archive's table of contents (``pg_restore --list``) may hold only TABLE, TABLE DATA,
  INDEX, CONSTRAINT and SEQUENCE entries in schema public, naming the store's own tables at the
  backup's schema version (taken from the program's migrations, not from the manifest), their
  ``<table>_pkey`` constraints and ``<table>__rev_idx`` indexes; anything else refuses the restore
  (the same check runs before a backup is signed);
- pg_restore runs with ``--schema=public --no-owner --no-privileges --single-transaction
  --exit-on-error``: no ownership or grants from the dump, and a failure leaves nothing;
- the target database must be new and empty (no tables, views, sequences or functions outside
  the system schemas): a restore never drops or overwrites data;
- afterwards every table's rows in PostgreSQL must equal the manifest's, and the store is opened
  with mirror.open_store (upgraded when the backup is older) and its tables counted again; every
  signed-in session it brings back is ended, as a file restore does.
The table-of-contents check is no sandbox (a hand-made archive can put any SQL under a TABLE
label): the signature is what keeps such an archive out. The evidence files go to the evidence
folder setting (shared by the app processes), each checked. pg_dump and pg_restore are given the
URL without its password, which travels in PGPASSWORD (never in a process list or a message).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from analytics.accounts import sessions
from analytics.city import City
from analytics.config import Settings
from analytics.store import backup, db, mirror, shared
from analytics.store.manifest import (
    DUMP_FILE,
    FORMAT_VERSION,
    SHARED_STORE,
    BackupError,
    key_file_for,
    key_id,
    known_tables,
    load_key,
    outside,
    read_manifest,
)

log = logging.getLogger(__name__)

KEY_NAME = "postgresql.backup-key"
# The entry kinds a store's archive may list; longer names first ("TABLE DATA …" also starts
# with "TABLE ", and that reading is refused: its schema would be "DATA").
TOC_KINDS = (
    "TABLE DATA",
    "TABLE",
    "INDEX",
    "CONSTRAINT",
    "SEQUENCE SET",
    "SEQUENCE OWNED BY",
    "SEQUENCE",
)
_TOC_LINE = re.compile(r"\d+; \d+ \d+ (.+)")


# --- by settings -------------------------------------------------------------------------------


def default_key_file(settings: Settings) -> Path:
    """The default backup key: beside the database file, or (PostgreSQL) KEY_NAME in the backup
    folder setting's parent directory."""
    if settings.database_url:
        return Path(settings.backup_dir).parent / KEY_NAME
    return key_file_for(settings.db_path)


def make_backup(
    settings: Settings,
    conn: Any,
    out_dir: Path | None = None,
    label: str = "manual",
    *,
    key_file: Path | None = None,
) -> Path:
    """A backup of the configured store: pg_dump with database_url set (conn unused, may be
    None), otherwise the file store's Parquet backup of conn."""
    out = Path(out_dir or settings.backup_dir)
    key = Path(key_file) if key_file else default_key_file(settings)
    if settings.database_url:
        return backup_shared(settings.database_url, settings.evidence_dir, out, label, key_file=key)
    return backup.backup(conn, settings.evidence_dir, out, label, key_file=key)


# --- the store's tables --------------------------------------------------------------------------


def store_tables(version: int) -> set[str]:
    """Every table of the PostgreSQL store at a schema version (the program's migrations say)."""
    data = {*known_tables(version), "schema_version"}
    return data | {f"{t}_gone" for t in data} | set(shared.META_TABLES)


def check_toc(entries: list[str], tables: set[str], refusal: str = "拒绝恢复") -> None:
    """Refuse an archive whose table of contents holds anything but the store's own tables."""
    odd = [e for e in entries if not _toc_entry_ok(e, tables)]
    if odd:
        shown = "；".join(odd[:5]) + ("……" if len(odd) > 5 else "")
        raise BackupError(
            f"数据库转储文件中有本程序数据表之外的内容（共 {len(odd)} 项：{shown}），{refusal}。"
        )


def _toc_entry_ok(entry: str, tables: set[str]) -> bool:
    m = _TOC_LINE.fullmatch(entry)
    if not m:
        return False
    rest = m.group(1)
    kind = next((k for k in TOC_KINDS if rest.startswith(k + " ")), None)
    if kind is None:
        return False
    schema, *words = rest[len(kind) + 1 :].split(" ")
    need = 2 if kind == "CONSTRAINT" else 1  # a constraint is listed as "table constraint"
    if schema != "public" or len(words) not in (need, need + 1):  # then the owner, if any
        return False
    name = words[0]
    if kind in ("TABLE", "TABLE DATA"):
        return name in tables
    if kind == "INDEX":
        return name.endswith("__rev_idx") and name.removesuffix("__rev_idx") in tables
    if kind == "CONSTRAINT":
        return name in tables and words[1] == f"{name}_pkey"
    return name.endswith("_seq") and any(name.startswith(f"{t}_") for t in tables)


def toc(dump: Path) -> list[str]:
    """The entries of a pg_dump archive's table of contents (pg_restore --list reads, runs
    nothing)."""
    out = _run([_tool("pg_restore"), "--list", str(dump)], "读取数据库转储文件目录")
    return [line for line in out.splitlines() if line.strip() and not line.startswith(";")]


# --- backup --------------------------------------------------------------------------------------


def backup_shared(
    url: str, evidence_dir: Path, out_dir: Path, label: str = "manual", *, key_file: Path
) -> Path:
    """Write an authenticated pg_dump backup of the PostgreSQL store under out_dir; its path."""
    backup.check_label(label)
    if Path(key_file).resolve().is_relative_to(Path(out_dir).resolve()):
        log.warning("the backup key %s is inside the backup folder %s", key_file, out_dir)
    key = load_key(key_file, create=True)
    pg_dump = _tool("pg_dump")
    try:
        conn = shared._connect_pg(url)
    except db.StoreError as e:
        raise BackupError(f"备份失败：{e}") from e
    final, tmp, now = backup.start_folder(out_dir, label)
    try:
        cur = conn.cursor()
        cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        facts = _snapshot_facts(cur, url)
        tables = store_tables(facts["schema_version"])
        rows = _pg_counts(cur, tables)
        files = []
        if "attachments" in tables:
            cur.execute("SELECT sha256, mime FROM attachments ORDER BY 1")
            files = [tuple(r) for r in cur.fetchall()]
        dump = tmp / DUMP_FILE
        dump.parent.mkdir(parents=True)
        args = [pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--no-comments"]
        args += ["--strict-names", f"--snapshot={facts['snapshot']}", f"--file={dump}"]
        args += [f"--table=public.{t}" for t in sorted(tables)]
        _run(args, "pg_dump 导出", url)
        cur.execute("COMMIT")
        check_toc(toc(dump), tables, "不予备份（请检查共享数据库中是否被加入了其他对象）")
        sha, size = backup.file_sha256(dump)
        manifest = {
            "format": FORMAT_VERSION,
            "store": SHARED_STORE,
            "created_at": now.isoformat(),
            "label": label,
            "schema_version": facts["schema_version"],
            "revision": facts["revision"],
            "city_adcode": facts["city_adcode"],
            "postgresql_version": facts["server_version"],
            "key_id": key_id(key),
            "dump": {"file": DUMP_FILE, "sha256": sha, "size_bytes": size},
            "tables": {t: {"rows": n} for t, n in rows.items()},
            "evidence": backup.copy_evidence(files, evidence_dir, tmp / "evidence"),
        }
        backup.seal(tmp, final, manifest, key)
    except (OSError, db.StoreError) as e:
        raise BackupError(f"备份失败：{e}") from e
    finally:
        conn.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _snapshot_facts(cur: Any, url: str) -> dict[str, Any]:
    """The exported snapshot's id and what the manifest records, read in that snapshot."""
    where = shared.redact(url)
    if shared._one(cur, "SELECT current_schema()") != "public":
        raise BackupError(f"共享数据库 {where} 的数据不在 public 模式中，无法备份。")
    present = shared._pg_tables(cur)
    if "schema_version" not in present:
        raise BackupError(f"共享数据库 {where} 中还没有数据，无需备份。")
    version = int(shared._one(cur, "SELECT coalesce(max(version), 0) FROM schema_version"))
    if version > db.LATEST_VERSION:
        raise BackupError(
            f"数据库结构版本为 {version}，高于本程序支持的 {db.LATEST_VERSION}，请升级程序。"
        )
    missing = sorted(store_tables(version) - present)
    if missing:
        raise BackupError(f"共享数据库 {where} 缺少数据表：{'、'.join(missing)}，无法备份。")
    return {
        "snapshot": shared._one(cur, "SELECT pg_export_snapshot()"),
        "schema_version": version,
        "revision": int(shared._one(cur, "SELECT rev FROM store_revision")),
        "city_adcode": shared._one(cur, "SELECT value FROM dataset WHERE key = 'city_adcode'"),
        "server_version": shared._one(cur, "SELECT current_setting('server_version')"),
    }


# --- restore -------------------------------------------------------------------------------------


def restore(
    backup_dir: Path, url: str, evidence_dir: Path, city: City, *, key_file: Path
) -> dict[str, int]:
    """Restore a PostgreSQL backup into the new, empty database at url (see the module's
    docstring for every check); return each of the program's tables' rows."""
    backup_dir, where = Path(backup_dir), shared.redact(url)
    outside(key_file, backup_dir)
    if not Path(key_file).is_file():
        raise BackupError(
            f"找不到备份密钥文件：{key_file}。恢复须使用做备份时的密钥：请从原服务器复制该密钥文件"
            f"（备份目录的上一级目录中的 {KEY_NAME}）到本机，或用 --key 指定其位置。"
        )
    manifest = read_manifest(backup_dir, load_key(key_file), store=SHARED_STORE)
    version = manifest["schema_version"]
    if version > db.LATEST_VERSION:
        raise BackupError(
            f"备份的数据库结构版本为 {version}，高于本程序支持的 {db.LATEST_VERSION}，"
            "请先升级程序再恢复。"
        )
    theirs = manifest.get("city_adcode")
    if theirs and theirs != city.adcode:
        raise BackupError(
            f"备份属于城市代码 {theirs}，与当前城市配置 {city.name}（{city.adcode}）不一致，拒绝恢复。"
        )
    tables = store_tables(version)
    if set(manifest["tables"]) != tables:
        odd = sorted(set(manifest["tables"]) ^ tables)
        raise BackupError(f"备份中的数据表与本程序的数据库结构不符（{'、'.join(odd)}），拒绝恢复。")
    found = mirror.existing_objects(url)
    if found:
        shown = "、".join(found[:5]) + ("等" if len(found) > 5 else "")
        raise BackupError(
            f"目标数据库 {where} 不是空的（已有 {len(found)} 个数据表或函数：{shown}）。"
            "恢复只写入新建的空数据库，不会覆盖或删除已有数据：请先新建一个数据库"
            "（CREATE DATABASE …）再恢复到它。"
        )
    staged = Path(tempfile.mkdtemp(prefix="hazards-restore-"))
    try:
        dump = staged / "store.dump"  # what pg_restore reads is exactly what was hashed
        entry = manifest["dump"]
        backup.copy_verified(backup_dir / entry["file"], dump, entry["sha256"], "数据库转储文件")
        check_toc(toc(dump), tables)
        for item in manifest["evidence"]:
            rel, sha = item["path"], item["sha256"]
            backup.copy_verified(backup_dir / "evidence" / rel, Path(evidence_dir) / rel, sha)
        args = [_tool("pg_restore"), "--schema=public", "--no-owner", "--no-privileges"]
        args += ["--single-transaction", "--exit-on-error", str(dump)]
        _run(args, "pg_restore 恢复", url)
    except OSError as e:
        raise BackupError(f"恢复失败，目标数据库未改动：{e}") from e
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    expected = {t: manifest["tables"][t]["rows"] for t in sorted(tables)}
    pg = shared._connect_pg(url)
    try:
        _check_counts(url, expected, _pg_counts(pg.cursor(), tables))
    finally:
        pg.close()
    conn = mirror.open_store(url, city)
    try:
        if version == db.LATEST_VERSION:  # an upgraded store may hold other rows by design
            loaded = {n: shared.content_hash(conn, t)[0] for n, t in conn.shared.tables.items()}
            _check_counts(url, {t: expected[t] for t in loaded}, loaded)
        sessions.end_all_restored(conn)  # an ended session must not live again
    finally:
        conn.close()
    return {t: expected[t] for t in known_tables(version)}


# Exact row counts of named tables in one statement: PostgreSQL itself quotes each name (%I).
_COUNTS = (
    "SELECT table_name::text, (xpath('/row/n/text()', query_to_xml(format("
    "'SELECT count(*) AS n FROM public.%I', table_name), false, true, '')))[1]::text::bigint"
    " FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ANY($1)"
)


def _pg_counts(cur: Any, tables: set[str]) -> dict[str, int]:
    cur.execute(_COUNTS, parameters=(sorted(tables),))
    return {name: int(n) for name, n in cur.fetchall()}


def _check_counts(url: str, expected: dict[str, int], found: dict[str, int]) -> None:
    for table in expected:
        rows = found.get(table, "（缺失）")
        if rows != expected[table]:
            raise BackupError(
                f"恢复后数据表 {table} 有 {rows} 行，备份清单记录为 {expected[table]} 行，备份可能"
                f"已损坏；请勿使用数据库 {shared.redact(url)}（可删除后重新恢复）。"
            )


# --- the PostgreSQL client programs -------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"找不到 PostgreSQL 客户端程序 {name}：请在本机安装 postgresql-client-15 后重试。"
        )
    return found


def _run(args: list[str], what: str, url: str | None = None) -> str:
    """Run a client program (given the database URL without its password, which travels in
    PGPASSWORD and so never shows in a process list); its output, or a Chinese error."""
    env = dict(os.environ)
    if url is not None:
        parts = urlsplit(url)
        if parts.password is not None:
            env["PGPASSWORD"] = unquote(parts.password)
            host = parts.netloc.rsplit("@", 1)[1]
            user = parts.netloc.rsplit("@", 1)[0].split(":", 1)[0]
            url = parts._replace(netloc=f"{user}@{host}").geturl()
        args = [*args, f"--dbname={url}"]
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or [f"退出码 {done.returncode}"])[0][:300]
        raise BackupError(f"{what}失败：{detail}")
    return done.stdout
