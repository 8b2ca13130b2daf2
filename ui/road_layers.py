"""The 道路地图 deck: its layers (road segments by rate, route lines, accident grid cells or
points, hazards by standing, accident-prone sites, unit outlines, basemap tiles), built from
analytics/accidents/road_map.py's aggregates, every coordinate in the basemap's system. Offline by
default: map_provider=None and no map_style (see ui/maps.py)."""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass

import pandas as pd
import pydeck as pdk
from pydeck.bindings import json_tools

from analytics import geo
from analytics.accidents import road_map
from analytics.city import City
from ui import charts, maps, text

FONT = "WenQuanYi Micro Hei, Microsoft YaHei, sans-serif"
MAP_LAYERS = {
    "units": "单位边界",
    "segments": "路网（按事故率着色）",
    "sites": "事故多发点段",
    "hazards": "隐患",
    "accidents": "事故",
}


def _rgb(hex_colour: str, alpha: int = 255) -> list[int]:
    h = hex_colour.lstrip("#")
    return [int(h[i : i + 2], 16) for i in (0, 2, 4)] + [alpha]


STANDING_RGB = {
    "逾期": _rgb(charts.RED),
    "临期": _rgb(charts.AMBER),
    "正常推进": _rgb(charts.BLUE),
    "已销号": _rgb(charts.GREEN),
}
NO_ACCIDENTS = [170, 170, 170, 200]
_HEAT = ((253, 204, 92), (240, 59, 32), (128, 0, 38))  # low -> high: yellow, red, dark red
SEVERITY_RGB = {"死亡事故": [110, 0, 30, 230], "伤人事故": [230, 85, 13, 220]}
OTHER_ACCIDENT = [90, 70, 140, 200]
SITE_RGB = [156, 39, 176, 150]


def heat_colour(value: float | None, hi: float, alpha: int = 230) -> list[int]:
    """Grey for none, then yellow through red to dark red as value approaches hi."""
    if value is None or pd.isna(value) or value <= 0 or hi <= 0:
        return NO_ACCIDENTS
    t = min(float(value) / hi, 1.0)
    a, b, u = (_HEAT[0], _HEAT[1], t * 2) if t < 0.5 else (_HEAT[1], _HEAT[2], (t - 0.5) * 2)
    return [round(x + (y - x) * u) for x, y in zip(a, b, strict=True)] + [alpha]


class Display:
    """WGS-84 -> the basemap's system, rounded to 5 decimals (about 1 m)."""

    def __init__(self, system: str) -> None:
        self.system = system

    def points(self, lons, lats) -> tuple[list[float], list[float]]:
        x, y = road_map.to_basemap(lons, lats, self.system)
        return [round(float(v), 5) for v in x], [round(float(v), 5) for v in y]

    def path(self, path) -> list[list[float]]:
        xs, ys = self.points([p[0] for p in path], [p[1] for p in path])
        return [[x, y] for x, y in zip(xs, ys, strict=True)]

    def geojson(self, fc: dict) -> dict:
        out = copy.deepcopy(fc)
        positions = list(geo.positions(out))  # the copy's own coordinate lists
        xs, ys = self.points([p[0] for p in positions], [p[1] for p in positions])
        for pos, x, y in zip(positions, xs, ys, strict=True):
            pos[0], pos[1] = x, y
        return out


def _num(v: object, digits: int = 2) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):.{digits}f}"


def segment_layer(segments: pd.DataFrame, measure: str, d: Display) -> pdk.Layer:
    col = f"{measure}_per_km"
    rates = [r for r in segments[col] if r is not None and not pd.isna(r) and r > 0]
    hi = max(rates) if rates else 0.0
    label, unit = road_map.MEASURES[measure], "起" if measure == "accidents" else "人"
    rows = []
    for s in segments.itertuples():
        rate = getattr(s, col)
        rows.append(
            {
                "segment_id": s.segment_id,
                "name": s.name,
                "route_code": s.route_code,
                "stakes": geo.format_stake_range(s.start_m, s.end_m),
                "unit_name": s.unit_name or "",
                "km": round(float(s.km), 3),
                "accidents": int(s.accidents),
                "fatal_accidents": int(s.fatal_accidents),
                "deaths": int(s.deaths),
                "injuries": int(s.injuries),
                "rate": None if rate is None else round(rate, 3),
                "path": d.path(s.path),
                "color": heat_colour(rate, hi),
                "tip": f"{s.name}\n{s.unit_name or ''} · {float(s.km):.1f} 公里\n"
                f"事故 {int(s.accidents)} 起 · 死亡 {int(s.deaths)} 人\n"
                f"每公里{label}：{_num(rate)} {unit}\n点击查看详情",
            }
        )
    return pdk.Layer(
        "PathLayer",
        id="segments",
        data=rows,
        get_path="path",
        get_color="color",
        get_width=5,
        width_units="'pixels'",
        width_min_pixels=3,
        cap_rounded=True,
        pickable=True,
        auto_highlight=True,
    )


