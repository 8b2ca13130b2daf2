"""The road map's figures, aggregated on the server so the browser receives a bounded amount.

- Road segments with their accidents, deaths and rates per km in a period. An accident belongs
  to the segment of its route whose start stake is the largest one not after its stake, when its
  stake is also not after that segment's end (adjacent segments share their boundary stake: the
  accident goes to the segment starting there). A segment's length is its stake length; a segment
  without one (start = end) uses the length of its path.
- Accidents as grid cells (counts per square cell of a chosen size in metres; the cell grows
  until there are at most ``max_cells`` cells), or as points (at most ``limit``, newest first).
- A stake on a route as a point on the route's path (``stake_point``): the segment holding the
  stake, at the same fraction of its path as the stake is of its stake range. Accidents and
  hazards with a route and stake but no coordinates are placed this way.

Pure: no Streamlit, no pydeck. Coordinates are WGS-84 (lon, lat) in degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics import geo
from analytics.accounts.auth import User
from analytics.ledger import hazard_list

MEASURES = {"accidents": "事故起数", "deaths": "死亡人数"}
DETAIL_LEVELS = {"city": "全市", "unit": "区县", "route": "路线"}
CELL_M = {"city": 2000.0, "unit": 500.0, "route": 200.0}  # grid cell side per detail level
MAX_CELLS = 5_000
POINT_LIMIT = 5_000  # accident points at the unit and route levels
HAZARD_LIMIT = 2_000  # hazard points, most urgent first
SEGMENT_LIMIT = 2_000  # coloured segments drawn at the city level; the rest as grey route lines
M_PER_DEG_LAT = 2 * math.pi * geo.EARTH_RADIUS_M / 360

_PERIOD = (
    "on_days(occurred_at, $start, $end)"
    " AND ($unit IS NULL OR unit_adcode = $unit) AND ($route IS NULL OR route_code = $route)"
)


def _params(start: date, end: date, unit: str | None, route: str | None) -> dict:
    return {"start": start, "end": end, "unit": unit or None, "route": route or None}


# --- Road segments ----------------------------------------------------------------------------


def segment_rates(
    conn: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    unit: str | None = None,
    route: str | None = None,
) -> pd.DataFrame:
    """Every road segment (of the unit / route) with its accidents in [start, end].

    Columns: segment_id, route_code, route_name, name, start_m, end_m, unit_adcode, unit_name,
    path, km, accidents, fatal_accidents, deaths, injuries, accidents_per_km, deaths_per_km.
    """
    frame = conn.execute(
        f"""
        WITH acc AS (
            SELECT route_code, stake_m, deaths, injuries FROM accidents
            WHERE {_PERIOD} AND route_code IS NOT NULL AND stake_m IS NOT NULL
        ), hit AS (
            SELECT s.segment_id, a.deaths, a.injuries
            FROM acc a ASOF JOIN road_segments s
              ON a.route_code = s.route_code AND a.stake_m >= s.start_m
            WHERE a.stake_m <= s.end_m
        ), counts AS (
            SELECT segment_id, count(*) AS accidents,
                   count(*) FILTER (WHERE deaths > 0) AS fatal_accidents,
                   CAST(sum(deaths) AS BIGINT) AS deaths,
                   CAST(sum(injuries) AS BIGINT) AS injuries
            FROM hit GROUP BY segment_id
        )
        SELECT s.segment_id, s.route_code, r.name AS route_name,
               coalesce(s.name, r.name, s.route_code) AS name, s.start_m, s.end_m,
               s.unit_adcode, u.name AS unit_name, s.path,
               coalesce(c.accidents, 0) AS accidents,
               coalesce(c.fatal_accidents, 0) AS fatal_accidents,
               coalesce(c.deaths, 0) AS deaths, coalesce(c.injuries, 0) AS injuries
        FROM road_segments s
        LEFT JOIN counts c USING (segment_id)
        LEFT JOIN routes r ON r.route_code = s.route_code
        LEFT JOIN units u ON u.adcode = s.unit_adcode
        WHERE ($unit IS NULL OR s.unit_adcode = $unit) AND ($route IS NULL OR s.route_code = $route)
        ORDER BY s.route_code, s.start_m, s.segment_id
        """,  # _PERIOD is a fixed clause; values are bound  # noqa: S608
        _params(start, end, unit, route),
    ).df()
    stake_km = ((frame["end_m"] - frame["start_m"]) / 1000.0).astype(float)
    no_stakes = ~(stake_km > 0).to_numpy()  # then (or without stakes) the path's length
    path_km = [geo.path_length_m(p) / 1000.0 for p in frame["path"].to_numpy()[no_stakes]]
    path_km = pd.Series(path_km, index=frame.index[no_stakes], dtype=float)
    frame["km"] = stake_km.where(~no_stakes, path_km).astype(float)
    for measure in MEASURES:
        frame[f"{measure}_per_km"] = [
            (float(n) / km if km > 0 else None)
            for n, km in zip(frame[measure], frame["km"], strict=True)
        ]
    return frame


def worst_segments(
    segments: pd.DataFrame, measure: str, limit: int = SEGMENT_LIMIT
) -> pd.DataFrame:
    """The `limit` segments with the most accidents (or deaths) per km, worst first."""
    col = f"{measure}_per_km"
    ranked = segments.assign(_r=segments[col].fillna(0.0)).sort_values(
        ["_r", measure, "segment_id"], ascending=[False, False, True], kind="stable"
    )
    return ranked.head(limit).drop(columns="_r")


def route_lines(
    conn: duckdb.DuckDBPyConnection, unit: str | None = None, route: str | None = None
) -> pd.DataFrame:
    """Each route as one polyline (its segments' paths in stake order, vertices rounded to
    about 1 m): the network drawn under the coloured segments when those are too many."""
    frame = conn.execute(
        "SELECT route_code, list(path ORDER BY start_m, segment_id) AS paths FROM road_segments"
        " WHERE ($unit IS NULL OR unit_adcode = $unit) AND ($route IS NULL OR route_code = $route)"
        " GROUP BY route_code ORDER BY route_code",
        {"unit": unit or None, "route": route or None},
    ).fetchall()
    rows = []
    for code, paths in frame:
        line: list[list[float]] = []
        for path in paths:
            pts = [[round(float(x), 5), round(float(y), 5)] for x, y, *_ in path]
            line += pts if not line or pts[0] != line[-1] else pts[1:]
        rows.append({"route_code": code, "path": line})
    return pd.DataFrame(rows, columns=["route_code", "path"])


# --- Stakes to points ------------------------------------------------------------------------


def _segments(conn: duckdb.DuckDBPyConnection, routes: list[str]) -> pd.DataFrame:
    return conn.execute(
        "SELECT route_code, start_m, end_m, path FROM road_segments"
        " WHERE list_contains($routes, route_code) ORDER BY route_code, start_m, segment_id",
        {"routes": routes},
    ).df()


def _along(path: list, start_m: float, end_m: float, stakes: np.ndarray) -> tuple:
    """Points at the stakes' fractions of the segment's stake range along its path."""
    pts = np.asarray([p[:2] for p in path], dtype=float)
    cum = np.asarray(geo.cumulative_m(path), dtype=float)
    frac = (stakes - start_m) / (end_m - start_m) if end_m > start_m else np.zeros(len(stakes))
    d = frac * cum[-1]
    return np.interp(d, cum, pts[:, 0]), np.interp(d, cum, pts[:, 1])


def place_stakes(
    conn: duckdb.DuckDBPyConnection, routes: pd.Series, stakes: pd.Series
) -> tuple[np.ndarray, np.ndarray]:
    """(lons, lats) of route + stake pairs on the road segments; NaN where no segment holds it."""
    routes = routes.reset_index(drop=True)
    stakes = pd.to_numeric(stakes, errors="coerce").reset_index(drop=True)
    lons, lats = np.full(len(routes), np.nan), np.full(len(routes), np.nan)
    wanted = (routes.notna() & stakes.notna()).to_numpy()
    if not wanted.any():
        return lons, lats
    segs = _segments(conn, sorted(routes[wanted].unique().tolist()))
    if segs.empty:
        return lons, lats
    seg_routes = segs.route_code.to_numpy(object)
    starts_all, ends_all = segs.start_m.to_numpy(float), segs.end_m.to_numpy(float)
    paths = segs.path.to_numpy(object)
    cuts = np.flatnonzero(seg_routes[1:] != seg_routes[:-1]) + 1  # segments sorted by route
    firsts, ends = [0, *cuts.tolist()], [*cuts.tolist(), len(segs)]
    spans = dict(zip(seg_routes[firsts].tolist(), zip(firsts, ends, strict=True), strict=True))
    values = stakes.to_numpy(float)
    rows_wanted = np.flatnonzero(wanted)
    codes, names = pd.factorize(routes.to_numpy(object)[rows_wanted])
    order = np.argsort(codes, kind="stable")
    for code, rows in enumerate(np.split(rows_wanted[order], np.cumsum(np.bincount(codes))[:-1])):
        if names[code] not in spans:
            continue
        lo, hi = spans[names[code]]
        starts, ends = starts_all[lo:hi], ends_all[lo:hi]
        s = values[rows]
        k = np.searchsorted(starts, s, side="right") - 1  # last segment starting at or before
        ok = (k >= 0) & (s <= ends[np.maximum(k, 0)])
        for j in np.unique(k[ok]):
            sel = rows[ok & (k == j)]
            lons[sel], lats[sel] = _along(paths[lo + j], starts[j], ends[j], values[sel])
    return lons, lats


def stake_point(
    conn: duckdb.DuckDBPyConnection, route_code: str, stake_m: float
) -> tuple[float, float] | None:
    """The point of a stake on its route's path, or None when no segment of the route holds it."""
    lons, lats = place_stakes(conn, pd.Series([route_code]), pd.Series([stake_m]))
    return None if np.isnan(lons[0]) else (float(lons[0]), float(lats[0]))


