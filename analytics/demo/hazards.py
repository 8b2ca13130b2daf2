"""The demo city's 2022 hazard ledger with an event history that agrees with every date.

As of 2022-09-15 exactly 172 hazards are listed and 85 closed, spread over the 8 units with
clearly different performance; the ledger keeps moving to 2022-12-31 (see analytics/demo/build.py).
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta

from analytics import geo
from analytics.city import City, Unit
from analytics.ledger import vocabulary as ledger

STORY_DATE = date(2022, 9, 15)
LIST_START = date(2022, 6, 1)
DATA_END = date(2022, 12, 31)
UNASSIGNED_FROM = date(2022, 12, 24)

# adcode: (listed by STORY_DATE, closed by STORY_DATE, listed after it, share of open closed later)
UNIT_PLAN: dict[str, tuple[int, int, int, float]] = {
    "341202": (26, 19, 8, 0.95),  # 颍州区: the leader
    "341203": (18, 11, 6, 0.85),
    "341204": (17, 10, 5, 0.85),
    "341221": (28, 12, 9, 0.70),
    "341222": (25, 13, 7, 0.80),
    "341225": (22, 8, 6, 0.60),
    "341226": (21, 6, 7, 0.45),  # 颍上县: lagging
    "341282": (15, 6, 5, 0.65),
}
VOIDED_IN = ("341221", "341225", "341226")  # one mistaken hazard each, voided before STORY_DATE
FOUND_LATE_IN = ("341202", "341222", "341282")  # one hazard each still 待认定 at DATA_END

TOWNSHIPS: dict[str, tuple[str, ...]] = {
    "341202": ("西湖镇", "三合镇", "程集镇", "袁集镇", "九龙镇"),
    "341203": ("插花镇", "口孜镇", "袁寨镇", "枣庄镇", "杨楼孜镇"),
    "341204": ("伍明镇", "闻集镇", "行流镇", "宁老庄镇"),
    "341221": ("杨桥镇", "鲖城镇", "谭棚镇", "老集镇", "姜寨镇"),
    "341222": ("旧县镇", "税镇镇", "原墙镇", "倪邱镇", "李兴镇"),
    "341225": ("鹿城镇", "王家坝镇", "方集镇", "苗集镇", "黄岗镇"),
    "341226": ("慎城镇", "谢桥镇", "江口镇", "六十铺镇", "南照镇"),
    "341282": ("东城街道", "光武镇", "泉阳镇", "芦村镇", "代桥镇"),
}
URBAN_STREETS = ("人民路", "解放路", "中山路", "文化路", "建设路", "胜利路", "振兴路")
URBAN_TYPES = ("学校周边", "照明不足", "平交路口缺陷", "缺少标志标线")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ("建国", "立新", "海涛", "志强", "红梅", "振华", "永胜", "晓东", "国庆", "春林", "德明")
TITLES = ("{deputy}", "{deputy}", "公安局副局长", "交通运输局局长", "交警大队大队长")
DEPUTY = {"district": "副区长", "county": "副县长", "city": "副市长", "zone": "管委会副主任"}
STANDARDS: dict[str, str] = {
    "急弯陡坡": "设置弯道警告标志、减速标线和护栏，满足停车视距要求",
    "连续长下坡": "设置避险车道、连续下坡提示和测速设施",
    "视距不良": "清除遮挡物，视距满足规范要求，增设凸面镜",
    "路侧险要/临水临崖": "设置波形护栏或混凝土护栏，防护等级达标",
    "平交路口缺陷": "完善路口标志、标线、信号灯和渠化设施",
    "穿村过镇": "设置减速带、人行横道和限速标志，完善照明",
    "中央隔离开口过多": "封闭不合规开口，保留开口设置警示和信号控制",
    "缺少标志标线": "按国家标准补齐标志标线",
    "缺少防护设施": "按规范增设护栏、防撞桶等防护设施",
    "照明不足": "增设路灯，夜间照度达标",
    "施工路段管控": "施工区按规范设置警告区、缓冲区和交通引导",
    "团雾结冰路段": "设置团雾预警、诱导灯和防滑设施",
    "学校周边": "设置学校区域标志、减速设施、护学岗和人行过街设施",
    "路面病害": "修复坑槽、沉陷和车辙，路面平整度达标",
}
# Three hazards on the 2017 national-list stretch of G105 (K867–K877), closed by 2022-09-15.
G105_STORY = ((869_500, "平交路口缺陷"), (872_300, "穿村过镇"), (875_800, "中央隔离开口过多"))


def build(
    rng: random.Random, city: City, routes, segments, features: list[dict]
) -> tuple[list[dict], list[dict]]:
    """The hazards (as records) and their events."""
    by_unit: dict[str, list] = {}
    for s in segments:
        if s.unit_adcode:
            by_unit.setdefault(s.unit_adcode, []).append(s)
    route_of = {r.spec.code: r for r in routes}
    g105_unit = next(
        s.unit_adcode for s in segments if s.route_code == "G105" and s.start_m <= 872_300 < s.end_m
    )
    hazards: list[dict] = []
    events: list[dict] = []
    for adcode, (n_listed, n_closed, n_late, later_share) in UNIT_PLAN.items():
        unit = city.unit(adcode)
        n_story = len(G105_STORY) if adcode == g105_unit else 0
        plans = _unit_plans(rng, adcode, n_listed, n_closed, n_late, later_share, n_story)
        for i, plan in enumerate(plans):
            story = G105_STORY[i] if adcode == g105_unit and i < len(G105_STORY) else None
            h = _hazard(
                rng, unit, len(hazards), i, plan, by_unit[adcode], route_of, story, features
            )
            hazards.append(h)
            events.extend(_events(rng, unit, h, plan))
    for h in hazards:
        h.pop("_assigned")
    return hazards, events


def _rand_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _unit_plans(
    rng,
    adcode,
    n_listed,
    n_closed,
    n_late,
    later_share,
    n_story,
) -> list[dict]:
    """Dates for each hazard of a unit: found, listed, closed, voided (None when not).

    The first ``n_story`` plans (the earliest listed) are among those closed by STORY_DATE.
    """
    while True:  # draw until enough were listed early enough to be closed by STORY_DATE
        listed = sorted(
            LIST_START + timedelta(days=int((STORY_DATE - LIST_START).days * rng.random() ** 1.8))
            for _ in range(n_listed)
        )
        eligible = [i for i, d in enumerate(listed) if d <= STORY_DATE - timedelta(days=21)]
        if len(eligible) >= max(n_closed, n_story):
            break
    closed_early = set(range(n_story)) | set(rng.sample(eligible[n_story:], n_closed - n_story))
    plans = []
    for i, d in enumerate(listed):
        if i in closed_early:
            close = _rand_date(rng, d + timedelta(days=21), STORY_DATE)
        elif rng.random() < later_share:
            close = _rand_date(
                rng, max(STORY_DATE + timedelta(days=1), d + timedelta(days=21)), DATA_END
            )
        else:
            close = None
        plans.append({"listed": d, "closed": close, "voided": None})
    for _ in range(n_late):
        d = _rand_date(rng, STORY_DATE + timedelta(days=1), DATA_END - timedelta(days=5))
        close = None
        if rng.random() < later_share * 0.6 and d + timedelta(days=21) < DATA_END:
            close = _rand_date(rng, d + timedelta(days=21), DATA_END)
        plans.append({"listed": d, "closed": close, "voided": None})
    if adcode in VOIDED_IN:
        d = _rand_date(rng, LIST_START, date(2022, 7, 15))
        plans.append(
            {"listed": d, "closed": None, "voided": d + timedelta(days=rng.randint(10, 40))}
        )
    if adcode in FOUND_LATE_IN:
        plans.append(
            {
                "listed": None,
                "closed": None,
                "voided": None,
                "found": _rand_date(rng, date(2022, 12, 20), DATA_END),
            }
        )
    for p in plans:
        if "found" not in p:
            p["found"] = p["listed"] - timedelta(days=rng.choice((0, 1, 2, 3, 5, 7, 10, 14)))
    return plans


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _hazard(
    rng, unit: Unit, serial: int, index: int, plan, segments, route_of, story, features
) -> dict:  # PLR0913
    if story:
        stake, htype = story
        seg = next(s for s in segments if s.route_code == "G105" and s.start_m <= stake < s.end_m)
    else:
        if serial < len(ledger.HAZARD_TYPES):  # the first hazards cover every type once
            htype = ledger.HAZARD_TYPES[serial]
        else:
            htype = rng.choice(ledger.HAZARD_TYPES)
        seg = None
        if not (htype in URBAN_TYPES and rng.random() < 0.6):
            seg = rng.choices(segments, weights=[s.end_m - s.start_m for s in segments])[0]
            stake = rng.randint(seg.start_m, seg.end_m)
    if seg is not None:
        route = route_of[seg.route_code]
        end = min(stake + rng.choice((0, 0, 200, 500, 800, 1500)), seg.end_m)
        lon, lat = route.point_at_stake((stake + end) / 2)
        road, code = route.spec.name, route.spec.code
    else:
        stake = end = None
        lon, lat = _near_seat(rng, unit, features)
        road, code = rng.choice(URBAN_STREETS), None
    grade = rng.choices(ledger.RISK_GRADES, weights=(8, 30, 62))[0]
    level = (
        ledger.SUPERVISION_LEVELS[serial]
        if serial < 5
        else rng.choices(ledger.SUPERVISION_LEVELS, weights=(1, 4, 18, 37, 40))[0]
    )
    found = plan["found"]
    listed, closed, voided = plan["listed"], plan["closed"], plan["voided"]
    assigned = None
    if listed and not (voided and rng.random() < 0.5):
        assigned = listed + timedelta(days=rng.choice((0, 1, 2, 3, 5, 7)))
        if assigned > DATA_END or listed >= UNASSIGNED_FROM:  # the newest await assignment
            assigned = None
    if voided and assigned and assigned >= voided:
        assigned = None
    span = {"重大": (90, 180), "较大": (60, 120), "一般": (30, 90)}[grade]
    deadline = listed + timedelta(days=rng.randint(*span)) if assigned else None
    if assigned and closed:  # better units close on time more often
        earliest = assigned + timedelta(days=15)
        if rng.random() < 0.35 + 0.45 * UNIT_PLAN[unit.adcode][3]:
            deadline = max(earliest, closed + timedelta(days=rng.randint(0, 30)))
        else:
            deadline = max(earliest, closed - timedelta(days=rng.randint(1, 30)))
    place = f"{road}{' ' + _stake_text(stake, end) if stake is not None else ''}"
    h = {
        "hazard_id": f"{unit.adcode}-YH-2022-{index + 1:03d}",
        "unit_adcode": unit.adcode,
        "township": rng.choice(TOWNSHIPS[unit.adcode]),
        "road_name": road,
        "route_code": code,
        "start_m": stake,
        "end_m": end,
        "lon": round(lon, 6),
        "lat": round(lat, 6),
        "coord_source": "WGS84",
        "hazard_type": htype,
        "description": f"{place}存在{htype}隐患，近年事故多发，需尽快整改",
        "risk_grade": grade if listed else None,
        "supervision_level": level if listed else "无",
        "source": rng.choices(ledger.SOURCES, weights=(45, 20, 15, 10, 4, 6))[0],
        "found_date": found,
        "listed_date": listed,
        "goal": f"消除{place}{htype}隐患" if listed else None,
        "lead_leader": _leader(rng, unit) if assigned else None,
        "responsible_unit": f"{unit.name}{rng.choice(('交通运输局', '公路管理中心', '住建局'))}"
        if listed
        else None,
        "completion_standard": STANDARDS[htype] if assigned else None,
        "deadline": deadline,
        "reward_penalty": "按期完成的予以通报表扬；逾期未完成的约谈责任单位负责人"
        if assigned
        else None,
        "measures": STANDARDS[htype] if assigned else None,
        "temporary_controls": "设置临时警示标志，增派警力巡逻管控" if listed else None,
        "progress": None,
        "state": ledger.FOUND,
        "closed_date": closed,
        "accept_unit": f"{unit.name}交警大队、{unit.name}交通运输局" if closed else None,
        "accepted_by": _person(rng) if closed else None,
        "accepted_date": closed,
        "acceptance_evidence": "整改前后对比照片、施工验收单" if closed else None,
        "voided_date": voided,
        "void_reason": "经现场复核，不构成道路交通安全隐患" if voided else None,
        "funds_wan": round(
            rng.uniform(*{"重大": (80, 300), "较大": (15, 90), "一般": (2, 20)}[grade]), 2
        )
        if assigned
        else None,
        "version": 1,
        "_assigned": assigned,
    }
    return h


def _leader(rng: random.Random, unit: Unit) -> str:
    title = rng.choice(TITLES).format(deputy=DEPUTY[unit.kind])
    return f"{_person(rng)}（{unit.short}{title}）"


def _near_seat(rng: random.Random, unit: Unit, features: list[dict]) -> tuple[float, float]:
    """A point of the unit's seat town (within about 2 km of the seat, inside the unit)."""
    for _ in range(100):
        lon = unit.seat[0] + rng.uniform(-0.02, 0.02)
        lat = unit.seat[1] + rng.uniform(-0.015, 0.015)
        if geo.locate_unit(lon, lat, features, key="unit_code") == unit.adcode:
            return lon, lat
    return unit.seat


