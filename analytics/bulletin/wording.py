"""The wording of a bulletin: fixed templates in formal Chinese filled with computed figures.

Nothing here counts: every number arrives in ``Facts`` from analytics.metrics / hazard_list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from analytics import fmt
from analytics.bulletin.model import BULLETIN_PERIODS, Previous, Section
from analytics.ledger import metrics

NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class SiteChanges:
    """Accident-prone sites new since the last bulletin and no longer present (records)."""

    new: list[dict[str, Any]]
    gone: list[dict[str, Any]]
    current: int  # sites found now
    compared: bool  # False: no earlier bulletin held a site list (all sites count as new)


@dataclass(frozen=True)
class Facts:
    as_of: date
    start: date
    end: date
    horizon: int
    period: str
    figures: dict[str, Any]
    previous: Previous
    ranking: pd.DataFrame
    overdue: pd.DataFrame
    supervision: pd.DataFrame
    accidents: metrics.AccidentComparison
    site_changes: SiteChanges | None
    site_rule: str
    extra: tuple[Section, ...] = ()  # sections before 工作要求 (人·车·企 source hazards)


def title(city: str, period: str) -> str:
    return f"关于{city}道路交通安全隐患排查治理情况的{BULLETIN_PERIODS[period]}通报"


def span(start: date, end: date) -> str:
    """2022年9月9日至9月15日 (the year once when both ends share it)."""
    tail = f"{end.month}月{end.day}日" if start.year == end.year else fmt.date_cn(end)
    return f"{fmt.date_cn(start)}至{tail}"


def rank_change(change: object) -> str:
    if change is None or pd.isna(change):
        return "—"
    change = int(change)
    return "持平" if change == 0 else f"↑{change}" if change > 0 else f"↓{-change}"


def unranked_note(ranking: pd.DataFrame) -> str:
    names = list(ranking.loc[ranking["rank"].isna(), "unit_name"])
    return f"{'、'.join(names)}尚无入单隐患，不参与排名。" if names else ""


def _points(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return "无可比数据"
    d = round((after - before) * 100, 1)
    return "持平" if d == 0 else f"{'上升' if d > 0 else '下降'}{abs(d):.1f}个百分点"


def _more_fewer(now: int, before: int | None, unit: str = "处") -> str:
    if before is None:
        return "无可比数据"
    d = int(now) - int(before)
    return "持平" if d == 0 else f"{'增加' if d > 0 else '减少'}{abs(d)}{unit}"


def _pct(change: float | None, noun: str, now: float = 0) -> str:
    if change is None:
        return f"{noun}均为零" if not now else f"{noun}上年同期为零、无法比较"
    d = round(change * 100, 1)
    return f"{noun}持平" if d == 0 else f"{noun}{'上升' if d > 0 else '下降'}{abs(d):.1f}%"


def summary(f: Facts) -> list[str]:
    """一、总体情况: the cockpit's figures as of the date and their change since the last time."""
    now, base, label = f.figures, f.previous.figures, f.previous.label
    first = (
        f"截至{fmt.date_cn(f.as_of)}，全市累计排查认定道路交通安全隐患{now['listed']}处，"
        f"已整改销号{now['closed']}处，整改率{fmt.percent(now['rate'])}，"
        f"较{label}{_points(base.get('rate'), now['rate'])}；"
        f"在办（尚未销号）{now['open']}处，其中逾期未整改{now['overdue']}处，"
        f"{f.horizon}日内到期{now['due_soon']}处。"
    )
    second = (
        f"与{label}相比，入单隐患{_more_fewer(now['listed'], base.get('listed'))}，"
        f"销号隐患{_more_fewer(now['closed'], base.get('closed'))}，"
        f"逾期隐患{_more_fewer(now['overdue'], base.get('overdue'))}。"
        f"本期（{span(f.start, f.end)}）全市新增入单隐患{now['new_in_period']}处，"
        f"整改销号{now['closed_in_period']}处。"
    )
    return [first, second]


