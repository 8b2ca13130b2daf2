"""analytics/accidents/search.py agrees exactly with literal brute force (tests/accidents/hotspot_brute.py)
on random data and, in coordinates mode, on the real accident files in ../shared/data/real/."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import geo, workers
from analytics.accidents import search
from tests.accidents import hotspot_brute as brute

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"


def _as_sites(found: search.CoordSites) -> list:
    out = []
    for k in range(found.count):
        members = found.members[found.members[:, 0] == k, 1].tolist()
        qualifying = found.qualifying[found.qualifying[:, 0] == k, 1].tolist()
        out.append((sorted(members), sorted(qualifying)))
    return sorted(out)


@pytest.mark.parametrize("seed", range(40))
def test_stake_windows_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    route = rng.integers(0, 3, n)
    stake = rng.integers(0, 4000, n)
    if seed % 2:
        stake = stake // 250 * 250  # many accidents on the same stake and on window ends
    fatal = rng.integers(0, 2, n).astype(float)
    deaths = fatal * rng.integers(1, 4, n)
    window = int(rng.choice([0, 100, 250, 500, 1000]))
    conditions = [(0, 3.0), (1, 4.0)] if seed % 3 else [(0, 2.0)]
    values = np.vstack([fatal, deaths])
    got = search.stake_sites(
        route, stake, values[[c for c, _ in conditions]], [t for _, t in conditions], window
    )
    rows = [(int(route[i]), int(stake[i]), fatal[i], deaths[i]) for i in range(n)]
    assert sorted(
        zip(got.route.tolist(), got.start_m.tolist(), got.end_m.tolist(), strict=True)
    ) == (brute.stake_sites(rows, conditions, window))


@pytest.fixture(params=["one thread", "two threads"])
def threads(request, monkeypatch):  # ANN201
    """Every coordinate search once as it runs on small inputs, once split between the two
    threads of a large one (from a single point searched from on)."""
    if request.param == "two threads":
        pool = ThreadPoolExecutor(1, workers._NAME)
        monkeypatch.setattr(search, "_PARALLEL_FROM", 1)
        monkeypatch.setattr(workers, "_WORKER", pool)
        yield request.param
        pool.shutdown(wait=False)
    else:
        monkeypatch.setattr(search, "_PARALLEL_FROM", 10**12)
        yield request.param


@pytest.mark.parametrize("seed", range(25))
def test_coordinate_clusters_match_brute_force(seed, threads):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(1, 90))
    lon = 115.8 + rng.random(n) * 0.008
    lat = 32.9 + rng.random(n) * 0.008
    if seed % 2:
        lon, lat = np.round(lon, 4), np.round(lat, 4)  # duplicates and exact grid spacings
    injury = rng.integers(0, 2, n).astype(float)
    radius = float(rng.choice([30, 50, 120, 250]))
    got = _as_sites(search.coord_sites(lon, lat, injury, [3.0], radius))
    points = [(lon[i], lat[i], injury[i]) for i in range(n)]
    assert got == brute.coord_sites(points, [(0, 3.0)], radius)


def _nyc() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = pd.read_csv(
        REAL / "nyc-collisions-11234" / "Motor_Vehicle_Collisions_-_Crashes_zip11234.csv",
        usecols=["LATITUDE", "LONGITUDE", "NUMBER OF PERSONS INJURED"],
    )
    f = f.dropna()
    f = f[(f.LATITUDE != 0) & (f.LONGITUDE != 0)]
    return f.LONGITUDE.to_numpy(), f.LATITUDE.to_numpy(), (f.iloc[:, 2] > 0).to_numpy(float)


def _saopaulo() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = pd.read_csv(
        REAL / "saopaulo-cet-accidents" / "ocorrencias-transito-pmsp-2014.csv",
        usecols=["WKT"],
        dtype=str,
        encoding="latin-1",
    )
    xy = f.WKT.str.extract(r"POINT \((\S+) (\S+)\)").astype(float).dropna()
    return xy[0].to_numpy(), xy[1].to_numpy(), np.ones(len(xy))


def _taiwan() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    f = pd.read_csv(REAL / "taiwan-npa-a1-2018h1" / "NPA_TMA1_2018H1.csv", encoding="utf-8-sig")
    lon, lat = f["經度"].to_numpy(float), f["緯度"].to_numpy(float)
    swapped = lon < lat  # the file has one row with longitude and latitude swapped
    lon, lat = np.where(swapped, lat, lon), np.where(swapped, lon, lat)
    return lon, lat, np.ones(len(f))


@pytest.mark.skipif(not REAL.exists(), reason="../shared/data/real is not beside the checkout")
@pytest.mark.parametrize(
    ("load", "threshold", "radius"),
    [
        (_nyc, 4.0, 50.0),
        (_nyc, 10.0, 150.0),
        (_saopaulo, 3.0, 50.0),
        (_taiwan, 2.0, 2000.0),
    ],
)
def test_real_accident_files_match_brute_force(load, threshold, radius, threads):
    lon, lat, values = load()
    if len(lon) > 6000:  # the brute force is quadratic; a deterministic sample keeps it quick
        keep = np.random.default_rng(7).choice(len(lon), 6000, replace=False)
        lon, lat, values = lon[keep], lat[keep], values[keep]
    got = _as_sites(search.coord_sites(lon, lat, values, [threshold], radius))
    expected = brute.coord_sites_rows(lon, lat, values, threshold, radius)
    assert got == expected
    assert len(expected) > 0  # the comparison is about real sites, not two empty lists


@pytest.mark.parametrize("seed", range(4))
def test_pairs_between_two_sets_match_brute_force(seed, threads):
    rng = np.random.default_rng(seed)
    # a sparse set against a clustered one, some points shared exactly, near one latitude
    lon_a, lat_a = 115.8 + rng.random(300) * 0.02, 32.9 + rng.random(300) * 0.02
    centres = rng.integers(0, 300, 40)
    lon_b = np.concatenate((lon_a[centres], lon_a[centres] + rng.normal(0, 3e-4, 40)))
    lat_b = np.concatenate((lat_a[centres], lat_a[centres] + rng.normal(0, 3e-4, 40)))
    radius = 50.0
    found = search.pairs_between(lon_a, lat_a, lon_b, lat_b, radius)
    expected = {
        (i, j)
        for i in range(len(lon_a))
        for j in range(len(lon_b))
        if geo.haversine_m(lon_a[i], lat_a[i], lon_b[j], lat_b[j]) <= radius
    }
    assert {(int(i), int(j)) for i, j in found} == expected
    assert len(found) == len(expected) >= 80  # no pair twice; every shared point is a pair


def test_pairs_between_an_empty_set_and_another_are_none():
    some = np.array([115.8, 115.8001]), np.array([32.9, 32.9])
    nothing = np.empty(0), np.empty(0)
    for a, b in ((some, nothing), (nothing, some), (nothing, nothing)):
        found = search.pairs_between(*a, *b, 50.0)
        assert found.shape == (0, 2)
    assert sorted(search.pairs_between(*some, *some, 50.0).tolist()) == [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
    ]


@pytest.mark.parametrize("radius", [5.0, 50.0, 5000.0])
@pytest.mark.parametrize("lat0", [0.0, 32.9, 61.0, 80.0])
def test_pairs_a_hair_either_side_of_the_radius_are_decided_as_the_haversine_decides(radius, lat0):
    """The search skips the sines where a cheaper bound settles a pair; at distances within a
    hair of R the decision must still be exactly that of geo.haversine_m_array with R."""
    rng = np.random.default_rng(int(radius) + int(lat0))
    n = 400
    lon_a = 115.8 + rng.random(n) * 0.5
    lat_a = lat0 + rng.random(n) * 0.5
    bearing = rng.random(n) * 2 * np.pi
    step = np.degrees(radius / geo.EARTH_RADIUS_M)
    d_lat, d_lon = step * np.cos(bearing), step * np.sin(bearing) / np.cos(np.radians(lat_a))
    for _ in range(3):  # scale each offset until the point lies at R, to rounding
        d = geo.haversine_m_array(lon_a, lat_a, lon_a + d_lon, lat_a + d_lat)
        d_lat, d_lon = d_lat * radius / d, d_lon * radius / d
    hair = rng.choice([-1e-7, -1e-9, -1e-11, 0.0, 1e-11, 1e-9, 1e-7], n)
    lon_b, lat_b = lon_a + d_lon * (1 + hair), lat_a + d_lat * (1 + hair)
    found = {(int(i), int(j)) for i, j in search.pairs_between(lon_a, lat_a, lon_b, lat_b, radius)}
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    within = geo.haversine_m_array(lon_a[i], lat_a[i], lon_b[j], lat_b[j]) <= radius
    expected = {(int(a), int(b)) for a, b in zip(*np.nonzero(within), strict=True)}
    assert found == expected
    on_edge = geo.haversine_m_array(lon_a, lat_a, lon_b, lat_b)
    assert (on_edge <= radius).sum() > 50 and (on_edge > radius).sum() > 50  # both sides tried


def test_sorting_by_cell_keeps_ties_in_index_order_with_keys_of_any_size():
    rng = np.random.default_rng(3)
    for key in (rng.integers(0, 50, 1000), rng.integers(0, 2**61, 1000) // 7 * 7):
        order, in_order = search._sort_by(key)
        assert order.tolist() == np.argsort(key, kind="stable").tolist()
        assert in_order.tolist() == np.sort(key).tolist()
    empty = search._sort_by(np.empty(0, dtype=np.int64))
    assert len(empty[0]) == len(empty[1]) == 0


@pytest.mark.parametrize("seed", range(6))
def test_components_label_each_node_with_the_smallest_node_it_is_linked_to(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    m = int(rng.integers(0, 2 * n))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    if seed == 0:  # one long chain given from its far end: the most rounds of hooking
        a, b = np.arange(n - 1, 0, -1), np.arange(n - 2, -1, -1)
    parent = list(range(n))  # a literal union-find

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = root(x), root(y)
        parent[max(rx, ry)] = min(rx, ry)
    expected = [root(x) for x in range(n)]
    assert search._components(n, a, b).tolist() == expected


@pytest.mark.parametrize("radius", [2_000_000.0, 9_000_000.0])
def test_radii_of_thousands_of_kilometres_are_decided_as_the_haversine_decides(radius):
    rng = np.random.default_rng(int(radius) % 1000)
    lon_a, lat_a = rng.uniform(-170, 170, 60), rng.uniform(-60, 60, 60)
    lon_b, lat_b = rng.uniform(-170, 170, 60), rng.uniform(-60, 60, 60)
    found = {(int(i), int(j)) for i, j in search.pairs_between(lon_a, lat_a, lon_b, lat_b, radius)}
    i, j = np.meshgrid(np.arange(60), np.arange(60), indexing="ij")
    within = geo.haversine_m_array(lon_a[i], lat_a[i], lon_b[j], lat_b[j]) <= radius
    assert found == {(int(a), int(b)) for a, b in zip(*np.nonzero(within), strict=True)}
    assert 0 < len(found) < 3600


def test_latitudes_beyond_the_pole_are_decided_as_the_haversine_decides():
    """Not a place (imports refuse them), but the search is a function of any numbers: a cosine
    below zero must not let the cheap bound keep a pair the haversine puts beyond R."""
    lon_a, lat_a, lon_b, lat_b = (
        np.array([0.0]),
        np.array([89.5]),
        np.array([50.0]),
        np.array([90.5]),
    )
    d = float(geo.haversine_m_array(lon_a, lat_a, lon_b, lat_b)[0])
    for radius in (d * (1 - 1e-3), d * (1 + 1e-3)):
        found = search.pairs_between(lon_a, lat_a, lon_b, lat_b, radius).tolist()
        assert found == ([[0, 0]] if d <= radius else [])


def test_the_two_threads_split_the_search_and_find_what_one_finds(monkeypatch):
    """A clustered sample split as a province is, into the columns west and east of its middle
    point: both threads build a grid and search from their own half in both passes, and the
    sites are exactly those of one grid."""
    rng = np.random.default_rng(11)
    centres = rng.uniform((115.0, 32.0), (116.0, 33.0), (400, 2))
    xy = centres[rng.integers(0, 400, 120_000)] + rng.normal(0, 4e-4, (120_000, 2))
    values = (rng.random(120_000) < 0.3).astype(float)
    parts, threads = [], set()
    pairs = search._Grid.pairs

    def counted(self, chosen):
        parts.append(int(chosen[self.index[self.own]].sum()))
        threads.add(threading.current_thread().name)
        return pairs(self, chosen)

    monkeypatch.setattr(search._Grid, "pairs", counted)
    monkeypatch.setattr(workers, "_WORKER", ThreadPoolExecutor(1, workers._NAME))
    monkeypatch.setattr(search, "_PARALLEL_FROM", 10_000)
    split = search.coord_sites(xy[:, 0], xy[:, 1], values, [4.0], 50.0)
    assert len(parts) == 4 and min(parts) > 10_000  # both passes, each in two halves
    assert parts[0] + parts[1] == int(values.sum())  # every counting accident searched once
    assert len(threads) == 2  # side by side: the worker and the calling thread
    monkeypatch.setattr(search, "_PARALLEL_FROM", 10**12)
    single = search.coord_sites(xy[:, 0], xy[:, 1], values, [4.0], 50.0)
    assert split.count == single.count > 100
    assert np.array_equal(split.members, single.members)
    assert np.array_equal(split.qualifying, single.qualifying)


def test_the_middle_column_is_that_of_the_middle_point_counted_or_partitioned():
    """The split between the two grids: the column of the point in the middle by column, as
    np.partition gives it, whether counted by column or (columns far more than points) not."""
    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(1, 40))
        wide = int(rng.choice([3, 50, 10**6]))  # (10**6 columns: more than 4 × n)
        cx = rng.integers(1, wide, n)
        assert search._middle(cx) == int(np.partition(cx, n // 2)[n // 2])
