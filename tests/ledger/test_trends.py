"""New vs closed, backlog and 清零 forecasts on the tiny hand-made ledger (tests/conftest.py)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from analytics.ledger import hazard_list, metrics, trends
from tests.conftest import D


def test_monthly_flow(conn) -> None:
    f = trends.flow(conn, D, "month")
    assert [(b.date().isoformat(), n, c) for b, n, c in f.itertuples(index=False)] == [
        ("2022-01-01", 3, 1),  # h1 h2 h8 listed; h8 closed
        ("2022-02-01", 2, 1),  # h3 h10 listed (h5 voided by D: left out); h1 closed
        ("2022-03-01", 3, 2),  # h4 h7 h9 listed; h2 h10 closed
    ]


def test_weekly_flow_starts_on_mondays(conn) -> None:
    f = trends.flow(conn, D, "week")
    assert f.bucket.iloc[0].date() == date(2022, 1, 3)
    assert f.bucket.iloc[-1].date() == date(2022, 3, 28)
    assert len(f) == 13
    assert (int(f.new.sum()), int(f.closed.sum())) == (8, 4)
    assert all(b.weekday() == 0 for b in f.bucket)


def test_backlog(conn) -> None:
    b = trends.backlog(conn, D).set_index("day")["open"]
    assert len(b) == 86  # 2022-01-05 … 2022-03-31
    expected = {
        "2022-01-05": 1,
        "2022-01-10": 2,
        "2022-01-15": 3,
        "2022-01-25": 2,
        "2022-02-01": 5,
        "2022-02-20": 4,
        "2022-02-28": 4,
        "2022-03-01": 6,
        "2022-03-15": 5,
        "2022-03-20": 4,
        "2022-03-31": 4,
    }
    assert {d: int(b[pd.Timestamp(d)]) for d in expected} == expected
    assert int(b.iloc[-1]) == metrics.total(conn, D, 15)["open"]


def test_forecast_by_hand() -> None:
    f = trends.clearance_forecast(date(2022, 1, 1), 20, [3, 5, 4, 4, 2, 6, 4, 4])
    assert f.status == "预计清零"
    assert f.mean == 4
    assert f.expected == date(2022, 2, 5)  # 5 weeks
    assert f.earliest == date(2022, 2, 1)  # 20 / 4.5416 weeks = 30.8 → 31 days
    assert f.latest == date(2022, 2, 11)  # 20 / 3.4584 weeks = 40.5 → 41 days


@pytest.mark.parametrize(
    ("open_now", "closed", "status"),
    [(0, [1, 2], "已清零"), (5, [0, 0, 0], "近期无销号，无法预计"), (5, [3], "数据不足")],
)
def test_forecast_without_a_date(open_now, closed, status) -> None:
    f = trends.clearance_forecast(D, open_now, closed)
    assert (f.status, f.expected) == (status, None)


def test_forecasts_per_unit_and_city(conn) -> None:
    st = metrics.status(conn, D, 15)
    f = trends.forecasts(conn, D, dict(zip(st.unit_adcode, st.open, strict=True)))
    assert f["990101"].weekly_closed == (0, 1, 0, 0, 0, 1, 0, 0)  # h2 (03-20), h1 (02-20)
    assert f["990102"].weekly_closed == (0, 0, 1, 0, 0, 0, 0, 0)  # h10 (03-15)
    city = f[None]
    assert (city.open_now, city.weekly_closed) == (4, (0, 1, 1, 0, 0, 1, 0, 0))
    assert city.mean == 0.375
    assert (city.expected, city.earliest, city.latest) == (
        date(2022, 6, 14),
        date(2022, 5, 16),
        date(2022, 10, 17),
    )
    assert f["990171"].status == "已清零"


def test_hazard_list_standing(conn) -> None:
    east = hazard_list.hazards_as_of(conn, D, 15, unit="990101")
    assert list(zip(east.hazard_id, east.standing, strict=True)) == [
        ("h3", "逾期"),
        ("h4", "临期"),
        ("h7", "正常推进"),
        ("h1", "已销号"),
        ("h2", "已销号"),
    ]
    assert east.days_overdue.iloc[0] == 11
    overdue = hazard_list.overdue(conn, D)
    assert overdue.hazard_id.tolist() == ["h3"]
    assert overdue.unit_name.tolist() == ["东区"]


def test_a_young_ledger_averages_only_its_own_weeks() -> None:
    # listed 10 days before as_of: two 7-day windows have existed, not eight
    f = trends.clearance_forecast(date(2022, 1, 11), 6, [2, 1, 0, 0, 0, 0, 0, 0], date(2022, 1, 1))
    assert f.weekly_closed == (2, 1)
    assert f.mean == 1.5
    assert f.expected == date(2022, 2, 8)  # 6 / 1.5 = 4 weeks


def test_a_brigade_lists_only_its_own_hazards(conn) -> None:
    from analytics.accounts import auth

    east = auth.User("east", "东区大队", "county", "990101")
    assert set(hazard_list.ledger(conn, D, 15, viewer=east).unit_adcode) == {"990101"}
    assert set(hazard_list.overdue(conn, D, viewer=east).hazard_id) == {"h3"}
    with pytest.raises(auth.PermissionDenied, match="无权对990102的隐患执行“查看隐患明细”"):
        hazard_list.ledger(conn, D, 15, viewer=east, unit="990102")
    with pytest.raises(auth.PermissionDenied):
        hazard_list.events(conn, "h8", viewer=east)
    admin = auth.User("a", "管理员", "admin", None)
    assert len(hazard_list.ledger(conn, D, 15, viewer=admin)) == 11  # every hazard, h1…h11
    groups = hazard_list.tasks(conn, east, D, 15)
    assert (groups["逾期"].hazard_id.tolist(), groups["临期"].hazard_id.tolist()) == (
        ["h3"],
        ["h4"],
    )


def test_a_sign_off_request_waits_for_acceptance_not_for_the_brigade(conn) -> None:
    """h3 is overdue (deadline 2022-03-20, as of 2022-03-31); once the brigade asks to close it,
    its to-do list shows it under 待验收, not 逾期, while the figures still count it overdue."""
    from analytics.accounts import auth

    conn.execute("UPDATE hazards SET state = '申请销号' WHERE hazard_id = 'h3'")
    east = auth.User("east", "东区大队", "county", "990101")
    groups = hazard_list.tasks(conn, east, D, 15)
    assert list(groups) == ["逾期", "临期", "被退回", "待验收"]
    assert groups["逾期"].hazard_id.tolist() == []
    assert groups["临期"].hazard_id.tolist() == ["h4"]
    assert groups["待验收"].hazard_id.tolist() == ["h3"]
    assert groups["待验收"].days_overdue.tolist() == [11]
    assert metrics.total(conn, D, 15, unit="990101")["overdue"] == 1
