"""The two searches behind accident-prone sites, on plain arrays (no database, no pandas).

- ``stake_sites``: per route, every counting accident at stake s opens the window [s, s + L]
  (ends included); a window qualifies when its measure reaches the threshold; qualifying windows
  of a route whose ranges overlap or touch merge, and the site runs from the first to the last
  counting accident of its qualifying windows.
- ``coord_sites``: an accident qualifies when the measure over the accidents within R metres
  (great-circle, ends included, itself included) reaches the threshold; qualifying accidents
  within R of each other chain into one site, whose accidents are all those within R of any of
  its qualifying accidents.

Several conditions may be given (a site qualifies when any holds: the city 3-year rule). Both run
in O(n log n) with numpy: prefix sums and binary search along routes, a grid of R-sized cells for
the neighbour search (at scale two grids, west and east, built and searched side by side).
tests/accidents/test_hotspots_bruteforce.py checks both against literal brute force.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from analytics import workers
from analytics.geo import EARTH_RADIUS_M

T = TypeVar("T")

# candidate pairs examined at once (in each half): their temporaries stay small enough for the
# allocator to reuse, where arrays of millions are mapped afresh, page by page, each time
_PAIR_CHUNK = 65_536
# points: from this many on, two grids side by side (_Search; a province's coordinates mode on
# two cores, medians of interleaved runs: coord_sites 306 → 210 ms)
_PARALLEL_FROM = 50_000


@dataclass(frozen=True)
class StakeSites:
    """Sites found by stake: parallel arrays, one entry per site, ordered by route and start."""

    route: np.ndarray  # route index as given
    start_m: np.ndarray
    end_m: np.ndarray


@dataclass(frozen=True)
class CoordSites:
    """Sites found by coordinates: members[k] = (site, accident index); site numbers 0..n-1."""

    count: int
    members: np.ndarray  # shape (m, 2): site number, accident index (sorted)
    qualifying: np.ndarray  # shape (q, 2): site number, index of a qualifying accident


def stake_sites(
    route: np.ndarray,
    stake: np.ndarray,
    measures: np.ndarray,
    thresholds: Sequence[float],
    window_m: int,
) -> StakeSites:
    """Accident-prone stake ranges. route: integer codes; stake: metres; measures: shape
    (conditions, accidents), the value each accident adds to each condition's measure."""
    measures = np.atleast_2d(np.asarray(measures, dtype=np.float64))
    empty = StakeSites(*(np.empty(0, dtype=np.int64) for _ in range(3)))
    if len(stake) == 0:
        return empty
    route = np.asarray(route, dtype=np.int64)
    stake = np.asarray(stake, dtype=np.int64)
    order = np.lexsort((stake, route))
    route, stake, measures = route[order], stake[order], measures[:, order]
    base = int(stake.min())
    span = int(stake.max()) - base + int(window_m) + 1  # keys of two routes never share a window
    key = route * span + (stake - base)
    starts, ends, spans = [], [], []
    for values, threshold in zip(measures, thresholds, strict=True):
        counting = values > 0
        opener = np.flatnonzero(counting)
        if not len(opener):
            continue
        sums = np.concatenate(([0.0], np.cumsum(values)))
        lo = np.searchsorted(key, key[opener], side="left")  # same-stake accidents before it
        hi = np.searchsorted(key, key[opener] + window_m, side="right")
        ok = sums[hi] - sums[lo] >= threshold
        last_counting = np.maximum.accumulate(np.where(counting, np.arange(len(key)), -1))
        starts.append(key[opener][ok])
        ends.append(key[opener][ok] + window_m)
        spans.append(key[last_counting[hi[ok] - 1]])
    if not starts or not sum(len(s) for s in starts):
        return empty
    start, end, last = (np.concatenate(a) for a in (starts, ends, spans))
    by_start = np.argsort(start, kind="stable")
    start, end, last = start[by_start], end[by_start], last[by_start]
    reach = np.maximum.accumulate(end)
    new_site = np.concatenate(([True], start[1:] > reach[:-1]))  # touching windows merge
    first = np.flatnonzero(new_site)
    site_start = start[first]
    site_end = np.maximum.reduceat(last, first)
    return StakeSites(site_start // span, site_start % span + base, site_end % span + base)


@dataclass(frozen=True)
class _Points:
    """The points searched, each in a grid of cells at least R wide in both directions at every
    latitude present (columns cx and rows cy, both from 1 on), so that two points within R of
    each other lie in the same or adjacent cells."""

    lon: np.ndarray
    lat: np.ndarray
    cx: np.ndarray
    cy: np.ndarray
    rows: int  # more than any row: a cell's id is column × rows + row
    side: float  # the larger side of a cell, in radians
    radius_m: float
    # some latitude beyond ±90°, where a cosine is negative and the cheap bound of
    # _pairs_in_ranges fails: every pair gets the exact test
    exact: bool

    @staticmethod
    def of(lon: np.ndarray, lat: np.ndarray, radius_m: float) -> _Points:
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        dlat = np.degrees(radius_m / EARTH_RADIUS_M) * 1.001
        top = min(float(np.abs(lat).max()) + dlat, 89.0)
        dlon = dlat / np.cos(np.radians(top))
        cx = np.floor(lon / dlon).astype(np.int64)
        cy = np.floor(lat / dlat).astype(np.int64)
        cx -= cx.min() - 1
        cy -= cy.min() - 1
        side = float(np.radians(max(dlat, dlon)))
        exact = not bool((np.abs(lat) <= 90.0).all())
        return _Points(lon, lat, cx, cy, int(cy.max()) + 2, side, radius_m, exact)


def _sort_by(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the order that sorts key, ties by index; key sorted). Key and index packed in one int64
    when they fit: sorting those is three times as fast as argsort."""
    bits = max(int(len(key) - 1).bit_length(), 1)
    if len(key) and 0 <= int(key.min()) and int(key.max()) < 2 ** (62 - bits):
        packed = np.sort((key << bits) | np.arange(len(key)))
        return packed & ((1 << bits) - 1), packed >> bits
    order = np.argsort(key, kind="stable")
    return order, key[order]


def _cell_order(cx: np.ndarray, cy: np.ndarray, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """_sort_by(cx × rows + cy): while both fit in 16 bits (cells of 50 m: 3,000 km), as two
    stable passes by row, then by column, which numpy makes radix sorts (a province's half:
    32 → 10 ms)."""
    if len(cx) and int(cx.max()) < 2**16 and int(cy.max()) < 2**16:
        order = np.argsort(cy.astype(np.uint16), kind="stable")
        order = order[np.argsort(cx.astype(np.uint16)[order], kind="stable")]
        return order, cx[order] * rows + cy[order]
    return _sort_by(cx * rows + cy)


class _Grid:
    """Some of the points (``index``: their numbers), sorted by grid cell (see _Points). A
    cell's id is column × rows + row, so the three cells of one column around a cell (rows − 1,
    0, +1) are one run of points in that order. The points' values are kept in that order, and
    a point is known by its place in it. Pairs are searched from the points of columns ``own``
    (lo, hi), ends included: the grid holds the column on either side too."""

    def __init__(self, points: _Points, index: np.ndarray, own: tuple[int, int]) -> None:
        self.radius_m, self.rows, self.exact = points.radius_m, points.rows, points.exact
        order, in_order = _cell_order(points.cx[index], points.cy[index], self.rows)
        self.index = index[order]  # by place: the point's number
        # the own columns' points: one run of places (sorted by column first)
        self.own = slice(*np.searchsorted(in_order, [own[0] * self.rows, (own[1] + 1) * self.rows]))
        rad = np.radians(points.lat[self.index])
        self.in_order = (points.lon[self.index], rad, np.cos(rad))  # lon, radians of lat, cos
        first = np.flatnonzero(np.r_[True, in_order[1:] != in_order[:-1]])
        self.ucell = in_order[first]  # the occupied cells, sorted
        self.bounds = np.r_[first, len(in_order)]  # where each one's points start, then the end
        self.slot = np.repeat(np.arange(len(first)), np.diff(self.bounds))  # by place in order
        # two points of adjacent cells are less than two sides apart in latitude and in
        # longitude, and 4·sin²(x/2) ≥ x²·(1 − x²/12): the relative margin of the cheap test
        # in _pairs_in_ranges, with room for rounding
        self.margin = (2.0 * points.side) ** 2 / 12.0 + 1e-12
        self._runs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._padded = np.r_[self.ucell, np.full(3, np.iinfo(np.int64).max)]  # (for run)

    def run(self, dx: int) -> tuple[np.ndarray, np.ndarray]:
        """For every occupied cell: the run [lo, hi) of the points, in cell order, of the three
        cells dx columns away and one row below to one row above."""
        if dx not in self._runs:
            u = self.ucell
            base = u + dx * self.rows  # the middle one of the three cells
            if dx == 0:  # the cell itself, or the one below when it is occupied
                s = np.arange(len(u))
                s[1:] -= u[:-1] == u[1:] - 1
            else:  # the first occupied cell from the one below on (sorted: searched in order)
                s = np.searchsorted(u, base - 1)
            # then the three cells are the next occupied ones (at most three) up to the one above
            padded = self._padded
            e = s + (padded[s] <= base + 1)
            e += padded[s + 1] <= base + 1
            e += padded[s + 2] <= base + 1
            self._runs[dx] = (self.bounds[s], self.bounds[e])
        return self._runs[dx]

    def pairs(self, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every ordered pair (i, j) within R with chosen[i] (a boolean per point number), i of
        the grid's own columns, and j any point, (i, i) included, as two arrays i and j of
        point numbers, in no particular order."""
        at = np.flatnonzero(chosen[self.index[self.own]]) + self.own.start
        slot = self.slot[at]
        values = tuple(x[at] for x in self.in_order)
        numbers = self.index[at]
        found = []
        for dx in (-1, 0, 1):
            lo, hi = self.run(dx)
            found.extend(_pairs_in_ranges(self, numbers, values, lo[slot], hi[slot] - lo[slot]))
        if not found:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return _joined(found)


