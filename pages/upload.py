"""数据上报: upload a hazard ledger, see every problem at once, preview what it would change,
confirm, see the history. The plan comes from analytics.ingest (dry_run); the write re-checks it."""

from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd
import streamlit as st

from analytics import access
from analytics.ingest import accidents, common, headers, read, roads
from analytics.ingest import hazards as ingest
from analytics.ingest import sources as ingest_sources
from analytics.ingest.template import sources_template, template
from analytics.sources import config as sources_config
from analytics.sources import log as sources_log
from ui import errors, gate, tables, widgets
from ui.context import Context
from ui.text import plain, text_cells


def page() -> None:
    ctx = gate.context(action="import")
    widgets.header(ctx, "数据上报")
    st.markdown(
        "上传本单位的**隐患台账**、**事故记录**、**路段**或**重点车辆与驾驶人清单**（.csv、.xlsx 或 .xls）。系统会自动识别标题行、合并表头和"
        "常见的列名写法，逐行检查后一次性列出全部问题；默认有任何问题整份不导入。修改已有记录时先列出逐条修改"
        "（原值 → 新值），确认后才写入；文件中没有的列、空单元格不会改动已有内容；流程状态、风险等级、挂牌督办、"
        "五要件等须按“一单四制”流程在隐患详情页办理。"
    )
    kind = st.radio("数据类型", list(KINDS), format_func=KINDS.get, horizontal=True, key="kind")
    source = None
    if kind == "sources":
        source = _source_options(ctx)
        if source is None:
            return
    subject = source["subject"] if source else None
    st.download_button(
        f"下载{_kind_name(kind, subject)}空白模板（xlsx）",
        lambda: _template(ctx, kind, subject),
        file_name=f"{_kind_name(kind, subject)}模板.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        key=f"template_{kind}_{subject}",
    )
    mb = ctx.settings.import_max_mb
    upload = st.file_uploader(
        f"选择文件（CSV、XLSX 或 XLS，不超过 {mb} MB）",
        type=["csv", "xlsx", "xls"],
        key="ledger_file",
        max_upload_size=mb,
    )
    if upload is not None:
        _import(ctx, kind, upload.name, upload.getvalue(), source)
    if kind == "sources":
        _source_history(ctx)
    else:
        _history(ctx, kind)


KINDS = {
    "hazards": "隐患台账",
    "accidents": "事故记录",
    "roads": "路段",
    "sources": "重点车辆与驾驶人清单",
}
IMPORTERS = {
    "hazards": ingest.import_hazards,
    "accidents": accidents.import_accidents,
    "roads": roads.import_roads,
    "sources": ingest_sources.import_snapshot,
}
SUBJECT_LISTS = {
    "vehicle": "重点车辆清单",
    "driver": "重点驾驶人清单",
    "enterprise": "运输企业清单",
}
SPECS = {
    "hazards": headers.HAZARD_HEADERS,
    "accidents": headers.ACCIDENT_HEADERS,
    "roads": headers.ROAD_HEADERS,
}


def _kind_name(kind: str, subject: str | None) -> str:
    return SUBJECT_LISTS[subject] if subject else KINDS[kind]


def _template(ctx: Context, kind: str, subject: str | None) -> bytes:
    unit = access.home_unit(ctx.user)
    if subject:
        return sources_template(subject, ctx.city, sources_config.load(ctx.city), unit)
    return template(kind, ctx.city, unit)


