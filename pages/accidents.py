"""事故分析: filter the accidents, see them by month and year with 同比, by hour and weekday, by
事故形态, route and unit, and download them (with the accident-prone sites) as xlsx."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from analytics import fmt, inert
from analytics.accidents import analysis as aa
from analytics.accidents import site_tables as hotspot_tables
from analytics.accidents import sites as hotspots
from analytics.ledger import periods
from ui import accident_charts as charts
from ui import errors, gate, tables, widgets
from ui.context import Context

CONFIG = {"displaylogo": False}
TOP_ROUTES = 15
TOP_SITES = 20
CARDS = (
    ("accidents", "事故", "起"),
    ("deaths", "死亡", "人"),
    ("injuries", "受伤", "人"),
    ("loss_wan", "直接财产损失", "万元"),
)


def page() -> None:
    ctx = gate.context()
    as_of = widgets.as_of_control(ctx)
    period = periods.Period.ending(as_of, widgets.period_control())
    start, end = period.window
    widgets.header(ctx, "事故分析", as_of, f"统计周期：{period.label}（{start} 至 {end}）")
    filters = _filters(ctx)
    s = ctx.store.cached(aa.summary, period, viewer=ctx.user, **filters)
    _totals(s)

    st.subheader("趋势与同比")
    left, right = st.columns(2)
    with left:
        m = ctx.store.cached(aa.by_month, as_of, viewer=ctx.user, **filters)
        if int(m.accidents.sum() + m.accidents_last_year.sum()) == 0:
            st.info(f"近24个月（截至 {as_of}）无符合条件的事故记录。")
        else:
            st.plotly_chart(
                charts.month_chart(m, as_of.day, f"近12个月各月事故（截至 {as_of}）"),
                config=CONFIG,
                key="by_month",
            )
    with right:
        y = ctx.store.cached(aa.by_year, as_of, viewer=ctx.user, **filters)
        if y.empty:
            st.info(f"截至 {as_of} 无符合条件的事故记录。")
        else:
            day = f"{as_of.month}月{as_of.day}日"
            st.plotly_chart(
                charts.year_chart(y, day, f"各年事故及同比（截至 {as_of}）"),
                config=CONFIG,
                key="by_year",
            )
    st.caption(_yoy_rule(as_of))

    st.subheader(f"事故构成（{start} 至 {end}）")
    if s.now["accidents"] == 0:
        st.info(
            f"所选时段（{start} 至 {end}）内无符合条件的事故记录，无法分时段、形态、路线和单位统计。"
        )
    else:
        _breakdowns(ctx, start, end, filters)
    sites = _sites(ctx, as_of, filters["unit"])
    _accident_list(ctx, s, filters, sites)


def _yoy_rule(as_of: date) -> str:
    text = "同比：各月与上年同月比较"
    if (as_of + timedelta(days=1)).day != 1:
        text += f"，本月未结束，与上年同月 1—{as_of.day} 日比较"
    if (as_of.month, as_of.day) != (12, 31):
        text += f"；{as_of.year} 年与上年 1 月 1 日至 {as_of.month} 月 {as_of.day} 日比较"
    return text + "。"


def _filters(ctx: Context) -> dict[str, str | None]:
    opts = ctx.store.cached(aa.options, viewer=ctx.user)
    routes = dict(opts["routes"])
    c = st.columns(6)
    unit = widgets.unit_select(ctx, c[0], "acc_unit", "区县大队账号只能分析本单位的事故")
    route = c[1].selectbox(
        "路线",
        [None, *routes],
        key="acc_route",
        format_func=lambda r: "全部" if r is None else f"{r} {routes[r]}".strip(),
    )
    picks = {}
    for col, (key, label, values) in zip(
        c[2:],
        (
            ("severity", "事故严重程度", aa.SEVERITIES),
            ("collision_type", "事故形态", aa.COLLISION_TYPES),
            ("weather", "天气", opts["weather"] or aa.WEATHERS),
            ("procedure", "处理程序", aa.PROCEDURES),
        ),
        strict=True,
    ):
        picks[key] = col.selectbox(
            label, [None, *values], key=f"acc_{key}", format_func=lambda v: v or "全部"
        )
    return {"unit": unit, "route": route, **picks}


def _totals(s: aa.Summary) -> None:
    y = s.year_ago_window
    for col, (key, label, unit) in zip(st.columns(len(CARDS)), CARDS, strict=True):
        now, before = s.now[key], s.year_ago[key]
        text = fmt.decimal(now, 1, unit) if key == "loss_wan" else fmt.count(now, unit)
        was = fmt.decimal(before, 1, unit) if key == "loss_wan" else fmt.count(before, unit)
        widgets.change_metric(
            col, label, text, s.yoy(key), help=f"同比：上年同期（{y[0]} 至 {y[1]}）{was}"
        )
    st.caption(
        f"其中死亡事故 {fmt.count(s.now['fatal'], '起')}（上年同期 {fmt.count(s.year_ago['fatal'], '起')}）。"
        "下降为绿色，上升为红色。"
    )


def _breakdowns(ctx: Context, start: date, end: date, filters: dict) -> None:
    b = ctx.store.cached(aa.breakdown, start, end, viewer=ctx.user, **filters)
    st.plotly_chart(
        charts.heat_chart(b["heat"], "各星期、各时段事故分布"), config=CONFIG, key="heat"
    )
    left, right = st.columns(2)
    with left:
        f = b["collision"]
        st.plotly_chart(
            charts.count_bar(f.collision_type.tolist(), f, "事故形态", "按事故形态"),
            config=CONFIG,
            key="by_collision",
        )
    with right:
        f = b["unit"]
        st.plotly_chart(
            charts.count_bar(f.unit_name.tolist(), f, "单位", "按单位"),
            config=CONFIG,
            key="by_unit",
        )
    f = b["route"].head(TOP_ROUTES)
    names = [
        f"{c} {n}".strip() if c else "无路线编码"
        for c, n in zip(f.route_code, f.road_name, strict=True)
    ]
    more = (
        f"（共 {len(b['route'])} 条，列出事故最多的 {TOP_ROUTES} 条）"
        if len(b["route"]) > TOP_ROUTES
        else ""
    )
    st.plotly_chart(
        charts.count_bar(names, f, "路线", f"按路线{more}"), config=CONFIG, key="by_route"
    )


def _sites(ctx: Context, as_of: date, unit: str | None) -> pd.DataFrame:
    """The top accident-prone sites of a preset rule (analytics/accidents/sites.py)."""
    st.subheader("事故多发点段")
    names = list(hotspots.PRESETS)
    name = st.selectbox(
        "识别口径",
        names,
        key="acc_sites_preset",
        index=names.index(ctx.city.hotspot_preset),
        format_func=lambda n: hotspots.PRESETS[n].label,
    )
    params = hotspots.preset(name)
    start = as_of - timedelta(days=params.days - 1)
    sites = ctx.store.cached(hotspots.find_sites, as_of, params, unit_adcode=unit, viewer=ctx.user)
    table = hotspot_tables.table(sites, params)
    st.caption(
        f"识别规则：{params.describe()}；统计时段 {start} 至 {as_of}"
        f"{'；仅按单位筛选（路线、严重程度等筛选不适用）' if unit else '；按全部事故识别（上方筛选条件除单位外不适用）'}。"
        f"{params.ranking()}。可在“事故多发点段”页面调整参数、查看详情并办理入单。"
    )
    if table.empty:
        st.info(f"按“{params.describe()}”，{start} 至 {as_of} 无事故多发点段。")
    else:
        more = f"，表中列出前 {TOP_SITES} 处，下载文件含全部" if len(table) > TOP_SITES else ""
        st.caption(f"共 {fmt.count(len(table), '处')}{more}。")
        st.dataframe(table.head(TOP_SITES), hide_index=True)
    return table


def _accident_list(ctx: Context, s: aa.Summary, filters: dict, sites: pd.DataFrame) -> None:
    total = s.now["accidents"]
    st.subheader(f"事故明细（{fmt.count(total, '起')}）")
    if total == 0:
        st.info("所选时段内无符合条件的事故记录。")
        return
    rows = ctx.store.cached(aa.accidents, *s.window, tables.SHOWN_ROWS, viewer=ctx.user, **filters)
    st.dataframe(aa.export_table(rows), hide_index=True)
    shown = min(total, aa.EXPORT_MAX_ROWS)
    notes = []
    if total > tables.SHOWN_ROWS:
        notes.append(f"表中列出最新的 {tables.SHOWN_ROWS} 起")
    if total > aa.EXPORT_MAX_ROWS:
        notes.append(
            f"下载文件最多含 {fmt.count(aa.EXPORT_MAX_ROWS, '起')}（最新的），"
            f"本次共 {fmt.count(total, '起')}，请缩短统计周期或增加筛选条件后分批导出"
        )
    if notes:
        st.caption("；".join(notes) + "。")

    def book() -> bytes:
        frame = aa.accidents(ctx.cur, *s.window, aa.EXPORT_MAX_ROWS, viewer=ctx.user, **filters)
        return inert.workbook({"事故明细": aa.export_table(frame), "事故多发点段": sites})

    st.download_button(
        f"下载事故明细与多发点段（xlsx，{fmt.count(shown, '起')}、{fmt.count(len(sites), '处')}）",
        book,
        file_name=f"事故明细_{s.window[0]}_{s.window[1]}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="download_accidents",
        on_click="ignore",
    )


errors.guarded(page)
