"""The DuckDB connection stand-in of a PostgreSQL store (see shared.py): reads go to the mirror,
writes are captured and sent to PostgreSQL before the mirror commits. Opening and moving stores.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import pyarrow as pa

from analytics.city import City
from analytics.store import db, shared
from analytics.store.shared import Shared, Table

log = logging.getLogger(__name__)


class Result:
    """The rows of a statement that ran in a transaction of its own (RETURNING, counts)."""

    def __init__(self, rows: list[tuple], description: Any) -> None:
        self._rows = rows
        self.description = description

    def fetchone(self) -> tuple | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows

    def fetchmany(self, size: int = 1) -> list[tuple]:
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    def df(self) -> pd.DataFrame:
        names = [d[0] for d in self.description or []]
        return pd.DataFrame(self.fetchall(), columns=names)

    fetchdf = df


class MirrorConnection:
    """Behaves as the DuckDB connection the product expects (execute, executemany, sql, cursor,
    register, close, fetch…); one per cursor, all sharing one ``Shared``."""

    def __init__(self, link: Shared, cur: duckdb.DuckDBPyConnection, root: bool = False) -> None:
        self.shared = link
        self._cur = cur
        self._root = root
        self._in_tx = False
        self._before: dict[str, Table] = {}  # tables copied before their first change

    # -- what the product calls ----------------------------------------------------------------

    def execute(self, sql: str, parameters: Any = None) -> Any:
        control = shared._CONTROL.match(sql)
        if control:
            word = control.group(1).upper()
            if word in ("BEGIN", "START"):
                return self._begin()
            if word in ("COMMIT", "END"):
                return self._commit()
            return self._rollback()
        if not shared._WRITE.match(sql):
            return self._cur.execute(sql, parameters)
        if self._in_tx:
            self._copy_before(sql)
            return self._cur.execute(sql, parameters)
        return self._alone(lambda: self._cur.execute(sql, parameters), sql)

    def executemany(self, sql: str, parameters: Sequence = ()) -> Any:
        if not shared._WRITE.match(sql):
            return self._cur.executemany(sql, parameters)
        if self._in_tx:
            self._copy_before(sql)
            return self._cur.executemany(sql, parameters)
        return self._alone(lambda: self._cur.executemany(sql, parameters), sql)

    def sql(self, query: str, *args: Any, **kwargs: Any) -> Any:
        if shared._WRITE.match(query) or shared._CONTROL.match(query):
            raise db.StoreError("写入请用 execute（共享数据库需要记录每次修改）")
        return self._cur.sql(query, *args, **kwargs)

    def cursor(self) -> MirrorConnection:
        """A cursor for one thread or task, caught up with other processes' writes first (a
        form's callback makes one and checks the acting account before it writes)."""
        self.shared.sync()
        return MirrorConnection(self.shared, self._cur.cursor())

    def sync(self) -> None:
        """Catch up with other processes' writes (the Store calls it as each script run starts)."""
        if not self._in_tx:
            self.shared.sync()

    def close(self) -> None:
        if self._in_tx:
            self._rollback()
        self._cur.close()
        if self._root:
            self.shared.close()

    def __getattr__(self, name: str) -> Any:  # fetchone, fetchall, df, description, register…
        return getattr(self._cur, name)

    def __enter__(self) -> MirrorConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------------------------

    def _begin(self) -> Any:
        if self._in_tx:
            return self._cur.execute("BEGIN TRANSACTION")  # DuckDB's own error
        self.shared.acquire()
        try:
            out = self._cur.execute("BEGIN TRANSACTION")
        except BaseException:
            self.shared.release()
            raise
        self._in_tx = True
        self._before = {}
        return out

    def _commit(self) -> Any:
        if not self._in_tx:
            return self._cur.execute("COMMIT")
        try:
            changes = [self._changes(t) for t in self._before.values()]
            changes = [c for c in changes if c[1].num_rows or c[2].num_rows]
            if changes:
                rev = self.shared.push(changes)
            out = self._cur.execute("COMMIT")
        except BaseException:
            self._end_failed()
            raise
        if changes:
            self.shared.rev = rev
        self._end()
        return out

    def _rollback(self) -> Any:
        if not self._in_tx:
            return self._cur.execute("ROLLBACK")
        try:
            return self._cur.execute("ROLLBACK")
        finally:
            self._end()

    def _end_failed(self) -> None:
        try:
            self._cur.execute("ROLLBACK")
        except duckdb.Error:
            pass
        finally:
            self._end()
        self.shared.refresh_after_failure()

    def _end(self) -> None:
        for name in self._before:
            self._cur.execute(f'DROP TABLE IF EXISTS temp."_before_{name}"')
        self._before = {}
        self._in_tx = False
        self.shared.release()

    def _alone(self, run: Any, sql: str) -> Result:
        """A write outside a transaction: a transaction of its own."""
        self._begin()
        try:
            self._copy_before(sql)
            res = run()
            out = Result(res.fetchall(), res.description)
        except BaseException:
            self._rollback()
            raise
        self._commit()
        return out

    def _copy_before(self, sql: str) -> None:
        for name in shared._NAMES.findall(sql):
            table = self.shared.tables.get(name)
            if table is not None and name not in self._before:
                self._cur.execute(
                    f'CREATE TEMP TABLE "_before_{name}" AS SELECT * FROM {name}'  # noqa: S608
                )
                self._before[name] = table

    def _changes(self, table: Table) -> tuple[Table, pa.Table, pa.Table]:
        before = f'temp."_before_{table.name}"'
        key = ", ".join(f'"{k}"' for k in table.key)
        self._cur.complete()  # the transaction's last result is done with at COMMIT
        rows = self._cur.sql(
            f"SELECT {table.out_columns()} FROM (SELECT * FROM {table.name}"  # noqa: S608
            f" EXCEPT SELECT * FROM {before}) AS changed"
        ).to_arrow_table()
        gone = self._cur.sql(
            f"SELECT {key} FROM {before} EXCEPT SELECT {key} FROM {table.name}"  # noqa: S608
        ).to_arrow_table()
        return table, rows, gone


