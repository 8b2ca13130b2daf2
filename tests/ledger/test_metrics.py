"""Ledger status and accident totals on a tiny hand-made ledger (figures worked out by hand)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.ledger import metrics
from analytics.ledger.periods import Period
from analytics.store import db
from tests.conftest import D


def test_status_by_unit(conn) -> None:
    s = metrics.status(conn, D, 15).set_index("unit_adcode")
    east, west, zone = s.loc["990101"], s.loc["990102"], s.loc["990171"]
    counts = ["listed", "closed", "open", "due", "on_time", "overdue", "due_soon", "five_complete"]
    assert east[counts].tolist() == [5, 2, 3, 3, 1, 1, 1, 4]
    assert east.max_days_overdue == 11
    assert east.avg_days_to_close == 52.5  # (41 + 64) / 2
    assert east.rate == pytest.approx(2 / 5)
    assert east.on_time_rate == pytest.approx(1 / 3)
    assert east.assigned_complete_rate == pytest.approx(4 / 5)
    # h10 was closed on its deadline day: on time
    assert west[counts].tolist() == [3, 2, 1, 3, 2, 0, 1, 3]
    assert west.avg_days_to_close == 31  # (20 + 42) / 2
    assert zone[["listed", "closed", "overdue"]].tolist() == [0, 0, 0]
    assert pd.isna(zone.rate)
    assert [s.loc[u, "rank"] for u in ("990102", "990101")] == [1, 2]
    assert pd.isna(zone["rank"])


def test_hazards_of_a_code_not_in_the_city_file_get_their_own_unranked_row(conn) -> None:
    from tests.conftest import INSERT_HAZARD

    for hid, unit, closed in (("x1", "999902", "2022-03-01"), ("x2", "999901", None)):
        conn.execute(
            INSERT_HAZARD,
            [hid, unit, "2022-01-05", "2022-01-05", "2022-03-15", closed, None, "某领导"],
        )
    s = metrics.status(conn, D, 15)
    # the configured units in the city's order, then the unknown codes by code
    assert s.unit_adcode.tolist() == ["990101", "990102", "990171", "999901", "999902"]
    unknown = s.set_index("unit_adcode").loc[["999901", "999902"]]
    assert unknown.unit_name.tolist() == ["未归属单位（999901）", "未归属单位（999902）"]
    assert unknown.unit_kind.tolist() == ["unknown", "unknown"]
    assert unknown.listed.tolist() == [1, 1]
    assert unknown.closed.tolist() == [0, 1]
    assert unknown.overdue.tolist() == [1, 0]  # x2: deadline 03-15, open on 03-31
    assert unknown["rank"].isna().all()  # a 100% rate of an unknown code takes no rank
    assert s.set_index("unit_adcode").loc[["990102", "990101"], "rank"].tolist() == [1, 2]
    assert metrics.total(conn, D, 15)["listed"] == 10  # 8 + the two


def test_total_and_the_voided_hazard(conn) -> None:
    t = metrics.total(conn, D, 15)
    assert [t[k] for k in ("listed", "closed", "open", "overdue", "due_soon")] == [8, 4, 4, 1, 2]
    assert t["rate"] == 0.5
    # h5 was voided on 2022-03-01: still listed the day before, gone from that day on
    before = metrics.total(conn, date(2022, 2, 28), 15, unit="990101")
    assert before["listed"] == 4
    assert metrics.total(conn, date(2022, 3, 1), 15, unit="990101")["listed"] == 5  # h4, h7 in
    assert metrics.total(conn, date(2022, 3, 1), 15, unit="990101")["rate"] == 0.2


def test_horizon_changes_due_soon_only(conn) -> None:
    s = metrics.status(conn, D, 30).set_index("unit_adcode")
    assert s.loc["990101", "due_soon"] == 2  # h4 (04-10) and h7 (04-30) within 30 days
    assert s.loc["990101", "overdue"] == 1


@pytest.mark.parametrize(
    ("by", "groups"),
    [("type", {"未填写": 8}), ("all", {"all": 8})],
)
def test_breakdowns(conn, by, groups) -> None:
    s = metrics.status(conn, D, 15, by=by)
    assert dict(zip(s.group_key, s.listed, strict=True)) == groups


def test_breakdown_by_unknown_grouping_is_refused(conn) -> None:
    with pytest.raises(ValueError, match="无法按“colour”分组"):
        metrics.status(conn, D, 15, by="colour")


def test_rank_units_ties_and_empty_units() -> None:
    frame = pd.DataFrame(
        {
            "unit": ["A", "B", "C", "D", "E", "F"],
            "listed": [10, 4, 8, 5, 0, 6],
            "rate": [0.5, 0.5, 0.5, 0.8, None, 0.5],
            "on_time_rate": [0.6, 0.6, 0.6, None, None, None],
            "overdue": [2, 2, 3, 0, 0, 0],
        }
    )
    ranks = metrics.rank_units(frame.listed, frame.rate, frame.on_time_rate, frame.overdue)
    assert dict(zip(frame.unit, ranks, strict=True)) == {
        "A": 2,
        "B": 2,
        "C": 4,
        "D": 1,
        "E": None,
        "F": 5,
    }


def test_unit_ranking_against_the_previous_period(conn) -> None:
    r = metrics.unit_ranking(conn, Period.ending(D, "month"), 15)
    assert r.unit_adcode.tolist() == ["990102", "990101", "990171"]
    assert r["rank"].tolist()[:2] == [1, 2]
    assert r.prev_rank.tolist()[:2] == [1, 2]  # as of 2022-02-28: west 1/2, east 1/4
    assert r.prev_rate.tolist()[:2] == [0.5, 0.25]
    assert r.rank_change.tolist()[:2] == [0, 0]
    first = metrics.unit_ranking(conn, Period.ending(date(2022, 1, 31), "month"), 15)
    assert first.prev_rank.isna().all()  # nothing was listed on 2021-12-31
    assert first.rank_change.isna().all()


def test_kpi_comparison(conn) -> None:
    k = metrics.kpi_comparison(conn, Period.ending(D, "week"), 15)
    assert k.previous == date(2022, 3, 24)
    assert (k.now["listed"], k.before["listed"]) == (8, 8)
    assert (k.now["closed"], k.before["closed"]) == (4, 4)
    assert (k.now["overdue"], k.before["overdue"]) == (1, 1)  # h3 overdue since 03-21


def test_accident_comparison(conn) -> None:
    a = metrics.accident_comparison(conn, Period.ending(D, "month"))
    assert a.window == (date(2022, 3, 1), D)
    assert a.previous_window == (date(2022, 2, 1), date(2022, 2, 28))  # D is a month end: February
    assert a.year_ago_window == (date(2021, 3, 1), date(2021, 3, 31))
    assert (a.now["accidents"], a.now["injuries"], a.now["simple_procedure"]) == (1, 2, 1)
    assert (a.previous["accidents"], a.year_ago["accidents"]) == (1, 1)
    assert a.yoy("accidents") == 0
    assert a.pop("deaths") is None  # no deaths in the previous period: no base
    unit = metrics.accident_comparison(conn, Period.ending(D, "year"), unit="990101")
    assert unit.now["accidents"] == 2 and unit.now["deaths"] == 1  # a1 and a2


def test_accidents_without_a_known_unit_get_their_own_row(conn) -> None:
    t = metrics.accident_totals(conn, date(2021, 1, 1), date(2021, 12, 31))
    assert t.unit_name.tolist() == ["东区", "西区", "示例新区", "未归属单位"]
    assert t.accidents.tolist() == [0, 2, 0, 1]
    assert t.deaths.tolist() == [0, 0, 0, 2]
    assert t.general_procedure.tolist() == [0, 0, 0, 1]


def test_dates_and_rates() -> None:
    assert metrics.rate(85, 172) == pytest.approx(0.494186, abs=1e-6)
    assert metrics.rate(0, 0) is None
    assert metrics.change(5, 0) is None


def test_several_dates_at_once_equal_each_date_alone(conn) -> None:
    dates = (D, date(2022, 2, 28), date(2021, 12, 31), D)  # a date twice counts twice alike
    for by in ("unit", "type", "all"):
        together = metrics.statuses(conn, dates, 15, by=by)
        for d, frame in zip(dates, together, strict=True):
            pd.testing.assert_frame_equal(frame, metrics.status(conn, d, 15, by=by))
    east = [f.set_index("unit_adcode").loc["990101"] for f in metrics.statuses(conn, dates, 15)]
    assert [e.listed for e in east] == [5, 4, 0, 5]  # h5 voided 03-01 but h4, h7 listed since
    with pytest.raises(ValueError):
        metrics.statuses(conn, (), 15)


def test_nothing_to_divide_by_is_none_in_records(conn, tmp_path, tiny_city) -> None:
    empty = db.open_store(tmp_path / "empty.duckdb", tiny_city)
    t = metrics.total(empty, D, 15)
    assert (t["listed"], t["rate"], t["on_time_rate"], t["avg_days_to_close"]) == (
        0,
        None,
        None,
        None,
    )
    k = metrics.kpi_comparison(conn, Period.ending(date(2022, 1, 31), "month"), 15)
    assert (k.before["listed"], k.before["rate"]) == (0, None)  # nothing listed on 2021-12-31
    assert metrics.total(conn, D, 15, unit="990171")["rate"] is None  # a unit with no hazards


def test_latest_date_and_span(conn, tmp_path, tiny_city) -> None:
    assert metrics.latest_date(conn) == date(2022, 4, 1)
    assert metrics.data_span(conn) == (date(2021, 2, 10), date(2022, 4, 1))
    empty = db.open_store(tmp_path / "empty.duckdb", tiny_city)
    assert metrics.latest_date(empty) is None


def test_a_blank_element_is_not_assigned(conn) -> None:
    """Spaces only or empty text in one of the five elements leaves the assignment incomplete."""
    conn.execute("UPDATE hazards SET goal = '   ' WHERE hazard_id = 'h1'")
    conn.execute("UPDATE hazards SET responsible_unit = '' WHERE hazard_id = 'h2'")
    conn.execute("UPDATE hazards SET completion_standard = ' 标准 ' WHERE hazard_id = 'h3'")
    east = metrics.status(conn, D, 15).set_index("unit_adcode").loc["990101"]
    assert east.five_complete == 2  # h3 and h7 (h4 has no lead leader)
    assert east.assigned_complete_rate == pytest.approx(2 / 5)
