"""道路地图: road segments by accident rate, accident-prone sites, hazards and accidents.

Streamlit does not report the map's zoom back to the server, so the zoom is a server-side
choice, 显示范围: 全市 draws accidents as 2 km grid cells; a 区县 or a 路线 zooms the map to
it and draws its accidents as points (the newest 5,000 at most, with a note of the rest).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics import access, fmt, geo
from analytics.accidents import road_map, roads
from analytics.accidents import sites as hotspots
from analytics.city import boundaries
from analytics.ledger import periods
from ui import errors, gate, maps, road_layers, tables, widgets
from ui.context import Context

LEGEND_STANDINGS = {"逾期": "红色", "临期": "黄色", "正常推进": "蓝色", "已销号": "绿色"}


def page() -> None:
    ctx = gate.context()
    as_of = widgets.as_of_control(ctx)
    period = widgets.period_control()
    start, end = periods.window(as_of, period)
    horizon = ctx.settings.due_soon_days
    widgets.header(
        ctx, "道路地图", as_of, f"事故统计周期：{periods.PERIOD_LABELS[period]}（{start} 至 {end}）"
    )

    c1, c2, c3 = st.columns([3, 2, 2])
    shown = c1.multiselect(
        "显示图层",
        list(road_layers.MAP_LAYERS),
        default=list(road_layers.MAP_LAYERS),
        format_func=road_layers.MAP_LAYERS.get,
        key="map_layers",
    )
    measure = c2.radio(
        "路段着色",
        list(road_map.MEASURES),
        format_func=lambda m: f"每公里{road_map.MEASURES[m]}",
        horizontal=True,
        key="map_measure",
        help="统计周期内路段上的事故起数（或死亡人数）÷ 路段里程",
    )
    level = c3.radio(
        "显示范围",
        list(road_map.DETAIL_LEVELS),
        format_func=road_map.DETAIL_LEVELS.get,
        horizontal=True,
        key="map_level",
        help="全市：事故按网格汇总；选定区县或路线：地图放大到该范围，事故逐起显示",
    )
    unit, route, view = _scope(ctx, level)

    content = road_layers.RoadMap(measure=measure)
    notes: list[str] = []
    preset = None
    if "units" in shown:
        content.outlines = boundaries(ctx.city)
    if "segments" in shown:
        content.segments = ctx.store.cached(road_map.segment_rates, start, end, unit, route)
        if len(content.segments) > road_map.SEGMENT_LIMIT:
            notes.append(
                f"路段较多（{fmt.count(len(content.segments), '段')}），图上着色显示每公里"
                f"{road_map.MEASURES[measure]}最多的 {road_map.SEGMENT_LIMIT:,} 段，其余以灰色路线"
                "显示；选择区县或路线可查看全部路段。"
            )
            content.segments = road_map.worst_segments(content.segments, measure)
            content.network = ctx.store.cached(road_map.route_lines, unit, route)
        if content.segments.empty:
            notes.append("路网数据为空：请在“数据上报”导入路段（路段编号、路线、起止桩号、坐标）。")
    own_only = access.home_unit(ctx.user) is not None
    if "hazards" in shown and not access.sees_rows_of(ctx.user, unit or access.home_unit(ctx.user)):
        notes.append("区县大队账号只能查看本单位的隐患明细，其他区县的隐患不在图上标出。")
    elif "hazards" in shown:
        content.hazards, unplaced, listed = ctx.store.cached(
            road_map.hazard_points,
            as_of,
            horizon,
            unit,
            route,
            viewer=ctx.user,
            limit=road_map.HAZARD_LIMIT,
        )
        if unplaced:
            notes.append(f"另有 {unplaced} 处隐患既无坐标、桩号也不在已知路段上，未在图上标出。")
        if listed > road_map.HAZARD_LIMIT:  # the list is most urgent first
            hidden = listed - road_map.HAZARD_LIMIT
            notes.append(
                f"隐患较多，图上显示最紧急的 {road_map.HAZARD_LIMIT} 处（逾期、临期优先），"
                f"另有 {fmt.count(hidden, '处')}未显示；可选择区县或路线。"
            )
        if own_only:
            notes.append("区县大队账号只显示本单位的隐患。")
    if "sites" in shown and not access.sees_rows_of(ctx.user, unit or access.home_unit(ctx.user)):
        notes.append("区县大队账号只能查看本单位的事故多发点段。")
    elif "sites" in shown:
        content.sites, preset = _sites(ctx, notes, as_of, unit, route)
    if "accidents" in shown:
        _accidents(ctx, content, notes, level, start, end, unit, route)

    # what the deck shows depends on the data and these choices only: a rerun sends the JSON
    # built the first time (with 2,000 segments, 2,000 hazards and 5,000 cells, building the
    # layers and their JSON costs more than everything else the page does)
    choices = (tuple(shown), measure, level, start, end, as_of, horizon, unit, route, view)
    deck = road_layers.BuiltDeck(
        ctx.store.kept(
            ("road_map", *choices, preset, ctx.user),
            lambda: road_layers.road_map_deck(ctx.city, content, view).to_json(),
        )
    )
    left, right = st.columns([3, 1])
    with left:
        event = st.pydeck_chart(
            deck, on_select="rerun", selection_mode="single-object", key="road_map", height=640
        )
        _legend(content, measure, shown)
        for note in notes:
            st.caption(note)
        if ctx.city.map.basemap_url.strip() and ctx.city.map.basemap_attribution:
            st.caption(f"底图：{ctx.city.map.basemap_attribution}")
    with right:
        _details(event, measure)


def _scope(ctx: Context, level: str) -> tuple[str | None, str | None, tuple]:
    """The unit or route chosen for the detail level, and the view that shows it."""
    m = ctx.city.map
    outlines = boundaries(ctx.city)
    city_view = (
        maps.view_for_bbox(geo.bbox(outlines))
        if outlines["features"]
        else (m.center_lon, m.center_lat, m.zoom)
    )
    if level == "unit":
        units = {u.adcode: u.name for u in ctx.city.units}
        default = ctx.user.unit_adcode if ctx.user.unit_adcode in units else next(iter(units))
        unit = st.selectbox(
            "区县",
            list(units),
            format_func=units.get,
            index=list(units).index(default),
            key="map_unit",
        )
        outline = [f for f in outlines["features"] if f["properties"]["unit_code"] == unit]
        if outline:
            return unit, None, maps.view_for_bbox(geo.bbox(outline[0]))
        return unit, None, city_view
    if level == "route":
        table = ctx.store.cached(roads.routes)
        if table.empty:
            st.info("尚无路线数据。")
            return None, None, city_view
        names = dict(zip(table.route_code, table.name, strict=True))
        route = st.selectbox(
            "路线", list(names), key="map_route", format_func=lambda r: f"{r} {names[r]}"
        )
        box = ctx.store.cached(road_map.route_bbox, route)
        return None, route, maps.view_for_bbox(box) if box else city_view
    return None, None, city_view


def _sites(
    ctx: Context, notes: list[str], as_of: date, unit: str | None, route: str | None
) -> tuple[pd.DataFrame, str]:
    """The accident-prone sites of the chosen rule (analytics/accidents/sites.py) as of the date,
    and the rule's name."""
    names = list(hotspots.PRESETS)
    name = st.selectbox(
        "事故多发点段口径",
        names,
        index=names.index(ctx.city.hotspot_preset),
        format_func=lambda n: hotspots.PRESETS[n].label,
        key="map_preset",
        help="与“事故多发点段”页面相同的规则；统计时段按规则自身（截至统计日）",
    )
    params = hotspots.preset(name)
    sites = ctx.store.cached(hotspots.find_sites, as_of, params, unit_adcode=unit, viewer=ctx.user)
    if route:
        sites = sites[sites.route_code == route]
    rule = f"事故多发点段规则：{params.describe()}（截至 {as_of}）"
    if sites.empty:
        notes.append(f"{rule}：所选范围内没有事故多发点段。")
    else:
        uncovered = int(sum(1 for c in sites.covered_by if not len(c)))
        notes.append(f"{rule}：共 {len(sites)} 处，其中 {uncovered} 处尚未列入隐患清单。")
    return sites, name


