"""操作日志 (administrators): every hazard event, every event of a source-hazard case (重点车辆与
驾驶人), and every full view or unmasked download of personal information (个人信息查看记录),
filterable by user, unit, action and date."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from analytics.ledger import hazard_list, metrics
from analytics.ledger import vocabulary as ledger
from analytics.sources import config as sources_config
from analytics.sources import log as sources_log
from ui import errors, gate, tables, widgets
from ui.context import Context

VIEWS = {"hazards": "隐患操作", "cases": "重点车辆与驾驶人案件", "pii": "个人信息查看记录"}


def page() -> None:
    ctx = gate.context(action="view_audit_log")
    widgets.header(ctx, "操作日志")
    view = st.radio("日志", list(VIEWS), format_func=VIEWS.get, horizontal=True, key="log_view")
    last = metrics.default_as_of(ctx.data_span[1], ctx.today())
    c = st.columns(4)
    period = c[0].date_input(
        "时间范围", value=(last - timedelta(days=30), last), format="YYYY-MM-DD", key="log_period"
    )
    if view != "hazards":
        _sources(ctx, view, period, c)
        return
    actors = [None, *hazard_list.actors(ctx.cur)]
    actor = c[1].selectbox("操作人", actors, format_func=lambda a: a or "全部")
    units = {u.adcode: u.name for u in ctx.city.units}
    unit = c[2].selectbox("单位", [None, *units], format_func=lambda u: units.get(u, "全部"))
    actions = [None, *ledger.TRANSITIONS]
    action = c[3].selectbox("操作", actions, format_func=lambda a: a or "全部")
    if not isinstance(period, tuple) or len(period) != 2:
        st.info("请选择起止日期。")
        return
    log = hazard_list.audit_log(ctx.cur, period[0], period[1], actor, unit, action)
    if log.empty:
        st.info("所选范围内没有操作记录。")
        return
    st.caption(f"共 {len(log)} 条（最多显示 5000 条，最新在前）")
    table = pd.DataFrame(
        {
            "时间": log.event_at.dt.strftime("%Y-%m-%d %H:%M"),
            "操作人": log.actor,
            "操作": log.action,
            "隐患编号": log.hazard_id,
            "单位": log.unit_name,
            "状态变化": [
                f"{_state(a)} → {_state(b)}"
                for a, b in zip(log.from_state, log.to_state, strict=True)
            ],
            "改动": [ledger.describe_changes(c) for c in log.changes],
            "说明": log.note.fillna(""),
        }
    )
    st.dataframe(table, hide_index=True)
    tables.download(table, "操作日志", f"操作日志_{period[0]}_{period[1]}.xlsx")


def _sources(ctx: Context, view: str, period: object, c: list) -> None:
    """Source-case events, or the record of who saw personal information in full."""
    actors = [None, *sources_log.actors(ctx.cur)]
    actor = c[1].selectbox("操作人", actors, format_func=lambda a: a or "全部", key="log_actor")
    units = {u.adcode: u.name for u in ctx.city.units}
    labels = {i.code: i.label for i in sources_config.load(ctx.city).indicators}
    if not isinstance(period, tuple) or len(period) != 2:
        st.info("请选择起止日期。")
        return
    if view == "pii":
        st.caption(
            "每次在案件详情中查看姓名、身份证明号码、联系电话全文，或下载未隐藏个人信息的清单，"
            "都记录在此（个人信息保护）。本页中的对象仍隐藏显示。"
        )
        log = sources_log.pii_views(ctx.cur, period[0], period[1], actor)
        if log.empty:
            st.info("所选范围内没有个人信息查看记录。")
            return
        table = pd.DataFrame(
            {
                "时间": log.viewed_at.dt.strftime("%Y-%m-%d %H:%M"),
                "查看人": log.actor,
                "方式": log.what,
                "案件编号": log.case_id.map(_case_no),
                "指标": log.indicator.map(lambda i: labels.get(i, i) if isinstance(i, str) else ""),
                "单位": log.unit_name.fillna(""),
                "对象": log.subject_shown,
                "涉及人数": log.subjects.map(lambda n: f"{n} 人"),
            }
        )
        name = "个人信息查看记录"
    else:
        unit = c[2].selectbox(
            "单位", [None, *units], format_func=lambda u: units.get(u, "全部"), key="log_unit"
        )
        action = c[3].selectbox(
            "操作",
            [None, *sources_log.CASE_ACTIONS],
            format_func=lambda a: a or "全部",
            key="log_action",
        )
        log = sources_log.case_events(ctx.cur, period[0], period[1], actor, unit, action)
        if log.empty:
            st.info("所选范围内没有案件操作记录。")
            return
        table = pd.DataFrame(
            {
                "时间": log.event_at.dt.strftime("%Y-%m-%d %H:%M"),
                "操作人": log.actor,
                "操作": log.action,
                "案件编号": log.case_id.map(_case_no),
                "指标": log.indicator.map(lambda i: labels.get(i, i)),
                "对象": log.subject_shown,
                "单位": log.unit_name.fillna(""),
                "状态变化": [
                    f"{_state(a)} → {_state(b)}"
                    for a, b in zip(log.from_state, log.to_state, strict=True)
                ],
                "清单日期": log.as_of.map(lambda d: "" if pd.isna(d) else f"{d:%Y-%m-%d}"),
                "说明": log.note.fillna(""),
            }
        )
        name = "案件操作日志"
    st.caption(f"共 {len(table)} 条（最多显示 5000 条，最新在前）")
    st.dataframe(table, hide_index=True)
    tables.download(table, name, f"{name}_{period[0]}_{period[1]}.xlsx")


def _case_no(case_id: object) -> str:
    return "" if pd.isna(case_id) else str(int(case_id))


def _state(value: object) -> str:
    return value if isinstance(value, str) else "（无）"


errors.guarded(page)
