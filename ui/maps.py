"""pydeck maps, offline: map_provider=None and map_style left unset (pydeck then sends its
"__MAP_STYLE__" sentinel, which Streamlit draws without a basemap), so nothing is fetched;
the unit outlines themselves give the map its shape."""

from __future__ import annotations

import html
import math

import pandas as pd
import pydeck as pdk

from analytics.city import City

NO_DATA = [158, 158, 158, 160]
# deck.gl's TextLayer draws from a font atlas of the characters it is given (ASCII by default):
# Chinese needs its characters listed (characterSet) and a font that has them.
LABEL_FONT = "WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif"


def outline_centre(geometry: dict) -> tuple[float, float]:
    """The area centroid of the largest polygon's outer ring of a (Multi)Polygon: where a unit's
    name goes (the seats of the three districts around the city centre are too close together)."""
    polygons = geometry["coordinates"]
    if geometry["type"] == "Point":  # a unit known only by a point
        return float(polygons[0]), float(polygons[1])
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    best = (0.0, 0.0, 0.0)  # |area|, x, y
    for polygon in polygons:
        ring = polygon[0]
        a = cx = cy = 0.0
        for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:] + ring[:1], strict=True):
            cross = x0 * y1 - x1 * y0
            a, cx, cy = a + cross, cx + (x0 + x1) * cross, cy + (y0 + y1) * cross
        if a and abs(a) / 2 > best[0]:
            best = (abs(a) / 2, cx / (3 * a), cy / (3 * a))
    if not best[0]:
        xs = [p[0] for p in polygons[0][0]]
        ys = [p[1] for p in polygons[0][0]]
        return sum(xs) / len(xs), sum(ys) / len(ys)
    return best[1], best[2]


def unit_labels(outlines: dict, names: dict[str, str]) -> list[dict]:
    """[{name, position}] for each outline: the unit's name (``names`` by unit code, else the
    outline's own name) at its outline centre, in the outlines' coordinates."""
    rows = []
    for f in outlines["features"]:
        code = f["properties"]["unit_code"]
        x, y = outline_centre(f["geometry"])
        name = names.get(code) or f["properties"].get("name") or code
        rows.append({"name": name, "position": [round(x, 5), round(y, 5)]})
    return rows


def label_layer(labels: list[dict], *, dark: bool = False, size: int = 14) -> pdk.Layer:
    """Unit names as text over the outlines (not pickable: clicks go to the outline below).

    pydeck sends a plain string as an expression ("@@=…"); constants are quoted ("'…'")."""
    characters = "".join(sorted({c for row in labels for c in row["name"]}))
    return pdk.Layer(
        "TextLayer",
        id="unit_names",
        data=labels,
        get_position="position",
        get_text="name",
        get_size=size,
        size_units="'pixels'",
        get_color=[255, 255, 255, 255] if dark else [30, 30, 30, 255],
        font_family=f"'{LABEL_FONT}'",
        character_set=f"'{characters}'",
        font_weight=700,
        get_text_anchor="'middle'",
        get_alignment_baseline="'center'",
        font_settings={"sdf": True},
        outline_width=3 if dark else 4,
        outline_color=[0, 0, 0, 200] if dark else [255, 255, 255, 230],
        pickable=False,
    )


def rate_colour(rate: float | None, lo: float, hi: float) -> list[int]:
    """Red (worst) through amber to green (best) over the range of rates shown."""
    if rate is None or pd.isna(rate):
        return NO_DATA
    t = 0.5 if hi <= lo else (rate - lo) / (hi - lo)
    red, amber, green = (214, 69, 65), (240, 162, 2), (46, 158, 91)
    a, b, u = (red, amber, t * 2) if t < 0.5 else (amber, green, (t - 0.5) * 2)
    return [round(x + (y - x) * u) for x, y in zip(a, b, strict=True)] + [190]


