"""Ledger status and accident totals on a tiny hand-made ledger (figures worked out by hand)."""

from __future__ import annotations

from datetime import date

import pytest

from analytics import db, metrics

D = date(2022, 3, 31)
COLS = "hazard_id, unit_adcode, state, found_date, listed_date, deadline, closed_date, voided_date"
FIVE = "goal, lead_leader, responsible_unit, completion_standard"
INSERT_HAZARD = (
    f"INSERT INTO hazards ({COLS}, {FIVE}) VALUES"  # noqa: S608 - fixed column lists
    " (?, ?, '整改中', ?, ?, ?, ?, ?, '目标', ?, '责任单位', '标准')"
)
# id, unit, found, listed, deadline, closed, voided, lead leader present
HAZARDS = [
    ("h1", "990101", "2022-01-08", "2022-01-10", "2022-02-28", "2022-02-20", None, True),  # on time
    ("h2", "990101", "2022-01-15", "2022-01-15", "2022-03-10", "2022-03-20", None, True),  # late
    ("h3", "990101", "2022-02-01", "2022-02-01", "2022-03-20", None, None, True),  # overdue 11 d
    ("h4", "990101", "2022-03-01", None, "2022-04-10", None, None, False),  # due soon, found date
    ("h5", "990101", "2022-02-01", "2022-02-01", None, None, "2022-03-01", True),  # voided
    ("h6", "990101", "2022-04-01", "2022-04-05", "2022-05-01", None, None, True),  # listed later
    (
        "h7",
        "990101",
        "2022-03-01",
        "2022-03-01",
        "2022-04-30",
        "2022-04-02",
        None,
        True,
    ),  # open at D
    ("h8", "990102", "2022-01-05", "2022-01-05", "2022-01-31", "2022-01-25", None, True),  # on time
    ("h9", "990102", "2022-03-01", "2022-03-01", "2022-03-31", None, None, True),  # due today
]
# id, time, unit, deaths, injuries, procedure
ACCIDENTS = [
    ("a1", "2022-01-02 08:00", "990101", 1, 0, "一般程序"),
    ("a2", "2022-03-31 23:59", "990101", 0, 2, "简易程序"),
    ("a3", "2022-04-01 00:00", "990101", 0, 0, "简易程序"),  # after D
    ("a4", "2021-03-31 10:00", "990102", 0, 0, "简易程序"),
    ("a5", "2021-04-01 00:00", "990102", 0, 0, "简易程序"),  # after D a year ago
    ("a6", "2021-02-10 12:00", None, 2, 1, "一般程序"),  # no unit
    ("a7", "2022-02-01 17:30", "990102", 0, 0, "简易程序"),
]


@pytest.fixture
def conn(tmp_path, tiny_city):
    c = db.open_store(tmp_path / "m.duckdb", tiny_city)
    for hid, unit, found, listed, deadline, closed, voided, leader in HAZARDS:
        c.execute(
            INSERT_HAZARD,
            [hid, unit, found, listed, deadline, closed, voided, "某领导" if leader else None],
        )
    for aid, at, unit, deaths, injuries, procedure in ACCIDENTS:
        c.execute(
            "INSERT INTO accidents (accident_id, occurred_at, unit_adcode, deaths, injuries,"
            " procedure, loss_yuan) VALUES (?, ?, ?, ?, ?, ?, 1000)",
            [aid, at, unit, deaths, injuries, procedure],
        )
    return c


def test_hazard_status_by_unit(conn) -> None:
    s = metrics.hazard_status(conn, D, 15).set_index("unit_adcode")
    east, west, zone = s.loc["990101"], s.loc["990102"], s.loc["990171"]
    assert east[
        [
            "listed",
            "closed",
            "open",
            "overdue",
            "due_soon",
            "due",
            "closed_on_time",
            "five_complete",
            "max_days_overdue",
        ]
    ].tolist() == [5, 2, 3, 1, 1, 3, 1, 4, 11]
    assert east.rectification_rate == pytest.approx(2 / 5)
    assert east.on_time_rate == pytest.approx(1 / 3)
    assert west[["listed", "closed", "overdue", "due_soon", "due", "closed_on_time"]].tolist() == [
        2,
        1,
        0,
        1,
        2,
        1,
    ]
    assert zone[["listed", "closed", "overdue"]].tolist() == [0, 0, 0]
    assert zone.rectification_rate is None or zone.rectification_rate != zone.rectification_rate


def test_horizon_changes_due_soon_only(conn) -> None:
    s = metrics.hazard_status(conn, D, 30).set_index("unit_adcode")
    assert s.loc["990101", "due_soon"] == 2  # h4 (04-10) and h7 (04-30) within 30 days
    assert s.loc["990101", "overdue"] == 1


def test_overview(conn) -> None:
    o = metrics.overview(conn, D, 15)
    assert (o.listed, o.closed, o.open, o.overdue, o.due_soon) == (7, 3, 4, 1, 2)
    assert o.rectification_rate == pytest.approx(3 / 7)
    assert o.period == (date(2022, 1, 1), D)
    assert o.period_last_year == (date(2021, 1, 1), date(2021, 3, 31))
    assert (o.accidents_ytd, o.deaths_ytd) == (3, 1)
    assert (o.accidents_ytd_last_year, o.deaths_ytd_last_year) == (2, 2)
    assert o.accidents_change == pytest.approx(0.5)
    assert o.deaths_change == pytest.approx(-0.5)
    east = o.by_unit.set_index("unit_adcode").loc["990101"]
    assert (east.accidents, east.deaths, east.accidents_last_year) == (2, 1, 0)


def test_accidents_without_a_known_unit_get_their_own_row(conn) -> None:
    t = metrics.accident_totals(conn, date(2021, 1, 1), date(2021, 12, 31))
    assert t.unit_name.tolist() == ["东区", "西区", "示例新区", "未归属单位"]
    assert t.accidents.tolist() == [0, 2, 0, 1]
    assert t.deaths.tolist() == [0, 0, 0, 2]
    assert t.general_procedure.tolist() == [0, 0, 0, 1]


def test_dates_and_rates() -> None:
    assert metrics.rate(85, 172) == pytest.approx(0.494186, abs=1e-6)
    assert metrics.rate(0, 0) is None
    assert metrics.same_day_last_year(date(2024, 2, 29)) == date(2023, 2, 28)
    assert metrics.change(5, 0) is None


def test_latest_date_and_span(conn, tmp_path, tiny_city) -> None:
    assert metrics.latest_date(conn) == date(2022, 4, 1)
    assert metrics.data_span(conn) == (date(2021, 2, 10), date(2022, 4, 1))
    empty = db.open_store(tmp_path / "empty.duckdb", tiny_city)
    assert metrics.latest_date(empty) is None
