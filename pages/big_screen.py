"""指挥中心大屏: the command-centre wall at 1920×1080, dark, no sidebar, refreshing itself."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from analytics import fmt
from analytics.city import boundaries
from analytics.ledger import hazard_list, metrics, periods, trends
from ui import charts, errors, gate, maps, session, source_cards, widgets
from ui.text import plain_table

DARK_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"], footer { display: none !important; }
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  background: #0b1526 !important; color: #e8eef7 !important; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding: 0.8rem 1.6rem 0 1.6rem !important; max-width: 100% !important; }
h1, h2, h3, h4, [data-testid="stMarkdownContainer"] p { color: #e8eef7 !important; }
h1 { font-size: 2.4rem !important; padding: 0 !important; }
[data-testid="stMetric"] { background: #13233d; border-radius: 10px; padding: 0.6rem 1rem; }
[data-testid="stMetricLabel"] p { font-size: 1.35rem !important; color: #9fb3cf !important; }
[data-testid="stMetricValue"] { font-size: 3.2rem !important; color: #ffffff !important; }
[data-testid="stMetricDelta"] { background: #1d3557 !important; font-size: 1.1rem !important; }
[data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] svg { color: #e8eef7 !important; }
[data-testid="stCaptionContainer"] p { color: #9fb3cf !important; font-size: 1.05rem; }
table { color: #e8eef7 !important; font-size: 1.1rem; }
thead tr th { background: #13233d !important; color: #9fb3cf !important; }
tbody tr td { background: #0f1d33 !important; border-color: #24385a !important; }
.st-key-wall_sources [data-testid="stMetric"] { padding: 0.4rem 0.7rem; }
.st-key-wall_sources [data-testid="stMetricLabel"] p { font-size: 0.85rem !important; }
.st-key-wall_sources [data-testid="stMetricValue"] { font-size: 2.2rem !important; }
</style>
"""


def page() -> None:
    st.markdown(DARK_CSS, unsafe_allow_html=True)
    refresh = gate.context(action="view_big_screen").settings.big_screen_refresh_seconds
    st.fragment(wall, run_every=refresh)()


def wall() -> None:
    """Everything on the wall; reruns on its own every refresh interval, with fresh data."""
    ctx = gate.context()
    if session.current_user(ctx) is None:  # fragment reruns skip app.py: check the session here
        st.rerun(scope="app")
    as_of = widgets.query_date("as_of") or metrics.default_as_of(ctx.data_span[1], ctx.today())
    horizon = ctx.settings.due_soon_days
    now = datetime.now(ZoneInfo(ctx.settings.timezone)).strftime("%H:%M:%S")
    head, link = st.columns([6, 1])
    head.title(f"{ctx.city.name}道路交通安全隐患治理 · 指挥中心")
    link.page_link("pages/overview.py", label="退出大屏", icon=":material/close_fullscreen:")
    demo = "【演示数据】" if ctx.is_demo else ""
    st.caption(
        f"{demo}统计截至 {fmt.date_cn(as_of)} · 临期预警 {horizon} 天 · "
        f"每 {ctx.settings.big_screen_refresh_seconds} 秒自动刷新（最近刷新 {now}）"
    )

    o = ctx.store.cached(metrics.overview, as_of, horizon)
    cards = (
        ("入单隐患", fmt.count(o.listed, "处")),
        ("已销号", fmt.count(o.closed, "处")),
        ("整改率", fmt.percent(o.rectification_rate)),
        ("逾期", fmt.count(o.overdue, "处")),
        ("临期", fmt.count(o.due_soon, "处")),
    )
    cols = st.columns(len(cards) + 1)
    for col, (label, value) in zip(cols, cards, strict=False):
        col.metric(label, value)
    widgets.change_metric(  # the 同比 on its own line: in the label it was cut off at desk size
        cols[-1],
        "本年事故",
        fmt.count(o.accidents["accidents"], "起"),
        o.yoy("accidents"),
        help="本年 1 月 1 日至统计截至日的事故起数，与上年同期相比",
    )

    ranking = ctx.store.cached(metrics.unit_ranking, periods.Period.ending(as_of, "month"), horizon)
    left, middle, right = st.columns([1.1, 1, 1.1])
    with left:
        if ranking["rank"].notna().any():
            st.plotly_chart(
                charts.ranking_bar(ranking, "各单位整改率排名", dark=True),
                config={"displayModeBar": False},
                key="wall_rank",
                theme=None,
            )
        else:
            st.info("尚无入单隐患，暂无排名。")
    with middle:
        st.markdown("#### 各单位整改率分布（红低绿高）")
        deck = maps.unit_rate_map(ctx.city, boundaries(ctx.city), ranking, zoom=7.5, dark=True)
        st.pydeck_chart(deck, height=430, key="wall_map")
    with right:
        backlog = ctx.store.cached(trends.backlog, as_of)
        forecast = ctx.store.cached(trends.forecast, as_of, o.open)
        if backlog.empty:
            st.info("尚无入单隐患。")
        else:
            st.plotly_chart(
                charts.backlog_chart(backlog, forecast, "在办隐患与清零预计", dark=True),
                config={"displayModeBar": False},
                key="wall_backlog",
                theme=None,
            )

    bottom, sources = st.columns([1.6, 1])
    with bottom:
        overdue = ctx.store.cached(hazard_list.overdue, as_of, viewer=ctx.user).head(5)
        if overdue.empty:
            st.markdown(f"#### 截至 {fmt.date_cn(as_of)} 没有逾期隐患")
        else:
            st.markdown(f"#### 逾期最久的隐患（共 {o.overdue} 处）")
            st.table(
                plain_table(
                    pd.DataFrame(
                        {
                            "逾期天数": overdue.days_overdue.astype(int),
                            "单位": overdue.unit_name,
                            "道路": overdue.road_name,
                            "隐患类型": overdue.hazard_type,
                            "责任单位": overdue.responsible_unit,
                            "牵头领导": overdue.lead_leader,
                        }
                    ).set_index("逾期天数")
                )
            )

    with sources, st.container(key="wall_sources"):
        source_cards.draw(
            ctx, as_of, per_row=4, title="重点车辆和驾驶人源头隐患", heading="h4", with_help=False
        )


errors.guarded(page)
