"""Accident-prone points and segments (事故多发点段) from the accident records.

find_sites(conn, as_of, params) loads the accidents of the rule's time window (the as-of date and
the T − 1 days before it) from DuckDB, finds the sites (analytics/accidents/search.py for stakes and
coordinates, analytics/accidents/hsm.py for the Highway Safety Manual methods), then computes every site's
figures (its accidents joined once in DuckDB, which adds them up; their commonest values counted in
numpy) and whether a hazard on the list already covers it. The rules and presets are in
analytics/accidents/rules.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics import access, geo, workers
from analytics.accidents import hsm, placing, search, stake_join
from analytics.accidents.rules import MEASURES, MODES, PRESETS, STAKE_LIKE, Params, preset
from analytics.accounts.auth import User
from analytics.bulk import bulk
from analytics.ledger import vocabulary as ledger
from analytics.ledger import workflow
from analytics.store.db import arrow, read_sql, snapshot

__all__ = ["MEASURES", "MODES", "PRESETS", "Params", "find_sites", "preset", "site_changes"]

COLUMNS = [
    "site_key",
    "mode",
    "route_code",
    "road_name",
    "start_m",
    "end_m",
    "lon",
    "lat",
    "radius_m",
    "path",
    "unit_adcode",
    "unit_name",
    "accidents",
    "fatal_accidents",
    "deaths",
    "injuries",
    "loss_yuan",
    "score",
    "measure",
    "top_collision_type",
    "peak_hour",
    "peak_month",
    "rank",
    "covered_by",
]
SOURCE = "事故分析"
T = TypeVar("T")
U = TypeVar("U")


def _window(as_of: date, params: Params, unit: str | None) -> dict[str, object]:
    w_fatal, w_injury, w_property = params.weights
    return {
        "start": as_of - timedelta(days=params.days - 1),
        "end": as_of,
        "unit": unit,
        "w_fatal": w_fatal,
        "w_injury": w_injury,
        "w_property": w_property,
    }


def _accidents(conn: duckdb.DuckDBPyConnection, args: dict, where: str, cols: str) -> pa.Table:
    sql = f"SELECT {cols} FROM ({read_sql('hotspot_accidents')}) WHERE {where}"  # fixed text  # noqa: S608
    return arrow(conn, sql, args)


def _measures(rows: dict, params: Params) -> tuple[np.ndarray, list[float]]:
    values = np.vstack([np.asarray(rows[c.measure], dtype=np.float64) for c in params.conditions])
    return values, [c.threshold for c in params.conditions]


# --- finding the sites -----------------------------------------------------------------------


def _stake_ranges(conn: duckdb.DuckDBPyConnection, args: dict, params: Params) -> pd.DataFrame:
    """(route_code, start_m, end_m) of every site of a stake-like rule."""
    measure_cols = ", ".join(dict.fromkeys(c.measure for c in params.conditions))
    sql = (
        f"SELECT route_code, stake_m, {measure_cols} FROM ({read_sql('hotspot_accidents')})"  # fixed text  # noqa: S608
        " WHERE route_code IS NOT NULL AND stake_m IS NOT NULL"
    )
    if params.mode != "sliding":  # (sliding also places its windows by the other accidents)
        # an accident adding 0 to every measure changes no window's sums: only the counting
        # accidents (often a few percent of the rows) leave the database to be sorted
        sql += f" AND ({' OR '.join(f'{c} <> 0' for c in measure_cols.split(', '))})"
    table = arrow(conn, sql, args)  # (measured: 3× faster than the two-query way)
    codes_enc = table.column("route_code").combine_chunks().dictionary_encode()
    codes = codes_enc.dictionary.to_pylist()  # one query: routes as small integers
    route = codes_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    stake = table.column("stake_m").to_numpy().astype(np.int64)
    rows = {c: table.column(c).to_numpy() for c in measure_cols.split(", ")}
    values, thresholds = _measures(rows, params)
    if params.mode == "stake":
        found = search.stake_sites(route, stake, values, thresholds, params.window_m)
        r, start, end = found.route, found.start_m, found.end_m
    elif params.mode == "sliding":
        found = list(_sliding(conn, codes, route, stake, values[0], thresholds[0], params))
        r, start, end = (np.array([f[k] for f in found], dtype=np.int64) for k in range(3))
    else:
        r, start, end = _peaks(conn, codes, route, stake, values[0], thresholds[0], params)
    return pd.DataFrame(
        {
            "route_code": np.array(codes, dtype=object)[r] if len(codes) else [],
            "start_m": np.asarray(start, dtype=np.int64),
            "end_m": np.asarray(end, dtype=np.int64),
        }
    )


def _sliding(conn, codes, route, stake, values, threshold, params):  # ANN202
    """Each route's worst window (HSM sliding window) when it reaches the threshold: the first
    of the windows with the highest sum (hsm.sliding_window), all of a route's windows at once."""
    extent = dict(conn.execute("SELECT route_code, [start_m, end_m] FROM routes").fetchall())
    order = np.lexsort((stake, route))  # stable: by stake within a route, ties as loaded
    route, stake, values = route[order], stake[order], values[order]
    bounds = np.searchsorted(route, np.arange(len(codes) + 1))
    for r, code in enumerate(codes):
        s = stake[bounds[r] : bounds[r + 1]]
        cum = np.concatenate(([0.0], np.cumsum(values[bounds[r] : bounds[r + 1]])))
        if not len(s) or cum[-1] <= 0:
            continue
        lo, hi = extent.get(code) or [None, None]
        lo = int(s[0]) if lo is None else min(int(lo), int(s[0]))
        hi = int(s[-1]) if hi is None else max(int(hi), int(s[-1]))
        win = hsm.window_bounds(lo, hi, params.window_m, params.step_m)
        sums = (
            cum[np.searchsorted(s, win[:, 1], side="right")]
            - cum[np.searchsorted(s, win[:, 0], side="left")]
        )
        best = int(np.argmax(sums))  # the first of equals
        if float(sums[best]) >= threshold:
            yield r, round(win[best, 0]), round(win[best, 1])


