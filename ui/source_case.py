"""One case of 重点车辆与驾驶人 as the page shows it: the case table's rows, the detail (subject,
history with evidence, the lists that named it, the subject's other cases), the full view of
personal data for those entitled (recorded), and the clearing by hand (ask, accept, send back)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from analytics import access
from analytics.ledger import evidence
from analytics.sources import cases
from analytics.sources.config import SUBJECTS, SourceConfig
from analytics.store import db
from ui import tables
from ui.context import Context
from ui.text import plain, plain_table

SUBJECT_LABELS = {
    "plate": "号牌号码",
    "plate_kind": "号牌种类",
    "vehicle_kind": "重点车辆类别",
    "vehicle_type": "车辆类型",
    "use_nature": "使用性质",
    "seats": "核定载客（人）",
    "name": "姓名",
    "id_number": "身份证明号码",
    "licence_class": "准驾车型",
    "phone": "联系电话",
    "enterprise": "所属企业",
    "licence_no": "经营许可证号",
    "enterprise_kind": "企业类型",
}
STATE_COLOURS = {cases.OPEN: "blue", cases.REQUESTED: "orange", cases.CLEARED: "green"}


def _day(d: object) -> str:
    return "" if d is None or pd.isna(d) else str(pd.Timestamp(d).date())


def _text(v: object) -> str:
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _who(r: pd.Series | dict) -> str:
    """How a row names its subject: the plate, the driver's name, the enterprise."""
    if r["subject"] == "vehicle":
        return _text(r["plate"])
    return _text(r["name"])


def case_table(found: pd.DataFrame, cfg: SourceConfig, units: dict[str, str]) -> pd.DataFrame:
    """Cases as the list shows and downloads them (the frame of case_list or case_export)."""
    owner = [
        _text(n) if s == "vehicle" else "" for s, n in zip(found.subject, found.name, strict=True)
    ]
    return pd.DataFrame(
        {
            "案件编号": [int(i) for i in found.case_id],
            "单位": [units.get(u, u) for u in found.unit_adcode],
            "指标": [cfg.indicator(c).label for c in found.indicator],
            "状态": found.state,
            "对象": [_who(r) for _, r in found.iterrows()],
            "列入日期": [_day(d) for d in found.opened_on],
            "清零日期": [_day(d) for d in found.cleared_on],
            "清零方式": [_text(v) for v in found.cleared_how],
            "重点车辆类别": [_text(v) for v in found.vehicle_kind],
            "所有人": owner,
            "身份证明号码": [_text(v) for v in found.id_number],
            "准驾车型": [_text(v) for v in found.licence_class],
            "联系电话": [_text(v) for v in found.phone],
            "所属企业": [_text(v) for v in found.enterprise],
        }
    )


def full_download(
    ctx: Context, cfg: SourceConfig, units: dict[str, str], found: pd.DataFrame, filters: dict
) -> None:
    """A download with personal data in full: made (and recorded) only on the button's click."""
    if not st.button("生成含完整个人信息的下载文件", key="case_full_make"):
        return
    try:
        full = cases.case_export(
            ctx.cur, ctx.user, ctx.now(), full=True, case_ids=found.case_id.tolist(), **filters
        )
    except access.PermissionDenied as e:
        st.error(plain(e))
        return
    data = tables.xlsx_bytes(case_table(full, cfg, units), "案件清单")
    st.download_button(
        "下载案件清单（含完整个人信息，xlsx）",
        data,
        file_name=f"重点车辆与驾驶人案件_完整信息_{ctx.today()}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="case_full_download_button",
        on_click="ignore",
    )
    st.caption("本次生成已记入操作日志（个人信息查看记录）。")


def detail(ctx: Context, cfg: SourceConfig, units: dict[str, str], case_id: int) -> None:
    d = cases.case_detail(ctx.cur, ctx.user, case_id, ctx.now())
    if d["entitled"] and st.button("显示完整信息", key=f"reveal_{case_id}"):
        d = cases.case_detail(ctx.cur, ctx.user, case_id, ctx.now(), reveal=True)
    c, s = d["case"], d["subject"]
    ind = cfg.indicator(c["indicator"])
    colour = STATE_COLOURS.get(c["state"], "gray")
    cleared = f"，{_day(c['cleared_on'])} {plain(c['cleared_how'])}" if c["cleared_on"] else ""
    st.markdown(
        f"**案件 {case_id}**　·　{plain(ind.label)}　·　{plain(units.get(c['unit_adcode'], ''))}"
        f"　·　状态：:{colour}[**{c['state']}**{cleared}]　·　列入日期：{_day(c['opened_on'])}"
    )
    fields = {SUBJECT_LABELS[k]: _text(s.get(k)) for k in SUBJECT_LABELS if _text(s.get(k))}
    if s["subject"] == "enterprise" and "姓名" in fields:
        fields["企业名称"] = fields.pop("姓名")
    elif s["subject"] == "vehicle" and "姓名" in fields:
        fields["所有人"] = fields.pop("姓名")
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{SUBJECTS[s['subject']]}信息**")
        st.table(plain_table(pd.DataFrame({"内容": list(fields.values())}, index=list(fields))))
        if d["full"]:
            st.warning("已显示完整个人信息，本次查看已记入操作日志。", icon=":material/visibility:")
        elif d["entitled"]:
            st.caption("个人信息已脱敏；点击“显示完整信息”查看（将记入操作日志）。")
    with right:
        _lists(d["lists"], cfg)
        _others(d["other_cases"], cfg)
    _history(ctx, d)
    _actions(ctx, d)