def _accidents(
    ctx: Context,
    content: road_layers.RoadMap,
    notes: list[str],
    level: str,
    start: date,
    end: date,
    unit: str | None,
    route: str | None,
) -> None:
    detail = access.can(ctx.user, "view_detail", unit)
    if level == "city" or not detail:
        grid = ctx.store.cached(
            road_map.accident_grid,
            start,
            end,
            road_map.CELL_M[level],
            ctx.city.map.center_lat,
            unit,
            route,
        )
        content.grid = grid
        if level != "city":
            notes.append("区县大队账号只能逐起查看本单位的事故，其他范围的事故按网格汇总显示。")
        notes.append(
            f"事故按 {grid.cell_m / 1000:g} 公里网格汇总（共 {fmt.count(grid.total, '起')}，"
            "颜色越深事故越多）；选择区县或路线可逐起查看。"
            + (
                f"其中 {grid.unplaced} 起既无坐标也无法按桩号定位，未计入网格。"
                if grid.unplaced
                else ""
            )
        )
        return
    points, total = ctx.store.cached(road_map.accident_points, start, end, unit, route)
    content.points = points
    hidden = total - len(points)
    if hidden > 0:
        notes.append(
            f"统计周期内共 {fmt.count(total, '起')}事故，图上显示 {fmt.count(len(points), '起')}"
            f"（按时间最近的至多 {road_map.POINT_LIMIT} 起；无坐标且无法按桩号定位的不显示），"
            f"另有 {fmt.count(hidden, '起')}未显示。可缩短统计周期或选择路线。"
        )
    else:
        notes.append(f"统计周期内共 {fmt.count(total, '起')}事故，全部显示为点。")


