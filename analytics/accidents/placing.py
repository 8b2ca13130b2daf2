"""Where a stake site lies on the map: its path along its route's drawn segments and the point at
its middle stake (falling back to the mean position of its accidents when the route is not drawn).

The answer is the one geo.stake_subpath gives piece by piece (tests/accidents/test_placing.py
checks that), computed for every piece of every site at once: the great-circle lengths of the
segments' edges come from geo.haversine_m_array, as geo.cumulative_m takes them, and everything
after them is arithmetic (+, −, ×, ÷, comparisons) that numpy rounds exactly as Python does.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics import geo
from analytics.accidents import stake_join
from analytics.store.db import arrow

# the drawn segments overlapping each site's stakes (joined by kilometre: stake_join.py)
_PIECES = f"""
SELECT s.site_no, r.start_m, r.end_m, r.segment_id, r.path
FROM ({stake_join.by_kilometre("SELECT * FROM site_ranges", "start_m", "end_m")}) AS s
INNER JOIN (
    {stake_join.by_kilometre("SELECT segment_id, route_code, start_m, end_m FROM road_segments", "start_m", "end_m")}
) AS k ON k.route_code = s.route_code AND k.km = s.km AND {stake_join.once("s", "k")}
    AND k.start_m <= s.end_m AND k.end_m >= s.start_m
INNER JOIN road_segments AS r ON r.segment_id = k.segment_id
ORDER BY s.site_no, r.start_m, r.segment_id
"""  # fixed text  # noqa: S608


def place_on_routes(conn: duckdb.DuckDBPyConnection, sites: pd.DataFrame) -> None:
    """Set sites' path, lon and lat (columns site_no, route_code, start_m, end_m, mean_lon,
    mean_lat are read; by site_no): pieces, place, then put."""
    put(sites, sites, place(sites, pieces(conn, sites)))


def put(sites: pd.DataFrame, ranges: pd.DataFrame, placed: tuple) -> None:
    """Set sites' path, lon and lat from placed = place(ranges, …): the point on the route, or
    the mean position of the site's accidents (mean_lon, mean_lat) where no piece holds the
    site's middle stake. sites may be in any order; site_no matches them to the ranges."""
    path, lon, lat, on_route = placed
    at = pd.Index(ranges["site_no"]).get_indexer(sites["site_no"])
    sites["path"] = [path[i] for i in at.tolist()]
    for column, value, mean in (("lon", lon, "mean_lon"), ("lat", lat, "mean_lat")):
        sites[column] = np.where(on_route[at], value[at], sites[mean].to_numpy(np.float64)).tolist()


def pieces(conn: duckdb.DuckDBPyConnection, ranges: pd.DataFrame) -> pa.Table:
    """The drawn segments overlapping each site's stakes (ranges: site_no, route_code, start_m,
    end_m): the one query of placing, kept apart so that the arithmetic (place) may run on
    another thread while the connection answers other queries."""
    conn.register("site_ranges", ranges[["site_no", "route_code", "start_m", "end_m"]])
    try:
        return arrow(conn, _PIECES)
    finally:
        conn.unregister("site_ranges")


def place(ranges: pd.DataFrame, table: pa.Table) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """For each of the ranges (site_no, start_m, end_m; by site_no, as pieces returns them), in
    their order: its path along the pieces (a list of [lon, lat] points, or None), the point at
    its middle stake (lon, lat) and whether a piece holds that stake (where not, the point is
    left 0 and put falls back to the site's accidents)."""
    n = len(ranges)
    lons, lats, placed = np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool)
    if not table.num_rows:
        return [None] * n, lons, lats, placed
    row_of = pd.Index(ranges["site_no"]).get_indexer(table.column("site_no").to_numpy())
    # the segments numbered 0, 1, … (in the order they first come)
    g = table.column("segment_id").combine_chunks().dictionary_encode().indices
    g = g.to_numpy().astype(np.int64)
    segments = _Segments(table.column("path"), g)
    keep = segments.count[g] > 0  # a segment drawn without points has nothing to give
    row_of, g = row_of[keep], g[keep]
    lo = table.column("start_m").to_numpy().astype(np.int64)[keep]
    hi = table.column("end_m").to_numpy().astype(np.int64)[keep]
    start = ranges["start_m"].to_numpy(dtype=np.int64)[row_of]
    end = ranges["end_m"].to_numpy(dtype=np.int64)[row_of]
    span = hi - lo
    length = segments.cum[segments.offset[g] + segments.count[g] - 1]
    scale = np.divide(length, span, out=np.zeros(len(g)), where=span > 0)

    a = segments.clamp(g, (np.maximum(start, lo) - lo) * scale)
    b = segments.clamp(g, (np.minimum(end, hi) - lo) * scale)
    d_lo, d_hi = np.minimum(a, b), np.maximum(a, b)
    x, y, piece = _pieces(segments, g, d_lo, d_hi)
    # consecutive pieces of a site join: a piece's first point is dropped when it repeats the
    # point the site's path ends on
    first_pos = np.flatnonzero(np.r_[True, piece[1:] != piece[:-1]])
    last_pos = np.r_[first_pos[1:], len(piece)] - 1
    repeat = np.zeros(len(first_pos), dtype=bool)
    same_site = row_of[1:] == row_of[:-1]
    repeat[1:] = (
        same_site & (x[first_pos[1:]] == x[last_pos[:-1]]) & (y[first_pos[1:]] == y[last_pos[:-1]])
    )
    kept = np.ones(len(piece), dtype=bool)
    kept[first_pos[repeat]] = False
    x, y, owner = x[kept], y[kept], row_of[piece[kept]]
    bounds = np.searchsorted(owner, np.arange(n + 1))  # pieces come in site order
    points = np.column_stack((x, y)).tolist()
    paths = [points[i:j] or None for i, j in zip(bounds[:-1], bounds[1:], strict=True)]

    mid = (start + end) / 2
    holds = (lo <= mid) & (mid <= hi)
    first = np.flatnonzero(holds & ~_seen_before(row_of, holds))
    at = segments.clamp(g[first], (mid[first] - lo[first]) * scale[first])
    mx, my = segments.point_at(g[first], at)
    lons[row_of[first]], lats[row_of[first]], placed[row_of[first]] = mx, my, True
    return paths, lons, lats, placed


