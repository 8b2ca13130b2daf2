"""The kilometre join (analytics/accidents/stake_join.py) finds exactly the pairs the plain range
join finds, each once: ranges on both sides of a kilometre mark, touching at a mark, reversed,
negative, and much longer than a kilometre."""

from __future__ import annotations

import duckdb

from analytics.accidents import stake_join

RANGES = [  # (id, route, lo, hi)
    (1, "G1", 0, 999),
    (2, "G1", 999, 1000),  # across the first mark
    (3, "G1", 1000, 1000),  # a point at the mark
    (4, "G1", 5200, 2300),  # reversed
    (5, "G1", -1500, -10),  # before the route's zero
    (6, "G1", 0, 12_000),  # twelve kilometres
    (7, "G2", 0, 999),  # another route
]
POINTS = [  # (id, route, stake)
    (10, "G1", 0),
    (11, "G1", 999),
    (12, "G1", 1000),
    (13, "G1", 2300),
    (14, "G1", 5201),
    (15, "G1", -10),
    (16, "G1", -1500),
    (17, "G1", -1501),
    (18, "G2", 500),
    (19, "G3", 500),
    (20, "G1", 12_000),
]


def _conn() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("CREATE TABLE r (id INTEGER, route_code VARCHAR, lo INTEGER, hi INTEGER)")
    conn.execute("CREATE TABLE p (id INTEGER, route_code VARCHAR, stake INTEGER)")
    conn.executemany("INSERT INTO r VALUES (?, ?, ?, ?)", RANGES)
    conn.executemany("INSERT INTO p VALUES (?, ?, ?)", POINTS)
    return conn


def test_points_in_ranges_are_the_plain_joins_pairs() -> None:
    conn = _conn()
    got = conn.execute(
        f"SELECT r.id, p.id FROM ({stake_join.by_kilometre('SELECT * FROM r', 'lo', 'hi')}) AS r"  # noqa: S608
        f" INNER JOIN ({stake_join.at_kilometre('SELECT * FROM p', 'stake')}) AS p"
        " ON p.route_code = r.route_code AND p.km = r.km"
        " AND p.stake BETWEEN least(r.lo, r.hi) AND greatest(r.lo, r.hi) ORDER BY ALL"
    ).fetchall()
    expected = sorted(
        (rid, pid)
        for rid, route, lo, hi in RANGES
        for pid, p_route, stake in POINTS
        if route == p_route and min(lo, hi) <= stake <= max(lo, hi)
    )
    assert got == expected
    assert (6, 20) in got and (5, 16) in got and (5, 17) not in got  # worked by hand


def test_overlapping_ranges_are_paired_once() -> None:
    conn = _conn()
    by_km = stake_join.by_kilometre("SELECT * FROM r", "lo", "hi")
    got = conn.execute(
        f"SELECT a.id, b.id FROM ({by_km}) AS a INNER JOIN ({by_km}) AS b"  # noqa: S608
        " ON a.route_code = b.route_code AND a.km = b.km AND "
        + stake_join.once("a", "b")
        + " AND least(a.lo, a.hi) <= greatest(b.lo, b.hi)"
        " AND greatest(a.lo, a.hi) >= least(b.lo, b.hi) ORDER BY ALL"
    ).fetchall()
    expected = sorted(
        (i, j)
        for i, ra, alo, ahi in RANGES
        for j, rb, blo, bhi in RANGES
        if ra == rb and min(alo, ahi) <= max(blo, bhi) and max(alo, ahi) >= min(blo, bhi)
    )
    assert got == expected  # each pair once: no duplicates from the kilometres both touch
    assert (6, 4) in got and (1, 3) not in got and (2, 3) in got


def test_fractional_stakes_join_as_the_plain_join_does() -> None:
    """Stakes of a DOUBLE column (999.6 rounds up into the next kilometre on both sides)."""
    conn = duckdb.connect()
    conn.execute(
        "CREATE TABLE r AS SELECT * FROM (VALUES (1, 'G1', 0.0, 999.7)) t(id, route_code, lo, hi)"
    )
    conn.execute(
        "CREATE TABLE p AS SELECT * FROM (VALUES (10, 'G1', 999.6), (11, 'G1', 999.8), (12, 'G1', -0.4))"
        " t(id, route_code, stake)"
    )
    got = conn.execute(
        f"SELECT r.id, p.id FROM ({stake_join.by_kilometre('SELECT * FROM r', 'lo', 'hi')}) AS r"  # noqa: S608
        f" INNER JOIN ({stake_join.at_kilometre('SELECT * FROM p', 'stake')}) AS p"
        " ON p.route_code = r.route_code AND p.km = r.km"
        " AND p.stake BETWEEN r.lo AND r.hi ORDER BY ALL"
    ).fetchall()
    assert got == [(1, 10)]