# --- Accidents: grid cells and points --------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    cells: pd.DataFrame  # lon, lat (south-west corner), accidents, fatal_accidents, deaths
    cell_m: float  # side of a cell in metres
    total: int  # accidents in the period (and unit / route)
    unplaced: int  # of which without coordinates and not placeable by stake


def _cell_deg(cell_m: float, ref_lat: float) -> tuple[float, float]:
    dlat = cell_m / M_PER_DEG_LAT
    return dlat / math.cos(math.radians(ref_lat)), dlat


def accident_grid(
    conn: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    cell_m: float,
    ref_lat: float,
    unit: str | None = None,
    route: str | None = None,
    max_cells: int = MAX_CELLS,
) -> Grid:
    """Accidents counted per grid cell. Cell (i, j) covers lon [i·dlon, (i+1)·dlon) and
    lat [j·dlat, (j+1)·dlat), with dlat = cell_m / 111,195 m and dlon = dlat / cos(ref_lat).
    The cell doubles until there are at most max_cells cells."""
    p = _params(start, end, unit, route)
    located = conn.execute(
        f"SELECT lon, lat, deaths FROM accidents WHERE {_PERIOD}"  # fixed clause  # noqa: S608
        " AND lon IS NOT NULL AND lat IS NOT NULL",
        p,
    ).fetchnumpy()
    staked = conn.execute(
        f"SELECT route_code, stake_m, count(*) AS n, sum(deaths) AS deaths,"  # noqa: S608
        f" count(*) FILTER (WHERE deaths > 0) AS fatal FROM accidents WHERE {_PERIOD}"
        " AND (lon IS NULL OR lat IS NULL) GROUP BY route_code, stake_m",
        p,
    ).df()
    slon, slat = place_stakes(conn, staked.route_code, staked.stake_m)
    ok = ~np.isnan(slon)
    deaths = np.asarray(located["deaths"], dtype=float)
    pts = pd.DataFrame(
        {
            "lon": np.concatenate([np.asarray(located["lon"], dtype=float), slon[ok]]),
            "lat": np.concatenate([np.asarray(located["lat"], dtype=float), slat[ok]]),
            "accidents": np.concatenate([np.ones(len(deaths)), staked.n.to_numpy(float)[ok]]),
            "fatal_accidents": np.concatenate(
                [(deaths > 0).astype(float), staked.fatal.to_numpy(float)[ok]]
            ),
            "deaths": np.concatenate([deaths, staked.deaths.to_numpy(float)[ok]]),
        }
    )
    unplaced = int(staked.n[~ok].sum())
    total = int(len(deaths) + staked.n.sum())
    while True:
        cells = _bin(pts, cell_m, ref_lat)
        if len(cells) <= max_cells:
            return Grid(cells, cell_m, total, unplaced)
        cell_m *= 2