def _middle(cx: np.ndarray) -> int:
    """The column of the middle point (by column): counted by column when there are not many
    more columns than points (a province: 1 ms, where np.partition takes 12)."""
    half = len(cx) // 2
    if int(cx.max()) > 4 * len(cx):
        return int(np.partition(cx, half)[half])
    return int(np.searchsorted(np.cumsum(np.bincount(cx)), half, side="right"))


class _Search:
    """The grid of all the points, or, from _PARALLEL_FROM points on, two grids side by side:
    the columns up to the one holding the middle point and the rest, each with the column
    beyond its edge, built and searched at once (numpy lets go of the interpreter while it
    works on whole arrays). Each pair is searched for once, in the grid owning its first point."""

    def __init__(self, lon: np.ndarray, lat: np.ndarray, radius_m: float) -> None:
        points = _Points.of(lon, lat, radius_m)
        top = int(points.cx.max())
        if len(points.lon) < _PARALLEL_FROM:
            self.grids = [_Grid(points, np.arange(len(points.lon)), (1, top))]
            return
        middle = _middle(points.cx)

        def part(lo: int, hi: int) -> _Grid:
            index = np.flatnonzero((points.cx >= lo - 1) & (points.cx <= hi + 1))
            return _Grid(points, index, (lo, hi))

        self.grids = list(workers.at_once(lambda: part(1, middle), lambda: part(middle + 1, top)))

    def each(self, fn: Callable[[int], T]) -> list[T]:
        """[fn(k) for the number k of every grid], the two side by side."""
        if len(self.grids) == 1:
            return [fn(0)]
        return list(workers.at_once(lambda: fn(0), lambda: fn(1)))

    def pairs(self, chosen: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every ordered pair (i, j) within R with chosen[i] and j any point, (i, i) included,
        as arrays i and j of point numbers in no particular order, one (i, j) per grid."""
        return self.each(lambda k: self.grids[k].pairs(chosen))


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The parts (i, j) of pairs as one i and one j."""
    i, j = (np.concatenate(x) for x in zip(*parts, strict=True))
    return i, j


def pairs_between(
    lon_a: np.ndarray, lat_a: np.ndarray, lon_b: np.ndarray, lat_b: np.ndarray, radius_m: float
) -> np.ndarray:
    """Every pair (i, j) with point i of A and point j of B within radius_m of each other;
    shape (m, 2). Only the pairs from A are searched (A with A and A with B), never B with B,
    so the work follows the neighbours A's points have: give as A the set whose points have
    few (listed hazards, against the accidents of sites, which lie within R of each other)."""
    n = len(lon_a)
    if n == 0 or len(lon_b) == 0:
        return np.empty((0, 2), dtype=np.int64)
    lon = np.concatenate((lon_a, lon_b)).astype(np.float64)
    lat = np.concatenate((lat_a, lat_b)).astype(np.float64)
    i, j = _joined(_Search(lon, lat, radius_m).pairs(np.arange(len(lon)) < n))
    b = j >= n
    return np.column_stack((i[b], j[b] - n))


def _pairs_in_ranges(grid, at, values, lo, counts):  # ANN001, ANN202
    """Pairs (at[k], the point at place lo[k] + t in cell order) for t < counts[k], as point
    numbers, kept when within R, where values are the (lon, radians of lat, cos of that) of the
    points at; in memory-bounded chunks.

    The result is that of comparing every distance from geo.haversine_m_array with R. The
    haversine term h grows with the distance, so only the pairs whose h is within 1e-9 of its
    value at R need the distance itself (arcsin, sqrt). And h itself (two sines) is needed only
    where the cheap q = Δφ² + cos φ₁ cos φ₂ Δλ², with q·(1 − margin) ≤ 4h ≤ q, leaves it open."""
    lon, rad, cos = values
    lon_o, rad_o, cos_o = grid.in_order
    radius_m = grid.radius_m
    h_at_r = np.sin(radius_m / (2.0 * EARTH_RADIUS_M)) ** 2
    sure_in, sure_out = h_at_r * (1 - 1e-9), h_at_r * (1 + 1e-9)
    q_in = 4.0 * sure_in * (1.0 - 1e-12)  # q at most this: h ≤ sure_in
    # q above this: h > sure_out (cells of thousands of kilometres: every pair not surely within
    # R gets h, the bound being meant for small angles)
    q_out = 4.0 * sure_out * (1.0 + 1e-12) / (1.0 - grid.margin) if grid.margin < 0.5 else np.inf
    if grid.exact:
        q_in, q_out = -np.inf, np.inf
    counts = np.maximum(counts, 0)
    cum = np.cumsum(counts)
    shift = lo - (cum - counts)  # candidate number t of source k is at place t + shift[k]
    i0 = 0
    n = len(counts)
    while i0 < n:
        before = cum[i0 - 1] if i0 else 0
        i1 = int(np.searchsorted(cum, before + _PAIR_CHUNK, side="right"))
        i1 = max(i1, i0 + 1)
        c = counts[i0:i1]
        total = int(c.sum())
        if total:
            # place in cell order of each candidate: lo + its rank among its source's candidates
            k = np.repeat(np.arange(i0, i1), c)  # (gathers by k beat repeating each array)
            other = np.arange(before, before + total) + shift[k]
            d_lat = rad_o[other] - rad[k]
            d_lon = np.radians(lon_o[other] - lon[k])
            cc = cos[k] * cos_o[other]
            q = d_lat * d_lat + cc * (d_lon * d_lon)
            keep = q <= q_in
            open_ = np.flatnonzero(~keep & (q <= q_out))
            if len(open_):  # exactly as geo.haversine_m_array
                h = np.sin(d_lat[open_] / 2) ** 2 + cc[open_] * np.sin(d_lon[open_] / 2) ** 2
                keep[open_] = h <= sure_in
                band = (h > sure_in) & (h <= sure_out)
                if band.any():
                    d = 2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h[band])))
                    keep[open_[band]] = d <= radius_m
            kept = np.flatnonzero(keep)  # (a boolean mask indexes a third as fast)
            yield at[k[kept]], grid.index[other[kept]]
        i0 = i1


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label (smallest member index) of each of n nodes; edges a[k]–b[k].
    Each round hooks the larger of an edge's two labels onto the smaller, then follows the
    labels to their ends; edges whose ends agree are dropped."""
    label = np.arange(n)
    while len(a):
        la, lb = label[a], label[b]
        apart = np.flatnonzero(la != lb)
        if not len(apart):
            break
        a, b, la, lb = a[apart], b[apart], la[apart], lb[apart]
        np.minimum.at(label, np.maximum(la, lb), np.minimum(la, lb))
        while True:  # pointer jumping: every label is a root's
            further = label[label]
            if np.array_equal(further, label):
                break
            label = further
    return label


def coord_sites(
    lon: np.ndarray,
    lat: np.ndarray,
    measures: np.ndarray,
    thresholds: Sequence[float],
    radius_m: float,
) -> CoordSites:
    """Accident-prone clusters by coordinates (see the module docstring).

    Only two kinds of pairs are searched for: those from an accident adding something to a
    measure (the others add 0 to every sum), which give every accident's sums, and then those
    from a qualifying accident, which give the chaining and the members."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    measures = np.atleast_2d(np.asarray(measures, dtype=np.float64))
    n = len(lon)
    none = np.empty((0, 2), dtype=np.int64)
    if n == 0:
        return CoordSites(0, none, none)
    grids = _Search(lon, lat, radius_m)
    counting = (measures != 0).any(axis=0)
    first = grids.pairs(counting)  # (counting accident, any), by grid
    qualifies = np.zeros(n, dtype=bool)
    for values, threshold in zip(measures, thresholds, strict=True):
        qualifies |= _sums_within(grids, first, values) >= threshold
    if not qualifies.any():
        return CoordSites(0, none, none)
    second = grids.pairs(qualifies & ~counting)  # with first: every (qualifying accident, any)
    q = np.flatnonzero(qualifies)  # the qualifying accidents
    compact = np.full(n, -1)
    compact[q] = np.arange(len(q))

    def split(k: int) -> tuple[np.ndarray, ...]:
        """Grid k's pairs from a qualifying accident: those with another one (a < b, numbered
        as in q), then those with any other accident j (a, j)."""
        (i1, j1), (i2, j2) = first[k], second[k]
        keep = np.flatnonzero(qualifies[i1])
        i, j = np.concatenate((i1[keep], i2)), np.concatenate((j1[keep], j2))
        a, b = compact[i], compact[j]
        link, near = np.flatnonzero((b >= 0) & (a < b)), np.flatnonzero(b < 0)
        return a[link], b[link], a[near], j[near]

    parts = grids.each(split)
    label = _components(len(q), *(np.concatenate([p[x] for p in parts]) for x in (0, 1)))
    is_root = label == np.arange(len(q))  # a site's smallest qualifying accident
    site_of = (np.cumsum(is_root) - 1)[label]  # sites numbered by that accident

    def codes(k: int) -> np.ndarray:
        """Grid k's members as site × n + accident, sorted: a qualifying accident belongs to
        its own site only (any qualifying accident within R of it is chained to it); the others
        to the site of each qualifying accident within R (the qualifying ones: with grid 0)."""
        code = site_of[parts[k][2]] * n + parts[k][3]
        return np.sort(np.concatenate((code, site_of * n + q)) if k == 0 else code)

    # (two sorted runs, which the stable sort (timsort) merges in one pass)
    code = np.sort(np.concatenate(grids.each(codes)), kind="stable")
    code = code[np.r_[True, code[1:] != code[:-1]]]  # (np.unique: many times slower)
    members = np.column_stack((code // n, code % n))
    qualifying = np.column_stack((site_of, q))
    return CoordSites(int(is_root.sum()), members, qualifying)


def _sums_within(grids: _Search, pairs: list, values: np.ndarray) -> np.ndarray:
    """For each accident j, the sum of values[i] over the pairs (i, j) (one (i, j) per grid).
    Whole numbers (every measure but a score with fractional weights) add up exactly in any
    order: each grid's sums side by side, then added; otherwise they are added in the order of
    the accidents i, as a literal loop over the accidents would."""
    n = len(values)
    # (whole values, and no sum of all the pairs' values reaching 2**52: checked on the values,
    # not on each pair's copy)
    total = sum(len(i) for i, _ in pairs)
    if np.array_equal(values, np.round(values)) and np.abs(values).max(initial=0) * total < 2.0**52:
        return sum(
            grids.each(lambda k: np.bincount(pairs[k][1], weights=values[pairs[k][0]], minlength=n))
        )
    i, j = _joined(pairs)
    by = np.lexsort((i, j))
    return np.bincount(j[by], weights=values[i[by]], minlength=n)


@dataclass(frozen=True)
class Peaks:
    """Per segment: the window it is ranked on and whether that window met the CV limit."""

    start: np.ndarray
    end: np.ndarray
    value: np.ndarray
    passed: np.ndarray


def peak_windows(
    stake: np.ndarray,
    values: np.ndarray,
    seg_lo: np.ndarray,
    seg_hi: np.ndarray,
    *,
    first: int,
    growth: int,
    cv_limit: float,
) -> Peaks:
    """analytics/hsm.peak_search for many segments at once, in integer metres. stake/values: the
    accidents, keyed so that segments of different routes never share a stake (the caller
    offsets each route); a window's value is the sum of values with stakes in [start, end], its
    CV sqrt(sum of squares) / value. tests/accidents/test_hsm.py checks it against hsm.peak_search."""
    # accidents at one stake in index order (_sort_by: the packed sort, a stable one at the
    # cost of a plain one)
    order, stake = _sort_by(np.asarray(stake, dtype=np.int64))
    values = np.asarray(values, dtype=np.float64)[order]
    cum = np.concatenate(([0.0], np.cumsum(values)))
    sq = np.concatenate(([0.0], np.cumsum(values * values)))
    seg_lo, seg_hi = np.asarray(seg_lo, dtype=np.int64), np.asarray(seg_hi, dtype=np.int64)
    m = len(seg_lo)
    out = Peaks(seg_lo.copy(), seg_hi.copy(), np.zeros(m), np.zeros(m, dtype=bool))

    def grow(active: np.ndarray) -> None:
        """The windows of the segments active, grown until each has passed or is whole; each
        segment's answer is written to its own place in out."""
        length_all = first
        while len(active):
            lo, hi = seg_lo[active], seg_hi[active]
            span = hi - lo
            length = np.minimum(length_all, span)
            regular = np.where(length >= span, 1, (span - length) // first + 1)
            extra = (length < span) & ((regular - 1) * first + length < span)
            counts = regular + extra
            seg = np.repeat(np.arange(len(active)), counts)
            k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            start = lo[seg] + k * first
            is_extra = k == regular[seg]
            start = np.where(is_extra, hi[seg] - length[seg], start)
            end = start + length[seg]
            a, b = np.searchsorted(stake, start), np.searchsorted(stake, end, side="right")
            total, squares = cum[b] - cum[a], sq[b] - sq[a]
            with np.errstate(divide="ignore", invalid="ignore"):
                passing = (total > 0) & (np.sqrt(squares) / total < cv_limit)
            best = np.full(len(active), -np.inf)
            np.maximum.at(best, seg[passing], total[passing])
            done_pass = best > -np.inf
            # the first window of a segment holding its best passing value
            pick = passing & (total == best[seg])
            idx = np.flatnonzero(pick)
            first_of = np.full(len(active), len(seg))
            np.minimum.at(first_of, seg[idx], idx)
            hit = active[done_pass]
            out.start[hit], out.end[hit] = start[first_of[done_pass]], end[first_of[done_pass]]
            out.value[hit], out.passed[hit] = total[first_of[done_pass]], True
            whole = ~done_pass & (length >= span)  # grown to the whole segment without passing
            w_idx = np.flatnonzero(whole)
            if len(w_idx):
                first_win = np.searchsorted(seg, w_idx)
                out.value[active[w_idx]] = total[first_win]
            active = active[~done_pass & ~whole]
            length_all += growth

    # segments in stake order, so the windows' stakes are searched for nearly in order (numpy's
    # binary search starts from the previous answer: a third faster at province scale); from
    # _PARALLEL_FROM windows on, the first and the second half side by side
    active = np.argsort(seg_lo, kind="stable")
    windows = int(np.maximum((seg_hi - seg_lo) // max(first, 1), 1).sum()) if m else 0
    if windows >= _PARALLEL_FROM:
        half = len(active) // 2
        workers.at_once(lambda: grow(active[:half]), lambda: grow(active[half:]))
    else:
        grow(active)
    return out
