"""Periodic bulletins (通报): the content as plain data, built from the cockpit's own figures.

``build`` gathers everything a bulletin says for a period ending on an as-of date — the
summary figures (metrics.kpi_comparison), the unit ranking (metrics.unit_ranking), the overdue
and due-soon lists (hazard_list), new and closed hazards, 挂牌督办 by level (metrics.status),
accidents with 同比 (metrics.accident_comparison) and the accident-prone sites — and words it
with the templates of bulletin.wording. The types (Bulletin, Table, Chart, Section, Previous)
are bulletin.model's. The renderers (docx_file, xlsx_file) only lay the content out; archive
issues, numbers and freezes it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from analytics import fmt
from analytics.bulletin import source_section
from analytics.bulletin import wording as text
from analytics.bulletin.model import Bulletin, Chart, Previous, Section, Table, check_period
from analytics.ledger import hazard_list, metrics, periods, trends
from analytics.sources.config import SourceConfig

FLOW_WEEKS = 12  # weeks shown in the trend chart


def build(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    period: str,
    *,
    horizon: int,
    issuer: str,
    recipients: str,
    city: str,
    dated: date | None = None,
    previous: Previous | None = None,
    draft_number: int = 1,
    sites: tuple[list[dict[str, Any]], str] | None = None,
    sources: SourceConfig | None = None,
) -> Bulletin:
    """The content of the bulletin for the period of ``period`` ending on ``as_of``.

    previous: the last issued bulletin of this kind (bulletin_archive.previous); without one the
    change is against the end of the previous period. sites: (the accident-prone sites as of
    as_of, the rule that found them), when that analysis is available. sources: the 人·车·企
    indicators (with any, a section 重点车辆和驾驶人源头隐患清零情况 before 工作要求).
    """
    check_period(period)
    span = periods.Period.ending(as_of, period)  # every comparison below uses this one period
    start, end = span.window
    kpi = metrics.kpi_comparison(conn, span, horizon)
    # the hazards the tables and the period's counts are made of (not the whole list)
    listed = hazard_list.hazards_as_of(conn, as_of, horizon, active_since=start)
    first, last = pd.Timestamp(start), pd.Timestamp(end)  # (.dt.date of an all-empty column
    in_window = listed.listed_on.between(first, last)  # stays datetime64 and refuses dates)
    closed_in = listed.closed_date.notna() & listed.closed_date.between(first, last)
    figures = {k: metrics._plain(kpi.now[k]) for k in metrics.REPORT_FIELDS}
    figures |= {"new_in_period": int(in_window.sum()), "closed_in_period": int(closed_in.sum())}
    if previous is None:
        before = {k: metrics._plain(kpi.before[k]) for k in metrics.REPORT_FIELDS}
        previous = Previous(f"上期末（{fmt.date_cn(kpi.previous)}）", kpi.previous, before, None)
    ranking = metrics.unit_ranking(conn, span, horizon)
    # hazard_list.overdue's rows, in its order (逾期 comes first in the list and does not depend
    # on the horizon): without listing every hazard a second time
    overdue = listed[listed.standing == "逾期"].reset_index(drop=True)
    due_soon = listed[listed.standing == "临期"]
    supervision = metrics.status(conn, as_of, horizon, by="supervision")
    accidents = metrics.accident_comparison(conn, span)
    flow = trends.flow(conn, as_of, "week").tail(FLOW_WEEKS)

    tables = {
        "单位排名": _ranking_table(ranking),
        "逾期隐患": _hazard_table("逾期隐患", overdue, with_overdue=True),
        "临期隐患": _hazard_table("临期隐患", due_soon, with_overdue=False),
        "本期新增": _hazard_table("本期新增", listed[in_window], with_overdue=False),
        "本期销号": _closed_table(listed[closed_in]),
        "挂牌督办": _supervision_table(supervision),
        "事故情况": _accident_table(accidents),
    }
    site_changes = None
    if sites is not None:
        site_changes = _site_changes(previous.sites, sites[0])
        tables["多发点段变化"] = _sites_table(site_changes)
    tables["单位排名"].note = text.unranked_note(ranking)
    charts = {
        "ranking": _ranking_chart(ranking, as_of),
        "flow": _flow_chart(flow, as_of),
    }
    extra = []
    if sources is not None and sources.indicators:
        names = dict(conn.execute("SELECT adcode, name FROM units").fetchall())
        section, more = source_section.build(conn, sources, start, end, names)
        extra.append(section)
        tables |= more
    ctx = text.Facts(
        as_of=as_of,
        start=start,
        end=end,
        horizon=horizon,
        period=period,
        figures=figures,
        previous=previous,
        ranking=ranking,
        overdue=overdue,
        supervision=supervision,
        accidents=accidents,
        site_changes=site_changes,
        site_rule=sites[1] if sites else "",
        extra=tuple(extra),
    )
    sections = text.sections(ctx)
    _number_tables(sections, tables)
    return Bulletin(
        period=period,
        as_of=as_of,
        start=start,
        end=end,
        dated=dated or as_of,
        number=None,
        draft_number=draft_number,
        issuer=issuer,
        recipients=recipients,
        city=city,
        title=text.title(city, period),
        horizon=horizon,
        figures=figures,
        previous={
            "label": previous.label,
            "as_of": previous.as_of.isoformat(),
            "figures": previous.figures,
        },
        sections=sections,
        tables=tables,
        charts=charts,
        sites=sites[0] if sites else None,
        site_rule=sites[1] if sites else "",
    )


SITE_FIELDS = (
    "site_key",
    "mode",
    "route_code",
    "road_name",
    "start_m",
    "end_m",
    "lon",
    "lat",
    "unit_adcode",
    "unit_name",
    "accidents",
    "fatal_accidents",
    "deaths",
    "injuries",
    "rank",
)  # what a bulletin keeps of each accident-prone site


def site_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """hotspots.find_sites rows as plain records (the fields above, JSON-ready)."""
    cols = [c for c in SITE_FIELDS if c in frame.columns]
    return [
        {k: metrics._plain(v) for k, v in row.items()} for row in frame[cols].to_dict("records")
    ]


def _site_changes(
    previous: list[dict[str, Any]] | None, current: list[dict[str, Any]]
) -> text.SiteChanges:
    if previous is None:
        return text.SiteChanges(list(current), [], len(current), compared=False)
    from analytics.accidents import sites as hotspots

    cols = list(SITE_FIELDS)
    new, gone = hotspots.site_changes(
        pd.DataFrame(previous).reindex(columns=cols), pd.DataFrame(current).reindex(columns=cols)
    )
    return text.SiteChanges(site_records(new), site_records(gone), len(current), compared=True)


# tables that list hazards or sites one by one (a brigade sees only its own unit's rows)
ROW_TABLES = ("逾期隐患", "临期隐患", "本期新增", "本期销号", "多发点段变化", "建议约谈企业")
_TOP_OVERDUE = re.compile(r"其中逾期时间最长的是[^。]*。")
_SUMMONS = re.compile(r"(建议约谈的运输企业\d+家)：[^。]*。")  # names other units' enterprises


def for_unit(content: Bulletin, unit_name: str) -> Bulletin:
    """The bulletin as a brigade may read it: figures, rankings and charts for every unit, but the
    rows of hazards and sites only of its own unit, and no other unit's hazard named in the text.
    Not a document of record: the issued original stays the detachment's."""
    tables = dict(content.tables)
    for key in ROW_TABLES:
        t = tables.get(key)
        if t is None:
            continue
        unit_col = t.columns.index("单位")
        kept = [(r, m) for r, m in zip(t.rows, t.marks, strict=True) if r[unit_col] == unit_name]
        rows = [list(r) for r, _ in kept]
        if t.columns[0] == "序号":
            for i, r in enumerate(rows, start=1):
                r[0] = i
        note = f"本表仅列出本单位（{unit_name}）的明细；其他单位见上文汇总数字。"
        tables[key] = replace(
            t, rows=rows, marks=[m for _, m in kept], note=f"{t.note} {note}".strip()
        )

    def own_only(paragraph: str) -> str:
        paragraph = _SUMMONS.sub(lambda m: f"{m.group(1)}（本单位的见表）。", paragraph)
        return _TOP_OVERDUE.sub(
            lambda m: (
                m.group(0) if m.group(0).startswith(f"其中逾期时间最长的是{unit_name}") else ""
            ),
            paragraph,
        )

    sections = [
        replace(s, paragraphs=[own_only(p) for p in s.paragraphs]) for s in content.sections
    ]
    return replace(content, tables=tables, sections=sections)


