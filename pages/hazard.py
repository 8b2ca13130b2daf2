"""隐患详情: every field, the five elements, the place, the history with evidence, and the
actions the signed-in user may take on it."""

from __future__ import annotations

import hashlib

import pandas as pd
import pydeck as pdk
import streamlit as st

from analytics import access, geo
from analytics.accounts import auth
from analytics.city import boundaries
from analytics.ledger import evidence, hazard_list, place, workflow
from analytics.ledger import vocabulary as ledger
from analytics.ledger.workflow import Upload
from ui import errors, gate, widgets
from ui import place as place_form
from ui.context import Context
from ui.text import plain, plain_table, text_cells

FIELD_LABELS = {
    "hazard_id": "隐患编号",
    "unit_name": "所属区县",
    "township": "乡镇",
    "road_name": "道路名称",
    "route_code": "路线编码",
    "stakes": "桩号",
    "hazard_type": "隐患类型",
    "description": "隐患描述",
    "risk_grade": "风险等级",
    "supervision_level": "挂牌督办",
    "source": "隐患来源",
    "found_date": "排查日期",
    "listed_date": "入单日期",
    "reward_penalty": "奖惩措施",
    "measures": "整改措施",
    "temporary_controls": "临时管控措施",
    "progress": "整改进展",
    "funds_wan": "投入资金（万元）",
    "closed_date": "销号日期",
    "accept_unit": "验收单位",
    "accepted_by": "验收人",
    "accepted_date": "验收日期",
    "acceptance_evidence": "验收结论及依据",
    "voided_date": "作废日期",
    "void_reason": "作废原因",
}


def page() -> None:
    ctx = gate.context()
    user = ctx.user
    as_of = widgets.as_of_control(ctx)
    hid = st.query_params.get("id")
    h = workflow.hazard(ctx.cur, hid) if hid else None
    if h is None:
        widgets.header(ctx, "隐患详情")
        if hid:
            st.warning(f"没有编号为 {plain(hid)} 的隐患，请查找后打开。")
        _search(ctx, None)
        return
    unit_name = (
        ctx.city.unit(h["unit_adcode"]).name
        if ctx.city.resolve_unit(h["unit_adcode"])
        else h["unit_adcode"]
    )
    if not access.can(user, "view_detail", h["unit_adcode"]):
        widgets.header(ctx, "隐患详情")
        st.error(f"区县大队账号只能查看本单位的隐患明细；{plain(hid)} 属于{plain(unit_name)}。")
        return
    row = ctx.store.cached(
        hazard_list.ledger, as_of, ctx.settings.due_soon_days, viewer=ctx.user, text=hid
    )
    row = row[row.hazard_id == hid]
    standing = row.standing.iloc[0] if len(row) else "—"
    widgets.header(ctx, f"隐患 {plain(hid)}", as_of)
    with st.expander("查找其他隐患"):
        _search(ctx, hid)
    seen_key = f"seen_version_{hid}"
    seen = st.session_state.get(seen_key, h["version"])
    if duplicate := st.session_state.pop(f"duplicate_{hid}", None):
        st.warning(plain(duplicate), icon=":material/content_copy:")
    _status_line(h, standing, row)
    st.divider()
    left, right = st.columns([3, 2])
    with left:
        _fields(h, unit_name)
    with right:
        _map(ctx, h)
    st.subheader("办理")
    done = _actions(ctx, user, h, seen)
    if done:
        st.session_state.pop(seen_key, None)
        st.rerun()
    st.session_state[seen_key] = workflow.hazard(ctx.cur, hid)["version"]
    st.subheader("办理记录")
    _timeline(ctx, hid)


def _search(ctx: Context, current: str | None) -> None:
    """Find a hazard the user may see by id, road or words of its description; a row opens it."""
    typed = st.text_input(
        "查找隐患", key="hazard_search", placeholder="输入隐患编号、道路名称或描述中的词，空格分隔"
    )
    if not typed.strip():
        scope = "本单位" if access.home_unit(ctx.user) else "全市"
        st.caption(f"可查找{scope}的隐患；也可在“隐患台账”或“我的待办”中点击一行打开。")
        return
    found = hazard_list.search(ctx.cur, typed, viewer=ctx.user)
    if found.empty:
        own = "（区县大队账号只能查找本单位的隐患）" if access.home_unit(ctx.user) else ""
        st.info(f"没有找到与“{plain(typed.strip())}”相符的隐患{own}。")
        return
    more = (
        f"（只列出前 {hazard_list.SEARCH_LIMIT} 处，请再加词缩小范围）"
        if len(found) >= hazard_list.SEARCH_LIMIT
        else ""
    )
    st.caption(f"找到 {len(found)} 处{more}，点击一行打开。")
    table = pd.DataFrame(
        {
            "隐患编号": found.hazard_id,
            "单位": found.unit_name,
            "流程状态": found.state,
            "道路": found.road_name.fillna(""),
            "隐患类型": found.hazard_type.fillna(""),
            "排查日期": text_cells([d.date() if pd.notna(d) else None for d in found.found_date]),
            "隐患描述": found.description.fillna(""),
        }
    )
    event = st.dataframe(
        table,
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key=f"search_result_{current}",
    )
    if event.selection.rows:
        chosen = table.iloc[event.selection.rows[0]]["隐患编号"]
        if chosen != current:
            widgets.open_hazard(chosen)