def _lists(lists: pd.DataFrame, cfg: SourceConfig) -> None:
    st.markdown("**列入清单记录**")
    if lists.empty:
        st.caption("没有清单记录。")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "清单日期": [_day(v) for v in lists.as_of],
                "指标": [_label(cfg, c) for c in lists.indicator],
                "清单状态": [_text(v) for v in lists.status],
                "明细": [
                    _detail_text(cfg, c, v)
                    for c, v in zip(lists.indicator, lists.detail, strict=True)
                ],
            }
        ),
        hide_index=True,
    )


def _label(cfg: SourceConfig, code: str) -> str:
    try:
        return cfg.indicator(code).label
    except KeyError:
        return code


def _detail_text(cfg: SourceConfig, code: str, raw: object) -> str:
    """An indicator's own fields as a sentence: 违法未处理数 5; 抓拍 2022-05-01 08:00 某路口."""
    if not isinstance(raw, str) or not raw:
        return ""
    d = json.loads(raw)
    parts = []
    if "count" in d:
        try:
            label = cfg.indicator(code).count_label or "数量"
        except KeyError:
            label = "数量"
        parts.append(f"{label}：{d['count']}")
    if "due" in d:
        parts.append(f"有效期止：{d['due']}")
    if "points" in d:
        parts.append(f"累积记分：{d['points']}")
    for sighting in d.get("sightings") or []:  # the proof of 已注销/报废仍上路: time and place
        at, place = (list(sighting) + [None, None])[:2]
        parts.append(f"抓拍：{at or '时间不详'} {place or ''}".strip())
    return "；".join(parts)


def _others(others: pd.DataFrame, cfg: SourceConfig) -> None:
    st.markdown("**该对象的其他案件**")
    if others.empty:
        st.caption("没有其他案件（未曾重复列入）。")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "案件编号": [int(i) for i in others.case_id],
                "指标": [_label(cfg, c) for c in others.indicator],
                "状态": others.state,
                "列入日期": [_day(v) for v in others.opened_on],
                "清零日期": [_day(v) for v in others.cleared_on],
                "清零方式": [_text(v) for v in others.cleared_how],
            }
        ),
        hide_index=True,
    )


def _history(ctx: Context, d: dict) -> None:
    st.markdown("**办理记录**")
    files: dict[int, list[dict]] = {}
    for f in d["evidence"]:
        files.setdefault(int(f["event_id"]), []).append(f)
    for e in d["events"].iloc[::-1].itertuples():
        with st.container(border=True):
            before = e.from_state if isinstance(e.from_state, str) else None
            move = f"{before} → {e.to_state}" if before and before != e.to_state else e.to_state
            st.markdown(f"**{e.event_at:%Y-%m-%d %H:%M}　{plain(e.action)}**　{plain(move)}")
            st.caption(f"办理人：{plain(e.actor)}")
            if isinstance(e.note, str) and e.note:
                st.text(e.note)  # typed by users: plain text
            attached = files.get(int(e.event_id), [])
            if attached:
                cols = st.columns(min(len(attached), 6))
                for col, f in zip(cols, attached, strict=False):
                    thumb = evidence.thumbnail(ctx.settings.evidence_dir, f["sha256"], f["mime"])
                    col.image(thumb, caption=plain(f["file_name"]))


def _actions(ctx: Context, d: dict) -> None:
    c = d["case"]
    unit, state, cid, seen = c["unit_adcode"], c["state"], c["case_id"], c["version"]
    asks = state == cases.OPEN and access.can(ctx.user, "request_clear", unit)
    judges = state == cases.REQUESTED and access.can(ctx.user, "accept_clear", unit)
    if not asks and not judges:
        return
    st.markdown("**办理**")
    if asks:
        with st.form(f"request_clear_{cid}"):
            note = st.text_area("清零情况说明", placeholder="例如：车辆已于 9 月 1 日完成检验")
            mb = ctx.settings.evidence_max_mb
            files = st.file_uploader(
                f"证明材料（JPG、PNG 照片或 PDF，可多选，每个不超过 {mb} MB）",
                type=["jpg", "jpeg", "png", "pdf"],
                accept_multiple_files=True,
                key=f"request_files_{cid}",
                max_upload_size=mb,
            )
            if st.form_submit_button("申请人工清零", type="primary"):
                _submit(ctx, lambda: _request(ctx, cid, seen, note, files or []))
        return
    accept, reject = st.tabs(["验收清零", "退回"])
    with accept, st.form(f"accept_clear_{cid}"):
        note = st.text_area("验收意见", placeholder="例如：经核查证明材料属实")
        if st.form_submit_button("验收清零", type="primary"):
            _submit(ctx, lambda: cases.accept_clear(ctx.cur, ctx.user, cid, seen, note, ctx.now()))
    with reject, st.form(f"reject_clear_{cid}"):
        reason = st.text_area("退回理由", placeholder="说明证明材料不足之处")
        if st.form_submit_button("退回"):
            _submit(
                ctx, lambda: cases.reject_clear(ctx.cur, ctx.user, cid, seen, reason, ctx.now())
            )


def _request(ctx: Context, cid: int, seen: int, note: str, files: list) -> None:
    kept = [
        (
            evidence.store(
                ctx.cur,
                ctx.settings.evidence_dir,
                f.name,
                f.getvalue(),
                ctx.settings.evidence_max_mb * 2**20,
            ),
            f.name,
        )
        for f in files
    ]
    cases.request_clear(ctx.cur, ctx.user, cid, seen, note, kept, ctx.now())


def _submit(ctx: Context, write) -> None:
    """One write in one transaction; a refusal shown in Chinese, the page redrawn on success."""
    try:
        with db.transaction(ctx.cur):
            write()
    except (cases.CaseError, evidence.EvidenceError, access.PermissionDenied) as e:
        st.error("无法提交：" + plain(e))
        return
    st.toast("已办理，已记入办理记录。")
    st.rerun()