def network_layer(lines: pd.DataFrame, d: Display) -> pdk.Layer:
    rows = [{"path": d.path(p)} for p in lines["path"]]
    return pdk.Layer(
        "PathLayer",
        id="network",
        data=rows,
        get_path="path",
        get_color=NO_ACCIDENTS,
        get_width=2,
        width_units="'pixels'",
        pickable=False,
    )


def grid_layer(grid: road_map.Grid, d: Display) -> pdk.Layer:
    cells = grid.cells
    hi = math.log1p(float(cells.accidents.max())) if len(cells) else 0.0
    xs, ys = d.points(cells.lon.to_numpy(), cells.lat.to_numpy())
    km = grid.cell_m / 1000
    rows = [
        {
            "position": [x, y],
            "accidents": int(n),
            "deaths": int(k),
            "fatal": int(f),
            "color": heat_colour(math.log1p(n), hi, 170),
            "tip": f"{km:g} 公里网格\n事故 {int(n)} 起（死亡事故 {int(f)} 起）\n死亡 {int(k)} 人",
        }
        for x, y, n, k, f in zip(
            xs, ys, cells.accidents, cells.deaths, cells.fatal_accidents, strict=True
        )
    ]
    return pdk.Layer(
        "GridCellLayer",
        id="accident_grid",
        data=rows,
        get_position="position",
        cell_size=grid.cell_m,
        extruded=False,
        get_fill_color="color",
        pickable=True,
    )


def accident_layer(points: pd.DataFrame, d: Display) -> pdk.Layer:
    xs, ys = d.points(points.lon.to_numpy(), points.lat.to_numpy())
    rows = []
    for p, x, y in zip(points.itertuples(), xs, ys, strict=True):
        when = pd.Timestamp(p.occurred_at).strftime("%Y-%m-%d %H:%M")
        place = " ".join(
            str(v) for v in (p.road_name, geo.format_stake_range(p.stake_m, None)) if v
        )
        rows.append(
            {
                "accident_id": p.accident_id,
                "position": [x, y],
                "occurred_at": when,
                "unit_name": p.unit_name or "",
                "place": place,
                "deaths": int(p.deaths),
                "injuries": int(p.injuries),
                "severity": p.severity or "",
                "collision_type": p.collision_type or "",
                "color": SEVERITY_RGB.get(p.severity, OTHER_ACCIDENT),
                "tip": f"事故 {p.accident_id}\n{when} · {p.severity or ''}\n{place}"
                f"\n死亡 {int(p.deaths)} 人 · 受伤 {int(p.injuries)} 人",
            }
        )
    return pdk.Layer(
        "ScatterplotLayer",
        id="accident_points",
        data=rows,
        get_position="position",
        get_fill_color="color",
        get_radius=4,
        radius_units="'pixels'",
        pickable=True,
    )


def hazard_layer(hazards: pd.DataFrame, d: Display) -> pdk.Layer:
    xs, ys = d.points(hazards.lon.to_numpy(), hazards.lat.to_numpy())
    rows = []
    for h, x, y in zip(hazards.itertuples(), xs, ys, strict=True):
        deadline = h.deadline.date().isoformat() if pd.notna(h.deadline) else "—"
        late = f"{int(h.days_overdue)} 天" if pd.notna(h.days_overdue) else ""
        standing = f"逾期 {late}" if late else h.standing
        place = " ".join(v for v in (h.road_name, geo.format_stake_range(h.start_m, h.end_m)) if v)
        rows.append(
            {
                "hazard_id": h.hazard_id,
                "position": [x, y],
                "standing": h.standing,
                "hazard_type": h.hazard_type or "",
                "place": place,
                "unit_name": h.unit_name or "",
                "deadline": deadline,
                "state": h.state,
                "risk_grade": h.risk_grade or "",
                "supervision_level": h.supervision_level or "",
                "responsible_unit": h.responsible_unit or "",
                "days_overdue": late,
                "by_stake": bool(h.placed_by_stake),
                "color": STANDING_RGB[h.standing],
                "radius": 4 if h.standing == "已销号" else 7,  # open hazards stand out
                "tip": f"隐患 {h.hazard_id}（{standing}）\n"
                + " · ".join(v for v in (h.hazard_type, place) if v)
                + f"\n完成时限：{deadline}",
            }
        )
    rows.sort(key=lambda r: r["standing"] != "已销号")  # closed ones drawn first, underneath
    return pdk.Layer(
        "ScatterplotLayer",
        id="hazards",
        data=rows,
        get_position="position",
        get_fill_color="color",
        get_line_color=[255, 255, 255],
        stroked=True,
        line_width_min_pixels=1,
        get_radius="radius",
        radius_units="'pixels'",
        pickable=True,
        auto_highlight=True,
    )