def _status_line(h: dict, standing: str, row: pd.DataFrame) -> None:
    days = row.days_overdue.iloc[0] if len(row) else None
    extra = f"，已逾期 {int(days)} 天" if days is not None and pd.notna(days) else ""
    colour = {"逾期": "red", "临期": "orange", "正常推进": "blue", "已销号": "green"}.get(
        standing, "gray"
    )
    st.markdown(
        f"**流程状态：{plain(h['state'])}**　·　办理情况：:{colour}[**{standing}**{extra}]　·　"
        f"完成时限：{h['deadline'] or '未定'}"
    )
    missing = ledger.missing_elements(h)
    if h["state"] not in (ledger.FOUND, ledger.LISTED, ledger.VOIDED) and missing:
        st.warning("五要件不全：缺少" + "、".join(missing))


def _fields(h: dict, unit_name: str) -> None:
    stakes = ""
    if h["start_m"] is not None and not pd.isna(h["start_m"]):
        stakes = geo.format_stake(int(h["start_m"]))
        if h["end_m"] is not None and not pd.isna(h["end_m"]) and h["end_m"] != h["start_m"]:
            stakes += "—" + geo.format_stake(int(h["end_m"]))
    values = {**h, "unit_name": unit_name, "stakes": stakes}
    st.markdown("**五要件（交办）**")
    five = pd.DataFrame(
        {
            "要件": list(ledger.FIVE_ELEMENTS.values()),
            "内容": [_text(h[c]) or "（缺）" for c in ledger.FIVE_ELEMENTS],
        }
    ).set_index("要件")
    st.table(plain_table(five))
    st.markdown("**基本信息与整改情况**")
    shown = {label: _text(values[k]) for k, label in FIELD_LABELS.items() if _text(values[k])}
    st.table(plain_table(pd.DataFrame({"内容": list(shown.values())}, index=list(shown))))


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v)


def _map(ctx: Context, h: dict) -> None:
    st.markdown("**位置**")
    if h["lon"] is None or pd.isna(h["lon"]):
        st.info("该隐患没有坐标。")
        return
    outline = [
        f
        for f in boundaries(ctx.city)["features"]
        if f["properties"]["unit_code"] == h["unit_adcode"]
    ]
    layers = [
        pdk.Layer(
            "GeoJsonLayer",
            data={"type": "FeatureCollection", "features": outline},
            stroked=True,
            filled=True,
            get_fill_color=[47, 111, 191, 30],
            get_line_color=[47, 111, 191],
            line_width_min_pixels=1,
        ),
        pdk.Layer(
            "ScatterplotLayer",
            data=[{"lon": h["lon"], "lat": h["lat"]}],
            get_position=["lon", "lat"],
            get_radius=300,
            radius_min_pixels=7,
            get_fill_color=[214, 69, 65],
        ),
    ]
    view = pdk.ViewState(longitude=h["lon"], latitude=h["lat"], zoom=10)
    st.pydeck_chart(pdk.Deck(layers=layers, initial_view_state=view, map_provider=None), height=320)
    st.caption(
        f"经度 {h['lon']:.5f}，纬度 {h['lat']:.5f}（WGS-84，原坐标系 {plain(h['coord_source']) or '未知'}）"
    )


