"""数据上报: upload a hazard ledger, see every problem at once, preview what it would change,
confirm, see the history. The plan comes from analytics.ingest (dry_run); the write re-checks it."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from analytics import access
from analytics.ingest import accidents, common, headers, read, roads
from analytics.ingest import hazards as ingest
from analytics.ingest.template import template
from ui import errors, gate, tables, widgets
from ui.context import Context
from ui.text import plain, text_cells


def page() -> None:
    ctx = gate.context(action="import")
    widgets.header(ctx, "数据上报")
    st.markdown(
        "上传本单位的**隐患台账**、**事故记录**或**路段**（.csv、.xlsx 或 .xls）。系统会自动识别标题行、合并表头和"
        "常见的列名写法，逐行检查后一次性列出全部问题；默认有任何问题整份不导入。修改已有记录时先列出逐条修改"
        "（原值 → 新值），确认后才写入；文件中没有的列、空单元格不会改动已有内容；流程状态、风险等级、挂牌督办、"
        "五要件等须按“一单四制”流程在隐患详情页办理。"
    )
    kind = st.radio("数据类型", list(KINDS), format_func=KINDS.get, horizontal=True, key="kind")
    st.download_button(
        f"下载{KINDS[kind]}空白模板（xlsx）",
        lambda: template(kind, ctx.city, access.home_unit(ctx.user)),
        file_name=f"{KINDS[kind]}模板.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        key=f"template_{kind}",
    )
    mb = ctx.settings.import_max_mb
    upload = st.file_uploader(
        f"选择文件（CSV、XLSX 或 XLS，不超过 {mb} MB）",
        type=["csv", "xlsx", "xls"],
        key="ledger_file",
        max_upload_size=mb,
    )
    if upload is not None:
        _import(ctx, kind, upload.name, upload.getvalue())
    _history(ctx, kind)


KINDS = {"hazards": "隐患台账", "accidents": "事故记录", "roads": "路段"}
IMPORTERS = {
    "hazards": ingest.import_hazards,
    "accidents": accidents.import_accidents,
    "roads": roads.import_roads,
}
SPECS = {
    "hazards": headers.HAZARD_HEADERS,
    "accidents": headers.ACCIDENT_HEADERS,
    "roads": headers.ROAD_HEADERS,
}


def _import(ctx: Context, kind: str, name: str, data: bytes) -> None:
    sheet = None
    limits = read.Limits(ctx.settings.import_max_rows, ctx.settings.import_max_columns)
    try:
        if len(data) > ctx.settings.import_max_mb * 2**20:  # bounded before any parser sees it
            raise read.ReadError(
                f"文件 {name} 大小 {len(data) / 2**20:.1f} MB，"
                f"超过导入上限 {ctx.settings.import_max_mb} MB"
            )
        table = read.read(name, data, limits=limits)
        if len(table.sheet_names) > 1:
            sheet = st.selectbox("工作表", table.sheet_names, key="ledger_sheet")
            table = read.read(name, data, sheet, limits)
    except read.ReadError as e:
        st.error(plain(e))
        return
    _file_preview(table.rows, SPECS[kind])
    coords = st.selectbox(
        "坐标系（文件中没有“坐标系”列时使用）",
        ["WGS84", "GCJ02", "BD09"],
        key="file_coords",
        format_func={
            "WGS84": "WGS84（GPS、天地图）",
            "GCJ02": "GCJ02（高德、腾讯）",
            "BD09": "BD09（百度）",
        }.get,
    )
    accept_valid = st.checkbox("只导入没有问题的行（有问题的行不导入）", key="accept_valid")
    if st.button("检查并导入", type="primary", key="do_import"):
        st.session_state["run_import"] = True
    unit = access.home_unit(ctx.user)
    mapping = common.saved_mapping(ctx.cur, unit, kind)
    if mapping:
        st.caption(
            "已套用本单位保存的列映射："
            + "；".join(f"{plain(k)} → {plain(v)}" for k, v in mapping.items())
        )
    _mapping_form(ctx, kind, unit, table.rows, mapping)
    options = {
        "sheet": sheet,
        "accept_valid": accept_valid,
        "mapping": mapping,
        "coord_system": coords,
    }
    key = (kind, name, hashlib.sha256(data).hexdigest(), repr(sorted(options.items())))
    if st.session_state.pop("run_import", False):
        st.session_state.pop("import_preview", None)
        plan = _run(ctx, kind, name, data, options, dry_run=True)
        if plan is None:
            return
        if plan.updated or plan.protected:  # updates are shown and confirmed before any write
            st.session_state["import_preview"] = (key, plan)
        elif plan.inserted and common.should_write(plan, accept_valid):
            _done(_run(ctx, kind, name, data, options, expect=plan.fingerprint))
            return
        else:
            _result(plan)
            return
    preview = st.session_state.get("import_preview")
    if preview and preview[0] == key:
        _preview(ctx, kind, name, data, options, preview[1])


def _file_preview(rows: list[list[object]], spec: dict, n: int = 8) -> None:
    """The file as it reads: its own header as the column names (the title rows above it as a
    caption), the first n rows below the header."""
    first, last, names = headers.column_names(rows, headers.find_header(rows, spec))
    titles = [t for r in rows[:first] for c in r if (t := str(c).strip()) and c is not None]
    st.markdown(f"**预览（前 {n} 行）**")
    if titles:
        st.caption("表头上方：" + plain("；".join(titles)))
    body = [text_cells(r) + [""] * (len(names) - len(r)) for r in rows[last + 1 : last + 1 + n]]
    st.dataframe(pd.DataFrame(body, columns=names), hide_index=True)


def _run(ctx: Context, kind: str, name: str, data: bytes, options: dict, **more: object):
    """The import (or its dry run) with a progress bar; a Chinese message instead of an error."""
    bar = st.progress(0.0, text="正在读取文件……")
    try:
        result = IMPORTERS[kind](
            ctx.cur,
            ctx.city,
            ctx.user,
            name,
            data,
            now=ctx.now(),
            max_bytes=ctx.settings.import_max_mb * 2**20,
            max_rows=ctx.settings.import_max_rows,
            keep_in=ctx.settings.uploads_dir,
            max_columns=ctx.settings.import_max_columns,
            deadline_years=ctx.settings.deadline_horizon_years,
            progress=lambda done, text: bar.progress(done, text=text),
            **options,
            **more,
        )
    except (read.ReadError, common.PlanChanged) as e:
        bar.empty()
        st.error(plain(e))
        return None
    bar.empty()
    return result


def _preview(
    ctx: Context,
    kind: str,
    name: str,
    data: bytes,
    options: dict,
    plan: common.ImportResult,
) -> None:
    """What the import would do, before anything is written; written only when confirmed."""
    st.markdown("**导入预览**（尚未写入，请核对后确认）")
    _result(plan)
    if not common.should_write(plan, options["accept_valid"]):
        return
    reason = None
    if plan.protected:
        st.warning(
            f"本次导入将修改 {len({c.record_id for c in plan.protected})} 条记录中须经“一单四制”"
            "流程办理的字段（上表“受保护”一列标为“是”）。确需通过导入修改，请填写理由后确认；"
            "理由将记入每条隐患的办理记录。"
        )
        reason = st.text_input("修改理由（必填）", key="override_reason")
    label = "确认修改受保护字段并导入" if plan.protected else "确认导入"
    if not st.button(label, type="primary", key="confirm_import"):
        return
    if plan.protected and not (reason or "").strip():
        st.error("请填写修改理由后再确认。")
        return
    st.session_state.pop("import_preview", None)
    _done(_run(ctx, kind, name, data, options, expect=plan.fingerprint, override_reason=reason))


def _done(result: common.ImportResult | None) -> None:
    if result is not None:
        _result(result)


def _mapping_form(ctx: Context, kind: str, unit: str | None, rows: list, saved: dict) -> None:
    """Map the file's own column names to standard ones once; saved for this unit and kind."""
    spec = SPECS[kind]
    header = headers.find_header([list(r) for r in rows], spec)
    if header is not None and not header.unmatched:
        return
    first = next((r for r in rows if any(c is not None for c in r)), [])
    columns = header.unmatched if header else [str(c).strip() for c in first if c is not None]
    standard = ["（不导入）", *[names[0] for f, names in spec.items() if f != "row_number"]]
    with st.expander(
        "列映射：文件中有无法识别的列（其他系统导出的文件请在此对应一次）", expanded=header is None
    ):
        with st.form(f"mapping_{kind}"):
            chosen = {}
            for col in columns:
                default = saved.get(col, "（不导入）")
                chosen[col] = st.selectbox(
                    plain(col),
                    standard,
                    index=standard.index(default) if default in standard else 0,
                    key=f"map_{kind}_{col}",
                )
            if st.form_submit_button("保存映射", key=f"save_mapping_{kind}"):
                mapping = {**saved, **{k: v for k, v in chosen.items() if v != "（不导入）"}}
                common.save_mapping(ctx.cur, unit, kind, mapping, ctx.user.actor)
                st.success("已保存列映射，下次上传同类文件时自动套用。请点击“检查并导入”。")