def _source_options(ctx: Context) -> dict | None:
    """The list's indicator, date and (the detachment) unit; None when none are configured."""
    cfg = sources_config.load(ctx.city)
    if not cfg.indicators:
        st.info("本市尚未配置重点车辆与驾驶人指标（城市配置文件的 [sources]），无法导入清单。")
        return None
    st.info(
        "清单是某一指标在清单日期的**完整名单**：名单上的对象为隐患（尚无案件的新增一件）；上次名单上有、"
        "本次没有的对象，或“处理状态”写明已清零（如 已检验）的对象，按清单日期清零。清单是一个整体："
        "任何一行有问题，整份清单都不导入。同一单位同一指标的清单须按日期先后导入。"
    )
    c = st.columns(3)
    codes = [i.code for i in cfg.indicators]
    labels = {i.code: i.label for i in cfg.indicators}
    code = c[0].selectbox("指标", codes, format_func=labels.get, key="source_indicator")
    as_of = c[1].date_input(
        "清单日期",
        value=ctx.today(),
        max_value=ctx.today(),
        format="YYYY-MM-DD",
        key="source_as_of",
    )
    unit = access.home_unit(ctx.user)
    if unit is None:
        names = {u.adcode: u.name for u in ctx.city.units}
        unit = c[2].selectbox(
            "清单所属单位",
            [None, *names],
            format_func=lambda u: names.get(u, "全市（各单位）"),
            key="source_unit",
        )
        if unit is None:
            st.warning(
                "按“全市”导入时，清单视为全市各单位的完整名单：清单中没有出现的单位，其该指标下"
                "所有未清零案件都将按清单日期清零。只导入某一单位的清单时，请选择该单位。"
            )
    if not isinstance(as_of, date):
        st.info("请选择清单日期。")
        return None
    ind = cfg.indicator(code)
    return {"indicator": code, "as_of": as_of, "unit": unit, "subject": ind.subject}


def _import(ctx: Context, kind: str, name: str, data: bytes, source: dict | None) -> None:
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
    spec = ingest_sources.HEADERS[source["subject"]] if source else SPECS[kind]
    _file_preview(table.rows, spec)
    options: dict = {"sheet": sheet}
    if source is None:
        options["coord_system"] = st.selectbox(
            "坐标系（文件中没有“坐标系”列时使用）",
            ["WGS84", "GCJ02", "BD09"],
            key="file_coords",
            format_func={
                "WGS84": "WGS84（GPS、天地图）",
                "GCJ02": "GCJ02（高德、腾讯）",
                "BD09": "BD09（百度）",
            }.get,
        )
        options["accept_valid"] = st.checkbox(
            "只导入没有问题的行（有问题的行不导入）", key="accept_valid"
        )
    else:  # a list is whole: no accepting the valid rows only
        options.update({k: source[k] for k in ("indicator", "as_of", "unit")})
    if st.button("检查并导入", type="primary", key="do_import"):
        st.session_state["run_import"] = True
    unit = access.home_unit(ctx.user)
    map_kind = f"sources_{source['subject']}" if source else kind
    mapping = common.saved_mapping(ctx.cur, unit, map_kind)
    if mapping:
        st.caption(
            "已套用本单位保存的列映射："
            + "；".join(f"{plain(k)} → {plain(v)}" for k, v in mapping.items())
        )
    _mapping_form(ctx, map_kind, spec, unit, table.rows, mapping)
    options["mapping"] = mapping
    accept_valid = bool(options.get("accept_valid"))
    key = (kind, name, hashlib.sha256(data).hexdigest(), repr(sorted(options.items())))
    if st.session_state.pop("run_import", False):
        st.session_state.pop("import_preview", None)
        plan = _run(ctx, kind, name, data, options, dry_run=True)
        if plan is None:
            return
        # updates (a list's cleared cases too) are shown and confirmed before any write; a list
        # that only opens cases, or changes none, is written at once like new records
        writes = plan.inserted or (source is not None and not plan.problems)
        if plan.updated or plan.protected:
            st.session_state["import_preview"] = (key, plan)
        elif writes and common.should_write(plan, accept_valid):
            _done(_run(ctx, kind, name, data, options, expect=plan.fingerprint), source)
            return
        else:
            _result(plan, source)
            return
    preview = st.session_state.get("import_preview")
    if preview and preview[0] == key:
        _preview(ctx, kind, name, data, options, preview[1], source)


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
    source: dict | None = None,
) -> None:
    """What the import would do, before anything is written; written only when confirmed."""
    st.markdown("**导入预览**（尚未写入，请核对后确认）")
    _result(plan, source)
    if not common.should_write(plan, bool(options.get("accept_valid"))):
        return
    if source is not None:
        st.warning(
            f"确认后，上表所列 {plan.updated} 件案件将按清单日期 {source['as_of']} 清零"
            "（清零后如再次列入清单，将新增案件）。"
        )
    reason = None
    if plan.protected:
        st.warning(
            f"本次导入将修改 {len({c.record_id for c in plan.protected})} 条记录中须经“一单四制”"
            "流程办理的字段（上表“受保护”一列标为“是”）。确需通过导入修改，请填写理由后确认；"
            "理由将记入每条隐患的办理记录。"
        )
        reason = st.text_input("修改理由（必填）", key="override_reason")
    label = "确认修改受保护字段并导入" if plan.protected else "确认导入"
    if source is not None:
        label = "确认导入清单并清零"
    if not st.button(label, type="primary", key="confirm_import"):
        return
    if plan.protected and not (reason or "").strip():
        st.error("请填写修改理由后再确认。")
        return
    st.session_state.pop("import_preview", None)
    more = {} if source is not None else {"override_reason": reason}
    result = _run(ctx, kind, name, data, options, expect=plan.fingerprint, **more)
    if result is not None:  # a list's cleared cases are listed in the preview above
        _result(result, source, changes=source is None)


