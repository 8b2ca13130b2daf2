"""Where a hazard is: route + stake (or stake range) and/or a point, as typed or picked.

``locate`` turns what a form received (text) into the hazard's location columns (route_code,
start_m, end_m, lon, lat, coord_source), the point converted to WGS-84; every problem is
reported at once, in Chinese. ``check`` holds the stored shape (used by the workflow on every
write, whatever wrote it). ``pick_grid`` gives the clickable points of the map picker.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np

from analytics import geo
from analytics.city import City, boundaries

# 国道 G, 省道 S, 县道 X, 乡道 Y, 村道 C, 专用公路 Z, then its number (G105, S12, X001, G0321)
ROUTE_CODE = re.compile(r"^[GSXYCZ]\d{1,4}$")
NEAR_KM = 5  # a point this far beyond the box of the city's outlines is refused
PICK_STEP_M = 500  # the spacing of the map picker's points (a picked point is within ~350 m)
LOCATION_FIELDS = ("route_code", "start_m", "end_m", "lon", "lat", "coord_source")
SYSTEM_LABELS = {
    geo.WGS84: "WGS-84（GPS、天地图）",
    geo.GCJ02: "GCJ-02（高德、腾讯）",
    geo.BD09: "BD-09（百度）",
}


class PlaceError(ValueError):
    """What is wrong with a location, every problem at once (Chinese)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("；".join(problems))


def normalize_route(text: object) -> str | None:
    """Route code as typed ("g105 ") -> "G105"; None when blank."""
    if text is None:
        return None
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).upper()
    return s or None


def _number(text: object) -> float | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        x = float(unicodedata.normalize("NFKC", str(text)).strip())
    except ValueError:
        return math.nan
    return x


def locate(
    city: City,
    *,
    route_code: object = None,
    stakes: object = None,
    lon: object = None,
    lat: object = None,
    system: str = geo.WGS84,
    required: bool = False,
    stored_route: str | None = None,
) -> dict[str, object]:
    """The location columns from a form's text; PlaceError listing every problem. ``required``:
    a route with a stake, or a point, must be given (a hazard must reach the map). A typed route
    code must look like one (ROUTE_CODE), unless it is ``stored_route`` kept as it was (imported
    data may hold other spellings)."""
    problems: list[str] = []
    out: dict[str, object] = dict.fromkeys(LOCATION_FIELDS)
    out["route_code"] = normalize_route(route_code)
    code = out["route_code"]
    if code is not None and code != stored_route and not ROUTE_CODE.match(code):
        problems.append(
            f"路线编码“{code}”格式不对：应为 G、S、X、Y、C、Z 加数字，如 G105、S202、X001"
        )
    if code == stored_route:
        out["route_code"] = stored_route
    stake_text = str(stakes).strip() if stakes is not None else ""
    if stake_text:
        pair = geo.parse_stake_range(stake_text)
        if pair is None:
            problems.append(f"桩号“{stake_text}”无法识别，请按 K12+300 或 K12+300-K12+800 填写")
        else:
            out["start_m"], out["end_m"] = pair
            if not out["route_code"]:
                problems.append("填写桩号时须同时填写路线编码")
    x, y = _number(lon), _number(lat)
    if (x is None) != (y is None):
        problems.append("经度和纬度须同时填写")
    elif x is not None and y is not None:
        if math.isnan(x) or math.isnan(y):
            problems.append("经度、纬度须为数字（十进制度，如 115.81234）")
        else:
            try:
                sys_name = geo.normalize_coord_system(system)
            except ValueError as e:
                problems.append(str(e))
            else:
                wx, wy = geo.to_wgs84(x, y, sys_name)
                out["lon"], out["lat"] = round(wx, 6), round(wy, 6)
                out["coord_source"] = sys_name
                if why := far_from(city, wx, wy):
                    problems.append(why)
    try:
        check(out)
    except PlaceError as e:
        problems.extend(p for p in e.problems if p not in problems)
    if required and not problems and out["start_m"] is None and out["lon"] is None:
        problems.append("请填写位置：路线编码和桩号，或坐标（可在地图上选点）")
    if problems:
        raise PlaceError(problems)
    return out


