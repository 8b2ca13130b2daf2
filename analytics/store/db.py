"""The only place that opens DuckDB: connections, numbered migrations, transactions."""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from analytics.city import City

if TYPE_CHECKING:
    import pyarrow as pa

DUCKDB_CONFIG = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
DEFAULT_TIMEZONE = "Asia/Shanghai"


class StoreError(RuntimeError):
    """A database problem a user can act on; the message is Chinese."""


class DatabaseLockedError(StoreError):
    """Another process holds the database file open for writing."""


class CityMismatchError(StoreError):
    """The database was made for another city than the configured one."""


class SchemaTooNewError(StoreError):
    """The file was written by a newer version of the product."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The numbered migrations shipped in analytics/store/sql/migrations, in order."""
    found = []
    folder = resources.files("analytics.store") / "sql" / "migrations"
    for entry in folder.iterdir():
        m = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda mg: mg.version)
    if [mg.version for mg in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("migrations must be numbered 0001, 0002, ... without gaps")
    return found


LATEST_VERSION = len(migrations())


def connect(
    path: str | Path, *, read_only: bool = False, timezone: str = DEFAULT_TIMEZONE
) -> duckdb.DuckDBPyConnection:
    """Open the database file (creating its folder), turning a held lock into a clear error.

    Timestamps the database records itself (current_timestamp) are in ``timezone``.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = duckdb.connect(str(path), read_only=read_only, config=DUCKDB_CONFIG)
    except duckdb.IOException as e:
        text = str(e)
        if "lock" in text.lower():
            pid = re.search(r"PID (\d+)", text)
            who = f"（进程号 {pid.group(1)}）" if pid else ""
            raise DatabaseLockedError(
                f"数据库文件 {path} 正被另一个程序{who}占用。"
                "请先关闭正在使用它的看板或命令行程序，再重试。"
            ) from e
        raise StoreError(f"无法打开数据库文件 {path}：{text}") from e
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", timezone):  # SET takes no parameters
        conn.close()
        raise StoreError(f"无效的时区名称：{timezone}")
    conn.execute(f"SET TimeZone = '{timezone}'")
    return conn


def schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    exists = conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(conn: duckdb.DuckDBPyConnection, target: int | None = None) -> int:
    """Apply the migrations above the file's version (up to target); return the new version.

    Each migration runs in its own transaction together with its schema_version row.
    """
    target = LATEST_VERSION if target is None else target
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    current = schema_version(conn)
    if current > LATEST_VERSION:
        raise SchemaTooNewError(
            f"数据库结构版本为 {current}，高于本程序支持的 {LATEST_VERSION}，请升级程序。"
        )
    for mg in migrations():
        if current < mg.version <= target:
            with transaction(conn):
                conn.execute(mg.sql)
                conn.execute(
                    "INSERT INTO schema_version (version, name) VALUES (?, ?)",
                    [mg.version, mg.name],
                )
            current = mg.version
    return current


@contextlib.contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One all-or-nothing unit of work: commit on success, roll back on any exception."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def snapshot(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Reads that must see one state of the data (rows found by one query and read again by
    their rowid in the next): in a read transaction of their own, or in the caller's when one is
    open. A writer committing meanwhile, or a checkpoint moving rows, cannot come between them.

    The transaction is DuckDB's own, read only (a write inside is refused), never the shared
    store's write transaction: on PostgreSQL a plain BEGIN takes the writer lock of every
    process (mirror.py), which reads must not hold; this statement passes through to DuckDB."""
    if in_transaction(conn):
        yield conn
        return
    conn.execute("BEGIN TRANSACTION READ ONLY")
    try:
        yield conn
    finally:
        conn.rollback()  # only reads: nothing to keep


def in_transaction(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether conn has a transaction open. Outside one each statement is a transaction of its
    own, with a new id (a failed BEGIN would abort the caller's transaction: no probing so)."""
    first = conn.execute("SELECT txid_current()").fetchone()
    return conn.execute("SELECT txid_current()").fetchone() == first


def sync_units(conn: duckdb.DuckDBPyConnection, city: City) -> None:
    """Make the units table match the city file (the file is the source of truth)."""
    rows = [
        [
            u.adcode,
            u.name,
            u.short,
            u.kind,
            list(u.aliases),
            u.seat[0] if u.seat else None,
            u.seat[1] if u.seat else None,
            u.sort_order,
        ]
        for u in city.units
    ]
    with transaction(conn):
        conn.execute(
            "DELETE FROM units WHERE NOT list_contains(?, adcode)", [[u.adcode for u in city.units]]
        )
        conn.executemany(
            "INSERT INTO units (adcode, name, short_name, kind, aliases, seat_lon, seat_lat,"
            " sort_order) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (adcode) DO UPDATE SET"
            " name = excluded.name, short_name = excluded.short_name, kind = excluded.kind,"
            " aliases = excluded.aliases, seat_lon = excluded.seat_lon,"
            " seat_lat = excluded.seat_lat, sort_order = excluded.sort_order",
            rows,
        )
        conn.execute(
            "INSERT OR REPLACE INTO dataset (key, value) VALUES ('city_adcode', ?)", [city.adcode]
        )


def dataset_facts(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(conn.execute("SELECT key, value FROM dataset").fetchall())


def clock_date(facts: dict[str, str]) -> date | None:
    """The day a demo database pins "today" to (its last day); None for real data."""
    return date.fromisoformat(facts["clock_date"]) if facts.get("clock_date") else None


def open_store(
    path: str | Path, city: City, timezone: str = DEFAULT_TIMEZONE
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) and upgrade the database, then align its units with the city."""
    conn = connect(path, timezone=timezone)
    try:
        migrate(conn)
        stored = dataset_facts(conn).get("city_adcode")
        if stored and stored != city.adcode:
            raise CityMismatchError(
                f"数据库 {path} 属于城市代码 {stored}，与当前城市配置 {city.name}（{city.adcode}）"
                "不一致。请检查设置 HAZARDS_DB_PATH 和 HAZARDS_CITY_FILE。"
            )
        sync_units(conn, city)
    except BaseException:
        conn.close()
        raise
    return conn


def open_for_reading(
    path: str | Path, timezone: str = DEFAULT_TIMEZONE
) -> duckdb.DuckDBPyConnection:
    """Open an existing, up-to-date database read-only (read commands never change the file)."""
    path = Path(path)
    if not path.exists():
        raise StoreError(f"数据库文件不存在：{path}")
    conn = connect(path, read_only=True, timezone=timezone)
    version = schema_version(conn)
    if version != LATEST_VERSION:
        conn.close()
        if version > LATEST_VERSION:
            raise SchemaTooNewError(
                f"数据库结构版本为 {version}，高于本程序支持的 {LATEST_VERSION}，请升级程序。"
            )
        raise StoreError(
            f"数据库结构版本为 {version}，需要先升级：python -m analytics migrate --db {path}"
        )
    return conn


def revision(conn: duckdb.DuckDBPyConnection) -> tuple:
    """A fingerprint that changes whenever the data changes, for caches to key on.

    Every change to a hazard appends an event and every import adds an import row, so the
    last event id, the last import id and the row counts move with each write (an issued
    bulletin adds a bulletins row).
    """
    return conn.execute(
        "SELECT (SELECT max(event_id) FROM hazard_events), (SELECT max(import_id) FROM imports),"
        " (SELECT count(*) FROM hazards), (SELECT count(*) FROM accidents),"
        " (SELECT count(*) FROM upgrade_projects), (SELECT count(*) FROM units),"
        " (SELECT count(*) FROM bulletins), (SELECT max(event_id) FROM source_case_events),"
        " (SELECT count(*) FROM source_summons)"
    ).fetchone()


def table_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows in each of the product's tables."""
    return {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # fixed names  # noqa: S608
        for t in TABLES
    }


TABLES = (
    "units",
    "routes",
    "road_segments",
    "hazards",
    "hazard_events",
    "accidents",
    "imports",
    "upgrade_projects",
    "accounts",
    "account_events",
    "attachments",
    "event_attachments",
    "bulletins",
    "submissions",
    "sessions",
    "source_subjects",
    "source_snapshots",
    "source_snapshot_rows",
    "source_cases",
    "source_case_events",
    "source_event_attachments",
    "source_summons",
    "pii_views",
)


SEQUENCES = {  # sequence -> (table, id column) whose ids must keep counting after loaded rows
    "hazard_event_seq": ("hazard_events", "event_id"),
    "import_seq": ("imports", "import_id"),
    "account_event_seq": ("account_events", "event_id"),
    "source_snapshot_seq": ("source_snapshots", "snapshot_id"),
    "source_case_seq": ("source_cases", "case_id"),
    "source_event_seq": ("source_case_events", "event_id"),
    "source_summons_seq": ("source_summons", "summons_id"),
    "pii_view_seq": ("pii_views", "view_id"),
}


def advance_sequences(conn: duckdb.DuckDBPyConnection) -> None:
    """Move every id sequence past the highest id its table holds (rows written elsewhere:
    another process of a shared store). A sequence only moves forward, one nextval at a time."""
    for seq, (table, col) in SEQUENCES.items():
        row = conn.execute(
            "SELECT coalesce(last_value, start_value - 1) FROM duckdb_sequences()"
            " WHERE sequence_name = ?",
            [seq],
        ).fetchone()
        if row is None:
            continue
        top = conn.execute(f"SELECT max({col}) FROM {table}").fetchone()[0]  # noqa: S608
        behind = 0 if top is None else int(top) - int(row[0])
        if behind > 0:
            conn.execute(f"SELECT max(nextval('{seq}')) FROM range(?)", [behind])  # fixed names  # noqa: S608


# DuckDB notes that a DB-API result's Arrow output copies the rows once more than a relation
# would; measured, it is still faster than the alternatives here (arrow below). The note is
# silenced once, for this message only (pyproject.toml repeats it for pytest, which resets the
# filters per test): catch_warnings around each call is not thread-safe, and a concurrent query's
# note slipped through it.
warnings.filterwarnings(
    "ignore", message="Arrow output on a DB-API result makes an extra copy", category=UserWarning
)


def arrow(conn: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> pa.Table:
    """A query's rows as an Arrow table (DuckDB's note about the extra copy: see above)."""
    return conn.execute(sql, params).to_arrow_table()


def read_sql(name: str) -> str:
    """The text of analytics/store/sql/<name>.sql."""
    return (resources.files("analytics.store") / "sql" / f"{name}.sql").read_text("utf-8")
