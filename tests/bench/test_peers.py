"""The benchmark's peers (bench/peers.py, bench/postgis_peer.py) give the product's answers on
hand-made data whose sites are worked out by hand below."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

from analytics.accidents import search
from bench import baseline, peers, postgis_peer

# --- stake windows: L = 500 m, ≥ 3 fatal accidents (v = 1 fatal, 0 not) --------------------
# G1: the window from 100 ([100, 600]: 100, 300, 600) and from 300 ([300, 800]: 300, 600, 650)
#     qualify and overlap: one site from 100 to its last fatal accident, 650. 600, 650 and 1500
#     open windows with 2, 1 and 2 fatal accidents; 200 and 700 are not fatal.
# G2: [1000, 1500] (1000, 1200, 1500) and [1500, 2000] (1500, 1800, 2000) touch at 1500: one
#     site 1000–2000; [5000, 5500] (5000, 5200, 5200) is a site of its own, 5000–5200.
STAKES = [
    ("G1", 100, 1),
    ("G1", 200, 0),
    ("G1", 300, 1),
    ("G1", 600, 1),
    ("G1", 650, 1),
    ("G1", 700, 0),
    ("G1", 1500, 1),
    ("G1", 1600, 1),
    ("G2", 1000, 1),
    ("G2", 1100, 0),
    ("G2", 1200, 1),
    ("G2", 1500, 1),
    ("G2", 1800, 1),
    ("G2", 2000, 1),
    ("G2", 5000, 1),
    ("G2", 5200, 1),
    ("G2", 5200, 1),
]
STAKE_SITES = [("G1", 100, 650), ("G2", 1000, 2000), ("G2", 5000, 5200)]


def test_the_product_finds_the_hand_worked_stake_sites():
    route, _, v = zip(*STAKES, strict=True)
    codes, names = pd.factorize(pd.Series(route))
    found = search.stake_sites(codes, [s for _, s, _ in STAKES], [v], [3], 500)
    got = list(zip(names[found.route], found.start_m.tolist(), found.end_m.tolist(), strict=True))
    assert got == STAKE_SITES


def test_duckdb_sql_and_polars_find_the_same_stake_sites():
    frame = pd.DataFrame(STAKES, columns=["route_code", "stake_m", "v"])
    conn = duckdb.connect()
    assert peers.stake_sql(conn, conn.from_df(frame), 500, 3) == STAKE_SITES
    assert peers.stake_polars(pl.from_pandas(frame), 500, 3) == STAKE_SITES


# --- ranking: as of 2022-03-31 -----------------------------------------------------------
# A: h1 listed and closed, h2 listed by its found date, h3 closes after the date: 1 of 3.
# B: h4 closed; h5 待认定, h6 voided, h7 listed after the date do not count: 1 of 1.
# C: h8 closed: 1 of 1. Ranks ("min", 整改率 descending): B and C 1, A 3.
HAZARDS = [
    ("h1", "A", "已销号", "2022-01-01", "2022-01-02", "2022-02-01", None),
    ("h2", "A", "整改中", "2022-01-05", None, None, None),
    ("h3", "A", "已销号", "2022-02-01", "2022-02-01", "2022-04-10", None),
    ("h4", "B", "已销号", "2022-01-10", "2022-01-10", "2022-03-01", None),
    ("h5", "B", "待认定", "2022-03-01", None, None, None),
    ("h6", "B", "整改中", "2022-02-01", "2022-02-01", None, "2022-03-15"),
    ("h7", "B", "整改中", "2022-04-02", "2022-04-02", None, None),
    ("h8", "C", "已销号", "2022-01-01", "2022-01-01", "2022-01-20", None),
]
RANKING = [("B", 1, 1, 1.0, 1), ("C", 1, 1, 1.0, 1), ("A", 3, 1, 1 / 3, 3)]


def test_polars_ranks_the_units_as_the_pandas_baseline():
    cols = ["hazard_id", "unit_adcode", "state", "found_date", "listed_date"]
    cols += ["closed_date", "voided_date"]
    frame = pd.DataFrame(HAZARDS, columns=cols)
    for c in cols[3:]:
        frame[c] = pd.to_datetime(frame[c])
    by_pd = baseline.unit_ranking(frame, date(2022, 3, 31)).reset_index()
    by_pl = peers.ranking_polars(pl.from_pandas(frame), date(2022, 3, 31))
    for got in (by_pd, by_pl.to_pandas()):
        rows = got[["unit_adcode", "listed", "closed", "rate", "rank"]].itertuples(index=False)
        assert sorted(tuple(r) for r in rows) == sorted(RANKING)


# --- coordinate clusters: R = 50 m, ≥ 3 injury accidents (h), points on the parallel 30° N ----
# x is metres east. P0, P1, P2 (x 0, 20, 40) each see all three: they qualify. P3 (85, h 0)
# sees P2 and P4 at 45 m: 2, no. P4, P5, P6 (130, 150, 170) qualify; P2–P4 is 90 m: two sites,
# and P3, within 50 m of both, is a member of both. P7 (400, h 0) sees P8 (370), P9 (430) and
# P10 (445): 3, so it qualifies although it is no injury accident; P8 sees only P7, P9 and P10
# see each other and P7: 2 — the site is P7 with its neighbours. P11 (1000) is alone.
X = [0, 20, 40, 85, 130, 150, 170, 400, 370, 430, 445, 1000]
H = [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1]
COORD_SITES = [(0, 1, 2, 3), (3, 4, 5, 6), (7, 8, 9, 10)]
LAT = np.full(len(X), 30.0)
LON = 120.0 + np.degrees(np.array(X, dtype=float) / (6371008.8 * math.cos(math.radians(30))))


def test_the_product_finds_the_hand_worked_coordinate_sites():
    found = search.coord_sites(LON, LAT, [H], [3], 50.0)
    assert postgis_peer.member_sets(found.members[:, 0], found.members[:, 1]) == COORD_SITES


@pytest.fixture
def postgis_url(pg_server):  # ANN001, ANN201
    return postgis_peer.new_database(pg_server)


def test_postgis_dbscan_finds_the_same_coordinate_sites(postgis_url):
    got = postgis_peer.clusters(postgis_url, LON, LAT, H, 3, 50.0)
    assert got.sites == COORD_SITES
    assert got.proven
    # the textbook call, DBSCAN(eps 50 m, minpoints 3) over the injury accidents: P0–P2 and
    # P4–P6 are its clusters; P7 is no injury accident, and P8–P10 have only 2 each in reach
    assert postgis_peer.plain_dbscan_count(postgis_url, 3, 50.0) == 2
