"""PostgreSQL as the shared system of record, with a DuckDB mirror in every process.

Each process (app or command) keeps the whole database in an in-memory DuckDB mirror, loaded
from PostgreSQL as Arrow through ADBC; every query the product runs is the same DuckDB SQL as on
the embedded file. Writes go through ``MirrorConnection``, a stand-in for the DuckDB connection:

- a write (an explicit transaction, or a single INSERT/UPDATE/DELETE outside one) first takes the
  one PostgreSQL advisory lock (writes are serialised across every process), brings the mirror up
  to the shared revision, runs in a DuckDB transaction (so DuckDB's checks, defaults, sequences and
  RETURNING behave exactly as on the file), and at COMMIT sends the rows it changed (each touched
  table's rows compared with a copy taken before its first change) to PostgreSQL in one
  transaction that also moves the shared revision; only then does the mirror commit. A failure
  anywhere rolls both back, so an import is still one transaction and form version checks and
  bulletin numbers see every other process's writes.
- every row in PostgreSQL carries the revision that last wrote it (``_rev``) and every deleted
  key a tombstone (``<table>_gone``), so another process catches up by fetching only what changed
  after its own revision (``MirrorConnection.sync``: one small query when nothing changed).

Schema: the numbered DuckDB migrations stay the one definition. PostgreSQL tables are derived
from the mirror's tables (columns, types, primary keys); views and macros live in the mirror.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from analytics import config
from analytics.store import db

LOCK_KEY = 7_210_402  # pg_advisory_lock key of the writer lock (any fixed number)
URL_PREFIXES = ("postgresql://", "postgres://")

_PG_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "smallint",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "BLOB": "bytea",
    "UUID": "uuid",
    "TIME": "time",
    "INTERVAL": "interval",
    "JSON": "json",  # json keeps the text as written (jsonb would reorder it)
}
_WRITE = re.compile(r"^\s*(?:--[^\n]*\n\s*)*(INSERT|UPDATE|DELETE|TRUNCATE)\b", re.IGNORECASE)
_CONTROL = re.compile(
    r"^\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT)\b\s*(TRANSACTION)?\s*;?\s*$",
    re.IGNORECASE,
)
_NAMES = re.compile(r"\b(?:INTO|UPDATE|FROM|TABLE)\s+\"?(\w+)", re.IGNORECASE)


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(URL_PREFIXES)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return config.redact_url(url)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (column, DuckDB type)
    key: tuple[str, ...]

    @property
    def names(self) -> str:
        return ", ".join(f'"{c}"' for c, _ in self.columns)

    def pg_select(self) -> str:
        """The PostgreSQL select list; numeric travels as text (ADBC hands it over opaque)."""
        return ", ".join(
            f'"{c}"::text AS "{c}"' if t.startswith("DECIMAL") or t == "JSON" else f'"{c}"'
            for c, t in self.columns
        )

    def pg_casts(self) -> str:
        return ", ".join(f'"{c}"::{pg_type(t)}' for c, t in self.columns)

    def out_columns(self) -> str:
        """The DuckDB select list of rows going to PostgreSQL: nested values travel as their
        DuckDB text (PostgreSQL arrays must be rectangular), cast back on the way in."""
        return ", ".join(
            f'CAST("{c}" AS VARCHAR) AS "{c}"' if _as_text(t) else f'"{c}"' for c, t in self.columns
        )

    def duck_select(self, source: str, columns: tuple[tuple[str, str], ...] | None = None) -> str:
        cols = columns or self.columns
        return ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in cols) + f" FROM {source}"

    def key_columns(self) -> tuple[tuple[str, str], ...]:
        types = dict(self.columns)
        return tuple((k, types[k]) for k in self.key)

    def key_match(self, a: str, b: str) -> str:
        return " AND ".join(f'{a}."{k}" = {b}."{k}"' for k in self.key)


def _as_text(duck: str) -> bool:
    return duck.count("[]") > 1 or duck.startswith(("STRUCT", "MAP", "UNION"))


def pg_type(duck: str) -> str:
    if _as_text(duck):
        return "text"
    if duck.endswith("[]"):
        return pg_type(duck[:-2]) + "[]"
    if duck.startswith("DECIMAL"):
        return "numeric" + duck[len("DECIMAL") :]
    if duck not in _PG_TYPES:
        raise db.StoreError(f"数据库列类型 {duck} 无法存入 PostgreSQL")
    return _PG_TYPES[duck]


def describe(conn: duckdb.DuckDBPyConnection) -> dict[str, Table]:
    """The product's tables in a DuckDB database: columns in order and primary keys."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
            " AND NOT temporary AND database_name = current_database() ORDER BY table_name"
        ).fetchall()
    ]
    tables = {}
    for name in names:
        cols = conn.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?"
            " AND schema_name = 'main' AND database_name = current_database()"
            " ORDER BY column_index",
            [name],
        ).fetchall()
        key = conn.execute(
            "SELECT constraint_column_names FROM duckdb_constraints() WHERE table_name = ?"
            " AND constraint_type = 'PRIMARY KEY' AND database_name = current_database()",
            [name],
        ).fetchone()
        if not key:
            raise db.StoreError(f"数据表 {name} 没有主键，无法同步到 PostgreSQL")
        tables[name] = Table(name, tuple(cols), tuple(key[0]))
    return tables


