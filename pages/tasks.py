"""我的待办: what waits for the signed-in brigade or administrator; and reporting a new hazard."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics import access
from analytics.accounts import auth
from analytics.ledger import hazard_list, place, workflow
from analytics.ledger import vocabulary as ledger
from ui import errors, gate, widgets
from ui import place as place_form
from ui.context import Context
from ui.text import plain, text_cells

HINTS = {
    "逾期": "已超过完成时限，请尽快整改并申请销号。",
    "临期": "完成时限将到，请抓紧整改。",
    "被退回": "验收未通过，已退回整改。",
    "待验收": "已申请销号，等待支队验收，无需再办理；超过完成时限的仍计入逾期数。",
    "待验收销号": "区县已申请销号，请组织验收。",
    "待认定入单": "新上报的隐患，请认定是否入单。",
    "待交办": "已入单，请明确五要件后交办。",
}


def page() -> None:
    ctx = gate.context(action="view_tasks")
    user = ctx.user
    as_of = ctx.today()
    widgets.header(ctx, "我的待办", as_of)
    groups = ctx.store.cached(hazard_list.tasks, user, as_of, ctx.settings.due_soon_days)
    total = sum(len(g) for g in groups.values())
    if total == 0:
        st.success("目前没有待办事项。")
    for name, frame in groups.items():
        if frame.empty:
            continue
        st.subheader(f"{name}（{len(frame)} 处）")
        st.caption(HINTS[name])
        table = pd.DataFrame(
            {
                "隐患编号": frame.hazard_id,
                "单位": frame.unit_name,
                "流程状态": frame.state,
                "道路": frame.road_name,
                "隐患类型": frame.hazard_type,
                "完成时限": text_cells([d.date() if pd.notna(d) else None for d in frame.deadline]),
                "逾期天数": text_cells(
                    [int(d) if pd.notna(d) else None for d in frame.days_overdue]
                ),
            }
        )
        event = st.dataframe(
            table,
            hide_index=True,
            on_select="rerun",
            selection_mode="single-row",
            key=f"tasks_{name}",
        )
        if event.selection.rows:
            widgets.open_hazard(table.iloc[event.selection.rows[0]]["隐患编号"])
    if access.may(user, "report"):
        _report_form(ctx, user)


def _report_form(ctx: Context, user: auth.User) -> None:
    st.subheader("上报新隐患")
    units = {u.adcode: u.name for u in ctx.city.units}
    if (own := access.home_unit(user)) is not None:
        unit = st.selectbox("所属区县", [own], format_func=units.get, disabled=True)
    else:  # outside the form: the map below shows the chosen unit
        unit = st.selectbox("所属区县", list(units), format_func=units.get, key="report_unit")
    # a toggle, not an expander: a folded expander's map would still be sent on every rerun
    if st.toggle("在地图上选取隐患位置（可选）", key="report_map"):
        place_form.picker(ctx, unit, "report")
    with st.form("report", clear_on_submit=False):
        c = st.columns(3)
        road = c[0].text_input("道路名称")
        township = c[1].text_input("乡镇")
        kind = c[2].selectbox("隐患类型", ledger.HAZARD_TYPES)
        c = st.columns(3)
        source = c[0].selectbox("隐患来源", ledger.SOURCES)
        found = c[1].date_input("排查日期", value=ctx.today(), max_value=ctx.today())
        description = st.text_area("隐患描述")
        st.markdown("**隐患位置**（填写路线编码和桩号，或坐标，至少一项；坐标可在上方地图选取）")
        typed = place_form.inputs("report")
        submitted = st.form_submit_button("上报", type="primary")
    if submitted:
        fields = {
            "road_name": road,
            "township": township or None,
            "hazard_type": kind,
            "source": source,
            "description": description,
        }
        try:
            fields |= place.locate(ctx.city, **typed, required=True)
        except place.PlaceError as e:
            st.error("无法上报：" + plain(e))
        else:
            _report(ctx, user, unit, fields, found)
    if shown := st.session_state.get("report_duplicate"):
        if st.button(f"打开已上报的隐患 {shown}", key="open_reported"):
            st.session_state.pop("report_duplicate")
            widgets.open_hazard(shown)


def _report(ctx: Context, user: auth.User, unit: str, fields: dict, found: date) -> None:
    # the same report sent twice (double click, a second tab) the same day is one submission
    token = widgets.submission_token(user, "report", unit, fields, found, ctx.today())
    st.session_state.pop("report_duplicate", None)
    try:
        hid = workflow.report(
            ctx.cur,
            user,
            unit_adcode=unit,
            fields=fields,
            found_date=found,
            now=ctx.now(),
            token=token,
        )
    except workflow.DuplicateSubmission as e:
        st.warning(plain(e), icon=":material/content_copy:")
        st.session_state["report_duplicate"] = e.hazard_id
    except (workflow.WorkflowError, workflow.ConflictError, auth.AuthError) as e:
        st.error("无法上报：" + plain(e))
    else:
        st.success(f"已上报，隐患编号 {hid}，等待支队认定入单。")


errors.guarded(page)
