"""领导驾驶舱: rates, ranking, map, trends, 清零 forecast and the overdue list; drill into a unit."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics import access, fmt
from analytics.city import boundaries
from analytics.ledger import hazard_list, metrics, periods, trends
from analytics.ledger.metrics import GROUPINGS
from ui import charts, errors, gate, maps, source_cards, tables, widgets
from ui.context import Context
from ui.text import plain

RANK_RULE = "排名规则：整改率高者在前，相同看按期整改率，再相同看逾期少者；三项相同名次并列"


def page() -> None:
    ctx = gate.context()
    as_of = widgets.as_of_control(ctx)
    period = periods.Period.ending(as_of, widgets.period_control())
    horizon = ctx.settings.due_soon_days
    unit = _drill_unit(ctx)
    rule = f"统计周期：{period.label}（{period.start} 至 {period.end}）· 临期预警 {horizon} 天"
    if unit is None:
        widgets.header(ctx, "领导驾驶舱", as_of, rule)
        _city_view(ctx, as_of, period, horizon)
    else:
        name = ctx.city.unit(unit).name
        widgets.header(ctx, f"领导驾驶舱 · {name}", as_of, f"查看单位：{name} · {rule}")
        own = access.home_unit(ctx.user)
        if own is not None and own != unit:
            st.warning(
                f"您正在查看{name}的数据，不是本单位（{ctx.city.unit(own).name}）。"
                f"以下各项指标、图表和说明均为{name}的情况。",
                icon=":material/visibility:",
            )
        if st.button("← 返回全市", key="back_to_city"):
            del st.query_params["unit"]
            st.rerun()
        _unit_view(ctx, as_of, period, horizon, unit)


def _drill_unit(ctx: Context) -> str | None:
    code = st.query_params.get("unit")
    if code and ctx.city.resolve_unit(code) is not None:
        return ctx.city.resolve_unit(code).adcode
    return None


def _who(ctx: Context, unit: str | None) -> str:
    """Whose figures a section shows: 全市 or the unit's name (every caption and title says it)."""
    return "全市" if unit is None else ctx.city.unit(unit).name


def _go_to_unit(code: str | None) -> None:
    if code:
        st.query_params["unit"] = code
        st.rerun()


# key, label, kind (count | rate | days), whether a rise is good (None: neither)
KPI_CARDS = (
    ("listed", "入单隐患", "count", None),
    ("closed", "已销号", "count", True),
    ("rate", "整改率", "rate", True),
    ("on_time_rate", "按期整改率", "rate", True),
    ("overdue", "逾期", "count", False),
    ("due_soon", "临期", "count", False),
    ("assigned_complete_rate", "交办完整率", "rate", True),
    ("avg_days_to_close", "平均销号用时", "days", False),
)


def _kpis(
    ctx: Context, as_of: date, period: periods.Period, horizon: int, unit: str | None
) -> None:
    k = ctx.store.cached(metrics.kpi_comparison, period, horizon, unit)
    st.caption(f"{plain(_who(ctx, unit))}隐患治理指标；变化为与上期末（{k.previous}）相比")
    cols = [*st.columns(4), *st.columns(4)]
    for col, (key, label, kind, up_is_good) in zip(cols, KPI_CARDS, strict=True):
        now, before = k.now[key], k.before[key]
        value = {
            "count": lambda v: fmt.count(v, "处"),
            "rate": fmt.percent,
            "days": lambda v: fmt.decimal(v, 1, "天"),
        }[kind](now)
        widgets.compare_metric(
            col,
            label,
            value,
            now,
            before,
            unit={"count": "处", "days": "天"}.get(kind, ""),
            rate=kind == "rate",
            up_is_good=up_is_good,
            help=HELP[key].format(horizon=horizon),
        )


HELP = {
    "listed": "入单日期（无则取排查日期）不晚于统计日、且未作废的隐患；待认定的不计",
    "closed": "已入单且销号日期不晚于统计日的隐患",
    "rate": "整改率 = 已销号 ÷ 入单隐患；无入单隐患时显示“—”",
    "on_time_rate": "按期整改率 = 在完成时限当日或之前销号的 ÷ 完成时限不晚于统计日的（应完成的）",
    "overdue": "未销号且完成时限早于统计日的隐患",
    "due_soon": "未销号且完成时限在统计日起 {horizon} 天内（含当日）的隐患",
    "assigned_complete_rate": "五要件（工作目标、牵头领导、责任单位、完成标准、完成时限）齐全的隐患 ÷ 入单隐患",
    "avg_days_to_close": "已销号隐患从入单到销号的平均天数",
}
ACCIDENT_CARDS = (
    ("accidents", "事故", "起"),
    ("fatal", "死亡事故", "起"),
    ("deaths", "死亡", "人"),
    ("injuries", "受伤", "人"),
)


