"""The bulletin's section 重点车辆和驾驶人源头隐患清零情况 (人·车·企, analytics.sources.figures): per
unit 存量 at the period's start, 新增, 已清零, 清零率 and 余量 for the bulletin's period, the 清零率
since the campaign start, the lagging units (below the city's rate since the campaign start) and
the enterprises listed for 约谈. A bulletin issued before this section existed simply has none."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from analytics import fmt
from analytics.bulletin.model import Section, Table
from analytics.sources import figures
from analytics.sources.config import SourceConfig

HEADING = "重点车辆和驾驶人源头隐患清零情况"
UNITS, ENTERPRISES = "源头隐患清零", "建议约谈企业"


def build(
    conn: duckdb.DuckDBPyConnection,
    config: SourceConfig,
    start: date,
    end: date,
    unit_names: dict[str, str],
) -> tuple[Section, dict[str, Table]]:
    """The section and its two tables for the period start … end (both days included)."""
    before = start - timedelta(days=1)  # 存量: open at the end of the day before the period
    period = figures.totals(figures.figures(conn, config, before, end), "unit_adcode", end)
    since = min(config.start, end) - timedelta(days=1)
    campaign = figures.totals(figures.figures(conn, config, since, end), "unit_adcode", end)
    city = _sum(campaign, end)
    lagging = [
        u
        for u, r in zip(campaign.unit_adcode, campaign.rate, strict=True)
        if r is not None and city["rate"] is not None and r < city["rate"]
    ]
    ents = figures.enterprises(conn, config, end)
    ents = ents[ents.for_summons]
    tables = {
        UNITS: _unit_table(period, campaign, unit_names, lagging, end),
        ENTERPRISES: _enterprise_table(ents, unit_names, config.summons_threshold),
    }
    return Section(
        HEADING,
        _text(config, period, city, lagging, ents, unit_names, start, end),
        tables=[UNITS, ENTERPRISES],
    ), tables


def _sum(df: pd.DataFrame, end: date) -> dict:
    total = figures.totals(df.assign(all="all"), "all", end)
    if total.empty:
        return {c: 0 for c in figures.COUNTS} | {"rate": None}
    return total.iloc[0].to_dict()


def _text(
    config: SourceConfig,
    period: pd.DataFrame,
    city: dict,
    lagging: list[str],
    ents: pd.DataFrame,
    names: dict[str, str],
    start: date,
    end: date,
) -> list[str]:
    p = _sum(period, end)
    out = [
        f"{config.campaign}自{fmt.date_cn(config.start)}开展以来，截至{fmt.date_cn(end)}，"
        f"全市重点车辆和驾驶人源头隐患累计已清零{int(city['cleared'])}件，"
        f"清零率{fmt.percent(city['rate'])}，余量{int(city['remaining'])}件。"
        f"本期（{fmt.date_cn(start)}至{fmt.date_cn(end)}）期初存量{int(p['stock'])}件，"
        f"新增{int(p['new'])}件，清零{int(p['cleared'])}件，"
        f"本期清零率{fmt.percent(p['rate'])}，各单位情况见下表。"
    ]
    if lagging:
        out.append(
            f"{'、'.join(names.get(u, u) for u in lagging)}清零率低于全市平均水平，"
            "要逐条分析未清零原因，落实源头监管责任，加快清零进度。"
        )
    if ents.empty:
        out.append(f"全市没有未清零隐患达到{config.summons_threshold}件的运输企业。")
    else:
        listed = "、".join(
            f"{e}（{n}件）" for e, n in zip(ents.enterprise, ents.open_cases, strict=True)
        )
        out.append(
            f"未清零隐患达到{config.summons_threshold}件及以上、建议约谈的运输企业"
            f"{len(ents)}家：{listed}。"
        )
    return out


def _unit_table(
    period: pd.DataFrame,
    campaign: pd.DataFrame,
    names: dict[str, str],
    lagging: list[str],
    end: date,
) -> Table:
    since = dict(zip(campaign.unit_adcode, campaign.rate, strict=True))
    rows, marks = [], []
    for r in period.sort_values("unit_adcode").to_dict("records"):
        u = r["unit_adcode"]
        rows.append(
            [
                names.get(u, u),
                int(r["stock"]),
                int(r["new"]),
                int(r["cleared"]),
                fmt.percent(r["rate"]),
                int(r["remaining"]),
                fmt.percent(since.get(u)),
            ]
        )
        marks.append("red" if u in lagging else None)
    if rows:
        total = _sum(period, end)
        whole = _sum(campaign, end)
        rows.append(
            [
                "全市",
                *(int(total[c]) for c in ("stock", "new", "cleared")),
                fmt.percent(total["rate"]),
                int(total["remaining"]),
                fmt.percent(whole["rate"]),
            ]
        )
        marks.append(None)
    return Table(
        UNITS,
        "各单位重点车辆和驾驶人源头隐患清零情况",
        [
            "单位",
            "期初存量（件）",
            "本期新增（件）",
            "本期清零（件）",
            "本期清零率",
            "余量（件）",
            "行动以来清零率",
        ],
        rows,
        marks,
        empty="本期没有源头隐患清单数据。",
        note="清零率 = 已清零 ÷（存量 + 新增）；红色为行动以来清零率低于全市平均的单位。",
    )


def _enterprise_table(ents: pd.DataFrame, names: dict[str, str], threshold: int) -> Table:
    rows = [
        [
            i,
            r["enterprise"],
            names.get(r["unit_adcode"], r["unit_adcode"]),
            int(r["open_cases"]),
            int(r["vehicles"]),
            int(r["drivers"]),
            int(r["summons"]),
            ""
            if pd.isna(r["last_summons"])
            else pd.Timestamp(r["last_summons"]).date().isoformat(),
        ]
        for i, r in enumerate(ents.to_dict("records"), start=1)
    ]
    return Table(
        ENTERPRISES,
        "建议约谈的运输企业",
        [
            "序号",
            "企业",
            "单位",
            "未清零隐患（件）",
            "其中车辆",
            "其中驾驶人",
            "已约谈次数",
            "最近约谈",
        ],
        rows,
        ["red"] * len(rows),
        empty=f"没有未清零隐患达到{threshold}件的运输企业。",
    )
