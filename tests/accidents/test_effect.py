"""治理成效 on hand-made hazards and accidents: every count and ratio is worked out by hand."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from analytics import geo
from analytics.accidents import effect
from analytics.accounts import auth
from analytics.store import db

A = date(2023, 6, 30)  # as of
LAT, LON = 33.0, 115.0  # e4, located by coordinates only
NORTH_199 = LAT + math.degrees(199 / geo.EARTH_RADIUS_M)
NORTH_201 = LAT + math.degrees(201 / geo.EARTH_RADIUS_M)
EAST_150 = LON + math.degrees(150 / (geo.EARTH_RADIUS_M * math.cos(math.radians(LAT))))

# id, unit, state, found, listed, closed, route, start_m, end_m, lon, lat
HAZ = [
    # before 2021-01-01 … 2021-12-31, after 2022-04-01 … 2023-03-31 (full)
    (
        "e1",
        "990101",
        "已销号",
        "2021-12-20",
        "2022-01-01",
        "2022-03-31",
        "G1",
        10000,
        10500,
        None,
        None,
    ),
    # before 2021-06-15 … 2022-06-14, after 2022-07-16 … 2023-07-15: not over on A
    (
        "e2",
        "990102",
        "已销号",
        "2022-06-01",
        "2022-06-15",
        "2022-07-15",
        "S2",
        5000,
        None,
        None,
        None,
    ),
    # listed on its found date; before 2021-01-01 … 2021-12-31, after 2022-02-02 … 2023-02-01
    ("e3", "990101", "已销号", "2022-01-01", None, "2022-02-01", "G1", 20000, 20000, None, None),
    # no stakes: within 200 m; before 2021-01-01 … 2021-12-31, after 2022-02-01 … 2023-01-31
    (
        "e4",
        "990101",
        "已销号",
        "2022-01-01",
        "2022-01-01",
        "2022-01-31",
        None,
        None,
        None,
        LON,
        LAT,
    ),
    ("e5", "990101", "整改中", "2022-01-01", "2022-01-01", None, "G1", 10000, 10500, None, None),
    (
        "e6",
        "990101",
        "已销号",
        "2022-01-01",
        "2022-01-01",
        "2023-07-10",
        "G1",
        10000,
        10500,
        None,
        None,
    ),
    (
        "e7",
        "990101",
        "已销号",
        "2022-01-01",
        "2022-01-01",
        "2022-03-01",
        None,
        None,
        None,
        None,
        None,
    ),
]
# id, time, route, stake, lon, lat, deaths
ACC = [
    ("x1", "2021-01-01 00:00", "G1", 9800, None, None, 0),  # e1 before: first day, lower edge
    ("x2", "2021-06-01 10:00", "G1", 10700, None, None, 0),  # e1 before: upper edge
    ("x3", "2021-06-02 10:00", "G1", 10701, None, None, 0),  # 1 m beyond the buffer
    ("x4", "2020-12-31 23:59", "G1", 10000, None, None, 0),  # the day before the window
    ("x5", "2022-01-01 08:00", "G1", 10100, None, None, 0),  # listing day: not before
    ("x6", "2022-02-01 10:00", "G1", 10100, None, None, 0),  # while being rectified
    ("x7", "2022-03-31 10:00", "G1", 10100, None, None, 0),  # closing day: not after
    ("x8", "2022-04-01 00:00", "G1", 10250, None, None, 0),  # e1 after: first day
    ("x9", "2023-03-31 23:59", "G1", 10250, None, None, 1),  # e1 after: last minute of 12 months
    ("x10", "2023-04-01 00:00", "G1", 10250, None, None, 0),  # one day past the after-period
    ("x11", "2021-05-05 10:00", "S2", 10200, None, None, 0),  # another route
    ("x12", "2021-03-01 10:00", "G1", 10300, None, None, 0),  # e1 before
    ("x13", "2021-07-01 10:00", "G1", 10300, None, None, 0),  # e1 before
    ("x14", "2021-09-09 10:00", "G1", 10300, None, None, 0),  # e1 before
    ("x15", "2023-07-01 10:00", "G1", 10250, None, None, 0),  # after the as-of date
    ("y1", "2022-01-10 10:00", "S2", 5100, None, None, 0),  # e2 before
    ("y2", "2023-01-01 10:00", "S2", 4900, None, None, 0),  # e2 after (so far)
    ("z1", "2022-06-01 10:00", "G1", 20150, None, None, 0),  # e3 after
    ("c1", "2021-06-01 12:00", None, None, LON, NORTH_199, 0),  # e4 before: 199 m
    ("c2", "2021-06-02 12:00", None, None, LON, NORTH_201, 0),  # 201 m: outside
    ("c3", "2022-06-01 12:00", None, None, EAST_150, LAT, 0),  # e4 after: 150 m
]


@pytest.fixture
def eff(tmp_path, tiny_city):
    c = db.open_store(tmp_path / "e.duckdb", tiny_city)
    for row in HAZ:
        c.execute(
            "INSERT INTO hazards (hazard_id, unit_adcode, state, found_date, listed_date,"
            " closed_date, route_code, start_m, end_m, lon, lat) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?)",
            list(row),
        )
    for row in ACC:
        c.execute(
            "INSERT INTO accidents (accident_id, occurred_at, route_code, stake_m, lon, lat,"
            " deaths) VALUES (?, ?, ?, ?, ?, ?, ?)",
            list(row),
        )
    return c


def _row(e: effect.Effect, hazard_id: str) -> pd.Series:
    return e.hazards.set_index("hazard_id").loc[hazard_id]


def test_the_points_are_where_the_comments_say() -> None:
    assert round(geo.haversine_m(LON, LAT, LON, NORTH_199), 6) == 199
    assert round(geo.haversine_m(LON, LAT, LON, NORTH_201), 6) == 201
    assert 149.9 < geo.haversine_m(LON, LAT, EAST_150, LAT) < 150.1


def test_each_hazard(eff) -> None:
    e = effect.evaluate(eff, A, 12, 200)
    assert set(e.hazards.hazard_id) == {"e1", "e2", "e3", "e4"}  # open, closed later, no place
    e1 = _row(e, "e1")
    assert (e1.before_start, e1.before_end) == (
        pd.Timestamp("2021-01-01"),
        pd.Timestamp("2021-12-31"),
    )
    assert (e1.after_start, e1.after_end) == (
        pd.Timestamp("2022-04-01"),
        pd.Timestamp("2023-03-31"),
    )
    # x1, x2, x12, x13, x14 before; x8, x9 after; the city: 9 accidents in 2021, 5 after
    assert (e1.before, e1.after, e1.after_deaths, e1.city_before, e1.city_after) == (5, 2, 1, 9, 5)
    assert e1.full and e1.status == "有效" and e1.note == ""  # 5 is not a small sample
    assert e1.ratio == 0.4 and e1.ratio_of_ratios == pytest.approx(0.4 / (5 / 9))  # 0.72
    e3 = _row(e, "e3")  # nothing before: no ratio, and why
    assert (e3.before, e3.after, e3.city_before, e3.city_after) == (0, 1, 9, 5)
    assert e3.status == "无法计算" and pd.isna(e3.ratio_of_ratios)
    assert e3.note == "入单前该处无事故，无法计算比值"
    e4 = _row(e, "e4")  # c1 before, c3 after; the city after 2022-02-01 … 2023-01-31: 6
    assert (e4["mode"], e4.before, e4.after, e4.city_before, e4.city_after) == (
        "coords",
        1,
        1,
        9,
        6,
    )
    assert e4.status == "样本较少" and e4.ratio_of_ratios == pytest.approx(1.5)
    e2 = _row(e, "e2")  # observed up to A only
    assert (e2.before, e2.after, e2.city_before, e2.city_after) == (1, 1, 9, 3)
    assert not e2.full and e2.status == "观察期未满" and pd.isna(e2.ratio_of_ratios)
    assert e2.note == "销号后满 2023-07-15 方可评价（已观察至 2023-06-30）"


def test_the_total_counts_only_full_after_periods(eff) -> None:
    t = effect.evaluate(eff, A, 12, 200).total
    assert (t["hazards"], t["full"], t["observing"], t["no_base"], t["small"]) == (4, 3, 1, 1, 1)
    # e1 + e3 + e4
    assert (t["before"], t["after"], t["city_before"], t["city_after"]) == (6, 4, 27, 16)
    assert t["after_deaths"] == 1
    assert t["ratio_of_ratios"] == pytest.approx((4 / 6) / (16 / 27))  # 1.125


def test_the_after_period_is_full_on_its_last_day(eff) -> None:
    on_the_day = effect.evaluate(eff, date(2023, 3, 31), 12, 200)
    assert _row(on_the_day, "e1").full
    day_before = effect.evaluate(eff, date(2023, 3, 30), 12, 200)
    e1 = _row(day_before, "e1")
    assert not e1.full and e1.after == 1  # x8 so far; x9 comes on the last day
    assert day_before.total["full"] == 2


def test_the_buffer_and_the_months_are_settings(eff) -> None:
    e = effect.evaluate(eff, A, 12, 0)
    assert _row(e, "e1").before == 3  # x12–x14 at 10300; x1 and x2 are now outside
    assert _row(e, "e1").after == 2
    assert (_row(e, "e4").before, _row(e, "e4").after) == (0, 0)
    # 3 months: e1 before 2021-10-01 … 2021-12-31 (x14 is earlier): nothing
    e = effect.evaluate(eff, A, 3, 200)
    assert (_row(e, "e1").before, _row(e, "e1").after) == (0, 1)  # x8 only (x9 in 2023)


def test_a_county_user_sees_its_own_hazards_against_the_whole_city(eff) -> None:
    county = auth.User("xi", "西区大队", "county", "990102")
    e = effect.evaluate(eff, A, 12, 200, viewer=county)
    assert e.hazards.hazard_id.tolist() == ["e2"]
    assert _row(e, "e2").city_before == 9  # the comparison stays city-wide
    with pytest.raises(auth.PermissionDenied):
        effect.evaluate(eff, A, 12, 200, unit="990101", viewer=county)


def test_nothing_to_evaluate(tmp_path, tiny_city) -> None:
    c = db.open_store(tmp_path / "none.duckdb", tiny_city)
    e = effect.evaluate(c, A, 12, 200)
    assert e.hazards.empty and e.total["full"] == 0 and e.total["ratio_of_ratios"] is None


def test_agrees_with_a_plain_count_on_the_demo_city(demo_db_path) -> None:
    """The bucketed SQL join against a direct count in Python, for every closed hazard."""
    conn = db.open_for_reading(demo_db_path)
    e = effect.evaluate(conn, date(2022, 12, 31), 3, 200)
    acc = conn.execute("SELECT route_code, stake_m, lon, lat, occurred_at FROM accidents").df()
    conn.close()
    assert e.total["full"] > 20
    for h in e.hazards.itertuples():
        if h.mode == "stake":
            near = (acc.route_code == h.route_code) & acc.stake_m.between(
                h.start_m - 200, h.end_m + 200
            )
        else:
            d = geo.haversine_m_array(h.lon, h.lat, acc.lon.to_numpy(), acc.lat.to_numpy())
            near = pd.Series(d <= 200, index=acc.index)
        t = acc.occurred_at.dt.normalize()
        before = near & (t >= h.before_start) & (t <= h.before_end)
        after = near & (t >= h.after_start) & (t <= h.observed_end)
        assert (h.before, h.after) == (before.sum(), after.sum()), h.hazard_id


def test_stakes_given_end_first_locate_the_same_stretch(eff) -> None:
    """A ledger may give a hazard's stakes against the chainage (起点 K10+500, 止点 K10+000)."""
    forward = _row(effect.evaluate(eff, A, 12, 200), "e1")
    eff.execute("UPDATE hazards SET start_m = end_m, end_m = start_m WHERE hazard_id = 'e1'")
    assert eff.execute("SELECT start_m, end_m FROM hazards WHERE hazard_id = 'e1'").fetchone() == (
        forward.end_m,
        forward.start_m,
    )
    backward = _row(effect.evaluate(eff, A, 12, 200), "e1")
    assert (backward.before, backward.after, backward.after_deaths) == (5, 2, 1)
    assert (backward.start_m, backward.end_m) == (forward.start_m, forward.end_m)


def test_an_end_stake_without_a_start_is_no_stretch(eff) -> None:
    """Only 止点桩号 filled in: the hazard is placed by its coordinates, with no stakes."""
    eff.execute("UPDATE hazards SET route_code = 'G1', end_m = 777 WHERE hazard_id = 'e4'")
    e4 = _row(effect.evaluate(eff, A, 12, 200), "e4")
    assert e4["mode"] == "coords" and (e4.before, e4.after) == (1, 1)
    assert pd.isna(e4.start_m) and pd.isna(e4.end_m)