def _actions(ctx: Context, user: auth.User, h: dict, seen: int) -> bool:
    """The forms this user may use in this state; True once an action was written."""
    state, unit = h["state"], h["unit_adcode"]
    offered = [
        (a, title) for a, title, states in ACTIONS if state in states and access.can(user, a, unit)
    ]
    if not offered:
        st.caption(_why_no_action(user, h))
        return False
    tabs = st.tabs([title for _, title in offered])
    for tab, (action, _title) in zip(tabs, offered, strict=True):
        with tab:
            if action == "edit_basic":  # a chart's selection cannot live inside a form
                if st.toggle("在地图上选取位置", key=f"basic_map_{h['hazard_id']}"):
                    place_form.picker(ctx, unit, f"basic_{h['hazard_id']}")
            if action in ("progress", "request_signoff"):  # their forms then show the camera
                st.toggle(
                    "用摄像头拍照",
                    key=f"camera_{action}_{h['hazard_id']}",
                    help="在手机上打开后可直接拍摄现场照片作为证明材料（需允许浏览器使用摄像头）",
                )
            form = st.form(f"form_{action}", clear_on_submit=False)
        with form:
            submit = FORMS[action](ctx, h)
            if st.form_submit_button("提交", type="primary", key=f"submit_{action}"):
                try:
                    submit(seen)
                except (workflow.WorkflowError, evidence.EvidenceError, auth.AuthError) as e:
                    st.error("无法提交：" + plain(e))
                except workflow.DuplicateSubmission as e:
                    # shown above the reloaded hazard, as it now is
                    st.session_state[f"duplicate_{h['hazard_id']}"] = str(e)
                    return True
                except workflow.ConflictError as e:
                    st.error(plain(e))
                else:
                    st.toast("已办理，已记入办理记录。")
                    return True
    return False


def _why_no_action(user: auth.User, h: dict) -> str:
    if h["state"] in (ledger.CLOSED, ledger.VOIDED):
        return f"该隐患{h['state']}，不再办理。"
    if not any(access.may(user, a) for a, _title, _states in ACTIONS):
        return f"{user.role_label}账号只能查看，不能办理。"
    return "当前状态下没有您可以办理的事项。"


def _keyed(h: dict, form: str):
    """Widget arguments that prefill from the hazard once and then keep what the user typed,
    even when someone else changes the saved value meanwhile (a conflict keeps the input)."""

    def args(column: str, blank: object = "") -> dict:
        key = f"{form}_{column}_{h['hazard_id']}"
        if key not in st.session_state:
            st.session_state[key] = h[column] if h[column] is not None else blank
        return {"key": key}

    return args


def _token(ctx: Context, h: dict, action: str, seen: int, *inputs: object) -> str:
    """This submission of an action form: the hazard, the version the user saw and the input
    (files by name and content digest), so a double click or a second tab writes once."""
    typed = [
        [(f.name, hashlib.sha256(f.data).hexdigest()) for f in i] if isinstance(i, list) else i
        for i in inputs
    ]
    return widgets.submission_token(ctx.user, action, h["hazard_id"], seen, *typed)


def _files(ctx: Context, key: str, camera: bool) -> list[Upload]:
    """The evidence files chosen, and the photo taken when the camera is on (named by its
    content, so a double click sends the same submission)."""
    mb = ctx.settings.evidence_max_mb
    files = st.file_uploader(
        f"证明材料（JPG、PNG 照片或 PDF，可多选，每个不超过 {mb} MB）",
        type=["jpg", "jpeg", "png", "pdf"],
        accept_multiple_files=True,
        key=key,
        max_upload_size=mb,
    )
    chosen = [Upload(f.name, f.getvalue()) for f in files or []]
    photo = st.camera_input("现场拍照", key=f"{key}_camera") if camera else None
    if photo is not None:
        data = photo.getvalue()
        chosen.append(Upload(f"现场拍照-{hashlib.sha256(data).hexdigest()[:8]}.jpg", data))
    return chosen


def _list_form(ctx: Context, h: dict):
    grade = st.selectbox("风险等级", ledger.RISK_GRADES, index=2)
    level = st.selectbox("挂牌督办", ledger.SUPERVISION_LEVELS, index=4)
    listed = st.date_input("入单日期", value=ctx.today(), max_value=ctx.today())
    return lambda seen: workflow.list_hazard(
        ctx.cur,
        ctx.user,
        h["hazard_id"],
        seen,
        risk_grade=grade,
        supervision_level=level,
        listed_date=listed,
        now=ctx.now(),
        token=_token(ctx, h, "list", seen, grade, level, listed),
    )