def _seen_before(row_of: np.ndarray, holds: np.ndarray) -> np.ndarray:
    """Whether an earlier piece of the same site already holds (pieces come in site order)."""
    count = np.cumsum(holds) - holds  # holding pieces strictly before, over all sites
    site_first = np.flatnonzero(np.r_[True, row_of[1:] != row_of[:-1]])
    base = np.repeat(count[site_first], np.diff(np.r_[site_first, len(row_of)]))
    return count > base


class _Segments:
    """The distinct segments of the pieces: vertices flattened, with the distance of each
    vertex from its segment's first one (geo.cumulative_m, edge by edge as it adds them)."""

    def __init__(self, paths: pa.ChunkedArray, g: np.ndarray) -> None:
        _, first = np.unique(g, return_index=True)  # g numbers the segments 0, 1, …
        outer = paths.combine_chunks().take(pa.array(first))
        inner = outer.flatten()
        values = inner.flatten().to_numpy()
        at = inner.offsets.to_numpy()[:-1]
        self.x, self.y = values[at], values[at + 1]
        self.count = np.diff(outer.offsets.to_numpy()).astype(np.int64)
        self.offset = np.r_[0, np.cumsum(self.count)[:-1]].astype(np.int64)
        self.cum = self._cumulative()

    def _cumulative(self) -> np.ndarray:
        n = len(self.x)
        cum = np.zeros(n)
        if n < 2:
            return cum
        edge = np.r_[geo.haversine_m_array(self.x[:-1], self.y[:-1], self.x[1:], self.y[1:]), 0.0]
        # vertex k of every segment at once, k = 1, 2, … : cum[k] = cum[k − 1] + edge to it
        for k in range(1, int(self.count.max())):
            segs = self.count > k
            pos = self.offset[segs] + k
            cum[pos] = cum[pos - 1] + edge[pos - 1]
        return cum

    def clamp(self, g: np.ndarray, d: np.ndarray) -> np.ndarray:
        length = self.cum[self.offset[g] + self.count[g] - 1]
        return np.minimum(np.maximum(d, 0.0), length)

    def point_at(self, g: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """geo._interpolate: linear between the vertices around d (d already clamped)."""
        n = self.count[g]
        # bisect_right: the vertices at or before d
        owner = np.repeat(np.arange(len(g)), n)
        idx = np.repeat(self.offset[g], n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
        below = np.bincount(owner, weights=self.cum[idx] <= d[owner], minlength=len(g))
        i = np.minimum(below.astype(np.int64), n - 1)
        base = self.offset[g]
        has_prev = i > 0
        prev = base + np.maximum(i - 1, 0)
        cur = base + i
        seg = np.where(has_prev, self.cum[cur] - self.cum[prev], 0.0)
        moving = seg > 0.0
        t = np.divide(d - self.cum[prev], seg, out=np.zeros(len(g)), where=moving)
        x0, y0, x1, y1 = self.x[prev], self.y[prev], self.x[cur], self.y[cur]
        x = np.where(moving, x0 + t * (x1 - x0), x1)
        y = np.where(moving, y0 + t * (y1 - y0), y1)
        return x, y


def _pieces(s: _Segments, g: np.ndarray, d_lo: np.ndarray, d_hi: np.ndarray):  # ANN202
    """geo.subpath for every piece: its start point, the vertices strictly inside, its end
    point; flattened (x, y, piece number), pieces in order."""
    p = len(g)
    n = s.count[g]
    owner = np.repeat(np.arange(p), n)
    idx = np.repeat(s.offset[g], n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    c = s.cum[idx]
    inside = (d_lo[owner] < c) & (c < d_hi[owner])
    owner, idx = owner[inside], idx[inside]
    x0, y0 = s.point_at(g, d_lo)
    x1, y1 = s.point_at(g, d_hi)
    inner_count = np.bincount(owner, minlength=p)
    size = inner_count + 2
    offset = np.r_[0, np.cumsum(size)[:-1]]
    total = int(size.sum())
    x, y, piece = np.empty(total), np.empty(total), np.repeat(np.arange(p), size)
    x[offset], y[offset] = x0, y0
    x[offset + size - 1], y[offset + size - 1] = x1, y1
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(inner_count) - inner_count, inner_count)
    x[offset[owner] + 1 + rank], y[offset[owner] + 1 + rank] = s.x[idx], s.y[idx]
    return x, y, piece