def _peaks(conn, codes, route, stake, values, threshold, params):  # ANN202
    """Each road segment's peak window (HSM peak searching) when it reaches the threshold, as
    arrays (route index, start, end).
    CV of a window = sqrt(sum of squared values) / sum of values (Poisson counts)."""
    drawn = conn.execute(
        "SELECT route_code, start_m, end_m FROM road_segments WHERE end_m > start_m"
    ).fetchnumpy()
    r = pd.Index(codes).get_indexer(np.asarray(drawn["route_code"], dtype=object))
    on = r >= 0  # segments of routes with accidents
    if not on.any() or not len(stake):
        return (np.empty(0, dtype=np.int64),) * 3
    r = r[on].astype(np.int64)
    lo = np.asarray(drawn["start_m"], dtype=np.int64)[on]
    hi = np.asarray(drawn["end_m"], dtype=np.int64)[on]
    span = int(max(stake.max(), hi.max())) + 1  # keys of two routes never share a window
    found = search.peak_windows(
        route * span + stake,
        values,
        r * span + lo,
        r * span + hi,
        first=params.window_m,
        growth=params.step_m,
        cv_limit=params.cv_limit,
    )
    i = np.flatnonzero((found.value > 0) & (found.value >= threshold))
    return r[i], found.start[i] - r[i] * span, found.end[i] - r[i] * span


# which windowed accidents belong to which stake-like site: on the route within the site's
# stakes (site_ranges: site_no, route_code, start_m, end_m; joined by kilometre, stake_join.py)
_IN_RANGE = f"""
SELECT s.site_no, w.* EXCLUDE (km) FROM (
    {stake_join.by_kilometre("SELECT site_no, route_code, start_m, end_m FROM site_ranges", "start_m", "end_m")}
) AS s
INNER JOIN ({stake_join.at_kilometre("SELECT * FROM windowed", "stake_m")}) AS w
    ON w.route_code = s.route_code AND w.km = s.km
    AND w.stake_m BETWEEN s.start_m AND s.end_m"""  # fixed text  # noqa: S608


def _stake_members(conn: duckdb.DuckDBPyConnection, args: dict, ranges: pd.DataFrame):
    conn.register("site_ranges", ranges[["site_no", "route_code", "start_m", "end_m"]])
    try:
        return conn.execute(
            f"WITH windowed AS ({read_sql('hotspot_accidents')})\n"  # fixed text
            f"SELECT site_no, accident_id FROM ({_IN_RANGE})",
            args,
        ).df()
    finally:
        conn.unregister("site_ranges")