def site_layers(sites: pd.DataFrame, d: Display) -> list[pdk.Layer]:
    """Stake-mode sites along their stretch of road; coordinate-mode sites as circles."""
    paths, circles = [], []
    for s in sites.itertuples():
        figures = (
            f"事故 {int(s.accidents)} 起 · 死亡 {int(s.deaths)} 人 · 受伤 {int(s.injuries)} 人"
        )
        covered = "、".join(s.covered_by) if len(s.covered_by) else ""
        row = {
            "site_key": s.site_key,
            "rank": int(s.rank),
            "unit_name": s.unit_name or "",
            "place": (
                f"{s.road_name or s.route_code} {geo.format_stake_range(s.start_m, s.end_m)}"
                if s.mode != "coords"
                else f"半径 {int(s.radius_m)} 米范围"
            ),
            "accidents": int(s.accidents),
            "fatal_accidents": int(s.fatal_accidents),
            "deaths": int(s.deaths),
            "injuries": int(s.injuries),
            "top_collision_type": s.top_collision_type or "",
            "covered_by": covered,
            "tip": f"事故多发点段 第{int(s.rank)}名\n{figures}\n"
            + (f"已列入隐患：{covered}" if covered else "尚未列入隐患清单"),
        }
        path = s.path if isinstance(s.path, list | tuple) or hasattr(s.path, "__len__") else None
        if s.mode != "coords" and path is not None and len(path) >= 2:
            paths.append({**row, "path": d.path([list(p) for p in path])})
        elif pd.notna(s.lon) and pd.notna(s.lat):
            (x,), (y,) = d.points([s.lon], [s.lat])
            radius = float(s.radius_m) if pd.notna(s.radius_m) else 200.0
            circles.append({**row, "position": [x, y], "radius": radius})
    return [
        pdk.Layer(
            "PathLayer",
            id="sites_stake",
            data=paths,
            get_path="path",
            get_color=SITE_RGB,
            get_width=14,
            width_units="'pixels'",
            cap_rounded=True,
            pickable=True,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            id="sites_coords",
            data=circles,
            get_position="position",
            get_radius="radius",
            radius_units="'meters'",
            radius_min_pixels=6,
            stroked=True,
            get_fill_color=SITE_RGB[:3] + [60],
            get_line_color=SITE_RGB[:3] + [230],
            line_width_min_pixels=2,
            pickable=True,
        ),
    ]


def boundary_layer(outlines: dict, d: Display, filled: bool = True) -> pdk.Layer:
    """The unit outlines; filled pale when there is no basemap (they give the map its shape)."""
    return pdk.Layer(
        "GeoJsonLayer",
        id="units",
        data=d.geojson(outlines),
        stroked=True,
        filled=filled,
        get_fill_color=[236, 240, 245, 255],
        get_line_color=[120, 130, 145, 255],
        line_width_min_pixels=1.2,
        pickable=False,
    )


def _tile_lon(x: float, z: int) -> float:
    return x / 2**z * 360.0 - 180.0


def _tile_lat(y: float, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / 2**z))))


