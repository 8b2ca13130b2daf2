"""总览: the ledger's status and this year's accidents as of a date, per unit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import fmt, metrics
from pages import _charts, _ui


def page() -> None:
    ctx = _ui.context()
    as_of = _ui.as_of_control(ctx)
    o = metrics.overview(ctx.cur, as_of, ctx.settings.due_soon_days)
    _ui.header(ctx, "总览", as_of, f"临期预警 {ctx.settings.due_soon_days} 天")

    if o.listed == 0 and o.accidents_ytd == 0 and ctx.data_span[1] is None:
        st.info("数据库中还没有隐患和事故记录。请由区县导入台账和事故数据后再查看。")

    st.subheader("隐患治理（一单四制）")
    c = st.columns(5)
    c[0].metric(
        "入单隐患",
        fmt.count(o.listed, "处"),
        help="入单日期（无则取排查日期）不晚于统计日、且未作废的隐患",
    )
    c[1].metric("已销号", fmt.count(o.closed, "处"), help="已入单且销号日期不晚于统计日")
    c[2].metric("整改率", fmt.percent(o.rectification_rate), help="已销号 ÷ 入单隐患")
    c[3].metric("逾期", fmt.count(o.overdue, "处"), help="未销号且完成时限早于统计日的隐患")
    c[4].metric(
        "临期",
        fmt.count(o.due_soon, "处"),
        help=f"未销号且完成时限在统计日起 {o.due_soon_days} 天内的隐患",
    )

    y0, y1 = o.period
    st.subheader(f"道路交通事故（{y0.year}年1月1日至{y1.month}月{y1.day}日）")
    c = st.columns(4)
    _ui.change_metric(
        c[0],
        "本年事故",
        fmt.count(o.accidents_ytd, "起"),
        o.accidents_change,
        help=f"同比：与上年同期（{o.period_last_year[0]} 至 {o.period_last_year[1]}，"
        f"{fmt.count(o.accidents_ytd_last_year, '起')}）相比",
    )
    _ui.change_metric(
        c[1],
        "本年死亡",
        fmt.count(o.deaths_ytd, "人"),
        o.deaths_change,
        help=f"上年同期 {fmt.count(o.deaths_ytd_last_year, '人')}",
    )
    projects = metrics.upgrade_totals(ctx.cur)
    c[2].metric(
        "生命防护工程里程",
        fmt.decimal(projects["km"].sum(), 3, "公里"),
        help="公路安全生命防护工程累计实施里程（全部年度）",
    )
    c[3].metric(
        "生命防护工程投入",
        fmt.count(float(projects["funds_wan"].sum()), "万元"),
        help="公路安全生命防护工程累计投入资金",
    )

    st.subheader("各单位情况")
    if o.listed:
        st.plotly_chart(
            _charts.unit_status_bar(o.by_unit, f"各单位隐患整改情况（截至 {as_of}）"),
            config={"displaylogo": False},
        )
    table = _unit_table(o.by_unit)
    st.dataframe(
        table.style.apply(_marks, axis=None),
        hide_index=True,
        column_config={"整改率": st.column_config.TextColumn(help="已销号 ÷ 入单")},
    )
    st.download_button(
        "下载本表（xlsx）",
        _ui.xlsx_bytes(table, "各单位情况"),
        file_name=f"各单位情况_{as_of}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

    st.subheader(f"{ctx.city.name}概况")
    p = ctx.city.profile
    c = st.columns(4)
    for col, (key, label, unit) in zip(c, PROFILE, strict=True):
        col.metric(label, fmt.count(p.get(key), unit))
    st.caption(
        "城市概况为公开数据；" + (DEMO_NOTE if ctx.is_demo else "隐患和事故数据来自各单位导入。")
    )


PROFILE = (
    ("population_wan", "常住人口", "万人"),
    ("motor_vehicles_wan", "机动车保有量", "万辆"),
    ("drivers_wan", "驾驶人", "万人"),
    ("road_km", "公路里程", "公里"),
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
            "事故同比": [
                fmt.relative_change(metrics.change(a, b), "").strip()
                for a, b in zip(by_unit["accidents"], by_unit["accidents_last_year"], strict=True)
            ],
            "本年死亡（人）": by_unit["deaths"],
        }
    )


def _marks(table: pd.DataFrame) -> pd.DataFrame:
    """Red for overdue, amber for due soon (the counts themselves carry the meaning too)."""
    css = pd.DataFrame("", index=table.index, columns=table.columns)
    css.loc[table["逾期（处）"] > 0, "逾期（处）"] = f"color: {_charts.RED}; font-weight: bold"
    css.loc[table["临期（处）"] > 0, "临期（处）"] = f"color: {_charts.AMBER}; font-weight: bold"
    return css


_ui.guarded(page)