def unit_rate_map(
    city: City,
    outlines: dict,
    ranking: pd.DataFrame,
    *,
    zoom: float | None = None,
    height: int = 460,
    dark: bool = False,
) -> pdk.Deck:
    """The unit outlines coloured by 整改率, with name, rate and rank in the tooltip."""
    rows = ranking.set_index("unit_adcode")
    rates = [r for r in ranking["rate"] if r is not None and not pd.isna(r)]
    lo, hi = (min(rates), max(rates)) if rates else (0.0, 1.0)
    features = []
    for f in outlines["features"]:
        code = f["properties"]["unit_code"]
        row = rows.loc[code] if code in rows.index else None
        rate = None if row is None or pd.isna(row["rate"]) else float(row["rate"])
        rank = None if row is None or pd.isna(row["rank"]) else int(row["rank"])
        features.append(
            {
                "type": "Feature",
                "geometry": f["geometry"],
                "properties": {
                    "unit_code": code,
                    # the tooltip is an HTML template: the name (from the boundary file) is escaped
                    "name": html.escape(str(f["properties"].get("name", code))),
                    "rate_text": "—" if rate is None else f"{rate * 100:.1f}%",
                    "rank_text": "无排名" if rank is None else f"第{rank}名",
                    "listed": 0 if row is None else int(row["listed"]),
                    "overdue": 0 if row is None else int(row["overdue"]),
                    "fill": rate_colour(rate, lo, hi),
                },
            }
        )
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            id="units",
            data={"type": "FeatureCollection", "features": features},
            pickable=True,
            stroked=True,
            filled=True,
            get_fill_color="properties.fill",
            get_line_color=[255, 255, 255] if not dark else [20, 20, 20],
            line_width_min_pixels=1.5,
            auto_highlight=True,
        ),
        label_layer(
            unit_labels(outlines, {u.adcode: u.name for u in city.units}),
            dark=dark,
            size=18 if dark else 14,
        ),
    ]
    return pdk.Deck(
        layers=layers,
        initial_view_state=pdk.ViewState(
            longitude=city.map.center_lon,
            latitude=city.map.center_lat,
            zoom=city.map.zoom if zoom is None else zoom,
        ),
        map_provider=None,
        tooltip={
            "html": "<b>{name}</b><br/>整改率：{rate_text}（{rank_text}）"
            "<br/>入单：{listed} 处 · 逾期：{overdue} 处<br/>点击查看该单位",
            "style": {"fontFamily": "WenQuanYi Micro Hei, sans-serif"},
        },
        height=height,
    )


def picked_unit(selection: object, layer_id: str = "units") -> str | None:
    """The unit code of the clicked outline in a pydeck selection event, if any."""
    objects = (getattr(selection, "selection", None) or {}).get("objects", {})
    picked = objects.get(layer_id) or []
    if not picked:
        return None
    obj = picked[0]
    props = obj.get("properties", obj) if isinstance(obj, dict) else {}
    return props.get("unit_code")


# --- the road map (道路地图) ---------------------------------------------------------------


def view_for_bbox(
    bbox: tuple[float, float, float, float], width_px: int = 900, height_px: int = 640
) -> tuple[float, float, float]:
    """(lon, lat, zoom) showing the box whole in a map of about width × height pixels."""
    lon0, lat0, lon1, lat1 = bbox
    lon, lat = (lon0 + lon1) / 2, (lat0 + lat1) / 2
    span_x = max(lon1 - lon0, 1e-4) / 360 * 512
    y0 = math.log(math.tan(math.pi / 4 + math.radians(lat0) / 2))
    y1 = math.log(math.tan(math.pi / 4 + math.radians(lat1) / 2))
    span_y = max(abs(y1 - y0), 1e-6) / (2 * math.pi) * 512
    zoom = math.log2(min(width_px / span_x, height_px / span_y)) - 0.2
    return lon, lat, max(min(zoom, 16.0), 3.0)


def picked(selection: object, *layer_ids: str) -> tuple[str, dict] | None:
    """The first picked object of the given layers in a pydeck selection event."""
    objects = (getattr(selection, "selection", None) or {}).get("objects", {}) or {}
    for layer_id in layer_ids:
        found = objects.get(layer_id) or []
        if found:
            return layer_id, found[0]
    return None