def _result(r: common.ImportResult) -> None:
    if r.duplicate_file:
        st.info("该文件此前已导入过（内容完全相同），本次未做任何改动。")
        return
    for note in r.notes:
        st.info(note)
    c = st.columns(5)
    for col, (label, value) in zip(
        c,
        (
            ("读取", r.rows),
            ("新增", r.inserted),
            ("更新", r.updated),
            ("未变", r.unchanged),
            ("拒收", r.rejected),
        ),
        strict=True,
    ):
        col.metric(label, f"{value} 行")
    if r.written:
        st.success(f"已导入：新增 {r.inserted} 条，更新 {r.updated} 条，未变 {r.unchanged} 条。")
    elif r.problems:
        st.error(
            f"发现 {len(r.problems)} 个问题，整份文件未导入。请改正后重新上传，或勾选“只导入没有问题的行”。"
        )
    elif not (r.inserted or r.updated):
        st.info("没有需要写入的新增或修改，数据库未做改动。")
    if r.changes:
        _changes(r)
    if r.problems or r.warnings:
        rows = [(p.row, p.column, p.value, p.problem, "拒收") for p in r.problems]
        rows += [(p.row, p.column, p.value, p.problem, "已处理") for p in r.warnings]
        table = pd.DataFrame(rows, columns=["行号", "列", "内容", "问题", "处理"])
        st.markdown("**问题清单**（行号即 Excel 中看到的行号）")
        st.dataframe(table, hide_index=True)
        tables.download(table, "问题清单", f"问题清单_{r.file}.xlsx")
    if r.unmatched_columns:
        st.warning("以下列没有对应的台账字段，未导入：" + plain("、".join(r.unmatched_columns)))
    if r.not_in_upload:
        st.info(
            f"本单位有 {len(r.not_in_upload)} 处隐患不在本次上传的文件中（不会删除）："
            + plain("、".join(r.not_in_upload[:20]))
            + ("……" if len(r.not_in_upload) > 20 else "")
        )