# each member's values whose commonest per site is a figure: (the column, the figure)
_COMMONEST = {
    "collision_type": "top_collision_type",
    "hour(occurred_at)": "peak_hour",
    "month(occurred_at)": "peak_month",
    "unit_adcode": "unit_adcode",
    "road_name": "road_name",
}
_SUMMED = (
    "fatal_accidents, deaths, injuries, loss_yuan, score, injury_or_fatal_accidents,"
    " major_accidents, general_procedure_accidents, lon, lat"
)  # what hotspot_site_figures.sql adds up
# a member's columns behind its site's figures, as hotspot_site_figures.sql and _site_figures take them
_MEMBER_COLUMNS = ", ".join([_SUMMED, *(f"{c} AS c{i}" for i, c in enumerate(_COMMONEST))])


def _coord_search(
    conn: duckdb.DuckDBPyConnection, args: dict, params: Params, column: str
) -> tuple[pa.Table, search.CoordSites]:
    """The windowed accidents with coordinates (lon, lat, the measures and column) and the sites
    found among them; a member's accident index is its row in that table."""
    names = list(dict.fromkeys(["lon", "lat", *(c.measure for c in params.conditions), column]))
    table = _accidents(conn, args, "lon IS NOT NULL AND lat IS NOT NULL", ", ".join(names))
    rows = {c: table.column(c).to_numpy() for c in names if c != column}
    values, thresholds = _measures(rows, params)
    found = search.coord_sites(rows["lon"], rows["lat"], values, thresholds, params.radius_m)
    return table, found


def _coord_members(conn: duckdb.DuckDBPyConnection, args: dict, params: Params) -> pd.DataFrame:
    """(site_no, accident_id, lon, lat) of every member of every site."""
    table, found = _coord_search(conn, args, params, "accident_id")
    return _listed(table, found, "accident_id")


def _listed(table: pa.Table, found: search.CoordSites, column: str) -> pd.DataFrame:
    """(site_no, column, lon, lat) of every member, from the table the search read."""
    k = pa.array(found.members[:, 1])
    key = table.column(column).take(k).combine_chunks()
    text = pa.types.is_string(key.type)  # (ids stay in Arrow: no Python strings)
    return pd.DataFrame(
        {
            "site_no": found.members[:, 0],
            column: pd.Series(pd.arrays.ArrowStringArray(key)) if text else key.to_numpy(),
            "lon": table.column("lon").take(k).to_numpy(),
            "lat": table.column("lat").take(k).to_numpy(),
        }
    )


def _coord_member_rows(
    conn: duckdb.DuckDBPyConnection, args: dict, params: Params
) -> tuple[pd.DataFrame, pa.Table]:
    """(site_no, lon, lat) of every member, and the members' rows for _site_figures: read
    again by their rowid (a join on integers), in the transaction of the search's own read."""
    with snapshot(conn):
        table, found = _coord_search(conn, args, params, "accident_row")
        members = _listed(table, found, "accident_row")
        conn.register("site_members", members[["site_no", "accident_row"]])
        try:
            rows = arrow(
                conn,
                f"WITH windowed AS ({read_sql('hotspot_accidents')})\n"  # fixed text
                f"SELECT m.site_no, {_MEMBER_COLUMNS} FROM site_members AS m\n"
                "INNER JOIN windowed AS w ON w.accident_row = m.accident_row",
                args,
            )
        finally:
            conn.unregister("site_members")
    return members[["site_no", "lon", "lat"]], rows


def _range_member_rows(
    conn: duckdb.DuckDBPyConnection, args: dict, ranges: pd.DataFrame
) -> pa.Table:
    """The members' rows for _site_figures of stake-like sites: ranges (site_no, route_code,
    start_m, end_m) joined with the windowed accidents."""
    conn.register("site_ranges", ranges[["site_no", "route_code", "start_m", "end_m"]])
    try:
        return arrow(
            conn,
            f"WITH windowed AS ({read_sql('hotspot_accidents')})\n"  # fixed text
            f"SELECT site_no, {_MEMBER_COLUMNS} FROM ({_IN_RANGE})",
            args,
        )
    finally:
        conn.unregister("site_ranges")