def content_hash(conn: duckdb.DuckDBPyConnection, table: Table) -> tuple[int, int]:
    """(rows, an order-independent hash of every row's values) of a table."""
    cols = ", ".join(f'"{c}"' for c, _ in table.columns)
    sql = f"SELECT count(*), coalesce(bit_xor(hash({cols})), 0) FROM {table.name}"  # noqa: S608
    count, digest = conn.execute(sql).fetchone()
    return int(count), int(digest)


# --- PostgreSQL ----------------------------------------------------------------------------------


def _connect_pg(url: str, autocommit: bool = True) -> Any:
    import adbc_driver_postgresql.dbapi as pg

    try:
        return pg.connect(url, autocommit=autocommit)
    except Exception as e:  # the driver's errors carry no stable type of their own
        raise db.StoreError(f"无法连接 PostgreSQL 数据库 {redact(url)}：{_first_line(e)}") from e


def _with_rev(rows: pa.Table, rev: int) -> pa.Table:
    return rows.append_column("_rev", pa.array([rev] * rows.num_rows, pa.int64()))


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:300]


def _one(cur: Any, sql: str, params: tuple = ()) -> Any:
    cur.execute(sql, parameters=params or None)
    row = cur.fetchone()
    return row[0] if row else None


META_TABLES = ("store_revision", "store_log")  # made by META, before any store is copied in
META = (
    "CREATE TABLE IF NOT EXISTS store_revision (id integer PRIMARY KEY CHECK (id = 1),"
    " rev bigint NOT NULL)",
    "INSERT INTO store_revision VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
    "CREATE TABLE IF NOT EXISTS store_log (rev bigint PRIMARY KEY,"
    " at timestamptz NOT NULL DEFAULT now(), tables text[] NOT NULL,"
    " full_tables text[] NOT NULL)",
)


def _pg_tables(cur: Any) -> set[str]:
    cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    return {r[0] for r in cur.fetchall()}