def _bin(pts: pd.DataFrame, cell_m: float, ref_lat: float) -> pd.DataFrame:
    dlon, dlat = _cell_deg(cell_m, ref_lat)
    keyed = pts.assign(
        i=np.floor(pts.lon / dlon).astype("int64"), j=np.floor(pts.lat / dlat).astype("int64")
    )
    cells = keyed.groupby(["i", "j"], sort=True)[["accidents", "fatal_accidents", "deaths"]].sum()
    cells = cells.reset_index()
    out = pd.DataFrame({"lon": cells.i * dlon, "lat": cells.j * dlat})
    for col in ("accidents", "fatal_accidents", "deaths"):
        out[col] = cells[col].astype("int64")
    return out


def accident_points(
    conn: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    unit: str | None = None,
    route: str | None = None,
    limit: int = POINT_LIMIT,
) -> tuple[pd.DataFrame, int]:
    """The newest ``limit`` placeable accidents of the period as points, and how many there are
    in all (placed or not). Accidents without coordinates are placed by their stake."""
    p = _params(start, end, unit, route)
    total = conn.execute(f"SELECT count(*) FROM accidents WHERE {_PERIOD}", p).fetchone()[0]  # noqa: S608
    frame = conn.execute(
        f"""
        SELECT a.accident_id, a.occurred_at, a.unit_adcode, u.name AS unit_name, a.road_name,
               a.route_code, a.stake_m, a.lon, a.lat, a.deaths, a.injuries, a.severity,
               a.collision_type, a.weather
        FROM accidents a LEFT JOIN units u ON u.adcode = a.unit_adcode
        WHERE {_PERIOD.replace("unit_adcode", "a.unit_adcode").replace("route_code", "a.route_code")}
          AND ((a.lon IS NOT NULL AND a.lat IS NOT NULL)
               OR (a.route_code IS NOT NULL AND a.stake_m IS NOT NULL))
        ORDER BY a.occurred_at DESC, a.accident_id
        """,  # fixed clause  # noqa: S608
        p,
    ).df()
    missing = frame.lon.isna() | frame.lat.isna()
    if missing.any():
        lons, lats = place_stakes(conn, frame.route_code[missing], frame.stake_m[missing])
        frame.loc[missing, "lon"], frame.loc[missing, "lat"] = lons, lats
    frame = frame[frame.lon.notna() & frame.lat.notna()].head(limit).reset_index(drop=True)
    return frame, int(total)


