"""Geography helpers: Chinese coordinate systems, distances along paths, polygons and stakes (桩号).

Pure Python + numpy. Coordinates are always (lon, lat) in degrees; WGS-84 is the storage system.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

_Pair = tuple[np.ndarray, np.ndarray]  # (lons, lats)

# --- Coordinate systems ------------------------------------------------------------------------

WGS84 = "WGS84"
GCJ02 = "GCJ02"
BD09 = "BD09"
COORD_SYSTEMS = (WGS84, GCJ02, BD09)

_A = 6378245.0  # Krasovsky 1940 semi-major axis
_EE = 0.00669342162296594323  # Krasovsky eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
_TOL_DEG = 1e-9
_MAX_ITER = 30

# Upper-cased, separator-free spellings -> constant.
_ALIASES = {
    "WGS84": WGS84,
    "WGS": WGS84,
    "GPS": WGS84,
    "CGCS2000": WGS84,
    "CGCS": WGS84,
    "天地图": WGS84,
    "TIANDITU": WGS84,
    "EPSG4326": WGS84,
    "OSM": WGS84,
    "GCJ02": GCJ02,
    "GCJ": GCJ02,
    "高德": GCJ02,
    "AMAP": GCJ02,
    "GAODE": GCJ02,
    "腾讯": GCJ02,
    "TENCENT": GCJ02,
    "火星": GCJ02,
    "国测局": GCJ02,
    "BD09": BD09,
    "BD09LL": BD09,
    "BD": BD09,
    "百度": BD09,
    "BAIDU": BD09,
}


def normalize_coord_system(name: str) -> str:
    """Return WGS84/GCJ02/BD09 for a coordinate-system name; raise ValueError (Chinese) if unknown."""
    key = unicodedata.normalize("NFKC", str(name or "")).strip().upper()
    key = re.sub(r"[\s\-_:：./]", "", key)
    # Also accept "高德坐标系", "百度地图", "WGS84坐标" and the like.
    for candidate in (key, *(key.removesuffix(s) for s in ("坐标系", "坐标", "地图"))):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    raise ValueError(f"无法识别的坐标系：{name}（可用：{'、'.join(COORD_SYSTEMS)}）")


def out_of_china(lon: float, lat: float) -> bool:
    """True when the point is outside China's bounding box (no GCJ-02 shift there)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    # NaN compares False, so NaN counts as "in China" and simply stays NaN through the maths.
    return ~((lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271))


def _gcj_delta(lon: np.ndarray, lat: np.ndarray) -> _Pair:
    """GCJ-02 offset (dlon, dlat) in degrees at a WGS-84 point, ignoring the China box."""
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def _wgs_to_gcj(lon: np.ndarray, lat: np.ndarray) -> _Pair:
    dlon, dlat = _gcj_delta(lon, lat)
    return _china_only(lon, lat, (lon + dlon, lat + dlat))


def _gcj_to_bd(lon: np.ndarray, lat: np.ndarray) -> _Pair:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(forward: Callable[..., _Pair], lon: np.ndarray, lat: np.ndarray, est: _Pair) -> _Pair:
    """Fixed-point inverse of `forward`: refine `est` until forward(est) is within 1e-9 degrees."""
    elon, elat = est
    for _ in range(_MAX_ITER):
        flon, flat = forward(elon, elat)
        dlon, dlat = flon - lon, flat - lat
        if not (np.any(np.abs(dlon) > _TOL_DEG) or np.any(np.abs(dlat) > _TOL_DEG)):
            break
        elon, elat = elon - dlon, elat - dlat
    return elon, elat


def _gcj_to_wgs(lon: np.ndarray, lat: np.ndarray) -> _Pair:
    return _invert(_wgs_to_gcj, lon, lat, (lon, lat))


def _bd_to_gcj(lon: np.ndarray, lat: np.ndarray) -> _Pair:
    # Start from the usual one-step inverse (error ~1e-6 degrees), then refine.
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _invert(_gcj_to_bd, lon, lat, (z * np.cos(theta), z * np.sin(theta)))


def _china_only(lon: np.ndarray, lat: np.ndarray, moved: _Pair) -> _Pair:
    # Baidu uses plain WGS-84 outside China, so points outside the box are left alone.
    inside = _in_china(lon, lat)
    return np.where(inside, moved[0], lon), np.where(inside, moved[1], lat)


def _bd_to_wgs(lon: np.ndarray, lat: np.ndarray) -> _Pair:
    return _china_only(lon, lat, _gcj_to_wgs(*_bd_to_gcj(lon, lat)))


def _wgs_to_bd(lon: np.ndarray, lat: np.ndarray) -> _Pair:
    return _china_only(lon, lat, _gcj_to_bd(*_wgs_to_gcj(lon, lat)))


