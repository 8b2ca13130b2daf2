"""The PostgreSQL system of record (analytics/store/shared.py, mirror.py): writes reach
PostgreSQL in one transaction, other mirrors catch up, nothing is lost under concurrency."""

from __future__ import annotations

import threading
from datetime import datetime

import duckdb
import pytest

from analytics.store import db, mirror, shared

INSERT = (
    "INSERT INTO hazards (hazard_id, unit_adcode, state, found_date, description)"
    " VALUES (?, '990101', '整改中', DATE '2022-01-01', ?)"
)


def _rows(conn, sql):
    return conn.execute(sql).fetchall()


def test_a_write_on_one_mirror_reaches_another(pg_url, tiny_city):
    a = mirror.open_store(pg_url, tiny_city)
    b = mirror.open_store(pg_url, tiny_city)
    a.execute(INSERT, ["h1", "路口缺少信号灯"])
    assert _rows(b, "SELECT hazard_id FROM hazards") == []  # b has not looked yet
    b.sync()
    assert _rows(b, "SELECT hazard_id, description FROM hazards") == [("h1", "路口缺少信号灯")]
    with db.transaction(b):
        b.execute("UPDATE hazards SET state = '已销号' WHERE hazard_id = 'h1'")
        b.execute(INSERT, ["h2", "急弯无警示"])
    gone = b.execute("DELETE FROM hazards WHERE hazard_id = 'h2' RETURNING hazard_id").fetchall()
    assert gone == [("h2",)]
    a.sync()
    assert _rows(a, "SELECT hazard_id, state FROM hazards") == [("h1", "已销号")]
    # a third process starting now loads the same
    c = mirror.open_store(pg_url, tiny_city)
    assert _rows(c, "SELECT hazard_id, state FROM hazards") == [("h1", "已销号")]
    for conn in (a, b, c):
        conn.close()


def test_a_read_snapshot_holds_no_writer_lock_and_sees_one_state(pg_url, tiny_city):
    """db.snapshot on a mirror is DuckDB's read transaction, not the shared write transaction:
    another process writes meanwhile (it would wait forever for the writer lock), the snapshot
    keeps seeing what it saw, and a write inside the snapshot is refused."""
    a = mirror.open_store(pg_url, tiny_city)
    b = mirror.open_store(pg_url, tiny_city)
    count = "SELECT count(*) FROM hazards"
    with db.snapshot(a):
        assert _rows(a, count) == [(0,)]
        other = threading.Thread(target=lambda: b.execute(INSERT, ["h1", "急弯无警示"]))
        other.daemon = True
        other.start()
        other.join(30)
        assert not other.is_alive(), "the other process waited for a lock the reads held"
        a.sync()  # (the mirror catches up in a transaction of its own, unseen in here)
        assert _rows(a, count) == [(0,)]
        with pytest.raises(duckdb.TransactionException):
            a.execute(INSERT, ["h2", "路口缺少信号灯"])
    a.sync()
    assert _rows(a, "SELECT hazard_id FROM hazards") == [("h1",)]
    for conn in (a, b):
        conn.close()


def test_a_rolled_back_transaction_sends_nothing(pg_url, tiny_city):
    a = mirror.open_store(pg_url, tiny_city)
    before = a.shared.shared_revision()
    with pytest.raises(RuntimeError), db.transaction(a):
        a.execute(INSERT, ["h1", "x"])
        raise RuntimeError("refused")
    assert a.shared.shared_revision() == before
    assert _rows(a, "SELECT count(*) FROM hazards") == [(0,)]
    assert mirror.verify(pg_url)["hazards"] == (0, 0)
    a.close()


def test_when_postgresql_refuses_the_write_the_mirror_keeps_nothing(pg_url, tiny_city):
    """PostgreSQL text cannot hold NUL: the push fails after DuckDB accepted the rows, and both
    sides stay as they were (one transaction across the two)."""
    a = mirror.open_store(pg_url, tiny_city)
    a.execute(INSERT, ["h1", "好"])
    rev = a.shared.shared_revision()
    with pytest.raises(Exception, match="0x00|null|NUL|invalid byte"):
        with db.transaction(a):
            a.execute("UPDATE hazards SET description = 'x' WHERE hazard_id = 'h1'")
            a.execute(INSERT, ["h2", "坏\x00"])
    assert _rows(a, "SELECT hazard_id, description FROM hazards") == [("h1", "好")]
    assert a.shared.shared_revision() == rev
    a.execute(INSERT, ["h3", "再来"])  # the store still works
    assert mirror.verify(pg_url)["hazards"][0] == 2
    a.close()


def test_ids_keep_counting_across_processes(pg_url, tiny_city):
    a = mirror.open_store(pg_url, tiny_city)
    b = mirror.open_store(pg_url, tiny_city)
    a.execute(INSERT, ["h1", "x"])
    event = (
        "INSERT INTO hazard_events (hazard_id, event_at, actor, action) VALUES ('h1', ?, ?, '更新')"
        " RETURNING event_id"
    )
    at = datetime(2022, 1, 1, 8)
    assert a.execute(event, [at, "a"]).fetchone() == (1,)
    assert a.execute(event, [at, "a"]).fetchone() == (2,)
    b.sync()
    assert b.execute(event, [at, "b"]).fetchone() == (3,)  # not 1: b's sequence moved on
    assert a.execute(event, [at, "a"]).fetchone() == (4,)  # a caught up before writing
    a.close()
    b.close()


def test_concurrent_read_modify_write_loses_nothing(pg_url, tiny_city):
    """Two mirrors (as two processes would) each add 1 to one value 25 times from 2 threads:
    every write starts after the previous one everywhere, so the total is exact."""
    setup = mirror.open_store(pg_url, tiny_city)
    setup.execute("INSERT INTO dataset (key, value) VALUES ('counter', '0')")
    mirrors = [setup, mirror.open_store(pg_url, tiny_city)]

    def work(conn) -> None:
        cur = conn.cursor()
        for _ in range(25):
            with db.transaction(cur):
                (n,) = cur.execute("SELECT value FROM dataset WHERE key = 'counter'").fetchone()
                cur.execute("UPDATE dataset SET value = ? WHERE key = 'counter'", [str(int(n) + 1)])

    threads = [threading.Thread(target=work, args=(m,)) for m in mirrors for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fresh = mirror.open_store(pg_url, tiny_city)
    assert _rows(fresh, "SELECT value FROM dataset WHERE key = 'counter'") == [("100",)]
    for conn in (*mirrors, fresh):
        conn.close()


def test_a_file_moves_in_with_equal_counts_and_hashes(pg_url, demo_db_path, fuyang):
    source = db.open_for_reading(demo_db_path)
    expected = {name: shared.content_hash(source, t) for name, t in shared.describe(source).items()}
    source.close()
    found = mirror.copy_from_file(demo_db_path, pg_url)
    assert found == expected
    assert found["hazards"][0] > 100 and found["accidents"][0] > 1000
    with pytest.raises(db.StoreError, match="已有数据"):
        mirror.copy_from_file(demo_db_path, pg_url)
    conn = mirror.open_store(pg_url, fuyang)
    assert db.table_counts(conn)["hazards"] == expected["hazards"][0]
    conn.close()


def test_another_city_is_refused(pg_url, tiny_city, fuyang):
    mirror.open_store(pg_url, tiny_city).close()
    with pytest.raises(db.CityMismatchError, match="不一致"):
        mirror.open_store(pg_url, fuyang)


def test_the_password_never_shows():
    assert shared.redact("postgresql://app:s3cret@db:5432/hz") == "postgresql://app:***@db:5432/hz"