def _legend(content: road_layers.RoadMap, measure: str, shown: list[str]) -> None:
    parts = []
    if content.hazards is not None:
        swatches = " ".join(
            f"<span style='color:{tables.STANDING_COLOURS[s]}'>●</span> {s}（{word}）"
            for s, word in LEGEND_STANDINGS.items()
        )
        parts.append(f"**隐患**：{swatches}")
    if content.segments is not None:
        label = road_map.MEASURES[measure]
        parts.append(
            f"**路段**：灰色为周期内无事故；有事故的由黄到红再到深红，每公里{label}越多颜色越深"
        )
    if content.sites is not None:
        parts.append("**事故多发点段**：紫色粗线（按桩号）或紫色圆圈（按坐标）")
    if content.grid is not None:
        parts.append(
            f"**事故网格**：每格 {content.grid.cell_m / 1000:g} 公里见方，由黄到深红事故越多"
        )
    if content.points is not None:
        parts.append("**事故**：深红点为死亡事故，橙色点为伤人事故，紫灰点为财产损失事故")
    if parts:
        st.markdown("　".join(parts), unsafe_allow_html=True)


DETAIL_FIELDS = {
    "segments": (
        "路段详情",
        [
            ("name", "路段"),
            ("route_code", "路线"),
            ("stakes", "桩号"),
            ("unit_name", "所属单位"),
            ("km", "里程（公里）"),
            ("accidents", "事故（起）"),
            ("fatal_accidents", "死亡事故（起）"),
            ("deaths", "死亡（人）"),
            ("injuries", "受伤（人）"),
            ("rate", "每公里（所选指标）"),
        ],
    ),
    "hazards": (
        "隐患详情",
        [
            ("hazard_id", "隐患编号"),
            ("standing", "办理情况"),
            ("days_overdue", "逾期"),
            ("state", "流程状态"),
            ("hazard_type", "隐患类型"),
            ("place", "位置"),
            ("unit_name", "所属单位"),
            ("risk_grade", "风险等级"),
            ("supervision_level", "挂牌督办"),
            ("responsible_unit", "责任单位"),
            ("deadline", "完成时限"),
        ],
    ),
    "sites_stake": (
        "事故多发点段",
        [
            ("rank", "排名"),
            ("place", "位置"),
            ("unit_name", "所属单位"),
            ("accidents", "事故（起）"),
            ("fatal_accidents", "死亡事故（起）"),
            ("deaths", "死亡（人）"),
            ("injuries", "受伤（人）"),
            ("top_collision_type", "主要事故形态"),
            ("covered_by", "已列入的隐患"),
        ],
    ),
    "accident_points": (
        "事故详情",
        [
            ("accident_id", "事故编号"),
            ("occurred_at", "时间"),
            ("severity", "事故类型"),
            ("place", "位置"),
            ("unit_name", "所属单位"),
            ("collision_type", "事故形态"),
            ("deaths", "死亡（人）"),
            ("injuries", "受伤（人）"),
        ],
    ),
    "accident_grid": (
        "网格汇总",
        [("accidents", "事故（起）"), ("fatal", "死亡事故（起）"), ("deaths", "死亡（人）")],
    ),
}
DETAIL_FIELDS["sites_coords"] = DETAIL_FIELDS["sites_stake"]


def _details(event: object, measure: str) -> None:
    hit = maps.picked(event, *DETAIL_FIELDS)
    if hit is None:
        st.markdown("**详情**")
        st.caption("点击地图上的路段、事故多发点段、隐患或事故，在此查看详情。")
        return
    layer, obj = hit
    title, fields = DETAIL_FIELDS[layer]
    st.markdown(f"**{title}**")
    rate = f"每公里{road_map.MEASURES[measure]}"
    labelled = [(key, rate if key == "rate" else label) for key, label in fields]
    st.markdown(road_layers.detail_markdown(obj, labelled))
    if layer == "hazards":
        if obj.get("by_stake"):
            st.caption("该隐患无坐标，按桩号在路线上定位。")
        if st.button("打开隐患详情", key="map_open_hazard"):
            widgets.open_hazard(obj["hazard_id"])


errors.guarded(page)
