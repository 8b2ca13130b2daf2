"""重点车辆与驾驶人: the 人·车·企 source hazards' figures by indicator and unit, the enterprises to
summon (约谈), and the cases (masked lists, a case's detail and its clearing by hand)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from analytics import access
from analytics.fmt import date_cn, percent
from analytics.ledger import trends
from analytics.sources import cases, figures, pii
from analytics.sources import config as sources_config
from analytics.sources.config import SUBJECTS, SourceConfig
from analytics.store import db
from ui import errors, gate, source_case, tables, widgets
from ui.context import Context
from ui.source_charts import remaining_bar
from ui.text import plain, text_cells

ALL = "全部"
FORECAST_RULE = (
    "清零预计：按近13周（每7天为一段）平均每周清零数，推算现有未清零案件全部清零的日期，"
    "假设不再新增；区间约为80%。"
)
NO_LISTS = "尚未导入重点车辆与驾驶人清单：请在“数据上报”导入。"


def page() -> None:
    ctx = gate.context()
    cfg = sources_config.load(ctx.city)
    as_of = widgets.as_of_control(ctx)
    widgets.header(ctx, "重点车辆与驾驶人", as_of, cfg.campaign or None)
    if not cfg.indicators:
        st.info("本市未配置重点车辆与驾驶人指标（城市配置文件未指定指标配置文件）。")
        return
    if ctx.store.cached(figures.latest_list) is None:
        st.info(NO_LISTS)
        return
    c = st.columns(3)
    start = c[0].date_input(
        "统计起始日",
        value=min(cfg.start, as_of - timedelta(days=1)),
        max_value=as_of - timedelta(days=1),
        key="source_start",
        format="YYYY-MM-DD",
        help="存量按此日计；新增、已清零为此日之后至统计截至日（默认：专项行动开始日）",
    )
    subject = c[1].selectbox(
        "对象", [ALL, *SUBJECTS], format_func=lambda s: SUBJECTS.get(s, s), key="source_subject"
    )
    units = {u.adcode: u.name for u in ctx.city.units}
    unit = None
    if access.home_unit(ctx.user) is None:
        unit = c[2].selectbox(
            "单位", [None, *units], format_func=lambda u: units.get(u, "全部"), key="source_unit"
        )
    else:
        c[2].caption("各单位的汇总数字对所有账号开放；案件明细只列本单位。")
    indicators = cfg.indicators if subject == ALL else cfg.of(subject)
    st.caption(
        f"统计时段：{start} 至 {as_of}（存量为 {start} 当日未清零；清零率 = 已清零 ÷（存量 + 新增））"
    )
    tab_figures, tab_enterprises, tab_cases = st.tabs(["指标", "企业", "案件"])
    with tab_figures:
        _figures(ctx, cfg, start, as_of, unit, indicators)
    with tab_enterprises:
        _enterprises(ctx, cfg, as_of, unit or access.home_unit(ctx.user))  # a brigade: its own
    with tab_cases:
        _cases(ctx, cfg, unit, indicators)


def _count_table(frame: pd.DataFrame, first: dict[str, list]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **first,
            "存量（件）": [int(v) for v in frame.stock],
            "新增（件）": [int(v) for v in frame.new],
            "已清零（件）": [int(v) for v in frame.cleared],
            "清零率": [percent(r) for r in frame.rate],
            "余量（件）": [int(v) for v in frame.remaining],
            "最久未清零（天）": text_cells(
                [None if pd.isna(d) else int(d) for d in frame.oldest_days]
            ),
        }
    )


def _figures(
    ctx: Context, cfg: SourceConfig, start: date, as_of: date, unit: str | None, indicators
) -> None:
    df = ctx.store.cached(figures.figures, cfg, start, as_of, unit)
    df = df[df.indicator.isin([i.code for i in indicators])]
    whole = figures.totals(df.assign(all="all"), "all", as_of)
    m = st.columns(5)
    total = whole.iloc[0] if len(whole) else None
    for col, label, key in zip(
        m,
        ("存量", "新增", "已清零", "余量"),
        ("stock", "new", "cleared", "remaining"),
        strict=False,
    ):
        col.metric(label, f"{0 if total is None else int(total[key])} 件")
    m[4].metric("清零率", percent(None if total is None else total["rate"]))

    st.subheader("各指标清零情况")
    by = figures.totals(df, "indicator", as_of).set_index("indicator")
    rows = by.reindex([i.code for i in indicators if i.code in by.index]).reset_index()
    table = _count_table(rows, {"指标": [cfg.indicator(c).label for c in rows.indicator]})
    if len(whole):
        table = pd.concat([table, _count_table(whole, {"指标": ["合计"]})], ignore_index=True)
    if rows.empty:
        st.info("所选时段和对象下没有案件。")
        return
    st.dataframe(table, hide_index=True)
    tables.download(table, "各指标清零情况", f"各指标清零情况_{as_of}.xlsx")

    units = {u.adcode: u.name for u in ctx.city.units}
    by_unit = figures.totals(df, "unit_adcode", as_of)
    how = st.radio("图表", ["按指标", "按单位"], horizontal=True, key="source_chart_by")
    if how == "按指标":
        shown = rows.sort_values("remaining", ascending=False, kind="stable")
        names, label = [cfg.indicator(c).label for c in shown.indicator], "指标"
    else:
        shown = by_unit.sort_values("remaining", ascending=False, kind="stable")
        names, label = [units.get(u, u) for u in shown.unit_adcode], "单位"
    st.plotly_chart(
        remaining_bar(
            shown.reset_index(drop=True), names, label, f"{how}余量与已清零（截至 {as_of}）"
        ),
        config={"displaylogo": False},
        key="source_chart",
    )

    st.subheader("单位排名与清零预计")
    ranked = figures.rank_units(by_unit)
    fc = {u: ctx.store.cached(figures.forecast, as_of, u) for u in ranked.unit_adcode}
    ranking = _count_table(
        ranked,
        {
            "排名": [int(r) for r in ranked["rank"]],
            "单位": [units.get(u, u) for u in ranked.unit_adcode],
        },
    )
    ranking["清零预计"] = [_expected(fc[u]) for u in ranked.unit_adcode]
    ranking["80%区间"] = [_span(fc[u]) for u in ranked.unit_adcode]
    st.dataframe(ranking, hide_index=True)
    tables.download(ranking, "单位排名", f"重点车辆与驾驶人单位排名_{as_of}.xlsx")
    st.caption(
        "排名：清零率高者在前，相同时余量少者在前；没有需清零案件的单位列最后。" + FORECAST_RULE
    )
    city = ctx.store.cached(figures.forecast, as_of, unit)
    st.caption(("全市" if unit is None else units.get(unit, unit)) + _sentence(city))


def _expected(f: trends.Forecast) -> str:
    return str(f.expected) if f.expected else f.status


def _span(f: trends.Forecast) -> str:
    return f"{f.earliest} 至 {f.latest or '无法确定'}" if f.expected else "—"


def _sentence(f: trends.Forecast) -> str:
    if f.expected is None:
        return f"现有未清零 {f.open_now} 件，清零预计：{f.status}。"
    return (
        f"现有未清零 {f.open_now} 件，近13周平均每周清零 {f.mean:.1f} 件，"
        f"预计 {date_cn(f.expected)} 清零（80% 区间 {_span(f)}）。"
    )


def _enterprises(ctx: Context, cfg: SourceConfig, as_of: date, unit: str | None) -> None:
    units = {u.adcode: u.name for u in ctx.city.units}
    ents = ctx.store.cached(figures.enterprises, cfg, as_of, unit)
    st.subheader("企业未清零案件排名")
    st.caption(f"未清零案件达到 {cfg.summons_threshold} 件及以上的企业建议约谈（截至 {as_of}）。")
    if ents.empty:
        st.info("截至统计日没有企业名下的未清零案件。")
    else:
        table = pd.DataFrame(
            {
                "建议": ["建议约谈" if s else "" for s in ents.for_summons],
                "企业": ents.enterprise,
                "单位": [units.get(u, u) for u in ents.unit_adcode],
                "未清零案件（件）": [int(v) for v in ents.open_cases],
                "车辆（辆）": [int(v) for v in ents.vehicles],
                "驾驶人（人）": [int(v) for v in ents.drivers],
                "最早列入": text_cells([_day(d) for d in ents.oldest_open]),
                "约谈次数": [int(v) for v in ents.summons],
                "最近约谈": text_cells([_day(d) for d in ents.last_summons]),
            }
        )
        st.dataframe(table.style.apply(_summons_marks, axis=None), hide_index=True)
        tables.download(table, "企业排名", f"重点企业排名_{as_of}.xlsx")
    if access.may(ctx.user, "record_summons"):
        _summons_form(ctx, list(ents.enterprise), unit)
    st.subheader("约谈记录")
    done = ctx.store.cached(cases.summons_list)
    if done.empty:
        st.info("尚无约谈记录。")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "约谈日期": text_cells([_day(d) for d in done.summoned_on]),
                "企业": done.enterprise,
                "单位": [units.get(u, "") if isinstance(u, str) else "" for u in done.unit_adcode],
                "当时未清零（件）": [int(v) for v in done.open_cases],
                "说明": done.note.fillna(""),
                "记录人": done.recorded_by,
            }
        ),
        hide_index=True,
    )


def _summons_marks(t: pd.DataFrame) -> pd.DataFrame:
    css = pd.DataFrame("", index=t.index, columns=t.columns)
    css["建议"] = ["color: #d64541; font-weight: bold" if s else "" for s in t["建议"]]
    return css


def _day(d: object) -> date | None:
    return None if d is None or pd.isna(d) else pd.Timestamp(d).date()


def _summons_form(ctx: Context, listed: list[str], unit: str | None) -> None:
    with st.expander("记录约谈"), st.form("summons_form", clear_on_submit=True):
        other = "（其他企业）"
        chosen = st.selectbox("企业", [*listed, other], key="summons_enterprise")
        typed = st.text_input("其他企业名称（选择“其他企业”时填写）", key="summons_other")
        on = st.date_input(
            "约谈日期",
            value=ctx.today(),
            max_value=ctx.today(),
            format="YYYY-MM-DD",
            key="summons_on",
        )
        note = st.text_area("约谈情况", placeholder="例如：约谈企业负责人，责令限期整改")
        if st.form_submit_button("记录约谈", type="primary"):
            name = typed.strip() if chosen == other else chosen
            if not name:
                st.error("请填写企业名称。")
                return
            try:
                with db.transaction(ctx.cur):
                    cases.record_summons(ctx.cur, ctx.user, name, unit, on, note, ctx.now())
            except cases.CaseError as e:
                st.error(plain(e))
                return
            st.toast("已记录约谈。")
            st.rerun()


def _cases(ctx: Context, cfg: SourceConfig, unit: str | None, indicators) -> None:
    units = {u.adcode: u.name for u in ctx.city.units}
    if (own := access.home_unit(ctx.user)) is not None:
        st.caption(f"区县大队账号只列本单位（{units.get(own, own)}）的案件。")
    c = st.columns(3)
    code = c[0].selectbox(
        "指标",
        [None, *[i.code for i in indicators]],
        format_func=lambda x: "全部" if x is None else cfg.indicator(x).label,
        key="case_indicator",
    )
    state = c[1].selectbox(
        "状态",
        [None, cases.OPEN, cases.REQUESTED, cases.CLEARED],
        format_func=lambda s: s or "全部",
        key="case_state",
    )
    enterprise = c[2].text_input("所属企业（全称）", key="case_enterprise").strip() or None
    filters = {"indicator": code, "unit": unit, "state": state, "enterprise": enterprise}
    found = ctx.store.cached(cases.case_list, ctx.user, **filters)
    found = found[found.indicator.isin([i.code for i in indicators])]
    if found.empty:
        st.info("没有符合条件的案件。")
        return
    table = source_case.case_table(found, cfg, units)
    st.caption(f"共 {len(table)} 件；姓名、身份证明号码、电话已脱敏。")
    st.dataframe(table, hide_index=True)
    tables.download(table, "案件清单", f"重点车辆与驾驶人案件_{ctx.today()}.xlsx")
    scope = own if own is not None else unit
    if pii.entitled(ctx.user, scope) and st.checkbox(
        "下载含完整个人信息的案件清单（将记入操作日志）", key="case_full_download"
    ):
        source_case.full_download(ctx, cfg, units, found, filters)
    st.subheader("案件详情")
    ids = [int(i) for i in found.case_id]
    shown = dict(zip(ids, table["指标"] + " · " + table["对象"], strict=True))
    wanted = st.query_params.get("case")
    pick = st.selectbox(
        "选择案件",
        [None, *ids],
        index=ids.index(int(wanted)) + 1
        if wanted and wanted.isdigit() and int(wanted) in ids
        else 0,
        format_func=lambda i: "（请选择）" if i is None else f"案件 {i} · {shown[i]}",
        key="case_pick",
    )
    if pick is not None:
        source_case.detail(ctx, cfg, units, pick)


errors.guarded(page)
