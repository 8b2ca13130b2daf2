"""通报: the bulletin of a period as a draft (preview, .docx and .xlsx), issuing it, the archive."""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
import streamlit as st

from analytics import access, fmt
from analytics.bulletin import archive
from analytics.bulletin import content as bulletin
from analytics.bulletin.model import (
    BULLETIN_PERIODS,
    DOC_ROWS,
    MASTHEAD,
    Bulletin,
    Table,
    mark_note,
)
from ui import charts, errors, gate, widgets
from ui.context import Context
from ui.text import html_table, plain

MARK_CSS = {"red": "background-color: #f8d7da", "yellow": "background-color: #fff3cd"}
# the preview's tables as the document prints them (static HTML: a styled st.dataframe of 100 rows
# took pandas' Styler 15–90 ms each, half the page's time); one line a row, scrolling within
# 28 rem (and sideways on a phone), the header kept in view
_TABLE_CSS = """<style>
.bulletin-table { max-height: 28rem; overflow: auto; border: 1px solid #dfe3e8; border-radius: 0.5rem;
  margin-bottom: 0.5rem; }
.bulletin-table table { border-collapse: collapse; width: 100%; font-size: 0.875rem; color: #262730; }
.bulletin-table th { position: sticky; top: 0; background: #f0f2f6; text-align: left; font-weight: 600; }
.bulletin-table th, .bulletin-table td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e6e9ef;
  white-space: nowrap; }
</style>"""


def page() -> None:
    ctx = gate.context()
    as_of = widgets.as_of_control(ctx)
    opts = archive.options(ctx.settings, ctx.city)
    widgets.header(ctx, "通报", as_of, f"临期预警 {opts.horizon} 天 · 主送：{opts.recipients}")
    left, right = st.columns(2)
    period = left.selectbox(
        "通报周期",
        list(BULLETIN_PERIODS),
        index=0,
        key="bulletin_period",
        format_func=lambda p: f"{BULLETIN_PERIODS[p]}通报（近一{BULLETIN_PERIODS[p]}）",
        help="统计周期为截至统计日的最近一周、一月或一季度；变化与上期通报（没有时与上期末）相比",
    )
    dated = right.date_input(
        "成文日期",
        value=max(ctx.today(), as_of),
        min_value=as_of,
        key="bulletin_dated",
        format="YYYY-MM-DD",
        help="通报落款日期；期号按成文日期所在年度顺序编排",
    )
    draft_tab, archive_tab = st.tabs(["草稿预览与签发", "通报存档"])
    with draft_tab:
        _draft(ctx, as_of, period, dated, opts)
    with archive_tab:
        _archive(ctx)


def _draft(ctx: Context, as_of: date, period: str, dated: date, opts: archive.Options) -> None:
    issued = st.session_state.pop("bulletin_issued", None)
    if issued:
        st.success(f"已签发 {issued}，已存入通报存档（见“通报存档”）。", icon=":material/verified:")
    content = _as_seen(ctx, ctx.store.cached(archive.draft, as_of, period, opts, dated))
    st.caption(
        f"草稿：签发前内容随台账变化；签发后编号为 {content.year}年第{content.draft_number}期，"
        "内容与文件即被固定存档。"
    )
    c = st.columns(3)
    c[0].download_button(
        "下载草稿（Word）",
        lambda: archive.render(content).docx,
        file_name=archive.file_name(content, "docx"),
        mime=archive.DOCX_MIME,
        key="draft_docx",
        on_click="ignore",
        icon=":material/description:",
    )
    c[1].download_button(
        "下载草稿（Excel）",
        lambda: archive.render(content).xlsx,
        file_name=archive.file_name(content, "xlsx"),
        mime=archive.XLSX_MIME,
        key="draft_xlsx",
        on_click="ignore",
        icon=":material/table:",
    )
    _issue_form(ctx, content, as_of, period, dated, opts)
    with st.container(border=True):
        _preview(content, "draft")


def _as_seen(ctx: Context, content: Bulletin) -> Bulletin:
    """A brigade reads every unit's figures but only its own unit's rows."""
    own = access.home_unit(ctx.user)
    return content if own is None else bulletin.for_unit(content, ctx.city.unit(own).name)


def _issue_form(
    ctx: Context,
    content: Bulletin,
    as_of: date,
    period: str,
    dated: date,
    opts: archive.Options,
) -> None:
    if not access.can(ctx.user, "issue_bulletin"):
        st.info("草稿可预览和下载；签发通报须由支队管理员操作。", icon=":material/info:")
        return
    with st.form("issue_bulletin"):
        st.markdown(
            f"**签发通报**：{content.year}年第{content.draft_number}期，"
            f"{BULLETIN_PERIODS[period]}通报，统计截至 {fmt.date_cn(as_of)}，成文日期 "
            f"{fmt.date_cn(dated)}。签发后不可修改。"
        )
        confirmed = st.checkbox("我已核对通报内容，确认签发", key="issue_confirm")
        if not st.form_submit_button("签发", type="primary", icon=":material/campaign:"):
            return
    if not confirmed:
        st.warning("请先勾选“我已核对通报内容，确认签发”。")
        return
    try:
        done = archive.issue(ctx.cur, ctx.user, as_of, period, opts, dated=dated, now=ctx.now())
    except archive.BulletinError as e:
        st.error(plain(e))
        return
    st.session_state["bulletin_issued"] = done.content.number_label
    st.rerun()


def _centered(text: str, style: str = "") -> None:
    st.markdown(
        f"<div style='text-align:center;{style}'>{html.escape(text)}</div>", unsafe_allow_html=True
    )


