"""Accident-prone sites (analytics/accidents/sites.py) on hand-made accident sets: every site and
figure below is worked out by hand from the rows."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pandas as pd
import pytest

from analytics import workers
from analytics.accidents import sites as hotspots
from analytics.accidents.rules import Condition, Params
from analytics.accounts import auth
from analytics.ledger import workflow
from analytics.store import db

AS_OF = date(2022, 12, 31)  # 365-day window: 2022-01-01 .. 2022-12-31
RULE = Params("stake", 365, 500, conditions=(Condition("fatal_accidents", 3),))
IN = "2022-06-01 10:00"


@pytest.fixture
def store(tmp_path, tiny_city):
    return db.open_store(tmp_path / "h.duckdb", tiny_city)


def add(conn, rows):  # ANN201
    """rows: (id, time, route, stake, deaths, injuries[, collision, unit, lon, lat, procedure])."""
    for r in rows:
        aid, at, route, stake, deaths, injuries, *rest = r
        defaults = [None, "990101", None, None, None]
        collision, unit, lon, lat, procedure = [*rest, *defaults[len(rest) :]]
        conn.execute(
            "INSERT INTO accidents (accident_id, occurred_at, route_code, stake_m, deaths,"
            " injuries, collision_type, unit_adcode, lon, lat, procedure, loss_yuan, road_name)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 100, ?)",
            [
                aid,
                at,
                route,
                stake,
                deaths,
                injuries,
                collision,
                unit,
                lon,
                lat,
                procedure,
                None if route is None else f"{route}路",
            ],
        )


def ranges(sites):  # ANN201
    return sorted(zip(sites.route_code, sites.start_m, sites.end_m, strict=True))


def test_a_window_qualifies_only_with_the_accident_on_its_end_point(store):
    add(
        store,
        [
            ("a1", IN, "X001", 1000, 1, 0, "翻车"),
            ("a2", IN, "X001", 1200, 1, 2, "翻车"),
            ("a3", IN, "X001", 1500, 2, 0, "撞行人"),  # exactly s + L: counted
            ("a4", IN, "X001", 1300, 0, 1, "侧面相撞"),  # not counting, inside: in the figures
            ("a5", IN, "X001", 1501, 0, 3),  # just past the last counting accident: not in the site
        ],
    )
    sites = hotspots.find_sites(store, AS_OF, RULE)
    assert ranges(sites) == [("X001", 1000, 1500)]
    s = sites.iloc[0]
    assert (s.accidents, s.fatal_accidents, s.deaths, s.injuries) == (4, 3, 4, 3)
    assert (s.measure, s["rank"], s.top_collision_type, s.peak_hour, s.peak_month) == (
        3,
        1,
        "翻车",
        10,
        6,
    )
    assert s.site_key == "X001:1000-1500" and s.loss_yuan == 400
    assert list(sites.columns) == hotspots.COLUMNS
    listed = hotspots.site_accident_list(store, AS_OF, RULE, "X001:1000-1500")
    assert listed.accident_id.tolist() == ["a1", "a2", "a3", "a4"]  # same time: by id
    # one metre shorter and a1's window [1000, 1499] misses a3: no window holds 3 fatal
    assert hotspots.find_sites(store, AS_OF, RULE.with_(window_m=499)).empty


def test_windows_that_touch_merge_and_a_gap_of_one_metre_does_not(store):
    add(store, [(f"t{i}", IN, "X002", 3000, 1, 0) for i in range(3)])
    add(
        store,
        [
            ("t3", IN, "X002", 3500, 1, 0),
            ("t4", IN, "X002", 3990, 1, 0),
            ("t5", IN, "X002", 4000, 1, 0),
        ],
    )
    add(store, [(f"g{i}", IN, "X002", 6000, 1, 0) for i in range(3)])
    add(store, [(f"h{i}", IN, "X002", 6501, 1, 0) for i in range(3)])
    sites = hotspots.find_sites(store, AS_OF, RULE)
    # [3000, 3500] (4 fatal) touches [3500, 4000] (3 fatal): one site; 6000 and 6501 do not touch
    assert ranges(sites) == [("X002", 3000, 4000), ("X002", 6000, 6000), ("X002", 6501, 6501)]
    assert sites.set_index("site_key").loc["X002:3000-4000", "accidents"] == 6
    assert list(sites["rank"]) == [1, 2, 2]


def test_routes_are_kept_apart_and_the_time_window_has_sharp_edges(store):
    add(
        store,
        [
            ("b1", IN, "X003", 1000, 1, 0),
            ("b2", IN, "X003", 1100, 1, 0),
            ("b3", IN, "X003", 1200, 1, 0),
            ("c1", IN, "X004", 1000, 1, 0),
            ("c2", IN, "X004", 1100, 1, 0),  # 2 on another route
            ("e1", "2022-01-01 00:00", "X005", 500, 1, 0),  # first minute of the window
            ("e2", IN, "X005", 600, 1, 0),
            ("e3", "2022-12-31 23:59", "X005", 700, 1, 0),
            ("f1", "2021-12-31 23:59", "X006", 500, 1, 0),  # a minute before the window
            ("f2", IN, "X006", 600, 1, 0),
            ("f3", IN, "X006", 700, 1, 0),
            ("f4", "2023-01-01 00:00", "X006", 650, 1, 0),  # after the as-of date
        ],
    )
    sites = hotspots.find_sites(store, AS_OF, RULE)
    assert ranges(sites) == [("X003", 1000, 1200), ("X005", 500, 700)]
    assert hotspots.find_sites(store, AS_OF, RULE.with_(days=364)).route_code.tolist() == ["X003"]


def test_alternative_conditions_and_measures(store):
    # city 3-year style: >=2 accidents with >=3 deaths each, or >=3 fatal, or >=5 一般程序
    rule = Params(
        "stake",
        1095,
        2000,
        conditions=(
            Condition("major_accidents", 2),
            Condition("fatal_accidents", 3),
            Condition("general_procedure_accidents", 5),
        ),
    )
    add(store, [("m1", IN, "X007", 0, 3, 0), ("m2", IN, "X007", 2000, 4, 1)])
    add(
        store,
        [
            (f"p{i}", IN, "X008", 100 * i, 0, 0, None, "990101", None, None, "一般程序")
            for i in range(5)
        ],
    )
    add(
        store,
        [
            (f"q{i}", IN, "X009", 100 * i, 0, 0, None, "990101", None, None, "一般程序")
            for i in range(4)
        ],
    )
    sites = hotspots.find_sites(store, AS_OF, rule)
    assert ranges(sites) == [("X007", 0, 2000), ("X008", 0, 400)]
    by = sites.set_index("route_code")
    # several conditions: ranked on the score (weights 12/3/1): X007 two fatal = 24, X008 5 × 1
    assert (by.loc["X007", "measure"], by.loc["X008", "measure"]) == (24, 5)
    assert by.loc["X007", "deaths"] == 7
    # severity-weighted score: fatal 10, injury 2, property 1 -> m1 10, m2 10 -> 20 >= 20
    score = Params("stake", 365, 2000, conditions=(Condition("score", 20),), weights=(10, 2, 1))
    assert ranges(hotspots.find_sites(store, AS_OF, score)) == [("X007", 0, 2000)]
    assert hotspots.find_sites(store, AS_OF, score.with_(window_m=1999)).empty


M_PER_DEG = 6371008.8 * 3.141592653589793 / 180  # along a meridian: 111,195.08 m a degree


def test_coordinates_mode_chains_qualifying_accidents(store):
    lon, lat0 = 100.1, 30.0
    # four injury accidents at one point qualify (>=4 within 50 m) ...
    add(store, [(f"k{i}", IN, None, None, 0, 1, "撞行人", "990101", lon, lat0) for i in range(4)])
    # ... and so does an injury accident 0.0004 deg (44.48 m) north: it sees the four + itself
    add(store, [("k4", IN, None, None, 0, 1, "撞行人", "990101", lon, lat0 + 0.0004)])
    # property-only 0.00044 deg (48.93 m) north of k4: a member; 0.00045 deg (50.04 m): not
    add(
        store,
        [
            ("k5", IN, None, None, 0, 0, None, "990101", lon, lat0 + 0.00084),
            ("k6", IN, None, None, 0, 0, None, "990101", lon, lat0 - 0.00045),
        ],
    )
    # a lone injury pair far away: not a site
    add(store, [(f"z{i}", IN, None, None, 0, 1, None, "990102", 100.05, 30.05) for i in range(3)])
    rule = hotspots.preset("uk_cluster_50m_3y")
    sites = hotspots.find_sites(store, AS_OF, rule)
    assert len(sites) == 1
    s = sites.iloc[0]
    assert (s.accidents, s.injuries, s.measure, s.radius_m, s.unit_name) == (6, 5, 5, 50.0, "东区")
    assert s.lat == pytest.approx(lat0 + (0.0004 + 0.00084) / 6)
    members = hotspots.site_accidents(store, AS_OF, rule)
    assert sorted(members.accident_id) == ["k0", "k1", "k2", "k3", "k4", "k5"]
    assert 0.00044 * M_PER_DEG < 50 < 0.00045 * M_PER_DEG  # the hand arithmetic above


def test_coordinate_figures_are_of_the_accidents_the_search_read(store, monkeypatch):
    """The search reads the accidents, then the members' figures are read again by rowid: an
    import committing in between (here: deleting a member) must not change what is counted."""
    add(store, [(f"k{i}", IN, None, None, 0, 1, None, "990101", 100.1, 30.0) for i in range(5)])
    writer, search = store.cursor(), hotspots.search.coord_sites

    def meanwhile(*args, **kwargs):  # ANN202
        found = search(*args, **kwargs)
        writer.execute("DELETE FROM accidents WHERE accident_id IN ('k0', 'k1')")
        return found

    monkeypatch.setattr(hotspots.search, "coord_sites", meanwhile)
    sites = hotspots.find_sites(store, AS_OF, hotspots.preset("uk_cluster_50m_3y"))
    assert sites[["accidents", "injuries", "loss_yuan"]].values.tolist() == [[5, 5, 500]]
    assert store.execute("SELECT count(*) FROM accidents").fetchone() == (3,)  # and it happened


def test_the_figures_are_the_same_with_the_worker_and_without(store, monkeypatch):
    """_site_figures adds up in DuckDB on the worker while the caller counts the commonest
    values: the sites are those of one thread, on any machine."""
    add(
        store,
        [
            (f"k{i}", IN, "G1", 1000 + i, i % 2, 1, "撞行人", "990101", 100.1, 30.0)
            for i in range(5)
        ],
    )
    add(
        store, [(f"m{i}", IN, "G1", 1100, 0, 1, "追尾", "990102", 100.1, 30.0001) for i in range(2)]
    )
    rules = (
        hotspots.preset("uk_cluster_50m_3y"),
        Params("stake", 365, 500, conditions=(Condition("injury_or_fatal_accidents", 3),)),
    )
    monkeypatch.setattr(workers, "_WORKER", ThreadPoolExecutor(1, workers._NAME))
    both = [hotspots.find_sites(store, AS_OF, rule) for rule in rules]
    monkeypatch.setattr(workers, "_WORKER", None)
    one = [hotspots.find_sites(store, AS_OF, rule) for rule in rules]
    for a, b in zip(both, one, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert [len(a) for a in both] == [1, 1]
    assert both[0][["accidents", "top_collision_type", "unit_adcode"]].values.tolist() == [
        [7, "撞行人", "990101"]
    ]


def test_coverage_by_a_hazard_on_the_list_and_putting_a_site_on_the_list(store):
    add(store, [(f"v{i}", IN, "X010", 1000 + 100 * i, 1, 0, "翻车") for i in range(3)])
    add(store, [(f"w{i}", IN, "X011", 5000 + 100 * i, 1, 0, "翻车") for i in range(3)])
    store.execute(
        "INSERT INTO hazards (hazard_id, unit_adcode, state, route_code, start_m, end_m)"
        " VALUES ('H1', '990101', '整改中', 'X010', 1200, 1900),"
        " ('H2', '990101', '已作废', 'X011', 5000, 5200)"  # voided: covers nothing
    )
    sites = hotspots.find_sites(store, AS_OF, RULE).set_index("route_code")
    assert sites.loc["X010", "covered_by"] == ["H1"]
    assert sites.loc["X011", "covered_by"] == []
    admin = auth.User("admin", "管理员", "admin", None, False)
    county = auth.User("east", "东区大队", "county", "990101", False)
    site = sites.reset_index().set_index("site_key").loc["X011:5000-5200"].to_dict()
    site["site_key"] = "X011:5000-5200"
    now = datetime(2023, 1, 3, 9, 0)
    with pytest.raises(auth.PermissionDenied):
        hotspots.put_on_list(store, county, site, RULE, now)
    hid = hotspots.put_on_list(store, admin, site, RULE, now, token="site-1")
    with pytest.raises(workflow.DuplicateSubmission):  # a double click, the site as first seen
        hotspots.put_on_list(store, admin, site, RULE, now, token="site-1")
    row = store.execute(
        "SELECT state, source, hazard_type, route_code, start_m, end_m, unit_adcode, description"
        " FROM hazards WHERE hazard_id = ?",
        [hid],
    ).fetchone()
    assert row[:7] == ("待认定", "事故分析", "事故多发点段", "X011", 5000, 5200, "990101")
    assert "死亡事故3起" in row[7] and "500米/1年/≥3起死亡事故" in row[7]
    assert (
        store.execute("SELECT count(*) FROM hazard_events WHERE hazard_id = ?", [hid]).fetchone()[0]
        == 1
    )
    again = hotspots.find_sites(store, AS_OF, RULE).set_index("route_code")
    assert again.loc["X011", "covered_by"] == [hid]


def test_coverage_across_kilometres_and_stakes_in_either_order(store):
    """A hazard covers a site when their stakes overlap on the route, ends included, whatever
    kilometres each spans, however its stakes are written; each covering hazard once."""
    add(store, [(f"v{i}", IN, "X010", 1900 + 100 * i, 1, 0, "翻车") for i in range(3)])  # 1900-2100
    store.execute(
        "INSERT INTO hazards (hazard_id, unit_adcode, state, route_code, start_m, end_m) VALUES"
        " ('A', '990101', '整改中', 'X010', 900, 3100),"  # shares km 1 and 2 with the site
        " ('B', '990101', '整改中', 'X010', 2100, NULL),"  # a point at the site's last stake
        " ('C', '990101', '整改中', 'X010', 3000, 1400),"  # written backwards: 1400-3000
        " ('D', '990101', '已销号', 'X010', 1000, 1900),"  # closed, still on the list; touches
        " ('E', '990101', '整改中', 'X010', 2101, 2500),"  # one metre beyond
        " ('F', '990101', '整改中', 'X011', 1900, 2100),"  # another route
        " ('G', '990101', '整改中', 'X010', NULL, 2000)"  # an end without a start: no stretch
    )
    sites = hotspots.find_sites(store, AS_OF, RULE)
    assert sites[["site_key", "covered_by"]].values.tolist() == [
        ["X010:1900-2100", ["A", "B", "C", "D"]]
    ]


def test_site_changes_between_two_lists(store):
    add(store, [(f"v{i}", IN, "X010", 1000 + 100 * i, 1, 0) for i in range(3)])
    add(store, [(f"w{i}", "2021-06-01", "X011", 5000 + 100 * i, 1, 0) for i in range(3)])
    before = hotspots.find_sites(store, date(2021, 12, 31), RULE)
    now = hotspots.find_sites(store, AS_OF, RULE)
    new, gone = hotspots.site_changes(before, now)
    assert new.site_key.tolist() == ["X010:1000-1200"]
    assert gone.site_key.tolist() == ["X011:5000-5200"]


def test_coordinate_sites_match_within_the_larger_radius():
    def sites(*rows):  # ANN202
        return pd.DataFrame(
            [
                {
                    "site_key": k,
                    "mode": "coords",
                    "lon": 100.1,
                    "lat": lat,
                    "radius_m": r,
                    "route_code": None,
                    "start_m": None,
                    "end_m": None,
                }
                for k, lat, r in rows
            ]
        )

    # 0.0004 deg of latitude = 44.48 m; 0.0005 deg = 55.60 m
    before = sites(("p1", 30.0, 50.0), ("p2", 30.01, 50.0), ("p3", 30.02, 50.0))
    now = sites(("c1", 30.0004, 50.0), ("c2", 30.0105, 50.0), ("c3", 30.0205, 60.0))
    new, gone = hotspots.site_changes(before, now)
    assert new.site_key.tolist() == ["c2"]  # 55.6 m from p2, both radii 50 m
    assert gone.site_key.tolist() == ["p2"]  # c3 matches p3: 55.6 m is within its 60 m


def test_rules_describe_themselves_and_reject_nonsense():
    assert hotspots.preset("point_500m_1y").describe() == "桩号法·500米/1年/≥3起死亡事故"
    assert hotspots.preset("uk_cluster_50m_3y").describe() == "坐标聚类法·半径50米/3年/≥4起伤亡事故"
    with pytest.raises(ValueError, match="未知的统计口径"):
        Params(conditions=(Condition("bananas", 1),))
    with pytest.raises(ValueError, match="未知的预设口径"):
        hotspots.preset("nope")


def test_equal_measures_rank_by_deaths_then_accidents(store):
    add(store, [(f"r{i}", IN, "X010", 100, 1, 0) for i in range(3)])  # 3 fatal, 3 deaths
    add(
        store,
        [
            ("s0", IN, "X011", 100, 2, 0),
            ("s1", IN, "X011", 100, 1, 0),
            ("s2", IN, "X011", 100, 1, 0),
        ],
    )  # 3 fatal, 4 deaths
    add(
        store,
        [(f"u{i}", IN, "X012", 100, 1, 0) for i in range(3)] + [("u3", IN, "X012", 100, 0, 1)],
    )  # 3 fatal, 3 deaths, 4 accidents
    sites = hotspots.find_sites(store, AS_OF, RULE)
    assert list(zip(sites.route_code, sites["rank"], strict=True)) == [
        ("X011", 1),
        ("X012", 2),
        ("X010", 3),
    ]


def test_the_commonest_values_tie_to_the_smallest_as_text_and_skip_missing_ones(store, monkeypatch):
    add(
        store,
        [
            ("b1", "2022-03-01 09:00", "X003", 1000, 1, 0, "翻车", "990101"),
            ("b2", "2022-03-02 10:00", "X003", 1100, 1, 0, "侧面相撞", "990102"),
            ("b3", "2022-04-01 09:30", "X003", 1200, 1, 0, None, "990102"),
            ("b4", "2022-04-02 10:30", "X003", 1300, 1, 0, None, "990101"),
            ("c1", "2022-07-01 08:00", "X004", 500, 1, 0, None, None),
            ("c2", "2022-07-02 08:10", "X004", 600, 1, 0, None, None),
            ("c3", "2022-08-03 08:20", "X004", 700, 1, 0, None, None),
        ],
    )
    sites = hotspots.find_sites(store, AS_OF, RULE).sort_values("site_key", ignore_index=True)
    assert ranges(sites) == [("X003", 1000, 1300), ("X004", 500, 700)]
    figures = ["top_collision_type", "peak_hour", "peak_month", "unit_adcode", "road_name"]
    # X003: 翻车 and 侧面相撞 once each (侧 U+4FA7 before 翻 U+7FFB); hours 9 and 10 twice
    # each ("10" before "9" as text); months 3 and 4 twice each; units 990101 and 990102 twice
    # each. X004: no collision type and no unit at all.
    shown = sites[figures].astype(object)
    assert shown.where(shown.notna(), None).values.tolist() == [
        ["侧面相撞", 10, 3, "990101", "X003路"],
        [None, 8, 7, None, "X004路"],
    ]
    assert sites["unit_name"].tolist()[1] == "未归属单位"
    monkeypatch.setattr(hotspots, "_DENSE_CELLS", 0)  # the counting for many sites × values
    pd.testing.assert_frame_equal(
        hotspots.find_sites(store, AS_OF, RULE).sort_values("site_key", ignore_index=True), sites
    )


def test_equal_scores_from_fractional_weights_tie_and_fall_to_deaths(store):
    # weights 0.7 / 0.2 / 0.1: one fatal and six injury accidents (0.7 + 6 × 0.2) score 1.9, and so
    # do nineteen property-only ones (19 × 0.1), though adding the floats gives 1.9000000000000004
    rule = Params("stake", 365, 500, conditions=(Condition("score", 1),), weights=(0.7, 0.2, 0.1))
    add(store, [("f1", IN, "X010", 1000, 1, 0)])
    add(store, [(f"i{i}", IN, "X010", 1000, 0, 1) for i in range(6)])
    add(store, [(f"p{i}", IN, "X011", 1000, 0, 0) for i in range(19)])
    sites = hotspots.find_sites(store, AS_OF, rule)
    assert sites["site_key"].tolist() == ["X010:1000-1000", "X011:1000-1000"]
    assert sites["score"].tolist() == [1.9, 1.9]
    assert sites["rank"].tolist() == [1, 2]  # the same score: more deaths ranks first