def _identity(lon: np.ndarray, lat: np.ndarray) -> _Pair:
    return lon, lat


_TO_WGS = {WGS84: _identity, GCJ02: _gcj_to_wgs, BD09: _bd_to_wgs}
_FROM_WGS = {WGS84: _identity, GCJ02: _wgs_to_gcj, BD09: _wgs_to_bd}


def _scalar(fn: Callable, lon: float, lat: float) -> tuple[float, float]:
    x, y = fn(np.float64(lon), np.float64(lat))
    return float(x), float(y)


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 -> GCJ-02 (unchanged outside China)."""
    return _scalar(_wgs_to_gcj, lon, lat)


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> WGS-84 by iteration (error below 1e-9 degrees)."""
    return _scalar(_gcj_to_wgs, lon, lat)


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 -> BD-09 (Baidu's public formula)."""
    return _scalar(_gcj_to_bd, lon, lat)


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 -> GCJ-02, the public inverse refined by iteration."""
    return _scalar(_bd_to_gcj, lon, lat)


def bd09_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 -> WGS-84 (unchanged outside China)."""
    return _scalar(_bd_to_wgs, lon, lat)


def wgs84_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 -> BD-09 (unchanged outside China)."""
    return _scalar(_wgs_to_bd, lon, lat)


def to_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    """Convert a point from `system` (any accepted spelling) to WGS-84."""
    return _scalar(_TO_WGS[normalize_coord_system(system)], lon, lat)


def from_wgs84(lon: float, lat: float, system: str) -> tuple[float, float]:
    """Convert a WGS-84 point to `system` (any accepted spelling)."""
    return _scalar(_FROM_WGS[normalize_coord_system(system)], lon, lat)


def to_wgs84_array(lons: np.ndarray, lats: np.ndarray, system: str) -> _Pair:
    """Vectorised to_wgs84: returns new float arrays; NaN stays NaN."""
    return _convert_array(_TO_WGS[normalize_coord_system(system)], lons, lats)


def from_wgs84_array(lons: np.ndarray, lats: np.ndarray, system: str) -> _Pair:
    """Vectorised from_wgs84 (e.g. to draw on a GCJ-02 basemap); NaN stays NaN."""
    return _convert_array(_FROM_WGS[normalize_coord_system(system)], lons, lats)


def _convert_array(fn: Callable[..., _Pair], lons: np.ndarray, lats: np.ndarray) -> _Pair:
    lon = np.array(lons, dtype=float)
    lat = np.array(lats, dtype=float)
    with np.errstate(invalid="ignore"):
        x, y = fn(lon, lat)
    return np.array(x, dtype=float), np.array(y, dtype=float)


def positions(obj: Any) -> Iterator[list[float]]:
    """Every [lon, lat, ...] position list of a GeoJSON object (the object's own lists)."""
    if isinstance(obj, dict):
        for part in ("features", "geometry", "geometries", "coordinates"):
            if obj.get(part):
                yield from positions(obj[part])
    elif isinstance(obj, list) and obj:
        if isinstance(obj[0], int | float):
            yield obj
        else:
            for item in obj:
                yield from positions(item)


def convert_geojson(geojson: dict, source_system: str) -> dict:
    """Deep copy of a GeoJSON object with every coordinate converted to WGS-84 (6 decimals)."""
    system = normalize_coord_system(source_system)  # fail fast on an unknown name
    result = copy.deepcopy(geojson)
    found = list(positions(result))  # the copy's own [lon, lat, ...] lists
    lons = np.array([p[0] for p in found], dtype=float)
    lats = np.array([p[1] for p in found], dtype=float)
    for pos, lon, lat in zip(found, *to_wgs84_array(lons, lats, system), strict=True):
        pos[0], pos[1] = round(float(lon), 6), round(float(lat), 6)
    return result


# --- Distances and paths -----------------------------------------------------------------------

EARTH_RADIUS_M = 6371008.8  # mean Earth radius (IUGG)


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def haversine_m_array(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Vectorised haversine_m (inputs broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.subtract(lon2, lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def cumulative_m(path: list[list[float]]) -> list[float]:
    """Distance from the first vertex to each vertex, in metres: the edges' lengths from
    haversine_m_array (so that placing every site at once, analytics/accidents/placing.py, gives
    the very same numbers), added edge by edge."""
    if len(path) == 0:
        return []
    lon = np.array([p[0] for p in path], dtype=np.float64)
    lat = np.array([p[1] for p in path], dtype=np.float64)
    edges = haversine_m_array(lon[:-1], lat[:-1], lon[1:], lat[1:]).tolist()
    return list(itertools.accumulate(edges, initial=0.0))


def path_length_m(path: list[list[float]]) -> float:
    """Length of a [lon, lat] polyline in metres."""
    cum = cumulative_m(path)
    return cum[-1] if cum else 0.0


def _interpolate(path: list[list[float]], cum: list[float], d: float) -> tuple[float, float]:
    d = min(max(d, 0.0), cum[-1])
    i = min(bisect_right(cum, d), len(path) - 1)  # first vertex strictly beyond d (or last)
    seg = cum[i] - cum[i - 1] if i else 0.0
    if seg <= 0.0:
        return float(path[i][0]), float(path[i][1])
    t = (d - cum[i - 1]) / seg
    (x0, y0), (x1, y1) = path[i - 1][:2], path[i][:2]
    return x0 + t * (x1 - x0), y0 + t * (y1 - y0)


def point_at(path: list[list[float]], distance_m: float) -> tuple[float, float]:
    """Point at `distance_m` along the path (linear between vertices, clamped to the ends)."""
    if not path:
        raise ValueError("path is empty")
    return _interpolate(path, cumulative_m(path), distance_m)


def subpath(path: list[list[float]], start_m: float, end_m: float) -> list[list[float]]:
    """The part of the path between two distances from its start, with interpolated ends."""
    if not path:
        return []
    cum = cumulative_m(path)
    lo, hi = sorted((min(max(start_m, 0.0), cum[-1]), min(max(end_m, 0.0), cum[-1])))
    inner = [[float(p[0]), float(p[1])] for p, c in zip(path, cum, strict=True) if lo < c < hi]
    return [list(_interpolate(path, cum, lo)), *inner, list(_interpolate(path, cum, hi))]


def stake_subpath(
    path: list[list[float]], seg_start_m: float, seg_end_m: float, lo_m: float, hi_m: float
) -> list[list[float]]:
    """The part of a road segment's path between two stakes. Stakes map linearly onto the
    path's length (a segment's stake span and its drawn length rarely agree to the metre)."""
    span = seg_end_m - seg_start_m
    scale = path_length_m(path) / span if span > 0 else 0.0
    return subpath(path, (lo_m - seg_start_m) * scale, (hi_m - seg_start_m) * scale)


# --- Polygons ----------------------------------------------------------------------------------


def _in_ring(lon: float, lat: float, ring: list[list[float]]) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _in_polygon(lon: float, lat: float, rings: list[list[list[float]]]) -> bool:
    if not rings or not _in_ring(lon, lat, rings[0]):
        return False
    return not any(_in_ring(lon, lat, hole) for hole in rings[1:])


def point_in_polygon(lon: float, lat: float, geometry: dict) -> bool:
    """True if the point is inside a GeoJSON Polygon/MultiPolygon (holes excluded)."""
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        return _in_polygon(lon, lat, coords)
    if kind == "MultiPolygon":
        return any(_in_polygon(lon, lat, poly) for poly in coords)
    return False


def locate_unit(lon: float, lat: float, features: list[dict], key: str = "adcode") -> str | None:
    """`str(properties[key])` of the first feature containing the point, else None."""
    for feature in features:
        geometry = feature.get("geometry")
        value = (feature.get("properties") or {}).get(key)
        if geometry and value is not None and point_in_polygon(lon, lat, geometry):
            return str(value)
    return None


def _in_ring_array(lon: np.ndarray, lat: np.ndarray, ring: list[list[float]]) -> np.ndarray:
    """_in_ring for many points at once (same crossing rule), in chunks to bound memory."""
    r = np.asarray(ring, dtype=float)
    xi, yi = r[:, 0], r[:, 1]
    xj, yj = np.roll(xi, 1), np.roll(yi, 1)
    out = np.zeros(len(lon), dtype=bool)
    chunk = max(1, 4_000_000 // max(len(r), 1))
    for start in range(0, len(lon), chunk):
        x = lon[start : start + chunk, None]
        y = lat[start : start + chunk, None]
        spans = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            cross = (xj - xi) * (y - yi) / (yj - yi) + xi
        out[start : start + chunk] = (spans & (x < cross)).sum(axis=1) % 2 == 1
    return out


def points_in_polygon(lons: np.ndarray, lats: np.ndarray, geometry: dict) -> np.ndarray:
    """point_in_polygon for arrays of points: a boolean array."""
    lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    if geometry.get("type") == "Feature":
        geometry = geometry.get("geometry") or {}
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    polygons = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else []
    inside = np.zeros(len(lons), dtype=bool)
    for rings in polygons:
        if not rings:
            continue
        hit = _in_ring_array(lons, lats, rings[0])
        for hole in rings[1:]:
            hit &= ~_in_ring_array(lons, lats, hole)
        inside |= hit
    return inside


def locate_units(
    lons: np.ndarray, lats: np.ndarray, features: list[dict], key: str = "adcode"
) -> list[str | None]:
    """locate_unit for arrays of points: the first containing feature's key, else None."""
    lons, lats = np.asarray(lons, dtype=float), np.asarray(lats, dtype=float)
    found: list[str | None] = [None] * len(lons)
    todo = np.ones(len(lons), dtype=bool)
    for feature in features:
        geometry = feature.get("geometry")
        value = (feature.get("properties") or {}).get(key)
        if not geometry or value is None or not todo.any():
            continue
        idx = np.flatnonzero(todo)
        hit = idx[points_in_polygon(lons[idx], lats[idx], geometry)]
        for i in hit:
            found[i] = str(value)
        todo[hit] = False
    return found


def bbox(geometry_or_featurecollection: dict) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of any GeoJSON object; ValueError if empty."""
    pts = list(positions(geometry_or_featurecollection))
    if not pts:
        raise ValueError("GeoJSON has no coordinates")
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    return float(min(lons)), float(min(lats)), float(max(lons)), float(max(lats))


# --- Stakes (桩号) -------------------------------------------------------------------------------

_NUM = r"\d+(?:\.\d+)?"
_STAKE_PATTERNS = (
    re.compile(rf"^K({_NUM})(?:\+({_NUM})M?)?$"),  # K123, K123+500, K123+500M
    re.compile(rf"^({_NUM})KM?(?:\+({_NUM})M?|({_NUM})M)?$"),  # 123K+500, 1325KM+500M, 123KM500M
    re.compile(rf"^({_NUM})$"),  # 123 / 123.5 (kilometres)
)
# the common spelling, already clean: the same metres as _stake_metres(_clean(text)) gives
_PLAIN_STAKE = re.compile(r"K(\d{1,6})\+(\d{3})", re.ASCII)
_RANGE_SEP = re.compile(r"[-~—–〜]+|至|到")


def _clean(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).upper()
    s = re.sub(r"\s+", "", s)
    return s.replace("公里", "KM").replace("米", "M").replace("加", "+")


def _stake_metres(s: str) -> int | None:
    for pattern in _STAKE_PATTERNS:
        m = pattern.match(s)
        if m:
            km_text, *metre_parts = m.groups()
            metres_text = next((p for p in metre_parts if p is not None), None)
            metres = float(metres_text) if metres_text else 0.0
            if metres >= 1000:
                return None
            return _whole_metres(float(km_text) * 1000 + metres)
    return None


def _whole_metres(metres: float) -> int | None:
    """Metres rounded to a whole number; None when not a finite number (9 × 400 digits as a
    float is infinite)."""
    try:
        return int(round(metres))
    except (OverflowError, ValueError):
        return None


def parse_stake(text: Any) -> int | None:
    """Stake text ("K123+500", "123公里500米", "123.5", ...) -> metres; None if unparseable."""
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return _whole_metres(text * 1000) if text >= 0 else None  # NaN: not >= 0
    if type(text) is str and (m := _PLAIN_STAKE.fullmatch(text)):  # K123+500, as most write it
        return int(m[1]) * 1000 + int(m[2])
    return _stake_metres(_clean(str(text)))


def parse_stake_range(text: Any) -> tuple[int, int] | None:
    """Stake range text ("K867+000-K877+000", "867公里至877公里", ...) -> (min, max) metres."""
    if not isinstance(text, str):
        single = parse_stake(text)
        return None if single is None else (single, single)
    parts = _RANGE_SEP.split(_clean(text))
    values = [v for v in map(_stake_metres, parts) if v is not None]
    if len(values) != len(parts) or len(values) > 2:
        return None
    return min(values), max(values)


def format_stake(metres: int) -> str:
    """Metres -> "K123+500" (metres part zero-padded to 3 digits)."""
    m = int(round(metres))
    if m < 0:
        raise ValueError(f"桩号不能为负数：{metres}")
    return f"K{m // 1000}+{m % 1000:03d}"


def format_stake_range(start: Any, end: Any = None) -> str:
    """Metres -> "K12+300—K12+800"; one stake when the end is missing or equal; "" without a start."""
    if start is None or pd.isna(start):
        return ""
    if end is None or pd.isna(end) or int(round(end)) == int(round(start)):
        return format_stake(start)
    return f"{format_stake(start)}—{format_stake(end)}"


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = unicodedata.normalize("NFKC", value).strip()
        if not value:
            return None
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):  # (an int beyond any float)
        return None
    return None if math.isnan(x) or math.isinf(x) else x


def stake_from_km_m(km: Any, m: Any) -> int | None:
    """Stake from the 公里数 and 米数 columns; blank 米数 counts as 0, 米数 must be 0-999."""
    k, mm = _number(km), _number(m)
    if k is None or k < 0:
        return None
    mm = 0.0 if mm is None else mm
    if not 0 <= mm <= 999:
        return None
    return _whole_metres(k * 1000 + mm)  # 1e308 km: no stake