# --- opening ---------------------------------------------------------------------------------------


def _mirror(timezone: str) -> duckdb.DuckDBPyConnection:
    return db.connect(":memory:", timezone=timezone)


def _load(link: Shared, version: int) -> None:
    """Give the empty mirror the schema of ``version`` (the migrations) and every row."""
    db.migrate(link.mirror, target=version)
    link.tables = shared.describe(link.mirror)
    link.load_all()


def open_store(
    url: str,
    city: City,
    timezone: str = db.DEFAULT_TIMEZONE,
    before_upgrade: Callable[[int], object] | None = None,
) -> MirrorConnection:
    """Open (creating and upgrading when needed) the PostgreSQL store and load this process's
    mirror; align its units with the city, as db.open_store does for a file. before_upgrade(v)
    runs first when an existing store of schema version v is about to be upgraded (under the
    open lock, so one process of many does it, and an exception leaves the store untouched)."""
    raw = _mirror(timezone)
    link = Shared(url, raw)
    try:
        with link.locked_for_open():
            pg_version = link.schema_version()
            if pg_version > db.LATEST_VERSION:
                raise db.SchemaTooNewError(
                    f"数据库结构版本为 {pg_version}，高于本程序支持的 {db.LATEST_VERSION}，请升级程序。"
                )
            if 0 < pg_version < db.LATEST_VERSION and before_upgrade is not None:
                before_upgrade(pg_version)
            _load(link, pg_version)
            if pg_version < db.LATEST_VERSION:
                db.migrate(raw)
                link.tables = shared.describe(raw)
                link.rev = link.publish(raw, link.tables)
        conn = MirrorConnection(link, raw, root=True)
        stored = db.dataset_facts(conn).get("city_adcode")
        if stored and stored != city.adcode:
            raise db.CityMismatchError(
                f"数据库 {shared.redact(url)} 属于城市代码 {stored}，与当前城市配置"
                f" {city.name}（{city.adcode}）不一致。请检查设置 HAZARDS_DATABASE_URL 和"
                " HAZARDS_CITY_FILE。"
            )
        db.sync_units(conn, city)
    except BaseException:
        link.close()
        raw.close()
        raise
    return conn