def _preview(content: Bulletin, key: str) -> None:
    """The document as it reads: masthead, number, issuer and date, title, body, tables."""
    _centered(MASTHEAD, "color:#c00000;font-size:2rem;font-weight:bold;letter-spacing:0.1em")
    _centered(content.number_label)
    st.markdown(
        f"<div style='display:flex;justify-content:space-between;border-bottom:3px solid "
        f"#c00000;padding-bottom:4px'><span>{html.escape(content.issuer)}</span>"
        f"<span>{fmt.date_cn(content.dated)}</span></div>",
        unsafe_allow_html=True,
    )
    _centered(content.title, "font-size:1.5rem;font-weight:bold;margin-top:1rem")
    _centered(f"（{fmt.date_cn(content.start)}至{fmt.date_cn(content.end)}）")
    st.markdown(f"{plain(content.recipients)}：")
    for section in content.sections:
        st.markdown(f"**{plain(section.heading)}**")
        for paragraph in section.paragraphs:
            st.markdown(f"　　{plain(paragraph)}")
        for name in section.charts:
            st.plotly_chart(charts.bulletin_chart(content.charts[name]), key=f"{key}_{name}")
        for name in section.tables:
            _table(content.tables[name])
    st.markdown(
        f"<div style='text-align:right;margin-top:2rem'>{html.escape(content.issuer)}<br>"
        f"{fmt.date_cn(content.dated)}</div>",
        unsafe_allow_html=True,
    )


def _table(t: Table) -> None:
    st.markdown(f"**{plain(t.title)}**")
    if not t.rows:
        st.caption(plain(t.empty))
        return
    shown = t.rows[:DOC_ROWS]  # as the Word document lists them
    marks = [MARK_CSS.get(m or "", "") for m in t.marks[: len(shown)]]
    st.html(_TABLE_CSS + html_table(t.columns, shown, marks, "bulletin-table"))
    if len(t.rows) > len(shown):
        st.caption(f"共 {len(t.rows):,} 项，此处列出前 {len(shown)} 项；完整清单见 Excel 版。")
    if t.note:
        st.caption(plain(t.note))
    if note := mark_note(t):
        st.caption(note)


def _archive(ctx: Context) -> None:
    issued = archive.archive(ctx.cur)
    if issued.empty:
        st.info("尚未签发任何通报。签发后的通报在此存档，可随时下载签发时的原件。")
        return
    table = pd.DataFrame(
        {
            "期号": [f"{y}年第{n}期" for y, n in zip(issued.year, issued.number, strict=True)],
            "类型": [f"{BULLETIN_PERIODS[p]}通报" for p in issued.period],
            "统计截至": issued.as_of.dt.date,
            "成文日期": issued.dated.dt.date,
            "签发人": issued.issued_by,
            "签发时间": issued.issued_at.dt.strftime("%Y-%m-%d %H:%M"),
            "Word 文件 SHA-256": issued.docx_sha256.str[:16] + "…",
        }
    )
    st.caption(
        f"共 {fmt.count(len(table), '期')}；下载的是签发时存档的原件，与台账此后的变化无关。"
    )
    st.dataframe(table, hide_index=True, key="bulletin_archive_table")
    keys = list(zip(issued.year.astype(int), issued.number.astype(int), strict=True))
    picked = st.selectbox(
        "选择存档通报", keys, format_func=lambda k: f"{k[0]}年第{k[1]}期", key="archive_pick"
    )
    frozen = archive.fetch(ctx.cur, *picked)
    if access.home_unit(ctx.user) is not None:
        _unit_copy(ctx, frozen)
        return
    c = st.columns(3)
    c[0].download_button(
        "下载存档原件（Word）",
        frozen.files.docx,
        file_name=archive.file_name(frozen.content, "docx"),
        mime=archive.DOCX_MIME,
        key="archive_docx",
        on_click="ignore",
        icon=":material/description:",
    )
    c[1].download_button(
        "下载存档原件（Excel）",
        frozen.files.xlsx,
        file_name=archive.file_name(frozen.content, "xlsx"),
        mime=archive.XLSX_MIME,
        key="archive_xlsx",
        on_click="ignore",
        icon=":material/table:",
    )
    st.caption(f"签发人：{plain(frozen.issued_by)} · 签发时间：{frozen.issued_at:%Y-%m-%d %H:%M}")
    with st.expander("存档内容预览", expanded=False):
        _preview(frozen.content, "archived")


def _unit_copy(ctx: Context, frozen: archive.Issued) -> None:
    """A brigade downloads its unit's copy of an issued bulletin, rendered from the archived
    content (the original lists every unit's hazards)."""
    content = _as_seen(ctx, frozen.content)
    st.caption("区县大队下载的是本单位版本：汇总数字与原件相同，明细表仅列出本单位的隐患和点段。")
    c = st.columns(3)
    c[0].download_button(
        "下载本单位版（Word）",
        lambda: archive.render(content).docx,
        file_name=archive.file_name(content, "docx").replace(".docx", "_本单位版.docx"),
        mime=archive.DOCX_MIME,
        key="archive_docx",
        on_click="ignore",
        icon=":material/description:",
    )
    c[1].download_button(
        "下载本单位版（Excel）",
        lambda: archive.render(content).xlsx,
        file_name=archive.file_name(content, "xlsx").replace(".xlsx", "_本单位版.xlsx"),
        mime=archive.XLSX_MIME,
        key="archive_xlsx",
        on_click="ignore",
        icon=":material/table:",
    )
    with st.expander("存档内容预览（本单位版）", expanded=False):
        _preview(content, "archived")


errors.guarded(page)