def _accidents(ctx: Context, as_of: date, period: periods.Period, unit: str | None) -> None:
    a = ctx.store.cached(metrics.accident_comparison, period, unit)
    w, y, p = a.window, a.year_ago_window, a.previous_window
    st.subheader(f"{_who(ctx, unit)}道路交通事故（{w[0]} 至 {w[1]}）")
    for col, (key, label, u) in zip(st.columns(len(ACCIDENT_CARDS)), ACCIDENT_CARDS, strict=True):
        widgets.change_metric(
            col,
            label,
            fmt.count(a.now[key], u),
            a.yoy(key),
            help=f"同比：上年同期（{y[0]} 至 {y[1]}）{fmt.count(a.year_ago[key], u)}；"
            f"环比：上期（{p[0]} 至 {p[1]}）{fmt.count(a.previous[key], u)}，"
            f"{fmt.relative_change(a.pop(key), '环比')}",
        )
    loss, loss_before = a.now["loss_yuan"] / 10_000, a.year_ago["loss_yuan"] / 10_000
    st.caption(
        f"{_who(ctx, unit)}直接财产损失 {fmt.decimal(loss, 1, '万元')}（上年同期 {fmt.decimal(loss_before, 1, '万元')}，"
        f"{fmt.relative_change(a.yoy('loss_yuan'))}）· "
        f"一般程序 {fmt.count(a.now['general_procedure'], '起')} · "
        f"简易程序 {fmt.count(a.now['simple_procedure'], '起')} · "
        f"事故数 {fmt.relative_change(a.yoy('accidents'))}，{fmt.relative_change(a.pop('accidents'), '环比')}"
    )


def _city_view(ctx: Context, as_of: date, period: periods.Period, horizon: int) -> None:
    _kpis(ctx, as_of, period, horizon, None)
    _accidents(ctx, as_of, period, None)
    source_cards.draw(ctx, as_of, per_row=4, title="重点车辆和驾驶人源头隐患")

    st.subheader("各单位排名")
    st.caption(RANK_RULE + "；排名变化与上期末相比。点击柱条、地图区域或表格行查看该单位。")
    ranking = ctx.store.cached(metrics.unit_ranking, period, horizon)
    if not ranking["rank"].notna().any():
        st.info(f"截至 {fmt.date_cn(as_of)} 尚无入单隐患，暂无排名。")
    else:
        left, right = st.columns(2)
        with left:
            event = st.plotly_chart(
                charts.ranking_bar(ranking, f"各单位整改率排名（截至 {as_of}）"),
                on_select="rerun",
                selection_mode="points",
                key="rank_chart",
                config={"displaylogo": False},
            )
            _go_to_unit(_clicked_bar(event))
        with right:
            deck = maps.unit_rate_map(ctx.city, boundaries(ctx.city), ranking, zoom=7.4)
            st.markdown("**各单位整改率分布**（红低绿高，灰色为无数据）")
            picked = st.pydeck_chart(deck, on_select="rerun", key="unit_map", height=430)
            _go_to_unit(maps.picked_unit(picked))
    table = _ranking_table(ranking)
    event = st.dataframe(
        table, hide_index=True, on_select="rerun", selection_mode="single-row", key="rank_table"
    )
    if event.selection.rows:
        _go_to_unit(ranking.iloc[event.selection.rows[0]]["unit_adcode"])
    tables.download(table, "各单位排名", f"各单位排名_{as_of}.xlsx")

    st.subheader("趋势与清零预计")
    _trends(ctx, as_of, None)
    st.markdown("**各单位清零预计**")
    open_by_unit = dict(zip(ranking.unit_adcode, ranking.open, strict=True))
    fc = ctx.store.cached(trends.forecasts, as_of, open_by_unit)
    st.dataframe(_forecast_table(ranking, fc), hide_index=True)

    _overdue(ctx, as_of, None)
    _breakdowns(ctx, as_of, horizon, None)