def open_reading(url: str, timezone: str = db.DEFAULT_TIMEZONE) -> MirrorConnection:
    """A mirror of an existing, up-to-date PostgreSQL store, for read commands (nothing written)."""
    raw = _mirror(timezone)
    link = Shared(url, raw)
    try:
        version = link.schema_version()
        if version != db.LATEST_VERSION:
            if version == 0:
                raise db.StoreError(f"共享数据库 {shared.redact(url)} 中还没有数据")
            if version > db.LATEST_VERSION:
                raise db.SchemaTooNewError(
                    f"数据库结构版本为 {version}，高于本程序支持的 {db.LATEST_VERSION}，请升级程序。"
                )
            raise db.StoreError(
                f"数据库结构版本为 {version}，需要先升级：python -m analytics migrate"
            )
        _load(link, db.LATEST_VERSION)
    except BaseException:
        link.close()
        raw.close()
        raise
    return MirrorConnection(link, raw, root=True)


def is_empty(url: str) -> bool:
    """Whether the PostgreSQL database holds no store yet."""
    link = Shared(url, _mirror(db.DEFAULT_TIMEZONE))
    try:
        return link.schema_version() == 0
    finally:
        link.close()
        link.mirror.close()


def existing_objects(url: str) -> list[str]:
    """The tables, views, sequences and functions a PostgreSQL database holds outside the system
    schemas, as ``schema.name`` (a new, empty database holds none)."""
    conn = shared._connect_pg(url)
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg\\_%'"
            " UNION ALL SELECT n.nspname || '.' || p.proname || '()' FROM pg_proc p"
            " JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1"
        )
        return [r[0] for r in cur.fetchall()]
    finally:
        conn.close()


def _refuse_anything_in(url: str) -> None:
    """A store moves only into an empty database (the revision tables a failed attempt made
    aside): copying in replaces tables by name, which must never drop anything of someone else's."""
    meta = {f"public.{t}" for t in shared.META_TABLES}
    found = [o for o in existing_objects(url) if o not in meta]
    if found:
        shown = "、".join(found[:5]) + ("等" if len(found) > 5 else "")
        raise db.StoreError(
            f"目标数据库 {shared.redact(url)} 已有数据（{len(found)} 个数据表或函数：{shown}），"
            "请指定一个新建的空数据库；迁移不会覆盖或删除已有数据。"
        )


def copy_from_file(path: str | Path, url: str) -> dict[str, tuple[int, int]]:
    """Move an embedded database into an empty PostgreSQL store (``migrate-store``); return every
    table's (rows, content hash), checked equal on a fresh mirror loaded back from PostgreSQL."""
    source = db.open_for_reading(path)
    link = Shared(url, _mirror(db.DEFAULT_TIMEZONE))
    try:
        tables = shared.describe(source)
        expected = {name: shared.content_hash(source, t) for name, t in tables.items()}
        _refuse_anything_in(url)  # before the revision tables are made: a refusal leaves nothing
        with link.locked_for_open():
            if link.schema_version() != 0:
                raise db.StoreError(
                    f"目标数据库 {shared.redact(url)} 已有数据，请指定一个新建的空数据库。"
                )
            link.publish(source, tables)
    finally:
        source.close()
        link.close()
        link.mirror.close()
    found = verify(url)
    if found != expected:
        bad = sorted(n for n in expected if found.get(n) != expected[n])
        raise db.StoreError(f"迁移后核对不一致的数据表：{'、'.join(bad)}")
    return found


def verify(url: str) -> dict[str, tuple[int, int]]:
    """Every table's (rows, content hash) as a new mirror loaded from PostgreSQL holds them."""
    raw = _mirror(db.DEFAULT_TIMEZONE)
    link = Shared(url, raw)
    try:
        with link.locked_for_open():
            version = link.schema_version()
            _load(link, version)
        return {name: shared.content_hash(raw, t) for name, t in link.tables.items()}
    finally:
        link.close()
        raw.close()


_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def database_exists(server_url: str, name: str) -> bool:
    conn = shared._connect_pg(server_url)
    try:
        cur = conn.cursor()
        cur.execute("SELECT count(*) FROM pg_database WHERE datname = $1", parameters=(name,))
        return cur.fetchone()[0] == 1
    finally:
        conn.close()


def create_database(server_url: str, name: str, template: str | None = None) -> str:
    """Create database ``name`` on the server (as a copy of database ``template`` if given; test
    and operations helper); return its URL."""
    if not _DB_NAME.fullmatch(name) or (template and not _DB_NAME.fullmatch(template)):
        raise db.StoreError(f"数据库名称不合规：{name}")
    conn = shared._connect_pg(server_url)
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.cursor().execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        conn.close()
    return urlsplit(server_url)._replace(path=f"/{name}").geturl()