def _site_figures(
    conn: duckdb.DuckDBPyConnection,
    rows: pa.Table,
    beside: Callable[[], T],
    here: Callable[[], U] = lambda: None,
) -> tuple[pd.DataFrame, T, U]:
    """Each site's figures from its members' rows (site_no, then _MEMBER_COLUMNS), beside()
    and here(): the sums in DuckDB, then beside (the caller's further work on the connection),
    while the commonest values are counted in numpy and then here runs (work that needs no
    connection), side by side (workers.at_once)."""
    of_site = rows.column("site_no").to_numpy().astype(np.int64)
    site_nos = np.flatnonzero(np.bincount(of_site))  # the sites, in order (numbers are small)
    row_of = np.zeros(len(site_nos) and int(site_nos[-1]) + 1, dtype=np.int64)
    row_of[site_nos] = np.arange(len(site_nos))
    of_member = row_of[of_site]

    def summed() -> pd.DataFrame:
        conn.register("site_member_rows", rows)
        try:
            return conn.execute(
                "WITH members AS (SELECT * FROM site_member_rows)\n"  # fixed text  # noqa: S608
                + read_sql("hotspot_site_figures")
            ).df()
        finally:
            conn.unregister("site_member_rows")

    def commonest() -> dict[str, object]:
        out = {}
        for i, figure in enumerate(_COMMONEST.values()):
            top = _commonest(len(site_nos), of_member, rows.column(f"c{i}"))
            if figure in ("peak_hour", "peak_month"):  # whole numbers, or NaN where any has none
                top = np.array([np.nan if v is None else v for v in top], dtype=np.float64)
                top = top if np.isnan(top).any() else top.astype(np.int32)
            out[figure] = top
        return out

    (sites, also), (tops, own) = workers.at_once(
        lambda: (summed(), beside()), lambda: (commonest(), here())
    )
    sites = sites.sort_values("site_no", ignore_index=True)
    assert np.array_equal(sites["site_no"].to_numpy(), site_nos)  # the same sites, in order
    for figure, top in tops.items():
        sites[figure] = top
    return sites, also, own


_DENSE_CELLS = 1 << 23  # (site, value) counts kept as one dense array up to this many


