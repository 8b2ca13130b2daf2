"""The store: migrations, upgrades that keep data, transactions, the write lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date

import duckdb
import pytest

from analytics.store import db

TABLES = {
    "schema_version",
    "units",
    "routes",
    "road_segments",
    "hazards",
    "hazard_events",
    "accidents",
    "imports",
    "upgrade_projects",
    "dataset",
    "hazard_listing",  # a view
    "accounts",
    "account_events",
    "attachments",
    "event_attachments",
    "column_mappings",
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
}


def _tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def test_migrations_are_numbered_without_gaps() -> None:
    found = db.migrations()
    assert [m.version for m in found] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert db.LATEST_VERSION == 10


def test_new_file_gets_every_table(tmp_path, tiny_city) -> None:
    conn = db.open_store(tmp_path / "new.duckdb", tiny_city)
    assert db.schema_version(conn) == 10
    assert _tables(conn) == TABLES
    assert conn.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall() == [
        (1, "core"),
        (2, "provenance"),
        (3, "hazard_listing"),
        (4, "accounts_evidence"),
        (5, "column_mappings"),
        (6, "bulletins"),
        (7, "submissions"),
        (8, "sessions"),
        (9, "definitions"),
        (10, "sources"),
    ]
    units = conn.execute(
        "SELECT adcode, name, kind, aliases FROM units ORDER BY sort_order"
    ).fetchall()
    assert units == [
        ("990101", "东区", "district", ["东区大队"]),
        ("990102", "西区", "district", ["西区大队"]),
        ("990171", "示例新区", "zone", []),
    ]
    assert db.dataset_facts(conn) == {"city_adcode": "990100"}


@pytest.mark.file_store
def test_upgrading_a_first_migration_file_keeps_its_data(tmp_path, tiny_city) -> None:
    path = tmp_path / "old.duckdb"
    conn = db.connect(path)
    assert db.migrate(conn, target=1) == 1
    assert "imports" not in _tables(conn)
    conn.execute(
        "INSERT INTO hazards (hazard_id, unit_adcode, state, found_date, listed_date)"
        " VALUES ('H1', '990101', '已入单', DATE '2022-06-01', DATE '2022-06-03')"
    )
    conn.execute(
        "INSERT INTO hazard_events (hazard_id, event_at, actor, action, to_state)"
        " VALUES ('H1', TIMESTAMP '2022-06-03 09:00', '东区大队', '入单', '已入单')"
    )
    conn.execute(
        "INSERT INTO accidents (accident_id, occurred_at, deaths) VALUES ('A1', '2022-05-01 08:00', 1)"
    )
    conn.close()

    conn = db.open_store(path, tiny_city)
    assert db.schema_version(conn) == 10
    assert _tables(conn) == TABLES
    assert conn.execute("SELECT hazard_id, listed_date, import_id FROM hazards").fetchall() == [
        ("H1", date(2022, 6, 3), None)
    ]
    assert conn.execute("SELECT count(*) FROM hazard_events").fetchone() == (1,)
    assert conn.execute("SELECT accident_id, deaths FROM accidents").fetchall() == [("A1", 1)]
    # the second open is a no-op
    assert db.migrate(conn) == 10
    assert conn.execute("SELECT count(*) FROM schema_version").fetchone() == (10,)
    # the view sees the old row: listed on its listing date
    assert conn.execute("SELECT listed_on FROM hazard_listing").fetchall() == [(date(2022, 6, 3),)]


def test_file_from_a_newer_version_is_refused(tmp_path) -> None:
    conn = db.connect(tmp_path / "future.duckdb")
    db.migrate(conn)
    conn.execute("INSERT INTO schema_version (version, name) VALUES (99, 'future')")
    with pytest.raises(db.SchemaTooNewError, match="高于本程序支持的 10"):
        db.migrate(conn)


def test_transaction_rolls_back_everything_on_error(tmp_path, tiny_city) -> None:
    conn = db.open_store(tmp_path / "tx.duckdb", tiny_city)
    with pytest.raises(ValueError), db.transaction(conn):
        conn.execute("INSERT INTO accidents (accident_id, occurred_at) VALUES ('A1', '2022-01-01')")
        conn.execute("INSERT INTO accidents (accident_id, occurred_at) VALUES ('A2', '2022-01-02')")
        raise ValueError("boom")
    assert conn.execute("SELECT count(*) FROM accidents").fetchone() == (0,)
    with db.transaction(conn):
        conn.execute("INSERT INTO accidents (accident_id, occurred_at) VALUES ('A3', '2022-01-03')")
    assert conn.execute("SELECT accident_id FROM accidents").fetchall() == [("A3",)]


def test_a_snapshot_reads_one_state_of_the_data_and_joins_a_callers_transaction(
    tmp_path, tiny_city
) -> None:
    conn = db.open_store(tmp_path / "snap.duckdb", tiny_city)
    writer = conn.cursor()
    count = "SELECT count(*) FROM accidents"
    with db.snapshot(conn):
        assert conn.execute(count).fetchone() == (0,)
        writer.execute(
            "INSERT INTO accidents (accident_id, occurred_at) VALUES ('A1', '2022-01-01')"
        )
        assert conn.execute(count).fetchone() == (0,)  # the writer committed after it began
    assert conn.execute(count).fetchone() == (1,)
    with db.snapshot(conn), pytest.raises(duckdb.Error):  # a write inside is refused
        conn.execute("DELETE FROM accidents")
    with pytest.raises(ValueError), db.snapshot(conn):
        raise ValueError("boom")
    assert not db.in_transaction(conn)  # neither left a transaction open
    assert conn.execute(count).fetchone() == (1,)
    with db.transaction(conn):  # inside the caller's transaction: it reads what the caller wrote
        conn.execute("INSERT INTO accidents (accident_id, occurred_at) VALUES ('A2', '2022-01-02')")
        with db.snapshot(conn):
            assert conn.execute(count).fetchone() == (2,)
        conn.execute("INSERT INTO accidents (accident_id, occurred_at) VALUES ('A3', '2022-01-03')")
    assert conn.execute(count).fetchone() == (3,)  # the caller's transaction was not ended


def test_sync_units_follows_the_city_file(tmp_path, tiny_city) -> None:
    from dataclasses import replace

    conn = db.open_store(tmp_path / "u.duckdb", tiny_city)
    renamed = replace(
        tiny_city, units=(replace(tiny_city.units[0], name="东城区"), *tiny_city.units[1:])
    )
    db.sync_units(conn, renamed)
    db.sync_units(conn, renamed)
    assert conn.execute("SELECT count(*) FROM units").fetchone() == (3,)
    assert conn.execute("SELECT name FROM units WHERE adcode = '990101'").fetchone() == ("东城区",)


def test_second_process_gets_a_clear_lock_message(tmp_path) -> None:
    path = tmp_path / "locked.duckdb"
    db.connect(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys, time
            c = duckdb.connect({str(path)!r})
            print("ready", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(db.DatabaseLockedError) as err:
            db.connect(path)
        assert "正被另一个程序" in str(err.value)
        assert f"进程号 {holder.pid}" in str(err.value)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)


def test_a_database_of_another_city_is_refused(tmp_path, tiny_city, fuyang) -> None:
    path = tmp_path / "fy.duckdb"
    db.open_store(path, fuyang).close()
    with pytest.raises(db.CityMismatchError, match="属于城市代码 341200，与当前城市配置 示例市"):
        db.open_store(path, tiny_city)


def test_recorded_times_are_in_the_configured_time_zone(tmp_path) -> None:
    from datetime import UTC, datetime, timedelta

    conn = db.connect(tmp_path / "tz.duckdb", timezone="Asia/Shanghai")
    local = conn.execute("SELECT CAST(current_timestamp AS TIMESTAMP)").fetchone()[0]
    expected = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=8)
    assert abs((local - expected).total_seconds()) < 60
    with pytest.raises(db.StoreError, match="无效的时区名称"):
        db.connect(tmp_path / "tz2.duckdb", timezone="x'; DROP TABLE units; --")
