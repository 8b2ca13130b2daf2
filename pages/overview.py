"""总览: the ledger's status and this year's accidents as of a date, per unit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import fmt
from analytics.city import PROFILE
from analytics.ledger import metrics
from ui import charts, errors, gate, tables, widgets


def page() -> None:
    ctx = gate.context()
    as_of = widgets.as_of_control(ctx)
    o = ctx.store.cached(metrics.overview, as_of, ctx.settings.due_soon_days)
    widgets.header(ctx, "总览", as_of, f"临期预警 {ctx.settings.due_soon_days} 天")

    if ctx.data_span[1] is None:
        st.info("数据库中还没有隐患和事故记录。请由区县导入台账和事故数据后再查看。")

    st.subheader("隐患治理（一单四制）")
    c = st.columns(6)
    c[0].metric(
        "入单隐患",
        fmt.count(o.listed, "处"),
        help="入单日期（无则取排查日期）不晚于统计日、且未作废的隐患",
    )
    c[1].metric("已销号", fmt.count(o.closed, "处"), help="已入单且销号日期不晚于统计日")
    c[2].metric("整改率", fmt.percent(o.rectification_rate), help="已销号 ÷ 入单隐患")
    c[3].metric(
        "在办", fmt.count(o.open, "处"), help="已入单、截至统计日未销号的隐患（含逾期、临期）"
    )
    c[4].metric("逾期", fmt.count(o.overdue, "处"), help="未销号且完成时限早于统计日的隐患")
    c[5].metric(
        "临期",
        fmt.count(o.due_soon, "处"),
        help=f"未销号且完成时限在统计日起 {o.due_soon_days} 天内的隐患",
    )

    y0, y1 = o.period
    st.subheader(f"道路交通事故（{y0.year}年1月1日至{y1.month}月{y1.day}日）")
    a, last = o.accidents, o.accidents_last_year
    base = f"上年同期（{o.period_last_year[0]} 至 {o.period_last_year[1]}）"
    for col, (key, label, unit) in zip(st.columns(4), ACCIDENT_CARDS, strict=True):
        widgets.change_metric(
            col,
            label,
            fmt.count(a[key], unit),
            o.yoy(key),
            help=f"同比：与{base}的 {fmt.count(last[key], unit)} 相比",
        )

    st.subheader("各单位情况")
    if not o.listed:
        st.info(f"截至 {fmt.date_cn(as_of)} 尚无入单隐患，各单位整改情况无可展示的数据。")
    else:
        st.plotly_chart(
            charts.unit_status_bar(o.by_unit, f"各单位隐患整改情况（截至 {as_of}）"),
            config={"displaylogo": False},
        )
    table = _unit_table(o.by_unit)
    st.dataframe(
        table.style.apply(_marks, axis=None),
        hide_index=True,
        column_config={"整改率": st.column_config.TextColumn(help="已销号 ÷ 入单")},
    )
    tables.download(table, "各单位情况", f"各单位情况_{as_of}.xlsx")

    projects = ctx.store.cached(metrics.upgrade_totals, as_of.year)
    st.subheader(f"公路安全生命防护工程（截至{as_of.year}年累计）")
    if projects.projects.sum() == 0:
        st.info(f"截至{as_of.year}年尚无公路安全生命防护工程项目记录。")
    else:
        c = st.columns(4)
        years = f"{int(projects.first_year.min())}—{int(projects.last_year.max())}年"
        c[0].metric("项目", fmt.count(int(projects.projects.sum()), "个"), help=f"实施年度 {years}")
        c[1].metric("实施里程", fmt.decimal(projects.km.sum(), 3, "公里"))
        c[2].metric("投入资金", fmt.count(float(projects.funds_wan.sum()), "万元"))
        c[3].metric("涉及单位", fmt.count(int((projects.projects > 0).sum()), "个"))

    profile = [
        (label, unit, ctx.city.profile[k]) for k, label, unit in PROFILE if k in ctx.city.profile
    ]
    if profile:
        st.subheader(f"{ctx.city.name}概况")
        for col, (label, unit, value) in zip(st.columns(4), profile, strict=False):
            col.metric(label, fmt.count(value, unit))
    st.caption(
        "城市概况为公开数据；" + (DEMO_NOTE if ctx.is_demo else "隐患和事故数据来自各单位导入。")
    )


ACCIDENT_CARDS = (
    ("accidents", "本年事故", "起"),
    ("fatal", "本年死亡事故", "起"),
    ("deaths", "本年死亡", "人"),
    ("injuries", "本年受伤", "人"),
)
DEMO_NOTE = (
    "隐患台账、事故记录、道路走向与桩号、生命防护工程项目均为系统生成的演示数据；"
    "区县边界来自 DataV.GeoAtlas，仅作示意。"
)


def _unit_table(by_unit: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "单位": by_unit["unit_name"],
            "入单（处）": by_unit["listed"],
            "已销号（处）": by_unit["closed"],
            "整改率": [fmt.percent(r) for r in by_unit["rate"]],
            "在办（处）": by_unit["open"],
            "逾期（处）": by_unit["overdue"],
            "临期（处）": by_unit["due_soon"],
            "本年事故（起）": by_unit["accidents"],
            "事故同比": [fmt.relative_change(c, "").strip() for c in by_unit["accidents_change"]],
            "本年死亡（人）": by_unit["deaths"],
        }
    )


def _marks(table: pd.DataFrame) -> pd.DataFrame:
    """Red for overdue, amber for due soon (the counts themselves carry the meaning too)."""
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    css.loc[table["逾期（处）"] > 0, "逾期（处）"] = f"color: {charts.RED}; font-weight: bold"
    css.loc[table["临期（处）"] > 0, "临期（处）"] = f"color: {charts.AMBER}; font-weight: bold"
    return css


errors.guarded(page)