def _unit_view(ctx: Context, as_of: date, period: periods.Period, horizon: int, unit: str) -> None:
    _kpis(ctx, as_of, period, horizon, unit)
    ranking = ctx.store.cached(metrics.unit_ranking, period, horizon).set_index("unit_adcode")
    r = ranking.loc[unit]
    ranked = int(ranking["rank"].notna().sum())
    if pd.notna(r["rank"]):
        st.info(
            f"{_who(ctx, unit)}在全市排名：第 {int(r['rank'])} 名（共 {ranked} 个单位参与排名），"
            f"排名变化：{charts.rank_arrow(r['rank_change'])}"
        )
    _accidents(ctx, as_of, period, unit)
    st.subheader(f"{_who(ctx, unit)}趋势与清零预计")
    _trends(ctx, as_of, unit)
    _overdue(ctx, as_of, unit)
    if not access.can(ctx.user, "view_detail", unit):
        st.info(
            f"区县大队账号只能查看其他单位的汇总数字；{_who(ctx, unit)}的隐患明细不对本账号开放，"
            "隐患明细请查看本单位。"
        )
        _breakdowns(ctx, as_of, horizon, unit)
        return
    st.subheader(f"{_who(ctx, unit)}隐患清单")
    hazards = ctx.store.cached(
        hazard_list.hazards_as_of, as_of, horizon, unit=unit, viewer=ctx.user
    )
    standings = st.multiselect(
        "状态",
        hazard_list.STANDINGS,
        default=list(hazard_list.STANDINGS[:3]),
        help="截至统计日的办理情况：逾期、临期、正常推进（未逾期也未临期）或已销号；前三项合计为在办",
    )
    shown = tables.hazard_table(hazards[hazards.standing.isin(standings)], as_of)
    if shown.empty:
        st.info("所选状态下没有隐患。")
    else:
        st.dataframe(shown.style.apply(tables.standing_marks, axis=None), hide_index=True)
        tables.download(shown, "隐患清单", f"隐患清单_{ctx.city.unit(unit).name}_{as_of}.xlsx")
    _breakdowns(ctx, as_of, horizon, unit)


FORECAST_RULE = (
    "清零预计：按近8周（每7天为一段）平均每周销号数，推算现有在办隐患全部销号的日期，"
    "假设不再新增隐患；区间为平均数±1.28倍标准误（约80%）。"
)


def _trends(ctx: Context, as_of: date, unit: str | None) -> None:
    left, right = st.columns(2)
    with left:
        tab_week, tab_month = st.tabs(["按周", "按月"])
        for tab, freq in ((tab_week, "week"), (tab_month, "month")):
            flow = ctx.store.cached(trends.flow, as_of, freq, unit)
            with tab:
                if flow.empty:
                    st.info("所选日期前没有入单隐患。")
                else:
                    label = trends.FREQS[freq]
                    st.plotly_chart(
                        charts.flow_chart(
                            flow, label, f"{_who(ctx, unit)}每{label}新增与销号（截至 {as_of}）"
                        ),
                        config={"displaylogo": False},
                        key=f"flow_{freq}",
                    )
    with right:
        backlog = ctx.store.cached(trends.backlog, as_of, unit)
        open_now = ctx.store.cached(metrics.total, as_of, 0, unit)["open"]
        forecast = ctx.store.cached(trends.forecast, as_of, open_now, unit)
        if backlog.empty:
            st.info("所选日期前没有入单隐患。")
        else:
            st.plotly_chart(
                charts.backlog_chart(
                    backlog, forecast, f"{_who(ctx, unit)}在办隐患与清零预计（截至 {as_of}）"
                ),
                config={"displaylogo": False},
                key="backlog",
            )
        st.caption(_who(ctx, unit) + _forecast_sentence(forecast) + " " + FORECAST_RULE)


def _forecast_sentence(f: trends.Forecast) -> str:
    if f.status != "预计清零":
        return f"清零预计：{f.status}。"
    span = f"{f.earliest} 至 {f.latest}" if f.latest else f"{f.earliest} 之后（慢端无法确定）"
    return (
        f"现有在办 {f.open_now} 处，近8周平均每周销号 {f.mean:.1f} 处，"
        f"预计 {fmt.date_cn(f.expected)} 清零（80% 区间 {span}）。"
    )


def _forecast_table(ranking: pd.DataFrame, fc: dict) -> pd.DataFrame:
    rows = []
    for code, name, open_now in zip(
        ranking.unit_adcode, ranking.unit_name, ranking.open, strict=True
    ):
        f = fc[code]
        rows.append(_forecast_row(name, open_now, f))
    rows.append(_forecast_row("全市", fc[None].open_now, fc[None]))
    return pd.DataFrame(rows)