def _number_tables(sections: list[Section], tables: dict[str, Table]) -> None:
    n = 0
    for s in sections:
        for key in s.tables:
            n += 1
            tables[key].title = f"表{n}　{tables[key].title}"


def _day(value: object) -> str:
    return "" if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _str(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _ranking_table(r: pd.DataFrame) -> Table:
    r = r[r["rank"].notna()]
    rows = [
        [
            int(x.rank),
            text.rank_change(x.rank_change),
            x.unit_name,
            int(x.listed),
            int(x.closed),
            fmt.percent(x.rate),
            fmt.percent(x.on_time_rate),
            int(x.overdue),
            int(x.due_soon),
        ]
        for x in r.itertuples()
    ]
    worst = r["rank"].max() if len(r) else None
    marks = ["red" if x.rank == worst else None for x in r.itertuples()]
    cols = [
        "排名",
        "排名变化",
        "单位",
        "入单（处）",
        "已销号（处）",
        "整改率",
        "按期整改率",
        "逾期（处）",
        "临期（处）",
    ]
    return Table("单位排名", "各单位隐患整改排名", cols, rows, marks, "暂无入单隐患，未排名。")


def _hazard_table(key: str, f: pd.DataFrame, *, with_overdue: bool) -> Table:
    cols = ["序号", "隐患编号", "单位", "道路", "隐患类型", "责任单位", "牵头领导", "完成时限"]
    if with_overdue:
        cols.append("逾期天数")
    text = ["unit_name", "road_name", "hazard_type", "responsible_unit", "lead_leader"]
    table = pd.DataFrame(
        {
            "n": range(1, len(f) + 1),
            "id": f.hazard_id.astype(str).to_numpy(),
            **{c: f[c].astype(object).fillna("").astype(str).to_numpy() for c in text},
            "deadline": pd.to_datetime(f.deadline)
            .dt.strftime("%Y-%m-%d")
            .astype(object)
            .fillna("")
            .to_numpy(),
        }
    )
    if with_overdue:
        table["days"] = f.days_overdue.astype(int).to_numpy()
    rows = table.to_numpy(dtype=object).tolist()  # column by column: tens of thousands of rows
    marks = [{"逾期": "red", "临期": "yellow"}.get(s) for s in f.standing]
    titles = {
        "逾期隐患": ("逾期未整改隐患（按逾期天数由长到短）", "无逾期未整改隐患。"),
        "临期隐患": ("临期隐患（完成时限将至）", "无临期隐患。"),
        "本期新增": ("本期新增入单隐患", "本期无新增入单隐患。"),
    }
    title, empty = titles[key]
    return Table(key, title, cols, rows, marks, empty)


def _closed_table(f: pd.DataFrame) -> Table:
    f = f.sort_values(["closed_date", "hazard_id"])
    rows = [
        [
            i,
            x.hazard_id,
            _str(x.unit_name),
            _str(x.road_name),
            _str(x.hazard_type),
            _str(x.responsible_unit),
            _day(x.deadline),
            _day(x.closed_date),
            "是" if x.closed_date <= x.deadline else "否",
        ]
        for i, x in enumerate(f.itertuples(), start=1)
    ]
    cols = [
        "序号",
        "隐患编号",
        "单位",
        "道路",
        "隐患类型",
        "责任单位",
        "完成时限",
        "销号日期",
        "按期",
    ]
    marks = [None if r[-1] == "是" else "yellow" for r in rows]
    return Table("本期销号", "本期整改销号隐患", cols, rows, marks, "本期无整改销号隐患。")


SUPERVISION_LEVELS = ("部", "省", "市", "县")


def _supervision_table(s: pd.DataFrame) -> Table:
    by = s.set_index("group_key")
    rows, marks = [], []
    for level in SUPERVISION_LEVELS:
        if level not in by.index:
            continue
        x = by.loc[level]
        rows.append(
            [
                f"{level}级挂牌",
                int(x.listed),
                int(x.closed),
                int(x.open),
                fmt.percent(x.rate),
                int(x.overdue),
                int(x.due_soon),
            ]
        )
        marks.append("red" if x.overdue else None)
    if rows:
        listed, closed = sum(r[1] for r in rows), sum(r[2] for r in rows)
        rows.append(
            [
                "合计",
                listed,
                closed,
                sum(r[3] for r in rows),
                fmt.percent(metrics.rate(closed, listed)),
                sum(r[5] for r in rows),
                sum(r[6] for r in rows),
            ]
        )
        marks.append(None)
    cols = [
        "督办级别",
        "入单（处）",
        "已销号（处）",
        "在办（处）",
        "整改率",
        "逾期（处）",
        "临期（处）",
    ]
    return Table("挂牌督办", "挂牌督办隐患整改情况", cols, rows, marks, "无挂牌督办隐患。")


ACCIDENT_ROWS = (
    ("accidents", "事故起数", "起"),
    ("fatal", "死亡事故", "起"),
    ("deaths", "死亡人数", "人"),
    ("injuries", "受伤人数", "人"),
    ("loss_yuan", "直接财产损失", "万元"),
)


def _accident_table(a: metrics.AccidentComparison) -> Table:
    def shown(key: str, v: float) -> Any:
        return round(v / 10_000, 1) if key == "loss_yuan" else int(v)

    rows, marks = [], []
    for key, label, unit in ACCIDENT_ROWS:
        yoy = a.yoy(key)
        rows.append(
            [
                f"{label}（{unit}）",
                shown(key, a.now[key]),
                shown(key, a.year_ago[key]),
                fmt.relative_change(yoy, "").strip(),
                shown(key, a.previous[key]),
                fmt.relative_change(a.pop(key), "").strip(),
            ]
        )
        marks.append("red" if yoy is not None and yoy > 0 else None)
    (s, e), (ys, ye), (ps, pe) = a.window, a.year_ago_window, a.previous_window
    cols = [
        "项目",
        f"本期（{s:%m-%d}至{e:%m-%d}）",
        f"上年同期（{ys}至{ye:%m-%d}）",
        "同比",
        f"上期（{ps:%m-%d}至{pe:%m-%d}）",
        "环比",
    ]
    return Table("事故情况", "道路交通事故情况", cols, rows, marks)


def _sites_table(changes: text.SiteChanges) -> Table:
    rows, marks = [], []
    new_label = "新增" if changes.compared else "现有"
    for label, frame, mark in ((new_label, changes.new, "red"), ("不再构成", changes.gone, None)):
        for s in frame:
            rows.append(
                [
                    label,
                    s.get("unit_name") or "",
                    text.site_place(s),
                    int(s["accidents"]),
                    int(s["fatal_accidents"]),
                    int(s["deaths"]),
                ]
            )
            marks.append(mark)
    cols = ["变化", "单位", "点段位置", "事故（起）", "死亡事故（起）", "死亡（人）"]
    if not changes.compared:
        empty = "按现行标准，全市目前无事故多发点段。"
    elif changes.current:
        empty = "与上期通报相比，事故多发点段无变化。"
    else:
        empty = "与上期通报相比无变化，全市目前无事故多发点段。"
    return Table("多发点段变化", "事故多发点段变化情况", cols, rows, marks, empty)


def _ranking_chart(r: pd.DataFrame, as_of: date) -> Chart:
    r = r[r["rank"].notna()]
    return Chart(
        "ranking",
        f"各单位隐患整改率（截至{fmt.date_cn(as_of)}）",
        "bar_h",
        [str(n) for n in r.unit_name],
        {"整改率": [round(float(x) * 100, 1) for x in r.rate]},
        x_label="整改率（%）",
    )


def _flow_chart(flow: pd.DataFrame, as_of: date) -> Chart:
    return Chart(
        "flow",
        f"近{FLOW_WEEKS}周新增入单与整改销号（截至{fmt.date_cn(as_of)}）",
        "lines",
        [f"{pd.Timestamp(b):%m-%d}" for b in flow.bucket],
        {"新增入单": [int(x) for x in flow.new], "整改销号": [int(x) for x in flow.closed]},
        x_label="周（起始日）",
        y_label="隐患（处）",
    )
