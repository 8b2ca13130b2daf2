"""The demo city's road network: routes with WGS-84 alignments, cut into segments.

G105 and the expressways are real routes through Fuyang (docs/methods.md) but their alignments
and stakes here are schematic. The provincial and county roads are invented, and labelled so.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics import geo

REAL_SCHEMATIC = "真实线路，走向与桩号为示意（演示数据）"
INVENTED = "虚构线路（演示数据）"


@dataclass(frozen=True)
class RouteSpec:
    code: str
    name: str
    road_class: str
    start_km: float
    provenance: str
    waypoints: tuple[tuple[float, float], ...]


ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec(
        "G105",
        "国道105线",
        "国道",
        848.0,
        REAL_SCHEMATIC,
        (
            (115.625, 33.200),
            (115.700, 33.080),
            (115.770, 32.980),
            (115.800, 32.900),
            (115.760, 32.820),
            (115.680, 32.740),
            (115.600, 32.650),
        ),
    ),
    RouteSpec(
        "G35",
        "济广高速",
        "高速公路",
        780.0,
        REAL_SCHEMATIC,
        (
            (115.700, 33.480),
            (115.720, 33.300),
            (115.840, 33.100),
            (115.930, 32.950),
            (115.960, 32.800),
            (116.000, 32.650),
        ),
    ),
    RouteSpec(
        "G36",
        "宁洛高速",
        "高速公路",
        420.0,
        REAL_SCHEMATIC,
        (
            (116.100, 32.960),
            (116.000, 32.975),
            (115.850, 32.960),
            (115.650, 33.050),
            (115.450, 33.150),
            (115.360, 33.200),
        ),
    ),
    RouteSpec(
        "S12",
        "滁新高速",
        "高速公路",
        130.0,
        REAL_SCHEMATIC,
        (
            (116.400, 32.700),
            (116.300, 32.700),
            (116.050, 32.800),
            (115.880, 32.830),
            (115.650, 32.880),
            (115.400, 32.950),
            (115.100, 32.980),
            (114.950, 32.990),
        ),
    ),
    RouteSpec(
        "S33",
        "阜淮高速",
        "高速公路",
        0.0,
        REAL_SCHEMATIC,
        (
            (115.880, 32.930),
            (116.000, 32.960),
            (116.120, 32.900),
        ),
    ),
    RouteSpec(
        "S202",
        "省道202线（界首—临泉）",
        "省道",
        62.0,
        INVENTED,
        (
            (115.370, 33.260),
            (115.330, 33.150),
            (115.260, 33.070),
            (115.230, 32.900),
            (115.230, 32.720),
        ),
    ),
    RouteSpec(
        "S204",
        "省道204线（太和—界首）",
        "省道",
        18.0,
        INVENTED,
        (
            (115.620, 33.170),
            (115.500, 33.220),
            (115.370, 33.260),
        ),
    ),
    RouteSpec(
        "S237",
        "省道237线（阜南—颍上）",
        "省道",
        0.0,
        INVENTED,
        (
            (115.580, 32.630),
            (115.750, 32.610),
            (115.900, 32.620),
            (116.050, 32.620),
            (116.270, 32.630),
        ),
    ),
    RouteSpec(
        "S102",
        "省道102线（阜阳—临泉）",
        "省道",
        35.0,
        INVENTED,
        (
            (115.790, 32.880),
            (115.550, 32.930),
            (115.400, 33.000),
            (115.250, 33.070),
        ),
    ),
    RouteSpec(
        "S305",
        "省道305线（阜阳—颍上）",
        "省道",
        0.0,
        INVENTED,
        (
            (115.850, 32.920),
            (116.050, 32.800),
            (116.270, 32.630),
        ),
    ),
    RouteSpec(
        "X001",
        "县道001线（颍州）",
        "县道",
        0.0,
        INVENTED,
        (
            (115.790, 32.870),
            (115.650, 32.800),
        ),
    ),
    RouteSpec(
        "X011",
        "县道011线（颍东）",
        "县道",
        0.0,
        INVENTED,
        (
            (115.900, 32.930),
            (116.100, 32.980),
        ),
    ),
    RouteSpec(
        "X021",
        "县道021线（颍泉）",
        "县道",
        0.0,
        INVENTED,
        (
            (115.780, 32.960),
            (115.650, 33.080),
        ),
    ),
    RouteSpec(
        "X031",
        "县道031线（临泉）",
        "县道",
        0.0,
        INVENTED,
        (
            (115.250, 33.070),
            (115.050, 33.000),
        ),
    ),
    RouteSpec(
        "X041",
        "县道041线（太和）",
        "县道",
        0.0,
        INVENTED,
        (
            (115.620, 33.170),
            (115.750, 33.350),
        ),
    ),
    RouteSpec(
        "X051",
        "县道051线（阜南）",
        "县道",
        0.0,
        INVENTED,
        (
            (115.580, 32.630),
            (115.520, 32.520),
        ),
    ),
    RouteSpec(
        "X061",
        "县道061线（颍上）",
        "县道",
        0.0,
        INVENTED,
        (
            (116.270, 32.630),
            (116.450, 32.550),
        ),
    ),
    RouteSpec(
        "X071",
        "县道071线（界首）",
        "县道",
        0.0,
        INVENTED,
        (
            (115.370, 33.260),
            (115.420, 33.420),
        ),
    ),
)

SEGMENT_M = 3000  # demo segments are cut every 3 km of stake


@dataclass(frozen=True)
class Segment:
    segment_id: str
    route_code: str
    name: str
    start_m: int
    end_m: int
    unit_adcode: str | None
    path: list[list[float]]


@dataclass(frozen=True)
class Route:
    spec: RouteSpec
    path: list[list[float]]
    start_m: int
    end_m: int

    def point_at_stake(self, stake_m: float) -> tuple[float, float]:
        return geo.point_at(self.path, stake_m - self.start_m)


def build_routes() -> list[Route]:
    """Routes with stakes measured along their alignment from the route's start stake."""
    out = []
    for spec in ROUTES:
        path = [[lon, lat] for lon, lat in spec.waypoints]
        start = int(round(spec.start_km * 1000))
        out.append(Route(spec, path, start, start + int(geo.path_length_m(path))))
    return out