def _commonest(n: int, rows: np.ndarray, values: pa.ChunkedArray) -> list:
    """For each of n sites, the value of `values` (one per member; rows: the member's site,
    0 … n − 1) occurring most often among its members, ties to the smallest as text; None
    when the site's members have no value."""
    encoded = values.combine_chunks().dictionary_encode()
    words = encoded.dictionary.to_pylist()
    if not words:
        return [None] * n
    by_text = np.argsort(np.array([str(w) for w in words], dtype=object), kind="stable")
    rank = np.empty(len(words), dtype=np.int64)
    rank[by_text] = np.arange(len(words))  # a value's place in text order
    valid = encoded.indices.is_valid().to_numpy(zero_copy_only=False)
    code = rank[encoded.indices.fill_null(0).to_numpy()][valid]
    row = rows[valid]
    k = len(words)
    if n * k <= _DENSE_CELLS:  # a count for every (site, value)
        counts = np.bincount(row * k + code, minlength=n * k).reshape(n, k)
        best = counts.argmax(axis=1)  # the first of the largest counts: the smallest text
        found = counts[np.arange(n), best] > 0
    else:  # the (site, value) pairs that occur, by site, count (largest first), text
        pair, count = np.unique(row * k + code, return_counts=True)
        order = np.lexsort((pair % k, -count, pair // k))
        pair = pair[order]
        first = np.flatnonzero(np.r_[True, pair[1:] // k != pair[:-1] // k])
        best = np.zeros(n, dtype=np.int64)
        found = np.zeros(n, dtype=bool)
        best[pair[first] // k], found[pair[first] // k] = pair[first] % k, True
    picked = np.array(words, dtype=object)[by_text][best]
    return np.where(found, picked, None).tolist()


def find_sites(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    params: Params,
    *,
    unit_adcode: str | None = None,
    viewer: User | None = None,
) -> pd.DataFrame:
    """The accident-prone sites of one rule as of a date, ranked by Params.rank_measure, then
    deaths, then accidents (competition ranking 1, 2, 2, 4); columns COLUMNS. With a unit (a brigade viewer always
    has its own) only that unit's accidents count."""
    return _find(conn, as_of, params, access.row_scope(viewer, unit_adcode))[0][COLUMNS]


def site_accidents(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    params: Params,
    *,
    unit_adcode: str | None = None,
    viewer: User | None = None,
) -> pd.DataFrame:
    """Which accidents make up which site: (site_key, accident_id)."""
    args = _window(as_of, params, access.row_scope(viewer, unit_adcode))
    members, places = _members(conn, args, params)
    keys = dict(zip(places["site_no"], places["site_key"], strict=True))
    return pd.DataFrame(
        {"site_key": members["site_no"].map(keys), "accident_id": members["accident_id"]},
        dtype=object,
    )


def site_accident_list(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    params: Params,
    site_key: str,
    *,
    viewer: User | None = None,
) -> pd.DataFrame:
    """The accidents that make up one site, newest first, as the site's detail lists them."""
    members = site_accidents(conn, as_of, params, viewer=viewer)
    ids = members.loc[members["site_key"] == site_key, "accident_id"].tolist()
    return conn.execute(
        "SELECT accident_id, occurred_at, route_code, stake_m, lon, lat, deaths, injuries,"
        " collision_type, weather, severity, procedure FROM accidents"
        " WHERE list_contains(?, accident_id) ORDER BY occurred_at DESC, accident_id",
        [ids],
    ).df()


def _members(conn: duckdb.DuckDBPyConnection, args: dict, params: Params):
    """(which accident belongs to which site: site_no, accident_id[, lon, lat]; each site's
    site_no, site_key and place: route_code, start_m, end_m, or lon, lat)."""
    if params.mode in STAKE_LIKE:
        places = _stake_places(conn, args, params)
        return _stake_members(conn, args, places), places
    members = _coord_members(conn, args, params)
    return members, _coord_places(members)


def _coord_places(members: pd.DataFrame) -> pd.DataFrame:
    """Each coordinate site's site_no, centre (lon, lat: its members' mean) and site_key."""
    places = members.groupby("site_no", as_index=False)[["lon", "lat"]].mean()
    lon, lat = places["lon"].tolist(), places["lat"].tolist()  # (floats format faster than numpy's)
    places["site_key"] = [f"@{x:.5f},{y:.5f}" for x, y in zip(lon, lat, strict=True)]
    return places


def _stake_places(conn: duckdb.DuckDBPyConnection, args: dict, params: Params) -> pd.DataFrame:
    places = _stake_ranges(conn, args, params)
    places["site_no"] = np.arange(len(places))
    places["site_key"] = [
        f"{r}:{a}-{b}"
        for r, a, b in zip(
            places.route_code.tolist(),
            places.start_m.tolist(),
            places.end_m.tolist(),
            strict=True,
        )
    ]
    return places


@bulk()
def _find(conn: duckdb.DuckDBPyConnection, as_of: date, params: Params, unit: str | None):
    args = _window(as_of, params, unit)
    if params.mode in STAKE_LIKE:  # the figures join the ranges themselves: no member list
        members = places = _stake_places(conn, args, params)
        rows = None if places.empty else _range_member_rows(conn, args, places)
    else:
        members, rows = _coord_member_rows(conn, args, params)
        places = _coord_places(members)
    if members.empty:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in [*COLUMNS, "site_no"]})
        return empty, members
    # a stake site's place on its route: the query now, its arithmetic beside the figures'
    # queries (placing.place needs no connection; the figures give the fallback position)
    pieces = placing.pieces(conn, places) if params.mode in STAKE_LIKE else None
    sites, covered, placed = _site_figures(
        conn,
        rows,
        lambda: _coverage(conn, places, members, params),
        lambda: None if pieces is None else placing.place(places, pieces),
    )
    sites = sites.merge(places, on="site_no").sort_values("site_no", ignore_index=True)
    sites["mode"] = params.mode
    sites["measure"] = sites[params.rank_measure]
    if params.mode in STAKE_LIKE:
        sites["radius_m"] = None
        placing.put(sites, places, placed)
    else:
        sites[["route_code", "start_m", "end_m", "path"]] = None
        sites["radius_m"] = params.radius_m
    names = dict(conn.execute("SELECT adcode, name FROM units").fetchall())
    sites["unit_name"] = sites["unit_adcode"].map(names).fillna("未归属单位")
    covered_by = dict(zip(places["site_no"].tolist(), covered, strict=True))
    sites["covered_by"] = [covered_by[n] for n in sites["site_no"].tolist()]
    sites = sites.sort_values(
        ["measure", "deaths", "accidents", "site_key"],
        ascending=[False, False, False, True],
        ignore_index=True,
    )
    # competition ranking (1, 2, 2, 4) on (measure, deaths, accidents): ties only when all agree
    key = sites[["measure", "deaths", "accidents"]]
    starts = np.where(key.ne(key.shift()).any(axis=1), np.arange(len(sites)), 0)
    sites["rank"] = np.maximum.accumulate(starts) + 1  # sorted: equal keys are neighbours
    return sites, members


# --- placing, coverage, changes --------------------------------------------------------------


# a hazard's stakes as a range lo ≤ hi (a ledger may give them in either order; no end: a point)
_HAZARD_RANGES = """SELECT hazard_id, route_code,
    least(start_m, coalesce(end_m, start_m)) AS lo, greatest(start_m, coalesce(end_m, start_m)) AS hi
FROM hazards WHERE state <> '已作废' AND route_code IS NOT NULL AND start_m IS NOT NULL"""
# (site, hazard) for every hazard (any state but voided) on a site's route overlapping its
# stakes, ends included, by site then hazard id (joined by kilometre: stake_join.py)
_STAKE_COVER = f"""SELECT s.site_no, h.hazard_id
FROM ({stake_join.by_kilometre("SELECT * FROM site_ranges", "start_m", "end_m")}) AS s
INNER JOIN ({stake_join.by_kilometre(_HAZARD_RANGES, "lo", "hi")}) AS h
    ON h.route_code = s.route_code AND h.km = s.km AND {stake_join.once("s", "h")}
    AND h.lo <= s.end_m AND h.hi >= s.start_m
ORDER BY s.site_no, h.hazard_id"""  # fixed text  # noqa: S608


def _grouped(site_nos: np.ndarray, pair_sites: np.ndarray, ids: list[str]) -> list[list[str]]:
    """For each of site_nos, the ids of its pairs (pair_sites sorted, ids in order within each)."""
    lo = np.searchsorted(pair_sites, site_nos, side="left").tolist()
    hi = np.searchsorted(pair_sites, site_nos, side="right").tolist()
    return [ids[a:b] for a, b in zip(lo, hi, strict=True)]


def _coverage(
    conn: duckdb.DuckDBPyConnection, sites: pd.DataFrame, members: pd.DataFrame, params: Params
) -> list[list[str]]:
    """Ids of the hazards (any state but voided) covering each of the sites (site_no, and
    route_code, start_m, end_m for stake-like ones): same route with overlapping stakes, or
    (coordinates mode) within R of one of the site's accidents (members: site_no, lon, lat)."""
    if params.mode in STAKE_LIKE:
        conn.register("site_ranges", sites[["site_no", "route_code", "start_m", "end_m"]])
        try:
            pairs = arrow(conn, _STAKE_COVER)
        finally:
            conn.unregister("site_ranges")
        return _grouped(
            sites["site_no"].to_numpy(),
            pairs.column("site_no").to_numpy(),
            pairs.column("hazard_id").to_pylist(),
        )
    hazards = conn.execute(
        "SELECT hazard_id, lon, lat FROM hazards WHERE state <> '已作废'"
        " AND lon IS NOT NULL AND lat IS NOT NULL ORDER BY hazard_id"
    ).fetchnumpy()
    points = {
        "site_no": members["site_no"].to_numpy(),
        "lon": members["lon"].to_numpy(),
        "lat": members["lat"].to_numpy(),
    }
    pairs = search.pairs_between(
        hazards["lon"], hazards["lat"], points["lon"], points["lat"], params.radius_m
    )
    found: dict[int, set[str]] = {}
    for hz, p in pairs:
        found.setdefault(int(points["site_no"][p]), set()).add(str(hazards["hazard_id"][hz]))
    return [sorted(found.get(n, ())) for n in sites["site_no"]]


def site_changes(
    previous: pd.DataFrame, current: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sites in current matching nothing in previous, sites in previous matching nothing in
    current). Stake sites match on the same route with overlapping ranges; coordinate sites
    when their centres are within the larger of their radii. Joins, not loops: two lists of
    thousands of sites compare in milliseconds."""
    previous, current = previous.reset_index(drop=True), current.reset_index(drop=True)
    in_prev, in_cur = _matched(previous, current)
    return current[~in_cur].reset_index(drop=True), previous[~in_prev].reset_index(drop=True)


def _matched(a: pd.DataFrame, b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of a and which rows of b match some row of the other list."""
    hit_a, hit_b = np.zeros(len(a), dtype=bool), np.zeros(len(b), dtype=bool)
    cols = ["route_code", "start_m", "end_m"]
    sa = a.loc[a["mode"].isin(STAKE_LIKE), cols].reset_index(names="i")
    sb = b.loc[b["mode"].isin(STAKE_LIKE), cols].reset_index(names="j")
    pairs = sa.merge(sb, on="route_code", suffixes=("_a", "_b"))
    pairs = pairs[(pairs.start_m_a <= pairs.end_m_b) & (pairs.start_m_b <= pairs.end_m_a)]
    hit_a[pairs["i"].to_numpy(dtype=int)] = True
    hit_b[pairs["j"].to_numpy(dtype=int)] = True
    ca, cb = a.index[a["mode"] == "coords"], b.index[b["mode"] == "coords"]
    if len(ca) and len(cb):
        lon_a, lat_a = (a.loc[ca, c].to_numpy(dtype=float) for c in ("lon", "lat"))
        lon_b, lat_b = (b.loc[cb, c].to_numpy(dtype=float) for c in ("lon", "lat"))
        r_a, r_b = a.loc[ca, "radius_m"].to_numpy(float), b.loc[cb, "radius_m"].to_numpy(float)
        near = search.pairs_between(lon_a, lat_a, lon_b, lat_b, float(max(r_a.max(), r_b.max())))
        i, j = near[:, 0], near[:, 1]
        d = geo.haversine_m_array(lon_a[i], lat_a[i], lon_b[j], lat_b[j])
        near = near[d <= np.maximum(r_a[i], r_b[j])]
        hit_a[ca[near[:, 0]]] = True
        hit_b[cb[near[:, 1]]] = True
    return hit_a, hit_b


def put_on_list(
    conn: duckdb.DuckDBPyConnection,
    user: User,
    site: dict,
    params: Params,
    now: datetime,
    token: str | None = None,
) -> str:
    """An administrator puts an uncovered site on the list: a hazard in 待认定 with source
    事故分析, the site's location and figures. Returns the new hazard's id. The same ``token``
    twice (a double click) raises workflow.DuplicateSubmission."""
    access.check(user, "list_site")
    if site.get("covered_by"):
        raise workflow.WorkflowError(
            [f"该点段已由隐患{'、'.join(site['covered_by'])}覆盖，无需重复入单"]
        )
    if not site.get("unit_adcode"):
        raise workflow.WorkflowError(["该点段的事故未归属任何单位，无法确定责任单位"])
    where = (
        f"{site['route_code']} {geo.format_stake_range(site['start_m'], site['end_m'])}"
        if site.get("route_code")
        else f"以({site['lon']:.5f}, {site['lat']:.5f})为中心半径{params.radius_m:g}米"
    )
    text = (
        f"事故多发点段（{where}）：按“{params.describe()}”识别，统计期内发生事故{site['accidents']}起、"
        f"死亡事故{site['fatal_accidents']}起、死亡{site['deaths']}人、受伤{site['injuries']}人，"
        f"最常见事故形态为{site.get('top_collision_type') or '—'}。"
    )
    fields = {
        "road_name": site.get("road_name") or site.get("route_code") or "未命名道路",
        "route_code": site.get("route_code"),
        "start_m": None if site.get("start_m") is None else int(site["start_m"]),
        "end_m": None if site.get("end_m") is None else int(site["end_m"]),
        "lon": site.get("lon"),
        "lat": site.get("lat"),
        "hazard_type": ledger.ACCIDENT_SITE_TYPE,
        "description": text,
        "source": SOURCE,
    }
    return workflow.report(
        conn,
        user,
        unit_adcode=site["unit_adcode"],
        fields=fields,
        found_date=now.date(),
        now=now,
        token=token,
    )
