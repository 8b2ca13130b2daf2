"""analytics/accidents/placing.py gives, bit for bit, what geo.stake_subpath gives piece by piece
(the way sites were placed before: one Python call per site and segment)."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics import geo
from analytics.accidents import placing


def _store(segments: list[tuple]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute(
        "CREATE TABLE road_segments (segment_id VARCHAR, route_code VARCHAR, start_m INTEGER,"
        " end_m INTEGER, path DOUBLE[][])"
    )
    conn.executemany("INSERT INTO road_segments VALUES (?, ?, ?, ?, ?)", segments)
    return conn


def _one_by_one(segments: list[tuple], sites: pd.DataFrame) -> tuple[list, list, list]:
    """The literal way: each site's overlapping segments in stake order, stake_subpath each."""
    paths, lons, lats = [], [], []
    for row in sites.itertuples():
        path: list = []
        mid = (row.start_m + row.end_m) / 2
        point = None
        on = sorted(
            (s for s in segments if s[1] == row.route_code and s[2] <= row.end_m),
            key=lambda s: s[2],
        )
        for _, _, lo, hi, seg in (s for s in on if s[3] >= row.start_m):
            part = geo.stake_subpath(seg, lo, hi, max(row.start_m, lo), min(row.end_m, hi))
            path += part if not path or part[0] != path[-1] else part[1:]
            if point is None and lo <= mid <= hi:
                point = geo.stake_subpath(seg, lo, hi, mid, mid)[0]
        paths.append(path or None)
        lons.append(point[0] if point else row.mean_lon)
        lats.append(point[1] if point else row.mean_lat)
    return paths, lons, lats


def test_a_site_over_two_segments_by_hand():
    # a meridian: 1,000 stake metres drawn as 0.01° of latitude (1,111.95 m), then a bend east
    segments = [
        ("A-0", "A", 0, 1000, [[116.0, 30.0], [116.0, 30.01]]),
        ("A-1", "A", 1000, 2000, [[116.0, 30.01], [116.0, 30.02]]),
    ]
    sites = pd.DataFrame(
        {
            "site_no": [0, 1],
            "route_code": ["A", "B"],
            "start_m": [500, 0],
            "end_m": [1500, 10],
            "mean_lon": [0.0, 117.5],
            "mean_lat": [0.0, 31.5],
        }
    )
    placing.place_on_routes(_store(segments), sites)
    # the second piece starts where the first ends: that point once
    expected = [[116.0, 30.005], [116.0, 30.01], [116.0, 30.015]]
    np.testing.assert_allclose(sites["path"][0], expected, rtol=0, atol=1e-12)
    assert (sites["lon"][0], sites["lat"][0]) == pytest.approx((116.0, 30.01))
    assert sites["path"][1] is None  # route B is not drawn: the mean of its accidents
    assert (sites["lon"][1], sites["lat"][1]) == (117.5, 31.5)


@pytest.mark.parametrize("seed", range(30))
def test_every_piece_as_stake_subpath_gives_it(seed):
    rng = np.random.default_rng(seed)
    segments = []
    for r in "ABC":
        stake = 0
        for k in range(int(rng.integers(1, 6))):
            length = int(rng.choice([0, 300, 1000, 1000]))
            n = int(rng.integers(1, 6))
            lon = 116.0 + np.cumsum(rng.uniform(0, 0.004, n))
            lat = 30.0 + np.cumsum(rng.uniform(-0.004, 0.004, n))
            if n > 2 and seed % 2:
                lon[1], lat[1] = lon[0], lat[0]  # a vertex drawn twice: an edge of length 0
            path = np.column_stack((lon, lat)).round(6).tolist()
            segments.append((f"{r}-{k}", r, stake, stake + length, path))
            stake += length + int(rng.choice([0, 0, 50]))  # gaps between some segments
    m = int(rng.integers(1, 12))
    start = rng.integers(0, 4000, m)
    stake_choices = [s[2] for s in segments] + [s[3] for s in segments]
    start[::3] = rng.choice(stake_choices, len(start[::3]))  # sites beginning on segment ends
    sites = pd.DataFrame(
        {
            "site_no": np.arange(m) * 2 + 1,
            "route_code": rng.choice(list("ABCD"), m),
            "start_m": start,
            "end_m": start + rng.choice([0, 1, 250, 1000, 2500], m),
            "mean_lon": rng.uniform(115, 117, m),
            "mean_lat": rng.uniform(29, 31, m),
        }
    )
    paths, lons, lats = _one_by_one(segments, sites)
    placing.place_on_routes(_store(segments), sites)
    assert sites["path"].tolist() == paths
    assert sites["lon"].tolist() == lons
    assert sites["lat"].tolist() == lats
