"""隐患台账: every hazard on one list, filterable, with its standing and the red/yellow marks."""

from __future__ import annotations

import streamlit as st

from analytics import fmt
from analytics.ledger import export, hazard_list
from analytics.ledger import vocabulary as ledger
from ui import errors, gate, tables, widgets
from ui.context import Context

# 正常推进: listed, not closed, neither overdue nor due soon (blue). 在办 is 逾期 + 临期 + 正常推进.
STANDINGS = ("逾期", "临期", "正常推进", "已销号", "未入单", "已作废")


def page() -> None:
    ctx = gate.context()
    as_of = widgets.as_of_control(ctx)
    horizon = ctx.settings.due_soon_days
    widgets.header(ctx, "隐患台账", as_of, f"临期预警 {horizon} 天")
    filters = _filters(ctx)
    frame = ctx.store.cached(hazard_list.ledger, as_of, horizon, viewer=ctx.user, **filters)
    counts = frame.standing.value_counts()
    open_now = sum(int(counts.get(s, 0)) for s in hazard_list.OPEN_STANDINGS)
    st.caption(
        f"共 {fmt.count(len(frame), '处')}："
        + "，".join(f"{s} {int(counts.get(s, 0))}" for s in STANDINGS if counts.get(s, 0))
        + f"。在办（已入单未销号，含逾期、临期）{fmt.count(open_now, '处')}。点击一行查看详情并办理。"
    )
    if frame.empty:
        st.info("没有符合筛选条件的隐患。")
        return
    shown = tables.hazard_table(frame.head(tables.SHOWN_ROWS), as_of)
    if len(frame) > tables.SHOWN_ROWS:
        st.caption(f"表中列出前 {tables.SHOWN_ROWS} 处；请缩小筛选范围，或下载获取全部。")
    event = st.dataframe(
        shown.style.apply(tables.standing_marks, axis=None),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="ledger_table",
    )
    if event.selection.rows:
        widgets.open_hazard(shown.iloc[event.selection.rows[0]]["隐患编号"])
    tables.download(lambda: export.ledger_sheet(frame), "隐患台账", f"隐患台账_{as_of}.xlsx")


def _standing_label(s: str | None) -> str:
    return {None: "全部", "在办": "在办（逾期+临期+正常推进）"}.get(s, s)


def _filters(ctx: Context) -> dict[str, str | None]:
    c = st.columns(4)
    unit = widgets.unit_select(ctx, c[0], "ledger_unit", "区县大队账号只能查看本单位隐患明细")
    standing = c[1].selectbox("办理情况", [None, "在办", *STANDINGS], format_func=_standing_label)
    state = c[2].selectbox("流程状态", [None, *ledger.STATES], format_func=lambda s: s or "全部")
    text = c[3].text_input("关键字", placeholder="编号、道路、乡镇、描述、责任单位、领导")
    c = st.columns(4)
    kind = c[0].selectbox(
        "隐患类型", [None, *ledger.ALL_HAZARD_TYPES], format_func=lambda s: s or "全部"
    )
    grade = c[1].selectbox(
        "风险等级", [None, *ledger.RISK_GRADES], format_func=lambda s: s or "全部"
    )
    level = c[2].selectbox(
        "挂牌督办", [None, *ledger.SUPERVISION_LEVELS], format_func=lambda s: s or "全部"
    )
    source = c[3].selectbox("隐患来源", [None, *ledger.SOURCES], format_func=lambda s: s or "全部")
    return {
        "unit": unit,
        "standing": standing,
        "state": state,
        "text": text or None,
        "type": kind,
        "grade": grade,
        "level": level,
        "source": source,
    }


errors.guarded(page)