def _assign_form(ctx: Context, h: dict):
    st.caption("五要件须全部填写方可交办。")
    k = _keyed(h, "assign")
    goal = st.text_input("工作目标", **k("goal"))
    leader = st.text_input("牵头领导", **k("lead_leader"))
    unit = st.text_input("责任单位", **k("responsible_unit"))
    standard = st.text_area("完成标准", **k("completion_standard"))
    deadline = st.date_input("完成时限", **k("deadline", None))
    reward = st.text_input("奖惩措施", **k("reward_penalty"))
    elements = {
        "goal": goal,
        "lead_leader": leader,
        "responsible_unit": unit,
        "completion_standard": standard,
        "deadline": deadline,
    }
    return lambda seen: workflow.assign(
        ctx.cur,
        ctx.user,
        h["hazard_id"],
        seen,
        elements=elements,
        reward_penalty=reward or None,
        now=ctx.now(),
        token=_token(ctx, h, "assign", seen, elements, reward),
    )


def _progress_form(ctx: Context, h: dict):
    text = st.text_area("整改进展", placeholder="例如：护栏已安装 60%，标志标线已完成")
    k = _keyed(h, "progress")
    measures = st.text_area("整改措施（如有调整）", **k("measures"))
    controls = st.text_input("临时管控措施（如有调整）", **k("temporary_controls"))
    files = _files(
        ctx,
        f"files_progress_{h['hazard_id']}",
        st.session_state.get(f"camera_progress_{h['hazard_id']}", False),
    )
    return lambda seen: workflow.record_progress(
        ctx.cur,
        ctx.user,
        h["hazard_id"],
        seen,
        text=text,
        measures=measures or None,
        temporary_controls=controls or None,
        now=ctx.now(),
        files=files,
        evidence_dir=ctx.settings.evidence_dir,
        max_bytes=ctx.settings.evidence_max_mb * 2**20,
        token=_token(ctx, h, "progress", seen, text, measures, controls, files),
    )


def _signoff_form(ctx: Context, h: dict):
    note = st.text_area("整改完成情况", placeholder="说明整改内容、完成时间及效果")
    files = _files(
        ctx,
        f"files_signoff_{h['hazard_id']}",
        st.session_state.get(f"camera_request_signoff_{h['hazard_id']}", False),
    )
    return lambda seen: workflow.request_signoff(
        ctx.cur,
        ctx.user,
        h["hazard_id"],
        seen,
        note=note,
        now=ctx.now(),
        files=files,
        evidence_dir=ctx.settings.evidence_dir,
        max_bytes=ctx.settings.evidence_max_mb * 2**20,
        token=_token(ctx, h, "request_signoff", seen, note, files),
    )


def _accept_form(ctx: Context, h: dict):
    by = st.text_input("验收人")
    unit = st.text_input("验收单位", value="支队秩序科")
    on = st.date_input("验收日期", value=ctx.today(), max_value=ctx.today())
    conclusion = st.text_area(
        "验收结论及依据", placeholder="例如：现场核查，护栏、标志标线已按标准完成"
    )
    return lambda seen: workflow.accept(
        ctx.cur,
        ctx.user,
        h["hazard_id"],
        seen,
        accepted_by=by,
        accept_unit=unit,
        accepted_date=on,
        conclusion=conclusion,
        now=ctx.now(),
        token=_token(ctx, h, "accept", seen, by, unit, on, conclusion),
    )


def _reject_form(ctx: Context, h: dict):
    reason = st.text_area("退回原因", placeholder="说明未达到完成标准之处")
    return lambda seen: workflow.reject(
        ctx.cur,
        ctx.user,
        h["hazard_id"],
        seen,
        reason=reason,
        now=ctx.now(),
        token=_token(ctx, h, "reject", seen, reason),
    )


def _supervision_form(ctx: Context, h: dict):
    levels = list(ledger.SUPERVISION_LEVELS)
    level = st.selectbox("挂牌督办级别", levels, index=levels.index(h["supervision_level"]))
    reason = st.text_input("调整原因")
    return lambda seen: workflow.change_supervision(
        ctx.cur,
        ctx.user,
        h["hazard_id"],
        seen,
        level=level,
        reason=reason,
        now=ctx.now(),
        token=_token(ctx, h, "change_supervision", seen, level, reason),
    )


def _void_form(ctx: Context, h: dict):
    reason = st.text_area("作废原因", placeholder="例如：经现场复核不构成隐患")
    return lambda seen: workflow.void(
        ctx.cur,
        ctx.user,
        h["hazard_id"],
        seen,
        reason=reason,
        now=ctx.now(),
        token=_token(ctx, h, "void", seen, reason),
    )


