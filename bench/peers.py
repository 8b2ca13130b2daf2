"""The strongest peers, side by side with the product in one run, their answers checked equal.

- Stake windows: the obvious SQL (DuckDB window functions, a RANGE frame over the stake of each
  route) and Polars (rolling windows grouped by route), computing the stake-mode sites of
  analytics/accidents/search.py's stake_sites for one condition: every counting accident at stake
  s opens [s, s + L]; a window reaching the threshold qualifies; qualifying windows of a route
  that overlap or touch merge; a site runs from its first to its last counting accident. Both
  peers first keep the counting accidents (measure > 0): the others add nothing to a window.
- Ranking and rates: Polars group-by beside the pandas baseline (bench/baseline.py): listed,
  closed, 整改率 and rank (method "min") per unit.
- Coordinate clusters: PostGIS ST_ClusterDBSCAN (bench/postgis_peer.py).

run() returns the figures and the mismatches (a list of lines; empty when every answer agreed).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl

from analytics.accidents import rules
from analytics.accidents import search as hotspot_search
from analytics.accidents import sites as hotspots
from analytics.ledger import metrics
from analytics.ledger.periods import Period
from analytics.store import db
from bench import baseline, pg_server, postgis_peer

# The peer's SQL over a view peer_stake(route_code, stake_m, v): one window per counting accident
# (RANGE: the frame starts at the first accident of the same stake), merged where a window starts
# at or before the end of the one before it on the route.
STAKE_SQL = """
WITH counting AS (
    SELECT route_code, stake_m, v FROM peer_stake WHERE v > 0
),
windows AS (
    SELECT
        route_code,
        stake_m AS s,
        sum(v) OVER reach AS total,
        max(stake_m) OVER reach AS last
    FROM counting
    WINDOW reach AS (
        PARTITION BY route_code ORDER BY stake_m
        RANGE BETWEEN CURRENT ROW AND $window_m FOLLOWING
    )
),
qualifying AS (
    SELECT
        route_code,
        s,
        last,
        s > lag(s) OVER (PARTITION BY route_code ORDER BY s) + $window_m AS starts_site
    FROM windows
    WHERE total >= $threshold
),
numbered AS (
    SELECT
        route_code,
        s,
        last,
        sum(CASE WHEN coalesce(starts_site, TRUE) THEN 1 ELSE 0 END)
            OVER (PARTITION BY route_code ORDER BY s ROWS UNBOUNDED PRECEDING) AS site
    FROM qualifying
)
SELECT route_code, min(s) AS start_m, max(last) AS end_m
FROM numbered
GROUP BY route_code, site
ORDER BY route_code, start_m
"""


def stake_sql(
    conn: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, window_m: int, threshold
) -> list[tuple[str, int, int]]:
    """Sites from a relation with columns route_code, stake_m, v (the condition's measure)."""
    conn.register("peer_stake", relation)  # a view on the connection (read-only files too)
    try:
        rows = conn.execute(STAKE_SQL, {"window_m": window_m, "threshold": threshold}).fetchall()
    finally:
        conn.unregister("peer_stake")
    return [(r, int(s), int(e)) for r, s, e in rows]


def stake_polars(
    frame: pl.DataFrame, window_m: int, threshold: float
) -> list[tuple[str, int, int]]:
    """The same sites from a Polars frame with columns route_code, stake_m, v."""
    counting = (
        frame.lazy()
        .filter(pl.col("v") > 0)
        .with_columns(pl.col("stake_m").cast(pl.Int64))
        .sort("route_code", "stake_m")
    )
    windows = counting.rolling(
        index_column="stake_m",
        period=f"{window_m + 1}i",  # (s - 1, s + L]: the integer stakes s .. s + L
        offset="-1i",
        closed="right",
        group_by="route_code",
    ).agg(pl.col("v").sum().alias("total"), pl.col("stake_m").max().alias("last"))
    sites = (
        windows.filter(pl.col("total") >= threshold)
        .unique(["route_code", "stake_m"])
        .sort("route_code", "stake_m")
        .with_columns(
            (
                (pl.col("stake_m") > pl.col("stake_m").shift(1).over("route_code") + window_m)
                .fill_null(True)
                .cum_sum()
                .over("route_code")
            ).alias("site")
        )
        .group_by("route_code", "site")
        .agg(pl.col("stake_m").min().alias("start_m"), pl.col("last").max().alias("end_m"))
        .sort("route_code", "start_m")
        .collect()
    )
    return list(zip(sites["route_code"], sites["start_m"], sites["end_m"], strict=True))


def ranking_polars(hazards: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """bench/baseline.py's unit_ranking written in Polars: listed, closed, rate, rank by unit."""
    listed_on = pl.col("listed_date").fill_null(pl.col("found_date"))
    voided = pl.col("voided_date").is_not_null() & (pl.col("voided_date") <= as_of)
    return (
        hazards.lazy()
        .filter((pl.col("state") != "待认定") & (listed_on <= as_of) & ~voided)
        .group_by("unit_adcode")
        .agg(
            pl.len().alias("listed"),
            (pl.col("closed_date").is_not_null() & (pl.col("closed_date") <= as_of))
            .sum()
            .alias("closed"),
        )
        .with_columns((pl.col("closed") / pl.col("listed")).alias("rate"))
        .with_columns(pl.col("rate").rank("min", descending=True).alias("rank"))
        .sort("rank", "unit_adcode")
        .collect()
    )


# --- the run -------------------------------------------------------------------------------


def _median(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    out = fn()  # warm-up, and the answer that is checked
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def _check(mismatches: list[str], what: str, ours, theirs) -> None:  # ANN001
    if ours != theirs:
        mismatches.append(f"MISMATCH {what}: ours {_size(ours)}, peer {_size(theirs)}")


def _size(x: object) -> str:
    return f"{len(x)} items" if hasattr(x, "__len__") else repr(x)


def run(path: Path, as_of: date, repeat: int) -> tuple[dict[str, float], list[str]]:
    conn = db.open_for_reading(path)
    out: dict[str, float] = {}
    bad: list[str] = []
    try:
        out |= _stake(conn, repeat, bad)
        out |= _ranking(conn, as_of, repeat, bad)
        out |= _coords(conn, repeat, bad)
    finally:
        conn.close()
    return out, bad


def _all_accidents(conn: duckdb.DuckDBPyConnection, params: rules.Params) -> tuple:
    ((first, last),) = conn.execute(
        "SELECT min(occurred_at)::DATE, max(occurred_at)::DATE FROM accidents"
    ).fetchall()
    params = params.with_(days=(last - first).days + 1)
    w_fatal, w_injury, w_property = params.weights
    args = {"start": first, "end": last, "unit": None, "w_fatal": w_fatal}
    return last, params, args | {"w_injury": w_injury, "w_property": w_property}


def _stake(conn: duckdb.DuckDBPyConnection, repeat: int, bad: list[str]) -> dict[str, float]:
    last, params, args = _all_accidents(conn, rules.preset("point_500m_1y"))
    (condition,) = params.conditions
    source = conn.sql(db.read_sql("hotspot_accidents"), params=args).filter(
        "route_code IS NOT NULL AND stake_m IS NOT NULL"
    )
    relation = source.select(f"route_code, stake_m, {condition.measure} AS v")
    rows = relation.fetchnumpy()
    n = len(rows["v"])
    route, names = pd.factorize(rows["route_code"])
    what = f"peers: stake windows over {n:,} accidents"

    def product_search() -> list[tuple[str, int, int]]:
        found = hotspot_search.stake_sites(
            route, rows["stake_m"], rows["v"], [condition.threshold], params.window_m
        )
        return [
            (names[r], s, e)
            for r, s, e in zip(
                found.route.tolist(), found.start_m.tolist(), found.end_m.tolist(), strict=True
            )
        ]

    t_search, ours = _median(product_search, repeat)
    t_sites, sites = _median(lambda: hotspots.find_sites(conn, last, params), repeat)
    whole = list(zip(sites.route_code, sites.start_m, sites.end_m, strict=True))
    _check(bad, f"{what}: find_sites vs the search", sorted(ours), sorted(whole))
    t_sql, by_sql = _median(
        lambda: stake_sql(conn, relation, params.window_m, condition.threshold), repeat
    )
    _check(bad, f"{what}: DuckDB SQL", sorted(ours), sorted(by_sql))
    t = time.perf_counter()
    frame = pl.from_arrow(relation.to_arrow_table())
    t_read = (time.perf_counter() - t) * 1000
    t_pl, by_pl = _median(lambda: stake_polars(frame, params.window_m, condition.threshold), repeat)
    _check(bad, f"{what}: Polars", sorted(ours), sorted(by_pl))
    return {
        f"{what} ({len(ours)} sites): product search, arrays in memory (ms)": t_search,
        f"{what}: product find_sites, from the database with site figures (ms)": t_sites,
        f"{what}: DuckDB SQL RANGE windows, from the database (ms)": t_sql,
        f"{what}: Polars reading the frame from DuckDB (ms)": t_read,
        f"{what}: Polars rolling windows, frame in memory (ms)": t_pl,
        f"{what}: DuckDB SQL / product search (x)": t_sql / t_search,
        f"{what}: Polars / product search (x)": t_pl / t_search,
    }


def _ranking(
    conn: duckdb.DuckDBPyConnection, as_of: date, repeat: int, bad: list[str]
) -> dict[str, float]:
    hazards = conn.execute("SELECT * FROM hazards").df()
    t = time.perf_counter()
    frame = pl.from_arrow(conn.sql("SELECT * FROM hazards").to_arrow_table())
    t_read = (time.perf_counter() - t) * 1000
    month = Period.ending(as_of, "month")
    t_ours, ours = _median(lambda: metrics.unit_ranking(conn, month, 15), repeat)
    t_pd, by_pd = _median(lambda: baseline.unit_ranking(hazards, as_of), repeat)
    t_pl, by_pl = _median(lambda: ranking_polars(frame, as_of), repeat)

    def rows(f: pd.DataFrame, rank: bool) -> list[tuple]:
        ranks = f["rank"] if rank else [0] * len(f)
        return sorted(
            (u, int(n), int(c), round(float(r), 12), int(k))
            for u, n, c, r, k in zip(
                f["unit_adcode"], f["listed"], f["closed"], f["rate"], ranks, strict=True
            )
        )

    # listed, closed and 整改率 equal the product's; the rank of the two baselines (整改率 alone,
    # method "min") is checked between them (the product breaks ties by 按期整改率, then overdue)
    ours_rows = rows(ours.dropna(subset=["rank"]), rank=False)
    pd_rows, pl_rows = rows(by_pd.reset_index(), True), rows(by_pl.to_pandas(), True)
    _check(bad, "peers: ranking, pandas baseline", ours_rows, [(*r[:4], 0) for r in pd_rows])
    _check(bad, "peers: ranking, Polars vs pandas", pd_rows, pl_rows)
    what = f"peers: metrics by unit with ranking ({len(ours_rows)} units)"
    return {
        f"{what}: product (ms)": t_ours,
        f"{what}: pandas baseline, frame in memory (ms)": t_pd,
        f"{what}: Polars reading the hazards from DuckDB (ms)": t_read,
        f"{what}: Polars group-by, frame in memory (ms)": t_pl,
        f"{what}: pandas / product (x)": t_pd / t_ours,
        f"{what}: Polars / product (x)": t_pl / t_ours,
    }


def _coords(conn: duckdb.DuckDBPyConnection, repeat: int, bad: list[str]) -> dict[str, float]:
    if not pg_server.available():
        print("(PostgreSQL 15 not installed: the PostGIS peer is skipped)")
        return {}
    last, params, args = _all_accidents(conn, rules.preset("uk_cluster_50m_3y"))
    (condition,) = params.conditions
    rows = (
        conn.sql(db.read_sql("hotspot_accidents"), params=args)
        .filter("lon IS NOT NULL AND lat IS NOT NULL")
        .select(f"lon, lat, {condition.measure} AS v")
        .fetchnumpy()
    )
    lon, lat, v, r = rows["lon"], rows["lat"], rows["v"], params.radius_m

    def product() -> list[tuple[int, ...]]:
        found = hotspot_search.coord_sites(lon, lat, v, [condition.threshold], r)
        return postgis_peer.member_sets(found.members[:, 0], found.members[:, 1])

    t_ours, ours = _median(product, repeat)
    server, folder = pg_server.start()
    try:
        url = postgis_peer.new_database(server)
        runs = [
            postgis_peer.clusters(url, lon, lat, v, condition.threshold, r)
            for _ in range(max(repeat, 1))
        ]
        plain = postgis_peer.plain_dbscan_count(url, condition.threshold, r)
    finally:
        pg_server.stop(folder)
    peer = runs[0]
    what = f"peers: coordinate clusters over {len(lon):,} accidents"
    _check(bad, f"{what}: PostGIS member sets", ours, peer.sites)
    if not peer.proven:
        bad.append(f"MISMATCH {what}: the DBSCAN chaining at R and R*k_max disagree")
    load = statistics.median(x.load_ms for x in runs)
    cluster = statistics.median(x.cluster_ms for x in runs)
    return {
        f"{what} ({len(ours)} sites): product coord_sites, arrays in memory (ms)": t_ours,
        f"{what}: PostGIS load (ingest, project, index) (ms)": load,
        f"{what}: PostGIS qualify + ST_ClusterDBSCAN + members (ms)": cluster,
        f"{what}: PostGIS cluster / product (x)": cluster / t_ours,
        f"{what}: plain ST_ClusterDBSCAN(R, minpoints) clusters (count)": plain,
    }
