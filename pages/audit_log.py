"""操作日志 (administrators): every hazard event, filterable by user, unit, action and date."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from analytics.ledger import hazard_list, metrics
from analytics.ledger import vocabulary as ledger
from ui import errors, gate, tables, widgets


def page() -> None:
    ctx = gate.context(action="view_audit_log")
    widgets.header(ctx, "操作日志")
    last = metrics.default_as_of(ctx.data_span[1], ctx.today())
    c = st.columns(4)
    period = c[0].date_input(
        "时间范围", value=(last - timedelta(days=30), last), format="YYYY-MM-DD"
    )
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


def _state(value: object) -> str:
    return value if isinstance(value, str) else "（无）"


errors.guarded(page)