def cut_segments(route: Route, features: list[dict]) -> list[Segment]:
    """Cut a route where it crosses from one unit into another, then every SEGMENT_M metres."""
    segments: list[Segment] = []
    for run_start, run_end, unit in _unit_runs(route, features):
        s = run_start
        while s < run_end:
            e = min(s + SEGMENT_M, run_end)
            if run_end - e < SEGMENT_M // 3:  # fold a short tail into the last piece
                e = run_end
            piece = geo.subpath(route.path, s - route.start_m, e - route.start_m)
            segments.append(
                Segment(
                    f"{route.spec.code}-{len(segments) + 1:03d}",
                    route.spec.code,
                    f"{route.spec.name} {geo.format_stake(s)}—{geo.format_stake(e)}",
                    s,
                    e,
                    unit,
                    [[round(x, 6), round(y, 6)] for x, y in piece],
                )
            )
            s = e
    return segments


def _unit_runs(
    route: Route, features: list[dict], step: int = 100
) -> list[tuple[int, int, str | None]]:
    """Stretches of the route within one unit; boundaries located to the metre by bisection."""
    stakes = [*range(route.start_m, route.end_m, step), route.end_m]
    points = [route.point_at_stake(s) for s in stakes]
    units = geo.locate_units(
        [p[0] for p in points], [p[1] for p in points], features, key="unit_code"
    )

    def unit_at(stake: int) -> str | None:
        return geo.locate_unit(*route.point_at_stake(stake), features, key="unit_code")

    runs: list[tuple[int, int, str | None]] = []
    start = route.start_m
    for i in range(len(stakes) - 1):
        if units[i] == units[i + 1]:
            continue
        lo, hi = stakes[i], stakes[i + 1]  # unit_at(lo) is units[i], unit_at(hi) is not
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if unit_at(mid) == units[i] else (lo, mid)
        runs.append((start, hi, units[i]))
        start = hi
    runs.append((start, route.end_m, units[-1]))
    return [r for r in runs if r[1] > r[0]]
