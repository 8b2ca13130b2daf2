"""Tests for the demo city (analytics/demo*.py): determinism, the story figures, consistency.

Expected values come from docs/methods.md and analytics/demo/build.py's docstring and
are recomputed here with SQL or pandas, never with the generator's own helpers.
"""

from __future__ import annotations

import bisect
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from analytics import city as city_mod
from analytics import geo
from analytics.demo import build as demo
from analytics.ledger import vocabulary as ledger
from analytics.store import db

STORY_DATE = date(2022, 9, 15)
D = "DATE '2022-09-15'"
LISTED_AT_D = (
    f"state <> '待认定' AND coalesce(listed_date, found_date) <= {D}"
    f" AND (voided_date IS NULL OR voided_date > {D})"
)
COUNTIES = ("341202", "341203", "341204", "341221", "341222", "341225", "341226", "341282")
ACTIVE_STATES = (ledger.ASSIGNED, ledger.RECTIFYING, ledger.SIGNOFF_REQUESTED, ledger.CLOSED)

# table -> ORDER BY used when comparing two database files
TABLE_ORDER = {
    "units": "adcode",
    "routes": "route_code",
    "road_segments": "segment_id",
    "hazards": "hazard_id",
    "hazard_events": "hazard_id, event_at, event_id",
    "accidents": "accident_id",
    "upgrade_projects": "project_id",
    "dataset": "key",
}


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def con(demo_db_path: Path):
    conn = db.connect(demo_db_path, read_only=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def seed7(fuyang: city_mod.City) -> demo.DemoData:
    return demo.generate(fuyang, 7)


def _rows(conn, sql: str, params: list | None = None) -> list[dict]:
    cur = conn.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _one(conn, sql: str):
    return conn.execute(sql).fetchone()


def _table(conn, table: str) -> pd.DataFrame:
    cur = conn.execute(f"SELECT * FROM {table} ORDER BY {TABLE_ORDER[table]}")  # noqa: S608
    names = [d[0] for d in cur.description]
    return pd.DataFrame(cur.fetchall(), columns=names)


def _dates(frame: pd.DataFrame, *cols: str) -> pd.DataFrame:
    out = frame.copy()
    for c in cols:
        out[c] = pd.to_datetime(out[c])
    return out


# --- 1. determinism ----------------------------------------------------------------------------


def test_generate_is_deterministic(fuyang):
    a, b = demo.generate(fuyang, 2022), demo.generate(fuyang, 2022)
    for name in ("routes", "segments", "hazards", "events", "accidents", "projects"):
        left, right = getattr(a, name), getattr(b, name)
        assert len(left) > 0, name
        pd.testing.assert_frame_equal(left, right, obj=name)
    assert a.facts == b.facts


def test_create_database_is_deterministic(fuyang, tmp_path):
    p1 = demo.create_database(tmp_path / "one.duckdb", fuyang, 7)
    p2 = demo.create_database(tmp_path / "two.duckdb", fuyang, 7)
    assert p1 != p2
    c1, c2 = db.connect(p1, read_only=True), db.connect(p2, read_only=True)
    try:
        for table in TABLE_ORDER:
            t1, t2 = _table(c1, table), _table(c2, table)
            assert len(t1) > 0, table
            pd.testing.assert_frame_equal(t1, t2, obj=table)
        assert dict(c1.execute("SELECT key, value FROM dataset").fetchall())["demo_seed"] == "7"
    finally:
        c1.close()
        c2.close()


def test_different_seed_gives_different_hazards(fuyang, seed7):
    base = demo.generate(fuyang, 2022)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(base.hazards, seed7.hazards)
    # not only cosmetic: the dates of the ledger differ
    assert list(base.hazards["found_date"]) != list(seed7.hazards["found_date"])
    assert not base.accidents.equals(seed7.accidents)


# --- 2. the story figures as of 2022-09-15 -----------------------------------------------------


def test_story_listed_and_closed_on_story_date(con):
    listed, closed = _one(
        con,
        f"SELECT count(*), count(*) FILTER (WHERE closed_date <= {D})"  # noqa: S608
        f" FROM hazards WHERE {LISTED_AT_D}",
    )
    assert listed == 172
    assert closed == 85


def test_story_figures_hold_for_seed_7(seed7):
    h = _dates(seed7.hazards, "found_date", "listed_date", "closed_date", "voided_date")
    d = pd.Timestamp(STORY_DATE)
    first = h["listed_date"].fillna(h["found_date"])
    listed = (first <= d) & (h["voided_date"].isna() | (h["voided_date"] > d))
    closed = listed & (h["closed_date"] <= d)
    assert int(listed.sum()) == 172
    assert int(closed.sum()) == 85


def test_every_county_listed_with_different_rates(con):
    rows = con.execute(
        f"SELECT unit_adcode, count(*),"  # noqa: S608
        f" count(*) FILTER (WHERE closed_date <= {D})"
        f" FROM hazards WHERE {LISTED_AT_D} GROUP BY unit_adcode"
    ).fetchall()
    by_unit = {u: (n, c) for u, n, c in rows}
    assert set(by_unit) == set(COUNTIES)
    assert all(n > 0 for n, _ in by_unit.values())
    rates = [c / n for n, c in by_unit.values()]
    assert max(rates) - min(rates) >= 0.3


def test_some_hazards_overdue_on_story_date(con):
    (overdue,) = _one(
        con,
        f"SELECT count(*) FROM hazards WHERE {LISTED_AT_D}"  # noqa: S608
        f" AND (closed_date IS NULL OR closed_date > {D}) AND deadline < {D}",
    )
    assert overdue > 0


# --- 3. G105 K867–K877 in 2017 -----------------------------------------------------------------


def test_g105_2017_stretch(con, seed7):
    n, deaths = _one(
        con,
        "SELECT count(*), sum(deaths) FROM accidents WHERE route_code = 'G105'"
        " AND year(occurred_at) = 2017 AND stake_m BETWEEN 867000 AND 877000",
    )
    assert (n, deaths) == (48, 14)
    a = seed7.accidents
    sel = a[
        (a["route_code"] == "G105")
        & (pd.to_datetime(a["occurred_at"]).dt.year == 2017)
        & a["stake_m"].between(867_000, 877_000)
    ]
    assert (len(sel), int(sel["deaths"].sum())) == (48, 14)


# --- 4. upgrade projects -----------------------------------------------------------------------


def test_upgrade_project_totals(con):
    km, funds = _one(con, "SELECT sum(km), sum(funds_wan) FROM upgrade_projects")
    assert isinstance(km, Decimal) and isinstance(funds, Decimal)
    assert km == Decimal("547.795")
    assert funds == Decimal("7854.00")
    units = {
        u for (u,) in con.execute("SELECT DISTINCT unit_adcode FROM upgrade_projects").fetchall()
    }
    assert set(COUNTIES) <= units


# --- 5. coverage of the vocabulary -------------------------------------------------------------


def test_vocabulary_covered_by_listed_hazards(con):
    listed = _rows(
        con,
        "SELECT hazard_type, risk_grade, supervision_level FROM hazards"
        " WHERE listed_date IS NOT NULL",
    )
    assert {r["hazard_type"] for r in listed} == set(ledger.HAZARD_TYPES)
    assert {r["risk_grade"] for r in listed} == set(ledger.RISK_GRADES)
    assert {r["supervision_level"] for r in listed} == set(ledger.SUPERVISION_LEVELS)
    states = {s for (s,) in con.execute("SELECT DISTINCT state FROM hazards").fetchall()}
    assert states <= set(ledger.STATES)


def test_assigned_hazards_have_five_elements(con):
    rows = _rows(
        con,
        "SELECT * FROM hazards WHERE state IN (?, ?, ?, ?)",
        list(ACTIVE_STATES),
    )
    assert rows
    assert {r["state"] for r in rows} == set(ACTIVE_STATES)
    missing = {r["hazard_id"]: ledger.missing_elements(r) for r in rows}
    assert {k: v for k, v in missing.items() if v} == {}


def test_closed_hazards_have_acceptance(con):
    rows = _rows(con, "SELECT * FROM hazards WHERE state = ?", [ledger.CLOSED])
    assert rows
    for r in rows:
        assert r["accepted_by"], r["hazard_id"]
        assert r["accepted_date"] is not None, r["hazard_id"]
        assert r["closed_date"] is not None, r["hazard_id"]


# --- 6. event history agrees with the hazard's dates -------------------------------------------


def test_event_history_agrees_with_dates(con):
    hazards = {r["hazard_id"]: r for r in _rows(con, "SELECT * FROM hazards")}
    events: dict[str, list[dict]] = {}
    for e in _rows(con, "SELECT * FROM hazard_events ORDER BY hazard_id, event_at, event_id"):
        events.setdefault(e["hazard_id"], []).append(e)
    assert set(events) == set(hazards)
    problems: list[str] = []
    for hid, h in hazards.items():
        evs = events[hid]
        by_id = sorted(evs, key=lambda e: e["event_id"])
        times = [e["event_at"] for e in by_id]
        if times != sorted(times):
            problems.append(f"{hid}: event times decrease")
        state = None
        for e in evs:
            if e["from_state"] != state:
                problems.append(f"{hid}: {e['action']} from_state {e['from_state']} != {state}")
            try:
                state = ledger.next_state(e["action"], state)
            except ValueError:
                problems.append(f"{hid}: {e['action']} not allowed from {state}")
                break
            if e["to_state"] != state:
                problems.append(f"{hid}: {e['action']} to_state {e['to_state']} != {state}")
        if state != h["state"]:
            problems.append(f"{hid}: replay gives {state}, column says {h['state']}")

        def dates_of(action: str, evs: list[dict] = evs) -> list[date]:
            return [e["event_at"].date() for e in evs if e["action"] == action]

        expected = {
            "发现": [h["found_date"]],
            "入单": [h["listed_date"]] if h["listed_date"] else [],
            "销号": [h["closed_date"]] if h["closed_date"] else [],
            "作废": [h["voided_date"]] if h["voided_date"] else [],
        }
        for action, want in expected.items():
            if dates_of(action) != want:
                problems.append(f"{hid}: {action} dates {dates_of(action)} != {want}")
        chain = [h["found_date"], h["listed_date"], h["closed_date"]]
        present = [x for x in chain if x is not None]
        if present != sorted(present) or h["found_date"] is None:
            problems.append(f"{hid}: found/listed/closed out of order {chain}")
        if h["voided_date"] is not None and h["listed_date"] is not None:
            if h["voided_date"] < h["listed_date"]:
                problems.append(f"{hid}: voided before listed")
    assert problems == []


# --- 7. routes and geometry --------------------------------------------------------------------


def test_routes_and_g105_span(con):
    (n,) = _one(con, "SELECT count(*) FROM routes")
    assert 15 <= n <= 25
    start, end = _one(con, "SELECT start_m, end_m FROM routes WHERE route_code = 'G105'")
    assert start <= 867_000 and end >= 877_000
    assert 840_000 <= start <= 860_000
    assert 910_000 <= end <= 930_000


def test_segments_lie_inside_fuyang(con, fuyang):
    features = city_mod.boundaries(fuyang)["features"]
    assert len(features) == 8
    outside: list[tuple] = []
    rows = _rows(con, "SELECT segment_id, unit_adcode, path FROM road_segments")
    assert rows
    for r in rows:
        assert r["unit_adcode"] is not None, r["segment_id"]
        assert r["unit_adcode"] in COUNTIES, r["segment_id"]
        for lon, lat in r["path"]:
            if geo.locate_unit(lon, lat, features, key="unit_code") is None:
                outside.append((r["segment_id"], lon, lat))
    assert outside == []


def test_segments_tile_each_route(con):
    routes = {r["route_code"]: r for r in _rows(con, "SELECT * FROM routes")}
    segs = _rows(con, "SELECT route_code, start_m, end_m FROM road_segments ORDER BY 1, 2")
    by_route: dict[str, list[dict]] = {}
    for s in segs:
        by_route.setdefault(s["route_code"], []).append(s)
    assert set(by_route) == set(routes)
    for code, pieces in by_route.items():
        assert pieces[0]["start_m"] == routes[code]["start_m"], code
        assert pieces[-1]["end_m"] == routes[code]["end_m"], code
        for a, b in zip(pieces, pieces[1:], strict=False):
            assert a["end_m"] == b["start_m"], code


def test_accidents_lie_on_their_route(con):
    segs: dict[str, list[dict]] = {}
    for s in _rows(con, "SELECT route_code, start_m, end_m, path FROM road_segments ORDER BY 1, 2"):
        segs.setdefault(s["route_code"], []).append(s)
    starts = {code: [s["start_m"] for s in pieces] for code, pieces in segs.items()}
    far: list[tuple] = []
    rows = con.execute(
        "SELECT accident_id, route_code, stake_m, lon, lat FROM accidents"
    ).fetchall()
    assert rows
    for aid, code, stake, lon, lat in rows:
        pieces = segs[code]
        assert pieces[0]["start_m"] <= stake <= pieces[-1]["end_m"], aid
        seg = pieces[max(0, bisect.bisect_right(starts[code], stake) - 1)]
        x, y = geo.point_at(seg["path"], stake - seg["start_m"])
        d = geo.haversine_m(lon, lat, x, y)
        if d > 5:
            far.append((aid, code, stake, round(d, 1)))
    assert far == []


# --- 8. accident realism -----------------------------------------------------------------------


def test_accident_realism(con):
    a = con.execute("SELECT occurred_at, deaths, severity, procedure FROM accidents").df()
    assert 3000 <= len(a) <= 12000
    t = pd.to_datetime(a["occurred_at"])
    assert set(t.dt.year) == set(range(2017, 2023))
    fatal = a["severity"] == "死亡事故"
    assert 0.01 <= fatal.mean() <= 0.08
    assert (fatal == (a["deaths"] > 0)).all()
    assert (a.loc[fatal, "procedure"] == "一般程序").all()
    assert set(a["severity"]) <= {"财产损失事故", "伤人事故", "死亡事故"}
    assert set(a["procedure"]) <= {"简易程序", "一般程序"}
    assert (a["procedure"] == "简易程序").mean() > 0.60
    months = Counter(t.dt.month)
    assert months[1] > months[6]
    hours = Counter(t.dt.hour)
    assert hours[17] + hours[18] > hours[2] + hours[3]


# --- 9. accidents cluster at hazards until they are closed -------------------------------------


def test_accidents_thin_out_after_hazard_closed(con):
    hazards = _rows(
        con,
        "SELECT hazard_id, route_code, start_m, closed_date FROM hazards"
        " WHERE closed_date IS NOT NULL AND route_code IS NOT NULL"
        " AND year(closed_date) = 2022",
    )
    assert len(hazards) >= 20
    acc = con.execute("SELECT route_code, stake_m, occurred_at FROM accidents").df()
    acc["day"] = pd.to_datetime(acc["occurred_at"]).dt.normalize()
    first, last = pd.Timestamp(2017, 1, 1), pd.Timestamp(2022, 12, 31)
    n_before = n_after = days_before = days_after = 0
    for h in hazards:
        close = pd.Timestamp(h["closed_date"])
        near = acc[
            (acc["route_code"] == h["route_code"]) & ((acc["stake_m"] - h["start_m"]).abs() <= 300)
        ]
        n_before += int(((near["day"] >= first) & (near["day"] < close)).sum())
        n_after += int(((near["day"] > close) & (near["day"] <= last)).sum())
        days_before += (close - first).days
        days_after += (last - close).days
    assert days_after > 0 and n_before > 0
    assert n_before / days_before > 2 * (n_after / days_after)


def test_every_accident_and_hazard_lies_in_its_own_unit(con, fuyang):
    features = city_mod.boundaries(fuyang)["features"]
    for table in ("accidents", "hazards"):
        frame = con.execute(f"SELECT unit_adcode, lon, lat FROM {table}").df()  # noqa: S608
        found = geo.locate_units(frame.lon.to_numpy(), frame.lat.to_numpy(), features, "unit_code")
        wrong = [(u, f) for u, f in zip(frame.unit_adcode, found, strict=True) if u != f]
        assert wrong == [], f"{table}: {len(wrong)} records outside their unit, e.g. {wrong[:3]}"