def check(fields: dict[str, object]) -> None:
    """The stored shape of a location (whatever wrote it: a form, an accident-prone site put on
    the list); PlaceError otherwise. The route code's spelling is judged where it is typed."""
    problems = []
    start, end = fields.get("start_m"), fields.get("end_m")
    if start is not None and (not isinstance(start, int | float) or start < 0):
        problems.append("起点桩号须为非负数")
    if end is not None and start is not None and isinstance(end, int | float) and end < start:
        problems.append("止点桩号不能小于起点桩号")
    if end is not None and start is None:
        problems.append("有止点桩号时须有起点桩号")
    lon, lat = fields.get("lon"), fields.get("lat")
    if (lon is None) != (lat is None):
        problems.append("经度和纬度须同时填写")
    elif lon is not None:
        if not (-180 <= float(lon) <= 180 and -90 <= float(lat) <= 90):
            problems.append(f"坐标（{lon}, {lat}）不是有效的经纬度")
        if fields.get("coord_source") not in geo.COORD_SYSTEMS:
            problems.append("有坐标时须注明原坐标系（WGS84、GCJ02 或 BD09）")
    if problems:
        raise PlaceError(problems)


def _box(city: City) -> tuple[float, float, float, float] | None:
    outlines = boundaries(city)
    return geo.bbox(outlines) if outlines["features"] else None


def far_from(city: City, lon: float, lat: float) -> str | None:
    """Why a WGS-84 point is not in or near the city (NEAR_KM beyond its outlines' box)."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return f"坐标（{lon:g}, {lat:g}）不是有效的经纬度"
    box = _box(city)
    if box is None:
        return f"坐标（{lon:g}, {lat:g}）不在中国境内" if geo.out_of_china(lon, lat) else None
    lo_lon, lo_lat, hi_lon, hi_lat = box
    near = min(max(lon, lo_lon), hi_lon), min(max(lat, lo_lat), hi_lat)
    if geo.haversine_m(lon, lat, *near) > NEAR_KM * 1000:
        return (
            f"坐标（{lon:.5f}, {lat:.5f}）不在{city.name}范围内，请核对经纬度及坐标系"
            "（高德、腾讯为 GCJ-02，百度为 BD-09）"
        )
    return None


_GRIDS: dict[tuple[str, str, float], list[dict]] = {}


def pick_grid(city: City, unit_adcode: str, step_m: float = PICK_STEP_M) -> list[dict]:
    """Points every ``step_m`` inside the unit's outline (WGS-84): the targets of the map picker,
    since a deck.gl chart in Streamlit reports selected objects, not clicks on empty ground.
    Computed once per boundary file and unit."""
    key = (str(city.map.boundary_file), unit_adcode, step_m)
    if key not in _GRIDS:
        _GRIDS[key] = _grid(city, unit_adcode, step_m)
    return _GRIDS[key]


def _grid(city: City, unit_adcode: str, step_m: float) -> list[dict]:
    feats = [
        f for f in boundaries(city)["features"] if f["properties"].get("unit_code") == unit_adcode
    ]
    if not feats:
        return []
    geometry = feats[0]["geometry"]
    lo_lon, lo_lat, hi_lon, hi_lat = geo.bbox(geometry)
    dlat = step_m / 111_320
    dlon = step_m / (111_320 * math.cos(math.radians((lo_lat + hi_lat) / 2)))
    lons, lats = np.meshgrid(np.arange(lo_lon, hi_lon, dlon), np.arange(lo_lat, hi_lat, dlat))
    lons, lats = lons.ravel(), lats.ravel()
    inside = geo.points_in_polygon(lons, lats, geometry)
    return [
        {"lon": round(float(x), 6), "lat": round(float(y), 6)}
        for x, y in zip(lons[inside], lats[inside], strict=True)
    ]
