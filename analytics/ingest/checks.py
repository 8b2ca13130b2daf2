"""Cross-field checks more than one kind lists in its declaration (analytics.ingest.rules): the
unit a row belongs to and whether the importing account may import it, and the point a row gives
(coordinate system, swapped values, a point far from the city)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from analytics import access, geo
from analytics import city as city_mod
from analytics.accounts import auth
from analytics.city import City
from analytics.ingest import batch, plausible, values
from analytics.ingest.batch import Batch
from analytics.ingest.rules import RowCheck


@dataclass(frozen=True)
class Context:
    """What one import checks its rows for (RowCheck.env)."""

    city: City
    user: auth.User
    features: list[dict] = field(default_factory=list)  # the units' outlines, to locate a point
    # 所属区县 text → (the unit it names, whether the user may import it): one file names few
    named: dict = field(default_factory=dict, init=False, compare=False, repr=False)


def unit(
    row: RowCheck, message: str, point: tuple[float, float] | None = None, *, if_new: bool
) -> None:
    """record["unit_adcode"]: the unit the 所属区县 cell names or, when it is empty, the unit the
    point lies in; a county account imports only its own unit's rows. message: the problem when
    there is no unit (only when the id is new if if_new)."""
    ctx: Context = row.env
    found, allowed = named_unit(ctx, row.text("unit"), point)
    if found is None:
        row.problem("unit", message, if_new=if_new)
    elif not allowed:
        row.problem(
            "unit",
            f"区县大队账号只能导入本单位（{ctx.city.unit(ctx.user.unit_adcode).name}）的数据",
        )
    row.out["unit_adcode"] = found.adcode if found else None


def named_unit(
    ctx: Context, unit_text: str | None, point: tuple[float, float] | None = None
) -> tuple[city_mod.Unit | None, bool]:
    """(the unit 所属区县 names or, when it is empty, the unit the point lies in; whether the
    user may import it): a Unit or None, and a bool."""
    if unit_text in ctx.named:
        return ctx.named[unit_text]
    found = ctx.city.resolve_unit(unit_text)
    if found is None and unit_text is None and point is not None:
        found = ctx.city.resolve_unit(geo.locate_unit(*point, ctx.features, key="unit_code"))
    allowed = found is not None and access.can(ctx.user, "import", found.adcode)
    if unit_text is not None:  # (a unit found by the point is the point's own)
        ctx.named[unit_text] = found, allowed
    return found, allowed


def unit_columns(b: Batch) -> None:
    """unit's twin for rows without a point: unit_adcode; rows without a unit they may import
    are referred."""
    ctx: Context = b.env
    found = batch.each(b.texts("unit"), lambda t: named_unit(ctx, t))
    b.refer(i for i, (u, allowed) in enumerate(found) if u is None or not allowed)
    b.out["unit_adcode"] = [u.adcode if u is not None else None for u, _ in found]


def coordinates_columns(b: Batch) -> None:
    """coordinates' twin: rows with a point they would warn about or refuse are referred."""
    lons = batch.each(b.cells("lon"), lambda c: values.number(c, "经度"))
    lats = batch.each(b.cells("lat"), lambda c: values.number(c, "纬度"))
    n = b.n
    out_lon, out_lat, out_source = [None] * n, [None] * n, [None] * n
    city, bounds = b.env.city, _bounds(b.env.city)
    systems: dict[tuple, str | None] = {}
    own, of_file = b.texts("coord_system"), b.cells("_file_coord_system")
    for i, (lon, lat) in enumerate(zip(lons, lats, strict=True)):
        if lon is batch.BAD or lat is batch.BAD:
            b.refer((i,))
            continue
        if lon is None or lat is None or (lon == 0 and lat == 0):
            continue
        key = (own[i], of_file[i])
        if key not in systems:
            try:
                systems[key] = _system(*key)
            except ValueError:
                systems[key] = None
        system = systems[key]
        if (
            system is None
            or (70 <= lat <= 140 and 0 <= lon <= 60)  # swapped: a warning
            or far_from_city(lon, lat, city)
        ):
            b.refer((i,))
            continue
        lon, lat = geo.to_wgs84(lon, lat, system)
        if bounds and not (bounds[0] <= lon <= bounds[2] and bounds[1] <= lat <= bounds[3]):
            b.refer((i,))
            continue
        out_lon[i], out_lat[i], out_source[i] = round(lon, 6), round(lat, 6), system
    b.out["lon"], b.out["lat"], b.out["coord_source"] = out_lon, out_lat, out_source