class Shared:
    """One process's link to the PostgreSQL store: the mirror, its revision, the writer lock."""

    def __init__(self, url: str, mirror: duckdb.DuckDBPyConnection) -> None:
        self.url = url
        self.mirror = mirror
        self.rev = 0
        self.tables: dict[str, Table] = {}
        self.lock = threading.RLock()  # one writer (or refresh) at a time in this process
        self._meta = _connect_pg(url)  # revision checks
        self._meta_lock = threading.Lock()
        self._conn: Any = None  # catching up and writing (under self.lock); kept open
        self._locked = False  # whether self._conn holds the writer advisory lock
        self._depth = 0

    # -- the writer lock --------------------------------------------------------------------

    def acquire(self, catch_up: bool = True) -> None:
        """Take the process lock and the PostgreSQL writer lock, then catch up."""
        self.lock.acquire()
        try:
            self._depth += 1
            if self._depth == 1:
                self._pg().cursor().execute(f"SELECT pg_advisory_lock({LOCK_KEY})")
                self._locked = True
            if catch_up:
                self.refresh()
        except BaseException:
            self._drop()
            self.release()
            raise

    def release(self) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._locked:
                self._locked = False
                try:
                    self._pg().cursor().execute(f"SELECT pg_advisory_unlock({LOCK_KEY})")
                except Exception:
                    self._drop()  # closing the session releases its locks
        finally:
            self.lock.release()

    def _pg(self) -> Any:
        if self._conn is None:
            self._conn = _connect_pg(self.url)
        return self._conn

    def _drop(self) -> None:
        """Forget the connection (after an error): the next use connects afresh."""
        conn, self._conn, self._locked = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    @contextlib.contextmanager
    def locked_for_open(self) -> Iterator[None]:
        """The writer lock while a store is created, upgraded, loaded or copied in."""
        self.acquire(catch_up=False)
        try:
            cur = self._pg().cursor()
            for statement in META:
                cur.execute(statement)
            yield
        finally:
            self.release()

    def schema_version(self) -> int:
        """The schema version the PostgreSQL store holds (0: no store yet)."""
        with self._meta_lock:
            cur = self._meta.cursor()
            if "schema_version" not in _pg_tables(cur):
                return 0
            return int(_one(cur, "SELECT coalesce(max(version), 0) FROM schema_version"))

    def refresh_after_failure(self) -> None:
        """After a failed write, make the mirror match PostgreSQL again (whatever committed)."""
        with self.lock:
            self.refresh()

    # -- reading ----------------------------------------------------------------------------

    def shared_revision(self) -> int:
        with self._meta_lock:
            try:
                return int(_one(self._meta.cursor(), "SELECT rev FROM store_revision"))
            except Exception as e:
                raise db.StoreError(f"PostgreSQL 数据库不可用：{_first_line(e)}") from e

    def sync(self) -> None:
        """Catch up with every other process's writes, if there are any."""
        if self.shared_revision() != self.rev:
            with self.lock:
                self.refresh()

    def refresh(self) -> None:
        """Bring the mirror to the shared revision: fetch the rows written after ours and the
        keys deleted after ours (all of a table after a full rewrite)."""

        def changes(cur: Any) -> list:
            cur.execute(
                "SELECT (SELECT coalesce(array_agg(DISTINCT t), '{}') FROM store_log,"
                " unnest(tables) t WHERE rev > $1), (SELECT coalesce(array_agg(DISTINCT t),"
                " '{}') FROM store_log, unnest(full_tables) t WHERE rev > $1)",
                parameters=(self.rev,),
            )
            changed, full = (set(names) for names in cur.fetchone())
            work = []
            for name in sorted(changed | full):
                table = self.tables.get(name)
                if table is None:
                    continue
                if name in full:
                    work.append((table, None, self._fetch(cur, table, None)))
                else:
                    gone = self._fetch_gone(cur, table, self.rev)
                    work.append((table, gone, self._fetch(cur, table, self.rev)))
            return work

        self._catch_up(changes, skip_when_current=True)

    def load_all(self) -> None:
        """Fill an empty mirror with every table (at open)."""
        self.rev = 0

        def everything(cur: Any) -> list:
            present = _pg_tables(cur)
            return [
                (t, None, self._fetch(cur, t, None))
                for t in self.tables.values()
                if t.name in present
            ]

        self._catch_up(everything, skip_when_current=False)

    def _catch_up(self, plan: Any, *, skip_when_current: bool) -> None:
        """Read the shared revision and what ``plan(cursor)`` fetches in one snapshot, then
        apply it to the mirror."""
        cur = self._pg().cursor()
        try:
            cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            rev = int(_one(cur, "SELECT rev FROM store_revision"))
            work = [] if skip_when_current and rev == self.rev else plan(cur)
            cur.execute("COMMIT")
        except BaseException:
            self._drop()
            raise
        self._apply(work)
        self.rev = rev

    @staticmethod
    def _fetch(cur: Any, table: Table, after: int | None) -> pa.Table:
        sql = f"SELECT {table.pg_select()} FROM {table.name}"  # noqa: S608
        if after is None:
            cur.execute(sql)
        else:
            cur.execute(sql + " WHERE _rev > $1", parameters=(after,))
        return cur.fetch_arrow_table()

    @staticmethod
    def _fetch_gone(cur: Any, table: Table, after: int) -> pa.Table:
        cols = ", ".join(f'"{k}"' for k in table.key)
        cur.execute(
            f"SELECT {cols} FROM {table.name}_gone WHERE _rev > $1",  # noqa: S608
            parameters=(after,),
        )
        return cur.fetch_arrow_table()

    def _apply(self, work: list[tuple[Table, pa.Table | None, pa.Table]]) -> None:
        if not work:
            return
        cur = self.mirror.cursor()
        try:
            with db.transaction(cur):
                for table, gone, rows in work:
                    if gone is None:
                        cur.execute(f"DELETE FROM {table.name}")  # noqa: S608
                    elif gone.num_rows:
                        cur.register("_gone_in", gone)
                        self._delete_keys(cur, table, "_gone_in")
                        cur.unregister("_gone_in")
                    if rows.num_rows:
                        cur.register("_rows_in", rows)
                        if gone is not None:  # changed rows replace their older versions
                            # (not INSERT OR REPLACE: DuckDB refuses it on a table with a UNIQUE
                            # constraint besides the key, e.g. bulletins and units)
                            self._delete_keys(cur, table, "_rows_in")
                        cur.execute(
                            f"INSERT INTO {table.name} ({table.names})"
                            f" SELECT {table.duck_select('_rows_in')}"
                        )
                        cur.unregister("_rows_in")
            db.advance_sequences(cur)
        finally:
            cur.close()

    @staticmethod
    def _delete_keys(cur: duckdb.DuckDBPyConnection, table: Table, source: str) -> None:
        """Delete the mirror's rows whose keys are in the registered Arrow table ``source``."""
        cur.execute(
            f"DELETE FROM {table.name} t WHERE EXISTS (SELECT 1 FROM "  # noqa: S608
            f"(SELECT {table.duck_select(source, table.key_columns())}) g"
            f" WHERE {table.key_match('t', 'g')})"
        )

    # -- writing ----------------------------------------------------------------------------

    def publish(self, source: duckdb.DuckDBPyConnection, tables: dict[str, Table]) -> int:
        """Make PostgreSQL hold exactly ``source``'s tables (created or replaced), in one
        transaction; return the new revision. The caller holds the writer lock."""
        cur = self._pg().cursor()
        cur.execute("BEGIN")
        try:
            rev = int(_one(cur, "UPDATE store_revision SET rev = rev + 1 RETURNING rev"))
            for table in tables.values():
                cur.execute(f"DROP TABLE IF EXISTS {table.name}, {table.name}_gone")
                cols = ", ".join(f'"{c}" {pg_type(t)}' for c, t in table.columns)
                key = ", ".join(f'"{k}"' for k in table.key)
                keys = ", ".join(f'"{k}" {pg_type(t)}' for k, t in table.key_columns())
                cur.execute(
                    f"CREATE TABLE {table.name} ({cols}, _rev bigint NOT NULL, PRIMARY KEY ({key}))"
                )
                cur.execute(f"CREATE INDEX ON {table.name} (_rev)")
                cur.execute(f"CREATE TABLE {table.name}_gone ({keys}, _rev bigint NOT NULL)")
                cur.execute(f"CREATE INDEX ON {table.name}_gone (_rev)")
                source.complete()  # a result left unread would refuse the relation
                rows = source.sql(f"SELECT {table.out_columns()} FROM {table.name}")  # noqa: S608
                self._ingest(cur, table.name, _with_rev(rows.to_arrow_table(), rev))
            names = sorted(tables)
            cur.execute(
                "INSERT INTO store_log (rev, tables, full_tables) VALUES ($1, $2, $3)",
                parameters=(rev, names, names),
            )
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                cur.execute("ROLLBACK")
            raise
        return rev

    def push(self, changes: list[tuple[Table, pa.Table, pa.Table]]) -> int:
        """Send one transaction's changes (table, changed rows, deleted keys); return the new
        revision. The caller holds the writer lock and the mirror is at self.rev."""
        cur = self._pg().cursor()
        cur.execute("BEGIN")
        try:
            rev = int(_one(cur, "UPDATE store_revision SET rev = rev + 1 RETURNING rev"))
            if rev != self.rev + 1:
                raise db.StoreError("共享数据库的版本与本进程不一致，请重试。")
            for table, rows, gone in changes:
                if gone.num_rows:
                    self._ingest(cur, "_gone_in", gone, temporary=True)
                    cur.execute(
                        f"DELETE FROM {table.name} t USING _gone_in g"  # noqa: S608
                        f" WHERE {table.key_match('t', 'g')}"
                    )
                    key = ", ".join(f'g."{k}"' for k in table.key)
                    cur.execute(
                        f"INSERT INTO {table.name}_gone SELECT {key}, {rev} FROM _gone_in g"  # noqa: S608
                    )
                    cur.execute("DROP TABLE _gone_in")
                if rows.num_rows:
                    rows = _with_rev(rows, rev)
                    self._ingest(cur, "_rows_in", rows, temporary=True)
                    cur.execute(
                        f"DELETE FROM {table.name} t USING _rows_in r"  # noqa: S608
                        f" WHERE {table.key_match('t', 'r')}"
                    )
                    cur.execute(
                        f"INSERT INTO {table.name} ({table.names}, _rev)"  # noqa: S608
                        f" SELECT {table.pg_casts()}, _rev FROM _rows_in"
                    )
                    cur.execute("DROP TABLE _rows_in")
            cur.execute(
                "INSERT INTO store_log (rev, tables, full_tables) VALUES ($1, $2, '{}')",
                parameters=(rev, sorted({t.name for t, _, _ in changes})),
            )
            cur.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(Exception):
                cur.execute("ROLLBACK")
            raise
        return rev

    @staticmethod
    def _ingest(cur: Any, name: str, data: pa.Table, temporary: bool = False) -> None:
        mode = "create" if temporary else "append"
        cur.adbc_ingest(name, data, mode=mode, temporary=temporary)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._meta.close()
        self._drop()
