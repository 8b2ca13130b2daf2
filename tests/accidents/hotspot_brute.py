"""Literal, slow implementations of the accident-prone site definitions (docs/methods.md §三), written
independently of analytics/accidents/search.py: plain loops over every accident and window."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6371008.8


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def stake_sites(accidents: list[tuple], conditions: list[tuple[int, float]], window_m: int):
    """accidents: (route, stake, values...) where values[c] is the accident's value for
    condition c; conditions: (c, threshold). Returns sorted (route, start, end) sites."""
    sites = []
    for route in sorted({a[0] for a in accidents}):
        on_route = [a for a in accidents if a[0] == route]
        windows = []  # (start, end of window, last counting stake)
        for c, threshold in conditions:
            for a in on_route:
                if a[2 + c] == 0:
                    continue
                s = a[1]
                inside = [b for b in on_route if s <= b[1] <= s + window_m]
                if sum(b[2 + c] for b in inside) >= threshold:
                    last = max(b[1] for b in inside if b[2 + c] != 0)
                    windows.append((s, s + window_m, last))
        windows.sort()
        merged: list[list[int]] = []  # [start, reach, last]
        for s, e, last in windows:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
                merged[-1][2] = max(merged[-1][2], last)
            else:
                merged.append([s, e, last])
        sites += [(route, m[0], m[2]) for m in merged]
    return sorted(sites)


def coord_sites(points: list[tuple], conditions: list[tuple[int, float]], radius_m: float):
    """points: (lon, lat, values...). Returns a sorted list of (sorted member indices,
    sorted qualifying indices) per site."""
    n = len(points)
    near = [
        [j for j in range(n) if distance(*points[i][:2], *points[j][:2]) <= radius_m]
        for i in range(n)
    ]
    qualifies = [
        any(sum(points[j][2 + c] for j in near[i]) >= t for c, t in conditions) for i in range(n)
    ]
    seen: set[int] = set()
    sites = []
    for i in range(n):
        if not qualifies[i] or i in seen:
            continue
        group, todo = set(), [i]
        while todo:
            k = todo.pop()
            if k in group:
                continue
            group.add(k)
            todo += [j for j in near[k] if qualifies[j] and j not in group]
        seen |= group
        members = sorted({j for k in group for j in near[k]})
        sites.append((members, sorted(group)))
    return sorted(sites)


def coord_sites_rows(lon, lat, values, threshold: float, radius_m: float):  # ANN201
    """coord_sites for thousands of points: the same literal definition, with each point's
    distances to all others computed one row at a time (numpy, no grid, no sorting)."""
    import numpy as np

    n = len(lon)
    p = np.radians(lat)
    near = []
    for i in range(n):
        h = (
            np.sin((p - p[i]) / 2) ** 2
            + np.cos(p[i]) * np.cos(p) * np.sin(np.radians(lon - lon[i]) / 2) ** 2
        )
        d = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))
        near.append(np.flatnonzero(d <= radius_m))
    qualifies = np.array([values[near[i]].sum() >= threshold for i in range(n)], dtype=bool)
    seen = np.zeros(n, dtype=bool)
    sites = []
    for i in np.flatnonzero(qualifies):
        if seen[i]:
            continue
        group, todo = set(), [int(i)]
        while todo:
            k = todo.pop()
            if k in group:
                continue
            group.add(k)
            todo += [int(j) for j in near[k] if qualifies[j] and j not in group]
        for k in group:
            seen[k] = True
        members = sorted({int(j) for k in group for j in near[k]})
        sites.append((members, sorted(group)))
    return sorted(sites)