def _stake_text(start: int, end: int) -> str:
    if start == end:
        return geo.format_stake(start)
    return f"{geo.format_stake(start)}—{geo.format_stake(end)}"


def _at(rng: random.Random, d: date) -> datetime:
    return datetime.combine(d, time(rng.randint(8, 17), rng.randint(0, 59)))


def _events(rng: random.Random, unit: Unit, h: dict, plan: dict) -> list[dict]:
    """The event history of one hazard; also sets its final state and latest progress."""
    brigade, detachment = f"{unit.short}大队", "支队秩序科"
    out: list[dict] = []
    state: str | None = None

    def add(
        action: str, d: date, actor: str, changes: dict | None = None, note: str | None = None
    ) -> None:
        nonlocal state
        after = ledger.next_state(action, state)
        at = _at(rng, d)
        if out and at <= out[-1]["event_at"]:  # same day as the previous step: keep the order
            at = out[-1]["event_at"] + timedelta(minutes=rng.randint(5, 40))
        out.append(
            {
                "hazard_id": h["hazard_id"],
                "event_at": at,
                "actor": actor,
                "action": action,
                "from_state": state,
                "to_state": after,
                "changes": json.dumps(changes, ensure_ascii=False, default=str)
                if changes
                else None,
                "note": note,
            }
        )
        state = after

    add("发现", h["found_date"], brigade, {"hazard_type": [None, h["hazard_type"]]})
    listed, closed, voided, assigned = (
        h["listed_date"],
        h["closed_date"],
        h["voided_date"],
        h["_assigned"],
    )
    if listed:
        add(
            "入单",
            listed,
            detachment,
            {
                "risk_grade": [None, h["risk_grade"]],
                "supervision_level": [None, h["supervision_level"]],
            },
        )
    if assigned:
        add("交办", assigned, detachment, {c: [None, h[c]] for c in ledger.FIVE_ELEMENTS})
    end = voided or closed or DATA_END
    if assigned and (end - assigned).days >= 3:
        last = end - timedelta(days=3) if closed else end
        n = (
            rng.randint(1, 4)
            if closed
            else rng.randint(0 if (DATA_END - assigned).days < 12 else 1, 3)
        )
        days = sorted({rng.randint(1, max(1, (last - assigned).days)) for _ in range(n)})
        for k, dd in enumerate(days):
            text = f"已完成{min(100, 25 * (k + 1) + rng.randint(0, 15))}%：{h['measures']}"
            add("进展", assigned + timedelta(days=dd), brigade, {"progress": [h["progress"], text]})
            h["progress"] = text
    if voided:
        add("作废", voided, detachment, note=h["void_reason"])
    elif closed and state == ledger.RECTIFYING:
        request = closed - timedelta(days=rng.randint(1, 2))
        if rng.random() < 0.12:  # a failed acceptance sends it back once (隐患不消除不销号)
            add("申请销号", request - timedelta(days=1), brigade, note="整改完成，申请验收销号")
            add("退回", request, detachment, note="验收未通过：部分设施未按标准完成，退回整改")
        add(
            "申请销号",
            max(request, closed - timedelta(days=1)),
            brigade,
            note="整改完成，申请验收销号",
        )
        add(
            "销号",
            closed,
            detachment,
            {"closed_date": [None, closed], "accepted_by": [None, h["accepted_by"]]},
            note=f"验收通过（{h['acceptance_evidence']}）",
        )
    elif closed:  # too short a span for progress entries: close straight after one
        add("进展", closed - timedelta(days=2), brigade, {"progress": [None, "整改完成"]})
        h["progress"] = "整改完成"
        add("申请销号", closed - timedelta(days=1), brigade, note="整改完成，申请验收销号")
        add("销号", closed, detachment, {"closed_date": [None, closed]}, note="验收通过")
    elif state == ledger.RECTIFYING and rng.random() < 0.15:
        add(
            "申请销号",
            DATA_END - timedelta(days=rng.randint(0, 6)),
            brigade,
            note="整改完成，申请验收销号",
        )
    h["state"] = state
    h["created_at"] = out[0]["event_at"]
    h["updated_at"] = out[-1]["event_at"]
    return out
