"""The city the product runs for: its units, aliases, map and boundary file (data/city.toml)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analytics import geo
from analytics.accidents import rules as hotspot_rules

UNIT_KINDS = ("district", "county", "city", "zone")


class CityConfigError(ValueError):
    """The city file is missing or malformed; the message is Chinese and says what to fix."""


@dataclass(frozen=True)
class Unit:
    adcode: str
    name: str
    short: str
    kind: str
    seat: tuple[float, float] | None
    aliases: tuple[str, ...]
    sort_order: int


@dataclass(frozen=True)
class MapConfig:
    center_lon: float
    center_lat: float
    zoom: float
    boundary_file: Path | None
    boundary_key: str
    boundary_coord_system: str
    basemap_url: str
    basemap_coord_system: str
    basemap_attribution: str


@dataclass(frozen=True)
class City:
    name: str
    adcode: str
    detachment: str
    profile: dict[str, float]
    map: MapConfig
    units: tuple[Unit, ...]
    source: Path
    # [hotspots] default_preset: the accident-prone site rule shown unless the user picks another
    hotspot_preset: str = hotspot_rules.DEFAULT_PRESET
    # [sources] file: the 人·车·企 indicators (analytics.sources.config); None: none configured
    sources_file: Path | None = None

    def unit(self, adcode: str) -> Unit:
        for u in self.units:
            if u.adcode == adcode:
                return u
        raise KeyError(adcode)

    def resolve_unit(self, text: str | int | None) -> Unit | None:
        """A unit from its adcode, full name, short name or an alias; None when unknown."""
        if text is None:
            return None
        key = str(text).strip()
        if not key:
            return None
        for u in self.units:
            if key in (u.adcode, u.name, u.short) or key in u.aliases:
                return u
        return None


# The city's public profile figures: key in city.toml, label, unit.
PROFILE: tuple[tuple[str, str, str], ...] = (
    ("population_wan", "常住人口", "万人"),
    ("motor_vehicles_wan", "机动车保有量", "万辆"),
    ("drivers_wan", "驾驶人", "万人"),
    ("road_km", "公路里程", "公里"),
)
PROFILE_KEYS = tuple(k for k, _, _ in PROFILE)


def load_city(path: str | Path) -> City:
    """Read and validate a city file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CityConfigError(f"找不到城市配置文件：{path}") from None
    except tomllib.TOMLDecodeError as e:
        raise CityConfigError(f"城市配置文件格式错误（{path}）：{e}") from None
    try:
        return _city(raw, path)
    except KeyError as e:
        raise CityConfigError(f"城市配置文件缺少必填项 {e}（{path}）") from None
    except CityConfigError:
        raise
    except (ValueError, TypeError, IndexError) as e:
        raise CityConfigError(f"城市配置文件有误（{path}）：{e}") from None


def _city(raw: dict, path: Path) -> City:
    c, m = raw["city"], raw.get("map", {})
    units = tuple(_unit(u, i) for i, u in enumerate(raw["units"]))
    codes = [u.adcode for u in units]
    if len(set(codes)) != len(codes):
        raise CityConfigError(f"城市配置文件中单位代码重复（{path}）")
    boundary = m.get("boundary_file") or None
    preset = str(raw.get("hotspots", {}).get("default_preset") or hotspot_rules.DEFAULT_PRESET)
    if preset not in hotspot_rules.PRESETS:
        raise CityConfigError(
            f"[hotspots] default_preset 的值 {preset} 不是已有的事故多发点段口径"
            f"（可选：{'、'.join(hotspot_rules.PRESETS)}）（{path}）"
        )
    return City(
        name=c["name"],
        adcode=str(c["adcode"]),
        detachment=c.get("detachment", f"{c['name']}公安局交通警察支队"),
        profile={k: float(c[k]) for k in PROFILE_KEYS if k in c},
        map=MapConfig(
            center_lon=float(m.get("center_lon", 0.0)),
            center_lat=float(m.get("center_lat", 0.0)),
            zoom=float(m.get("zoom", 8)),
            boundary_file=(path.parent / boundary) if boundary else None,
            boundary_key=m.get("boundary_key", "adcode"),
            boundary_coord_system=geo.normalize_coord_system(
                m.get("boundary_coord_system", "WGS84")
            ),
            basemap_url=m.get("basemap_url", ""),
            basemap_coord_system=geo.normalize_coord_system(m.get("basemap_coord_system", "WGS84")),
            basemap_attribution=m.get("basemap_attribution", ""),
        ),
        units=units,
        source=path,
        hotspot_preset=preset,
        sources_file=(path.parent / sources)
        if (sources := raw.get("sources", {}).get("file"))
        else None,
    )


def _unit(u: dict, order: int) -> Unit:
    kind = u.get("kind", "county")
    if kind not in UNIT_KINDS:
        raise CityConfigError(
            f"单位 {u.get('name')} 的类型 {kind} 无效（可用：{'、'.join(UNIT_KINDS)}）"
        )
    seat = u.get("seat")
    return Unit(
        adcode=str(u["adcode"]),
        name=u["name"],
        short=u.get("short", u["name"]),
        kind=kind,
        seat=(float(seat[0]), float(seat[1])) if seat else None,
        aliases=tuple(u.get("aliases", ())),
        sort_order=order,
    )


@lru_cache(maxsize=8)
def _boundaries_cached(path: str, mtime: float, key: str, system: str) -> str:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    converted = geo.convert_geojson(data, system)
    for f in converted["features"]:
        f["properties"]["unit_code"] = str(f["properties"][key])
    return json.dumps(converted, ensure_ascii=False)


def boundaries(city: City) -> dict:
    """The unit outlines as a WGS-84 FeatureCollection; each feature has properties.unit_code.

    An empty collection when the city has no boundary file.
    """
    f = city.map.boundary_file
    if f is None:
        return {"type": "FeatureCollection", "features": []}
    if not f.exists():
        raise CityConfigError(f"找不到边界文件：{f}")
    text = _boundaries_cached(
        str(f), f.stat().st_mtime, city.map.boundary_key, city.map.boundary_coord_system
    )
    return json.loads(text)
