"""Where a hazard is, as a form asks it: route and stakes, a point typed with its coordinate
system, or a point picked on a map of the unit.

The map is drawn outside the form (a chart's selection cannot live in a st.form) and before it:
a pick fills the form's coordinate fields. Streamlit's deck.gl chart reports selected objects,
not clicks on empty ground, so the map carries a grid of small points (every
place.PICK_STEP_M metres inside the unit's outline) to click; it needs no basemap, so it works
on an intranet without tiles.
"""

from __future__ import annotations

import pydeck as pdk
import streamlit as st

from analytics import geo
from analytics.city import boundaries
from analytics.ledger import place
from ui.context import Context

SYSTEMS = list(place.SYSTEM_LABELS)


def picker(ctx: Context, unit: str, prefix: str) -> None:
    """A map of ``unit`` whose points can be clicked; a pick fills ``prefix``'s coordinates."""
    grid = place.pick_grid(ctx.city, unit)
    if not grid:
        st.caption("没有该单位的边界数据，无法在地图上选点，请直接填写坐标。")
        return
    outline = [
        f for f in boundaries(ctx.city)["features"] if f["properties"].get("unit_code") == unit
    ]
    chosen = _typed_point(prefix)
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            data={"type": "FeatureCollection", "features": outline},
            stroked=True,
            filled=False,
            get_line_color=[47, 111, 191],
            line_width_min_pixels=2,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            id="pick",
            data=grid,
            get_position=["lon", "lat"],
            get_radius=200,
            radius_min_pixels=2,
            get_fill_color=[47, 111, 191, 60],
            pickable=True,
            auto_highlight=True,
            highlight_color=[214, 69, 65, 200],
        ),
    ]
    if chosen:
        layers.append(
            pdk.Layer(
                "ScatterplotLayer",
                data=[chosen],
                get_position=["lon", "lat"],
                get_radius=250,
                radius_min_pixels=7,
                get_fill_color=[214, 69, 65],
            )
        )
    lo_lon, lo_lat, hi_lon, hi_lat = geo.bbox(outline[0]["geometry"])
    view = pdk.ViewState(longitude=(lo_lon + hi_lon) / 2, latitude=(lo_lat + hi_lat) / 2, zoom=8.6)
    event = st.pydeck_chart(
        pdk.Deck(
            layers=layers,
            initial_view_state=view,
            map_provider=None,
            tooltip={"text": "点击选用此位置"},
        ),
        height=360,
        on_select="rerun",
        selection_mode="single-object",
        key=f"{prefix}_pick",
    )
    st.caption(
        "点击单位范围内的小圆点选取位置（圆点间距约 500 米，误差约 350 米；"
        "需精确时请直接填写坐标）。红点为当前填写的坐标。"
    )
    objects = (event.selection or {}).get("objects", {}).get("pick") or []
    if objects:
        p = (float(objects[0]["lon"]), float(objects[0]["lat"]))
        if st.session_state.get(f"{prefix}_picked") != p:  # a new pick, once
            st.session_state[f"{prefix}_picked"] = p
            st.session_state[f"{prefix}_lon"] = f"{p[0]:.6f}"
            st.session_state[f"{prefix}_lat"] = f"{p[1]:.6f}"
            st.session_state[f"{prefix}_system"] = geo.WGS84
            st.rerun()  # draw the red point where it was picked


def _typed_point(prefix: str) -> dict | None:
    try:
        lon = float(st.session_state.get(f"{prefix}_lon") or "")
        lat = float(st.session_state.get(f"{prefix}_lat") or "")
        system = st.session_state.get(f"{prefix}_system", geo.WGS84)
        x, y = geo.to_wgs84(lon, lat, system)
    except (TypeError, ValueError):
        return None
    return {"lon": x, "lat": y}


def inputs(prefix: str, current: dict | None = None) -> dict[str, str]:
    """The location fields (inside a form), prefilled from ``current`` (a hazard) once."""
    if current is not None and f"{prefix}_route" not in st.session_state:
        st.session_state[f"{prefix}_route"] = current.get("route_code") or ""
        st.session_state[f"{prefix}_stakes"] = geo.format_stake_range(
            current.get("start_m"), current.get("end_m")
        )
        has_point = current.get("lon") is not None and current.get("lat") is not None
        st.session_state[f"{prefix}_lon"] = f"{current['lon']:.6f}" if has_point else ""
        st.session_state[f"{prefix}_lat"] = f"{current['lat']:.6f}" if has_point else ""
        st.session_state[f"{prefix}_system"] = geo.WGS84
    c = st.columns(2)
    route = c[0].text_input("路线编码", key=f"{prefix}_route", placeholder="如 G105、S202、X001")
    stakes = c[1].text_input(
        "桩号或桩号范围", key=f"{prefix}_stakes", placeholder="如 K12+300 或 K12+300-K12+800"
    )
    c = st.columns(3)
    system = c[0].selectbox(
        "坐标系", SYSTEMS, format_func=place.SYSTEM_LABELS.get, key=f"{prefix}_system"
    )
    lon = c[1].text_input("经度", key=f"{prefix}_lon", placeholder="如 116.26952")
    lat = c[2].text_input("纬度", key=f"{prefix}_lat", placeholder="如 32.63037")
    return {"route_code": route, "stakes": stakes, "lon": lon, "lat": lat, "system": system}


def locate(ctx: Context, typed: dict[str, str], current: dict | None = None) -> dict:
    """The location columns from the typed fields (place.PlaceError when wrong). A point left as
    prefilled from ``current`` keeps its stored value and original coordinate system."""
    out = place.locate(ctx.city, **typed, stored_route=(current or {}).get("route_code"))
    if current is not None and out["lon"] is not None and current.get("lon") is not None:
        same = (f"{current['lon']:.6f}", f"{current['lat']:.6f}") == (typed["lon"], typed["lat"])
        if same and typed["system"] == geo.WGS84:
            out |= {k: current[k] for k in ("lon", "lat", "coord_source")}
    return out