# --- Hazards ---------------------------------------------------------------------------------


def hazard_points(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    horizon: int,
    unit: str | None = None,
    route: str | None = None,
    viewer: User | None = None,
    limit: int | None = None,
) -> tuple[pd.DataFrame, int, int]:
    """Listed hazards with a position on as_of (hazard_list.hazards_as_of, with its standing,
    most urgent first); one without coordinates is placed at the middle of its stakes on its
    route. With a limit only the first `limit` hazards are considered (and placed). Returns the
    placed hazards, how many of those considered could not be placed, and how many are listed."""
    scope = {"unit": unit, "viewer": viewer, "route": route}
    frame = hazard_list.hazards_as_of(conn, as_of, horizon, limit=limit, **scope)
    listed = len(frame)
    if limit is not None and listed == limit:  # there may be more
        listed = hazard_list.count_as_of(conn, as_of, horizon, **scope)
    frame["placed_by_stake"] = False
    missing = frame.lon.isna() | frame.lat.isna()
    if missing.any():
        sub = frame[missing]
        mid = sub.start_m.where(sub.end_m.isna(), (sub.start_m + sub.end_m) / 2)
        lons, lats = place_stakes(conn, sub.route_code, mid)
        frame.loc[missing, "lon"], frame.loc[missing, "lat"] = lons, lats
        frame.loc[missing, "placed_by_stake"] = ~np.isnan(lons)
    placed = frame.lon.notna() & frame.lat.notna()
    return frame[placed].reset_index(drop=True), int((~placed).sum()), listed


# --- Where to look ---------------------------------------------------------------------------


def route_bbox(
    conn: duckdb.DuckDBPyConnection, route_code: str
) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of a route's segments, or None without segments."""
    paths = conn.execute(
        "SELECT path FROM road_segments WHERE route_code = ?", [route_code]
    ).fetchall()
    pts = [p for (path,) in paths for p in path]
    if not pts:
        return None
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    return min(lons), min(lats), max(lons), max(lats)


def to_basemap(
    lons: np.ndarray | list, lats: np.ndarray | list, system: str
) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 points in the basemap's coordinate system (GCJ-02 for AMap tiles, so that the
    layers line up with the tiles); unchanged for WGS-84. Vectorised geo.from_wgs84."""
    return geo.from_wgs84_array(lons, lats, system)
