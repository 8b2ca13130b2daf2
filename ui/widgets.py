"""The controls and headings pages share: the as-of date, the period, the unit filter, the page
header, metrics with their change, dates from the address, going to a hazard, form tokens."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics import access
from analytics.accounts import auth
from analytics.fmt import date_cn, relative_change, signed, signed_points
from analytics.ledger import metrics
from analytics.ledger.periods import PERIOD_LABELS, PERIODS
from ui.context import Context


def unit_select(ctx: Context, where: DeltaGenerator, key: str, own_help: str) -> str | None:
    """The unit filter of a page: every unit (None) or one; a brigade's own unit, fixed."""
    units = {u.adcode: u.name for u in ctx.city.units}
    own = access.home_unit(ctx.user)
    if own is not None:
        where.selectbox("单位", [own], format_func=units.get, disabled=True, key=key, help=own_help)
        return own
    return where.selectbox(
        "单位", [None, *units], key=key, format_func=lambda u: units.get(u, "全部")
    )


def as_of_control(ctx: Context) -> date:
    """The global as-of date (sidebar), defaulting to the latest date in the data."""
    first, last = ctx.data_span
    default = metrics.default_as_of(last, ctx.today())
    if "as_of" not in st.session_state:
        st.session_state["as_of"] = default
    return st.sidebar.date_input(
        "统计截至",
        key="as_of",
        min_value=date(2000, 1, 1),
        max_value=max(default, ctx.today()),
        help="所有数字按此日期统计（默认：数据中的最新日期）",
        format="YYYY-MM-DD",
    )


def header(ctx: Context, title: str, as_of: date | None = None, rule: str | None = None) -> None:
    """Page title, the demo-data label, and the as-of date (and rule) every figure depends on."""
    st.title(title)
    parts = [f"{ctx.city.detachment}"]
    if as_of:
        parts.append(f"统计截至 {date_cn(as_of)}")
    if rule:
        parts.append(rule)
    if ctx.is_demo:
        today = f"；演示中的“今天”为{date_cn(ctx.clock_date)}" if ctx.clock_date else ""
        st.warning(
            f"**演示数据** · 当前数据库为系统生成的演示城市，数字不代表真实情况{today}。",
            icon=":material/science:",
        )
    if auth.demo_accounts_active(ctx.cur):
        st.warning(
            "**演示账号已启用**（密码公开，见说明文档）。正式使用前请由支队管理员在“账号管理”中停用。",
            icon=":material/key:",
        )
    st.caption(" · ".join(parts))


def change_metric(
    col, label: str, value: str, change: float | None, *, help: str, fewer_is_better: bool = True
) -> None:  # a Streamlit container
    """A metric with its 同比 change: arrow by the sign, green when it moved the right way."""
    if change is None or round(change * 1000) == 0:
        col.metric(
            label,
            value,
            delta=relative_change(change),
            delta_color="gray",
            delta_arrow="off",
            help=help,
        )
        return
    better = (change < 0) == fewer_is_better
    col.metric(
        label,
        value,
        delta=relative_change(change),
        delta_color="green" if better else "red",
        delta_arrow="down" if change < 0 else "up",
        help=help,
    )


def period_control() -> str:
    """The global reporting period (sidebar): week, month, quarter or year."""
    if "period" not in st.session_state:
        st.session_state["period"] = "month"
    return st.sidebar.selectbox(
        "统计周期",
        list(PERIODS),
        key="period",
        format_func=PERIOD_LABELS.get,
        help="环比、排名变化与事故统计所用的周期：截至统计日的最近一周、一月、一季度或一年",
    )


def compare_metric(
    col,  # a Streamlit container
    label: str,
    value: str,
    now: float | None,
    before: float | None,
    *,
    unit: str = "",
    rate: bool = False,
    up_is_good: bool | None = True,
    help: str,
) -> None:
    """A metric with its change against the end of the previous period (较上期)."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        col.metric(label, value, delta="较上期 —", delta_color="gray", delta_arrow="off", help=help)
        return
    diff = (now - before) * (100 if rate else 1)
    if round(diff, 1) == 0:
        col.metric(
            label, value, delta="较上期 持平", delta_color="gray", delta_arrow="off", help=help
        )
        return
    text = signed_points(before, now) if rate else f"{signed(diff, 0 if unit else 1)} {unit}"
    good = None if up_is_good is None else (diff > 0) == up_is_good
    col.metric(
        label,
        value,
        delta=f"较上期 {text}".strip(),
        delta_color="gray" if good is None else "green" if good else "red",
        delta_arrow="up" if diff > 0 else "down",
        help=help,
    )


def query_date(name: str) -> date | None:
    """A YYYY-MM-DD date from the page URL's query string, or None when absent or invalid."""
    text = st.query_params.get(name)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        st.warning(f"网址中的日期参数 {name}={text} 无效，应为 YYYY-MM-DD，已改用默认日期。")
        return None


def submission_token(user: auth.User, form: str, *parts: object) -> str:
    """The token of one form submission: the account, the form, what the form was drawn for
    (a hazard and the version seen, or the day) and what was typed. A double click or the same
    form sent from a second tab yields the same token, which the workflow accepts once; any
    change to the input makes a new submission."""
    text = json.dumps([user.username, form, *parts], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def open_hazard(hazard_id: str) -> None:
    st.switch_page("pages/hazard.py", query_params={"id": hazard_id})
