"""The core definitions (migration 0009's macros) on a tiny ledger with edge dates, by hand.

D = 2022-09-15, due-soon horizon 15 days. Each hazard is there for one edge:
  H1 listed on D, deadline D+16    listed on D (not the day before); one day past the horizon
  H2 closed on D, deadline D−5     closed as of D; the day before: open and 4 days overdue
  H3 deadline D                    due soon on D (not overdue); overdue by 1 on D+1
  H4 voided on D, deadline D−1     not listed as of D; the day before: listed, due soon
  H5 deadline D−10                 overdue 10 days
  H6 待认定                         never listed
  H7 deadline D+15                 due soon: the horizon's last day is included
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from analytics.ledger import hazard_list, metrics, trends
from analytics.store import backup as bk
from analytics.store import db

D = date(2022, 9, 15)
H = 15


def _d(days: int) -> date:
    return D + timedelta(days=days)


HAZARDS = [  # id, state, listed_date, deadline, closed_date, voided_date
    ("H1", "整改中", D, _d(16), None, None),
    ("H2", "已销号", _d(-30), _d(-5), D, None),
    ("H3", "整改中", _d(-30), D, None, None),
    ("H4", "已作废", _d(-30), _d(-1), None, D),
    ("H5", "整改中", _d(-40), _d(-10), None, None),
    ("H6", "待认定", None, None, None, None),
    ("H7", "整改中", _d(-20), _d(15), None, None),
]


def _fill(conn) -> None:
    conn.executemany(
        "INSERT INTO hazards (hazard_id, unit_adcode, state, found_date, listed_date, deadline,"
        " closed_date, voided_date) VALUES (?, '990101', ?, ?, ?, ?, ?, ?)",
        [[i, s, _d(-50), ld, dl, cd, vd] for i, s, ld, dl, cd, vd in HAZARDS],
    )


@pytest.fixture
def store(tmp_path, tiny_city):
    conn = db.open_store(tmp_path / "defs.duckdb", tiny_city)
    _fill(conn)
    yield conn
    conn.close()


def _ids(conn, sql: str, *params) -> list[str]:
    return [r[0] for r in conn.execute(sql, list(params)).fetchall()]


FLAGS = """
SELECT
    hazard_id,
    listed_as_of(listed_on, voided_date, $d) AS listed,
    open_as_of(listed_on, voided_date, closed_date, $d) AS open,
    listed AND overdue_as_of(closed_date, deadline, $d) AS overdue,
    listed AND due_soon_as_of(closed_date, deadline, $d, $horizon) AS due_soon