def _changes(r: common.ImportResult) -> None:
    """Every change to an existing record: id, field, before → after (shown as text)."""
    table = pd.DataFrame(
        [
            (
                c.record_id,
                c.label,
                text_cells([c.before])[0],
                text_cells([c.after])[0],
                "是" if c.protected else "",
            )
            for c in r.changes
        ],
        columns=["记录编号", "字段", "原值", "新值", "受保护"],
    )
    st.markdown(f"**逐条修改**（{len({c.record_id for c in r.changes})} 条记录，{len(table)} 处）")
    st.dataframe(table, hide_index=True)
    tables.download(table, "逐条修改", f"逐条修改_{r.file}.xlsx")


def _history(ctx: Context, kind: str) -> None:
    st.subheader(f"导入记录（{KINDS[kind]}）")
    unit = access.home_unit(ctx.user)
    log = ctx.cur.execute(
        "SELECT imported_at, imported_by, file_name, rows_read, rows_added, rows_updated,"
        " rows_rejected FROM imports WHERE kind = $kind AND ($unit IS NULL OR unit_adcode = $unit)"
        " ORDER BY imported_at DESC LIMIT 200",
        {"unit": unit, "kind": kind},
    ).df()
    if log.empty:
        st.caption("还没有导入记录。")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "时间": log.imported_at.dt.strftime("%Y-%m-%d %H:%M"),
                "导入人": log.imported_by,
                "文件": log.file_name,
                "读取（行）": log.rows_read,
                "新增": log.rows_added,
                "更新": log.rows_updated,
                "拒收": log.rows_rejected,
            }
        ),
        hide_index=True,
    )


errors.guarded(page)