def _done(result: common.ImportResult | None, source: dict | None = None) -> None:
    if result is not None:
        _result(result, source)


def _mapping_form(
    ctx: Context, kind: str, spec: dict, unit: str | None, rows: list, saved: dict
) -> None:
    """Map the file's own column names to standard ones once; saved for this unit and kind."""
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


def _result(r: common.ImportResult, source: dict | None = None, changes: bool = True) -> None:
    if r.duplicate_file:
        st.info("该文件此前已导入过（内容完全相同），本次未做任何改动。")
        return
    for note in r.notes:
        st.info(note)
    c = st.columns(5)
    if source is None:
        figures = (("读取", r.rows, "行"), ("新增", r.inserted, "行"), ("更新", r.updated, "行"))
        figures += (("未变", r.unchanged, "行"), ("拒收", r.rejected, "行"))
    else:
        figures = (("读取", r.rows, "行"), ("新增案件", r.inserted, "件"))
        figures += (("清零", r.updated, "件"), ("仍未清零", r.unchanged, "件"))
        figures += (("有问题", r.rejected, "行"),)
    for col, (label, value, unit) in zip(c, figures, strict=True):
        col.metric(label, f"{value} {unit}")
    if r.written and source is not None:
        st.success(
            f"已导入截至 {source['as_of']} 的清单：新增案件 {r.inserted} 件，"
            f"清零 {r.updated} 件，仍未清零 {r.unchanged} 件。"
        )
    elif r.written:
        st.success(f"已导入：新增 {r.inserted} 条，更新 {r.updated} 条，未变 {r.unchanged} 条。")
    elif r.problems and source is not None:
        st.error(
            f"发现 {len(r.problems)} 个问题，整份清单未导入（清单须完整无误才能导入）。"
            "请改正后重新上传。"
        )
    elif r.problems:
        st.error(
            f"发现 {len(r.problems)} 个问题，整份文件未导入。请改正后重新上传，或勾选“只导入没有问题的行”。"
        )
    elif not (r.inserted or r.updated):
        st.info("没有需要写入的新增或修改，数据库未做改动。")
    if r.changes and changes:
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


def _source_history(ctx: Context) -> None:
    st.subheader("导入记录（重点车辆与驾驶人清单）")
    log = sources_log.imports(ctx.cur, access.home_unit(ctx.user))
    if log.empty:
        st.caption("还没有导入记录。")
        return
    labels = {i.code: i.label for i in sources_config.load(ctx.city).indicators}
    st.dataframe(
        pd.DataFrame(
            {
                "时间": log.imported_at.dt.strftime("%Y-%m-%d %H:%M"),
                "导入人": log.imported_by,
                "指标": log.indicator.map(lambda c: labels.get(c, c)),
                "清单日期": pd.to_datetime(log.as_of).dt.strftime("%Y-%m-%d"),
                "单位数": log.units,
                "列入": log.listed,
                "新增案件": log.opened,
                "清零": log.cleared,
                "文件": log.file_name,
            }
        ),
        hide_index=True,
    )


errors.guarded(page)