@batch.twin(coordinates_columns)
def coordinates(row: RowCheck) -> None:
    """record lon, lat (WGS-84) and coord_source, None when the row has no usable point;
    swapped values are corrected and points outside the city flagged, both as warnings."""
    out = row.out
    out["lon"] = out["lat"] = out["coord_source"] = None
    city = row.env.city
    try:
        lon = values.number(row.raw.get("lon"), "经度")
        lat = values.number(row.raw.get("lat"), "纬度")
    except values.ValueProblem as e:
        row.problem("lon", str(e))
        return
    if lon is None or lat is None or (lon == 0 and lat == 0):  # (0, 0) marks "no position"
        return
    system = coord_system(row)
    if system is None:
        return
    if 70 <= lat <= 140 and 0 <= lon <= 60:  # longitude and latitude swapped
        lon, lat = lat, lon
        row.warn("lon", f"{lat},{lon}", "经纬度填反，已自动对调", default_column="经度")
    far = far_from_city(lon, lat, city)
    if far:
        row.problem("lon", far)
        return
    lon, lat = geo.to_wgs84(lon, lat, system)
    bounds = _bounds(city)
    if bounds:
        lo_lon, lo_lat, hi_lon, hi_lat = bounds
        if not (lo_lon <= lon <= hi_lon and lo_lat <= lat <= hi_lat):
            row.warn(
                "lon",
                f"{lon:.5f},{lat:.5f}",
                f"坐标不在{city.name}范围内，请核对",
                default_column="经度",
            )
    out["lon"], out["lat"], out["coord_source"] = round(lon, 6), round(lat, 6), system


def coord_system(row: RowCheck) -> str | None:
    """The row's coordinate system (its 坐标系 cell, else the file's, else WGS-84); None (and the
    problem reported) when it is not one the product knows."""
    try:
        return _system(row.text("coord_system"), row.raw.get("_file_coord_system"))
    except ValueError as e:
        row.problem("coord_system", str(e))
        return None


def _system(own: str | None, of_file: str | None) -> str:
    """The row's 坐标系 cell, else the file's, else WGS-84, normalized (ValueError: unknown)."""
    return geo.normalize_coord_system(own or of_file or "WGS84")


def far_from_city(lon: float, lat: float, city: City) -> str | None:
    """Why a point cannot be in the city (more than FAR_KM beyond the box of its outlines, or,
    for a city without outlines, outside China); None when it may be (a point just outside the
    box is only a warning)."""
    bounds = _bounds(city)
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90 or abs(lon) > 180:
        return f"坐标（{lon:g}, {lat:g}）不是有效的经纬度"
    if not bounds:
        return (
            f"坐标（{lon:g}, {lat:g}）不在中国境内，请核对经纬度"
            if geo.out_of_china(lon, lat)
            else None
        )
    lo_lon, lo_lat, hi_lon, hi_lat = bounds
    near_lon, near_lat = min(max(lon, lo_lon), hi_lon), min(max(lat, lo_lat), hi_lat)
    if geo.haversine_m(lon, lat, near_lon, near_lat) > plausible.FAR_KM * 1000:
        return f"坐标（{lon:g}, {lat:g}）距{city.name}超过 {plausible.FAR_KM} 公里，请核对经纬度"
    return None


_BOUNDS: dict[str, tuple[float, float, float, float] | None] = {}


def _bounds(city: City) -> tuple[float, float, float, float] | None:
    """The box around the city's outlines (None without outlines), computed once per file."""
    key = str(city.map.boundary_file)
    if key not in _BOUNDS:
        outlines = city_mod.boundaries(city)
        _BOUNDS[key] = geo.bbox(outlines) if outlines["features"] else None
    return _BOUNDS[key]