def _basic_form(ctx: Context, h: dict):
    st.caption("五要件、流程状态和挂牌督办在各自的办理事项中调整，此处不能修改。")
    hid, prefix = h["hazard_id"], f"basic_{h['hazard_id']}"
    k = _keyed(h, "basic")
    c = st.columns(2)
    road = c[0].text_input("道路名称", **k("road_name"))
    township = c[1].text_input("乡镇", **k("township"))
    types = list(ledger.ALL_HAZARD_TYPES)
    if h["hazard_type"] and h["hazard_type"] not in types:  # an imported legacy type stays
        types.insert(0, h["hazard_type"])
    kind = st.selectbox("隐患类型", types, **k("hazard_type", types[0]))
    description = st.text_area("隐患描述", **k("description"))
    st.markdown("**隐患位置**（坐标可在上方地图选取）")
    typed = place_form.inputs(prefix, h)
    reason = st.text_input("更正原因", placeholder="例如：桩号录入有误，经现场核实更正")

    def submit(seen: int) -> None:
        try:
            where = place_form.locate(ctx, typed, h)
        except place.PlaceError as e:
            raise workflow.WorkflowError(e.problems) from None
        fields = {
            "road_name": road,
            "township": township,
            "hazard_type": kind,
            "description": description,
            **where,
        }
        done = workflow.correct_basic(
            ctx.cur,
            ctx.user,
            hid,
            seen,
            fields=fields,
            reason=reason,
            now=ctx.now(),
            token=_token(ctx, h, "edit_basic", seen, fields, reason),
        )
        if done is None:
            raise workflow.WorkflowError(["与现有信息相同，没有需要更正的内容"])
        for key in [k for k in st.session_state if str(k).startswith("basic_")]:
            if str(key).endswith(hid) or str(key).startswith(prefix + "_"):
                del st.session_state[key]  # prefilled again from the corrected hazard

    return submit


OPEN = (ledger.LISTED, ledger.ASSIGNED, ledger.RECTIFYING, ledger.SIGNOFF_REQUESTED)
ACTIONS = (
    ("list", "认定入单", (ledger.FOUND,)),
    ("assign", "交办", (ledger.LISTED,)),
    ("progress", "记录整改进展", (ledger.ASSIGNED, ledger.RECTIFYING)),
    ("request_signoff", "申请销号", (ledger.RECTIFYING,)),
    ("accept", "验收销号", (ledger.SIGNOFF_REQUESTED,)),
    ("reject", "退回整改", (ledger.SIGNOFF_REQUESTED,)),
    ("change_supervision", "调整挂牌督办", OPEN),
    ("void", "作废", (ledger.FOUND, ledger.LISTED, ledger.ASSIGNED, ledger.RECTIFYING)),
    ("edit_basic", "更正基本信息", ledger.STATES),
)
FORMS = {
    "list": _list_form,
    "assign": _assign_form,
    "progress": _progress_form,
    "request_signoff": _signoff_form,
    "accept": _accept_form,
    "reject": _reject_form,
    "change_supervision": _supervision_form,
    "void": _void_form,
    "edit_basic": _basic_form,
}


def _timeline(ctx: Context, hid: str) -> None:
    events = hazard_list.events(ctx.cur, hid, viewer=ctx.user)
    files = evidence.for_events(ctx.cur, [int(e) for e in events.event_id])
    for e in events.iloc[::-1].itertuples():
        with st.container(border=True):
            before = e.from_state if isinstance(e.from_state, str) else None
            move = f"{before} → {e.to_state}" if before and before != e.to_state else e.to_state
            st.markdown(f"**{e.event_at:%Y-%m-%d %H:%M}　{plain(e.action)}**　{plain(move)}")
            st.caption(f"办理人：{plain(e.actor)}")
            if isinstance(e.note, str) and e.note:
                st.text(e.note)  # typed by users: shown as plain text, never as markdown
            if changed := ledger.describe_changes(e.changes):
                st.caption(plain(changed))
            attached = files.get(int(e.event_id), [])
            if attached:
                cols = st.columns(min(len(attached), 6))
                for col, f in zip(cols, attached, strict=False):
                    thumb = evidence.thumbnail(ctx.settings.evidence_dir, f["sha256"], f["mime"])
                    col.image(thumb, caption=plain(f["file_name"]))
                    path = evidence.path_of(ctx.settings.evidence_dir, f["sha256"], f["mime"])
                    col.download_button(
                        "下载原件",
                        lambda p=path: p.read_bytes(),
                        file_name=f["file_name"],
                        mime=f["mime"],
                        key=f"dl_{e.event_id}_{f['sha256'][:12]}",
                        on_click="ignore",
                    )


errors.guarded(page)