def basemap_layers(
    city: City, view: tuple[float, float, float], width_px: int = 1000, height_px: int = 760
) -> list[pdk.Layer]:
    """The configured tiles ([map] basemap_url) around the initial view, one BitmapLayer per
    {z}/{x}/{y} tile (with one tile to spare on every side); none by default (nothing fetched).

    Streamlit's deck.gl JSON cannot express a TileLayer's renderSubLayers that builds a
    BitmapLayer (its expressions may not call functions or construct layers), and a
    TerrainLayer would need loaders.gl's worker from a CDN; so the server picks the tiles of
    the view. view is in the basemap's own coordinates; deck.gl's zoom z shows 256-pixel
    tiles of level z + 1."""
    url = city.map.basemap_url.strip()
    if not url:
        return []
    z = max(1, min(18, round(view[2] + 1)))
    n = 2**z
    cx = (view[0] + 180.0) / 360.0 * n
    lat = math.radians(view[1])
    cy = (1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * n
    dx, dy = width_px / 512, height_px / 512  # half the view, in tiles
    layers = []
    for x in range(math.floor(cx - dx) - 1, math.floor(cx + dx) + 2):
        for y in range(max(0, math.floor(cy - dy) - 1), min(n, math.floor(cy + dy) + 2)):
            tile = url.replace("{z}", str(z)).replace("{x}", str(x % n)).replace("{y}", str(y))
            bounds = [_tile_lon(x, z), _tile_lat(y + 1, z), _tile_lon(x + 1, z), _tile_lat(y, z)]
            layers.append(
                pdk.Layer(
                    "BitmapLayer",
                    id=f"basemap-{z}-{x}-{y}",
                    image=f"'{tile}'",
                    bounds=[round(v, 7) for v in bounds],
                    pickable=False,
                )
            )
    return layers


class CompactDeck(pdk.Deck):
    """A Deck whose JSON (what st.pydeck_chart sends) has no indentation and keeps Chinese as
    UTF-8 rather than \\u escapes: about half of pydeck's indented ASCII JSON.

    One pass of json's C encoder with pydeck's own object hook and sorted keys: the same text as
    re-encoding pydeck's indented JSON (which the pure-Python encoder wrote, 4-5x slower)."""

    def to_json(self) -> str:
        return json.dumps(
            self,
            sort_keys=True,
            default=json_tools.default_serialize,
            ensure_ascii=False,
            separators=(",", ":"),
        )


# plain text (the values are escaped in an html tooltip); lines break at \n
TOOLTIP = {"text": "{tip}", "style": {"fontFamily": FONT, "fontSize": "13px"}}


@dataclass
class RoadMap:
    """What the road map shows; None leaves a layer out."""

    outlines: dict | None = None
    network: pd.DataFrame | None = None  # grey route lines under the coloured segments
    segments: pd.DataFrame | None = None
    measure: str = "accidents"
    sites: pd.DataFrame | None = None
    hazards: pd.DataFrame | None = None
    grid: road_map.Grid | None = None
    points: pd.DataFrame | None = None


def road_map_deck(
    city: City, content: RoadMap, view: tuple[float, float, float], height: int = 640
) -> pdk.Deck:
    """The 道路地图 deck: optional basemap, unit outlines, accident grid, road segments,
    accident-prone sites, accident points and hazards (drawn in that order), every coordinate
    in the basemap's system."""
    d = Display(city.map.basemap_coord_system if city.map.basemap_url.strip() else geo.WGS84)
    (lon,), (lat,) = d.points([view[0]], [view[1]])
    layers = basemap_layers(city, (lon, lat, view[2]))
    if content.outlines is not None:
        layers.append(boundary_layer(content.outlines, d, filled=not layers))
    labels = None
    if content.outlines is not None:
        labels = maps.unit_labels(
            d.geojson(content.outlines), {u.adcode: u.name for u in city.units}
        )
    if content.grid is not None:
        layers.append(grid_layer(content.grid, d))
    if content.network is not None:
        layers.append(network_layer(content.network, d))
    if content.segments is not None:
        layers.append(segment_layer(content.segments, content.measure, d))
    if content.sites is not None:
        layers.extend(site_layers(content.sites, d))
    if content.points is not None:
        layers.append(accident_layer(content.points, d))
    if content.hazards is not None:
        layers.append(hazard_layer(content.hazards, d))
    if labels:
        layers.append(maps.label_layer(labels))  # on top, so names stay readable
    return CompactDeck(
        layers=layers,
        initial_view_state=pdk.ViewState(longitude=lon, latitude=lat, zoom=view[2]),
        map_provider=None,
        tooltip=TOOLTIP,
        height=height,
    )


class BuiltDeck(pdk.Deck):
    """A road map deck already turned into its JSON (road_map_deck(...).to_json()), for
    st.pydeck_chart: the JSON as it was built, with the road map's tooltip."""

    def __init__(self, spec: str) -> None:
        super().__init__(layers=[], map_provider=None, tooltip=TOOLTIP)
        self._spec = spec

    def to_json(self) -> str:
        return self._spec


def detail_markdown(obj: dict, fields: list[tuple[str, str]]) -> str:
    """A picked map object's fields as a Markdown list whose values (road, unit and place names
    from imports) read literally."""
    return "\n".join(
        f"- {label}：{text.plain(obj.get(key))}"
        for key, label in fields
        if obj.get(key) not in (None, "")
    )


def payload_bytes(deck: pdk.Deck) -> int:
    """Bytes of the deck's JSON: what st.pydeck_chart sends to the browser."""
    return len(deck.to_json().encode("utf-8"))
