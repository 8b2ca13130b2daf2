"""The 人·车·企 source-hazard cards shared by 领导驾驶舱 and 指挥中心大屏 (analytics.sources.figures
.cards): key vehicles' and drivers' open cases, the 清零率 since the campaign start, enterprises
listed for 约谈. Nothing is drawn when the city configures no indicators."""

from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import fmt
from analytics.sources import config as sources_config
from analytics.sources import figures
from ui.context import Context


def cards(ctx: Context, as_of: date) -> tuple[str, list[tuple[str, str, str]]] | None:
    """A caption (whose figures, since when) and (label, value, help) of each card; None when
    the city has no source indicators."""
    config = sources_config.load(ctx.city)
    if not config.indicators:
        return None
    c = ctx.store.cached(figures.cards, config, as_of)
    since = fmt.date_cn(c["start"])
    kinds = len(config.vehicle_kinds)
    head = f"全市 · {config.campaign} · 自{since}起"
    return head, [
        (
            f"{kinds}类重点车辆隐患余量",
            fmt.count(c["vehicles_remaining"], "件"),
            f"截至 {as_of} 未清零的重点车辆隐患（{'、'.join(i.name for i in config.of('vehicle'))}）",
        ),
        (
            "驾驶人隐患余量",
            fmt.count(c["drivers_remaining"], "件"),
            "截至统计日未清零的驾驶人隐患（"
            f"{'、'.join(i.name for i in config.of('driver'))}；逾期未审验只统计 AB 类驾驶人）",
        ),
        (
            "源头隐患清零率",
            fmt.percent(c["rate"]),
            f"自{since}（{config.campaign}开始）起：已清零 ÷（存量 + 新增），"
            f"已清零 {fmt.count(c['cleared'], '件')}，余量 {fmt.count(c['remaining'], '件')}",
        ),
        (
            "建议约谈企业",
            fmt.count(c["for_summons"], "家"),
            f"未清零隐患达到 {config.summons_threshold} 件及以上的运输企业",
        ),
    ]


def draw(
    ctx: Context,
    as_of: date,
    *,
    per_row: int,
    title: str,
    heading: str = "subheader",
    with_help: bool = True,
) -> None:
    """The cards under a title, ``per_row`` a row (nothing when there are no indicators);
    without help on a wall nobody hovers over."""
    found = cards(ctx, as_of)
    if found is None:
        return
    caption, items = found
    if heading == "subheader":
        st.subheader(title)
    else:
        st.markdown(f"#### {title}")
    st.caption(caption)
    for i in range(0, len(items), per_row):
        row = items[i : i + per_row]
        for col, (label, value, text) in zip(st.columns(per_row), row, strict=False):
            col.metric(label, value, help=text if with_help else None)