def _forecast_row(name: str, open_now: int, f: trends.Forecast) -> dict:
    return {
        "单位": name,
        "在办（处）": int(open_now),
        "近8周周均销号（处）": "—" if f.mean is None else f"{f.mean:.1f}",
        "清零预计": str(f.expected) if f.expected else f.status,
        "80%区间": (f"{f.earliest} 至 {f.latest or '无法确定'}" if f.expected else "—"),
    }


def _overdue(ctx: Context, as_of: date, unit: str | None) -> None:
    own = access.home_unit(ctx.user)
    if unit is not None and not access.sees_rows_of(ctx.user, unit):
        # a brigade sees other units in aggregate only: no rows at all under another unit's name
        st.subheader(f"{_who(ctx, unit)}逾期隐患")
        st.info(f"{ctx.city.unit(unit).name}的逾期隐患明细仅对该单位和支队开放，其数量见上方指标。")
        return
    if unit is None and own is not None:
        unit = own
        st.subheader(f"本单位（{ctx.city.unit(own).name}）逾期隐患（逾期最久者在前）")
    else:
        st.subheader(f"{_who(ctx, unit)}逾期隐患（逾期最久者在前）")
    overdue = ctx.store.cached(hazard_list.overdue, as_of, unit, viewer=ctx.user)
    if overdue.empty:
        st.success(f"截至 {fmt.date_cn(as_of)} 没有逾期隐患。")
        return
    table = pd.DataFrame(
        {
            "逾期天数": overdue.days_overdue.astype(int),
            "隐患编号": overdue.hazard_id,
            "单位": overdue.unit_name,
            "责任单位": overdue.responsible_unit,
            "牵头领导": overdue.lead_leader,
            "完成时限": overdue.deadline.dt.date,
            "道路": overdue.road_name,
            "隐患类型": overdue.hazard_type,
            "风险等级": overdue.risk_grade,
            "挂牌督办": overdue.supervision_level,
        }
    )
    if len(table) > tables.SHOWN_ROWS:
        st.caption(
            f"共 {fmt.count(len(table), '处')}，表中列出逾期最久的 {tables.SHOWN_ROWS} 处；下载可获取全部。"
        )
    st.dataframe(table.head(tables.SHOWN_ROWS), hide_index=True)
    tables.download(table, "逾期隐患", f"逾期隐患_{as_of}.xlsx")


def _breakdowns(ctx: Context, as_of: date, horizon: int, unit: str | None) -> None:
    st.subheader(f"{_who(ctx, unit)}分类统计")
    keys = [k for k in GROUPINGS if k != "unit"]
    for tab, by in zip(st.tabs([GROUPINGS[k] for k in keys]), keys, strict=True):
        with tab:
            s = ctx.store.cached(metrics.status, as_of, horizon, by=by, unit=unit)
            if s.empty:
                st.info("所选日期前没有入单隐患。")
                continue
            label = GROUPINGS[by]
            st.plotly_chart(
                charts.breakdown_bar(s, label, f"{_who(ctx, unit)}按{label}统计（截至 {as_of}）"),
                config={"displaylogo": False},
                key=f"breakdown_{by}",
            )
            st.dataframe(_group_table(s, label), hide_index=True)


def _clicked_bar(event: object) -> str | None:
    points = (getattr(event, "selection", None) or {}).get("points") or []
    if points and points[0].get("customdata"):
        return points[0]["customdata"][0]
    return None


def _ranking_table(r: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "排名": [fmt.count(x) if pd.notna(x) else "—" for x in r["rank"]],
            "排名变化": [charts.rank_arrow(c) for c in r["rank_change"]],
            "单位": r.unit_name,
            "整改率": [fmt.percent(x) for x in r.rate],
            "按期整改率": [fmt.percent(x) for x in r.on_time_rate],
            "逾期（处）": r.overdue,
            "入单（处）": r.listed,
            "已销号（处）": r.closed,
            "在办（处）": r.open,
            "临期（处）": r.due_soon,
            "交办完整率": [fmt.percent(x) for x in r.assigned_complete_rate],
            "上期整改率": [fmt.percent(x) for x in r.prev_rate],
        }
    )


def _group_table(s: pd.DataFrame, label: str) -> pd.DataFrame:
    s = s.sort_values(["listed", "group_key"], ascending=[False, True])
    return pd.DataFrame(
        {
            label: s.group_key,
            "入单（处）": s.listed,
            "已销号（处）": s.closed,
            "整改率": [fmt.percent(x) for x in s.rate],
            "按期整改率": [fmt.percent(x) for x in s.on_time_rate],
            "逾期（处）": s.overdue,
            "临期（处）": s.due_soon,
        }
    )


errors.guarded(page)