FROM hazard_listing
ORDER BY hazard_id
"""


def _flags(conn, d: date, horizon: int = H) -> dict[str, list[str]]:
    """Which hazards each definition picks as of d."""
    rows = conn.execute(FLAGS, {"d": d, "horizon": horizon}).fetchall()
    names = ("listed", "open", "overdue", "due_soon")
    return {name: [r[0] for r in rows if r[k] is True] for k, name in enumerate(names, 1)}


def test_listed_as_of(store) -> None:
    assert _flags(store, D)["listed"] == ["H1", "H2", "H3", "H5", "H7"]
    assert _flags(store, _d(-1))["listed"] == ["H2", "H3", "H4", "H5", "H7"]
    table = "SELECT hazard_id FROM listed_hazards(?) ORDER BY 1"
    assert _ids(store, table, D) == ["H1", "H2", "H3", "H5", "H7"]
    closed = "SELECT hazard_id FROM listed_hazards(?) WHERE is_closed"
    assert _ids(store, closed, D) == ["H2"]
    assert _ids(store, closed, _d(-1)) == []


def test_open_overdue_due_soon(store) -> None:
    on_d, day_before, day_after = _flags(store, D), _flags(store, _d(-1)), _flags(store, _d(1))
    assert on_d["open"] == ["H1", "H3", "H5", "H7"]
    assert day_before["open"] == ["H2", "H3", "H4", "H5", "H7"]
    assert on_d["overdue"] == ["H5"]
    assert day_before["overdue"] == ["H2", "H5"]
    assert day_after["overdue"] == ["H3", "H5"]
    assert on_d["due_soon"] == ["H3", "H7"]
    assert day_before["due_soon"] == ["H3", "H4"]
    assert _flags(store, D, horizon=16)["due_soon"] == ["H1", "H3", "H7"]


def test_standing_and_days_overdue(store) -> None:
    rows = store.execute(
        "SELECT hazard_id, standing_as_of(closed_date, deadline, $1, $2),"
        " days_overdue_as_of(closed_date, deadline, $1) FROM listed_hazards($1) ORDER BY 1",
        [_d(-1), H],
    ).fetchall()
    assert rows == [
        ("H2", "逾期", 4),
        ("H3", "临期", None),
        ("H4", "临期", None),
        ("H5", "逾期", 9),
        ("H7", "正常推进", None),
    ]


def test_the_queries_use_the_definitions(store) -> None:
    t = metrics.total(store, D, H)
    counts = {k: t[k] for k in ("listed", "closed", "open", "overdue", "due_soon", "due")}
    assert counts == {"listed": 5, "closed": 1, "open": 4, "overdue": 1, "due_soon": 2, "due": 3}
    assert t["max_days_overdue"] == 10
    before = metrics.total(store, _d(-1), H)
    assert (before["listed"], before["closed"], before["overdue"], before["due_soon"]) == (
        5,
        0,
        2,
        2,
    )
    listed = hazard_list.hazards_as_of(store, D, H)
    assert dict(zip(listed.hazard_id, listed.standing, strict=True)) == {
        "H5": "逾期",
        "H3": "临期",
        "H7": "临期",
        "H1": "正常推进",
        "H2": "已销号",
    }
    f = hazard_list.ledger(store, D, H).sort_values("hazard_id")
    ledger = list(zip(f.hazard_id, f.standing, strict=True))
    assert ledger == [
        ("H1", "正常推进"),
        ("H2", "已销号"),
        ("H3", "临期"),
        ("H4", "已作废"),
        ("H5", "逾期"),
        ("H6", "未入单"),
        ("H7", "临期"),
    ]


def test_the_backlog_sweep_counts_open_as_of_each_day(store) -> None:
    backlog = trends.backlog(store, _d(2))
    assert backlog.day.iloc[0].date() == _d(-40)
    for day, n in zip(backlog.day, backlog.open, strict=True):
        expected = store.execute(
            "SELECT count(*) FROM hazard_listing"
            " WHERE open_as_of(listed_on, voided_date, closed_date, ?)",
            [day.date()],
        ).fetchone()[0]
        assert n == expected, day
    assert backlog.open.iloc[-4:].tolist() == [5, 4, 4, 4]  # D−1; D: H1 in, H2 and H4 out


def test_the_accident_window_is_whole_days(store) -> None:
    times = [
        datetime(2022, 9, 14, 23, 59, 59),
        datetime(2022, 9, 15, 0, 0),
        datetime(2022, 9, 15, 23, 59, 59),
        datetime(2022, 9, 16, 0, 0),
    ]
    store.executemany(
        "INSERT INTO accidents (accident_id, occurred_at, unit_adcode) VALUES (?, ?, '990101')",
        [[f"A{i}", t] for i, t in enumerate(times)],
    )
    assert _ids(store, "SELECT accident_id FROM accidents_on_days(?, ?) ORDER BY 1", D, D) == [
        "A1",
        "A2",
    ]
    assert _ids(
        store,
        "SELECT accident_id FROM accidents WHERE on_days(occurred_at, ?, ?) ORDER BY 1",
        _d(-1),
        D,
    ) == ["A0", "A1", "A2"]
    assert metrics.accident_summary(store, D, D)["accidents"] == 2


def test_an_older_backup_restores_with_the_definitions(tmp_path) -> None:
    old = db.connect(tmp_path / "v8.duckdb")
    db.migrate(old, target=8)  # before the definitions existed
    _fill(old)
    key = tmp_path / "backup-key"
    folder = bk.backup(old, tmp_path / "ev", tmp_path / "backups", label="v8", key_file=key)
    old.close()
    bk.restore(folder, tmp_path / "new.duckdb", tmp_path / "ev2", key_file=key)
    conn = db.connect(tmp_path / "new.duckdb", read_only=True)
    try:
        assert db.schema_version(conn) == db.LATEST_VERSION
        assert _ids(conn, "SELECT hazard_id FROM listed_hazards(?) ORDER BY 1", D) == [
            "H1",
            "H2",
            "H3",
            "H5",
            "H7",
        ]
        assert metrics.total(conn, D, H)["overdue"] == 1
    finally:
        conn.close()


def test_no_query_writes_a_definition_out_again() -> None:
    """The spellings of the definitions before migration 0009 appear nowhere else."""
    root = Path(__file__).resolve().parents[2]
    spelled = ("voided_date IS NULL", "closed_date <= $as_of", ">= CAST($start AS TIMESTAMP)")
    found = [
        (str(path.relative_to(root)), words)
        for folder in ("analytics", "pages")
        for path in sorted((root / folder).rglob("*"))
        if path.suffix in (".py", ".sql") and path.name != "0009_definitions.sql"
        for words in spelled
        if words in path.read_text("utf-8")
    ]
    assert found == []