def ranking_text(f: Facts) -> list[str]:
    r = f.ranking[f.ranking["rank"].notna()]
    if r.empty:
        return [f"截至{fmt.date_cn(f.as_of)}，各单位均无入单隐患，暂不排名。"]

    def named(rows: pd.DataFrame) -> str:
        return "、".join(f"{x.unit_name}（{fmt.percent(x.rate)}）" for x in rows.itertuples())

    n = min(3, len(r) // 2) or 1
    parts = [
        f"按整改率排名（整改率相同的比较按期整改率，再比较逾期数），{named(r.head(n))}位列前{n}名"
    ]
    if len(r) > n:
        parts.append(f"{named(r.tail(n))}排名后{n}位")
    up = [x.unit_name for x in r.itertuples() if pd.notna(x.rank_change) and x.rank_change > 0]
    down = [x.unit_name for x in r.itertuples() if pd.notna(x.rank_change) and x.rank_change < 0]
    moves = []
    if up:
        moves.append(f"{'、'.join(up)}排名较上期末上升")
    if down:
        moves.append(f"{'、'.join(down)}排名较上期末下降")
    tail = "；".join(moves) if moves else "各单位排名与上期末相同"
    return ["，".join(parts) + "；" + tail + "。"]


def overdue_text(f: Facts, due_soon: int) -> list[str]:
    o = f.overdue
    if o.empty:
        first = f"截至{fmt.date_cn(f.as_of)}，全市无逾期未整改隐患。"
    else:
        counts = (
            o.groupby("unit_name", sort=False).size().sort_values(ascending=False, kind="stable")
        )
        by_unit = "、".join(f"{u}{n}处" for u, n in counts.items())
        top = o.iloc[0]
        first = (
            f"截至{fmt.date_cn(f.as_of)}，全市逾期未整改隐患{len(o)}处，涉及{len(counts)}个单位"
            f"（{by_unit}）。其中逾期时间最长的是{top.unit_name}{top.road_name or ''}"
            f"{top.hazard_type or ''}隐患（{top.hazard_id}），完成时限为"
            f"{fmt.date_cn(pd.Timestamp(top.deadline).date())}，已逾期{int(top.days_overdue)}天，"
            f"牵头领导{top.lead_leader or '（未明确）'}。"
        )
    second = (
        f"另有{due_soon}处隐患将在{f.horizon}日内到期，请相关责任单位抓紧推进，确保按期销号。"
        if due_soon
        else f"{f.horizon}日内无到期隐患。"
    )
    return [first, second]


def supervision_text(f: Facts) -> list[str]:
    s = f.supervision.set_index("group_key")
    levels = [lv for lv in ("部", "省", "市", "县") if lv in s.index and s.loc[lv, "listed"]]
    if not levels:
        return ["全市暂无挂牌督办隐患。"]
    listed = sum(int(s.loc[lv, "listed"]) for lv in levels)
    closed = sum(int(s.loc[lv, "closed"]) for lv in levels)
    overdue = sum(int(s.loc[lv, "overdue"]) for lv in levels)
    detail = "、".join(f"{lv}级{int(s.loc[lv, 'listed'])}处" for lv in levels)
    return [
        f"全市挂牌督办隐患{listed}处（{detail}），已销号{closed}处，"
        f"整改率{fmt.percent(metrics.rate(closed, listed))}，逾期未整改{overdue}处。"
        + ("挂牌督办隐患逾期的，请督办单位加强跟踪问效。" if overdue else "")
    ]


def accident_text(f: Facts) -> list[str]:
    a = f.accidents
    now = a.now
    loss = fmt.decimal(now["loss_yuan"] / 10_000, 1, "万元").replace(" ", "")
    first = (
        f"本期（{span(*a.window)}）全市共发生道路交通事故{now['accidents']}起，"
        f"其中死亡事故{now['fatal']}起，死亡{now['deaths']}人，受伤{now['injuries']}人，"
        f"直接财产损失{loss}。与上年同期相比，{_pct(a.yoy('accidents'), '事故起数', now['accidents'])}，"
        f"{_pct(a.yoy('deaths'), '死亡人数', now['deaths'])}，"
        f"{_pct(a.yoy('injuries'), '受伤人数', now['injuries'])}。"
    )
    out = [first]
    c = f.site_changes
    if c is not None:
        if not c.current and not c.gone:
            out.append(f"按{f.site_rule}的标准，全市目前无事故多发点段。")
        elif not c.compared:
            out.append(f"按{f.site_rule}的标准，全市现有事故多发点段{c.current}处（首次统计）。")
        elif not c.new and not c.gone:
            out.append(
                f"按{f.site_rule}的标准，全市现有事故多发点段{c.current}处，与上期通报相同。"
            )
        else:
            new = "、".join(site_place(s) for s in c.new) or "无"
            gone = "、".join(site_place(s) for s in c.gone) or "无"
            out.append(
                f"按{f.site_rule}的标准，全市现有事故多发点段{c.current}处。与上期通报相比，"
                f"新增{len(c.new)}处（{new}），不再构成事故多发点段的{len(c.gone)}处（{gone}）。"
            )
    return out


def site_place(s: dict[str, Any]) -> str:
    """G105 K867+000—K877+000（颍州区） or 某路（115.81234, 32.90123）."""
    road = s.get("road_name") or s.get("route_code") or ""
    if s.get("mode") != "coords" and s.get("start_m") is not None:
        a, b = int(s["start_m"]), int(s["end_m"])
        where = (
            f"{s.get('route_code') or road} K{a // 1000}+{a % 1000:03d}—K{b // 1000}+{b % 1000:03d}"
        )
    else:
        where = f"{road}（{float(s['lon']):.5f}，{float(s['lat']):.5f}）"
    return where


def requirements(f: Facts, due_soon: int) -> list[str]:
    """七、工作要求: the standing demands, naming the units they concern."""
    out = []
    r = f.ranking[f.ranking["rank"].notna()]
    n = min(3, len(r) // 2)
    if n:
        tail = "、".join(r.tail(n).unit_name)
        out.append(
            f"（一）排名靠后的{tail}要认真分析整改进度滞后的原因，落实牵头领导责任，"
            "倒排工期、挂图作战，尽快扭转被动局面。"
        )
    if not f.overdue.empty:
        units = "、".join(dict.fromkeys(f.overdue.unit_name))
        out.append(
            f"（{NUMERALS[len(out)]}）{units}要对逾期隐患逐项说明原因，落实临时管控措施，"
            "明确整改完成时间，于下期通报前报送支队；隐患不消除不销号。"
        )
    if due_soon:
        out.append(
            f"（{NUMERALS[len(out)]}）对{f.horizon}日内到期的{due_soon}处隐患，"
            "各责任单位要加快整改进度，确保按期完成验收销号。"
        )
    out.append(
        f"（{NUMERALS[len(out)]}）各单位要持续开展隐患排查，做到发现一处、认定一处、整改一处、"
        "销号一处，推动隐患清单清零见底。"
    )
    return out


def sections(f: Facts) -> list[Section]:
    due_soon = int(f.figures["due_soon"])
    sites = ["多发点段变化"] if f.site_changes is not None else []
    out = [
        Section("总体情况", summary(f), charts=["flow"]),
        Section("各单位整改排名", ranking_text(f), tables=["单位排名"], charts=["ranking"]),
        Section("逾期和临期隐患", overdue_text(f, due_soon), tables=["逾期隐患", "临期隐患"]),
        Section(
            "本期新增和销号隐患",
            [
                f"本期新增入单隐患{f.figures['new_in_period']}处，整改销号"
                f"{f.figures['closed_in_period']}处，明细见下表。"
            ],
            tables=["本期新增", "本期销号"],
        ),
        Section("挂牌督办隐患", supervision_text(f), tables=["挂牌督办"]),
        Section("道路交通事故情况", accident_text(f), tables=["事故情况", *sites]),
        *f.extra,
        Section("工作要求", requirements(f, due_soon)),
    ]
    for i, s in enumerate(out):
        s.heading = f"{NUMERALS[i]}、{s.heading}"
    return out
