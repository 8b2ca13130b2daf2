"""The 一单四制 workflow vocabulary: states, transitions, the five elements, event actions."""

from __future__ import annotations

import json
from collections.abc import Mapping

# Workflow states (docs/methods.md §七), in workflow order.
FOUND = "待认定"
LISTED = "已入单"
ASSIGNED = "已交办"
RECTIFYING = "整改中"
SIGNOFF_REQUESTED = "申请销号"
CLOSED = "已销号"
VOIDED = "已作废"
STATES = (FOUND, LISTED, ASSIGNED, RECTIFYING, SIGNOFF_REQUESTED, CLOSED, VOIDED)
OPEN_STATES = (LISTED, ASSIGNED, RECTIFYING, SIGNOFF_REQUESTED)

# Event actions and the transitions they make (None: the state does not change).
TRANSITIONS: dict[str, tuple[tuple[str | None, str], ...]] = {
    "发现": ((None, FOUND),),
    "入单": ((FOUND, LISTED),),
    "交办": ((LISTED, ASSIGNED),),
    "进展": ((ASSIGNED, RECTIFYING), (RECTIFYING, RECTIFYING)),
    "申请销号": ((RECTIFYING, SIGNOFF_REQUESTED),),
    "退回": ((SIGNOFF_REQUESTED, RECTIFYING),),
    "销号": ((SIGNOFF_REQUESTED, CLOSED),),
    "作废": ((FOUND, VOIDED), (LISTED, VOIDED), (ASSIGNED, VOIDED), (RECTIFYING, VOIDED)),
    "调整督办": tuple((s, s) for s in OPEN_STATES),
    "更正": tuple((s, s) for s in STATES),  # basic fields, in any state
}

# The five elements of a valid assignment (五要件), as hazard columns with their labels.
FIVE_ELEMENTS: dict[str, str] = {
    "goal": "工作目标",
    "lead_leader": "牵头领导",
    "responsible_unit": "责任单位",
    "completion_standard": "完成标准",
    "deadline": "完成时限",
}

RISK_GRADES = ("重大", "较大", "一般")
SUPERVISION_LEVELS = ("部", "省", "市", "县", "无")
SOURCES = ("日常排查", "事故分析", "上级交办", "群众举报", "媒体曝光", "部门移交")
HAZARD_TYPES = (
    "急弯陡坡",
    "连续长下坡",
    "视距不良",
    "路侧险要/临水临崖",
    "平交路口缺陷",
    "穿村过镇",
    "中央隔离开口过多",
    "缺少标志标线",
    "缺少防护设施",
    "照明不足",
    "施工路段管控",
    "团雾结冰路段",
    "学校周边",
    "路面病害",
)
# a site found by accident analysis (analytics/accidents/sites.py) enters the list with this type
ACCIDENT_SITE_TYPE = "事故多发点段"
ALL_HAZARD_TYPES = (*HAZARD_TYPES, ACCIDENT_SITE_TYPE)


def missing_elements(hazard: Mapping[str, object]) -> list[str]:
    """The Chinese labels of the five elements a hazard lacks (blank counts as missing)."""
    return [
        label
        for col, label in FIVE_ELEMENTS.items()
        if (value := hazard.get(col)) is None or str(value).strip() == ""
    ]


def next_state(action: str, current: str | None) -> str:
    """The state after ``action`` from ``current``; ValueError (Chinese) when not allowed."""
    for before, after in TRANSITIONS.get(action, ()):
        if before == current:
            return after
    raise ValueError(f"当前状态“{current or '无'}”下不能执行“{action}”")


# Chinese labels of the hazard columns, for histories and exports.
FIELD_LABELS: dict[str, str] = {
    "hazard_id": "隐患编号",
    "unit_adcode": "所属区县",
    "township": "乡镇",
    "road_name": "道路名称",
    "route_code": "路线编码",
    "start_m": "起点桩号",
    "end_m": "止点桩号",
    "lon": "经度",
    "lat": "纬度",
    "coord_source": "坐标系",
    "hazard_type": "隐患类型",
    "description": "隐患描述",
    "risk_grade": "风险等级",
    "supervision_level": "挂牌督办",
    "source": "隐患来源",
    "found_date": "排查日期",
    "listed_date": "入单日期",
    **FIVE_ELEMENTS,
    "reward_penalty": "奖惩措施",
    "measures": "整改措施",
    "temporary_controls": "临时管控措施",
    "progress": "整改进展",
    "state": "流程状态",
    "closed_date": "销号日期",
    "accept_unit": "验收单位",
    "accepted_by": "验收人",
    "accepted_date": "验收日期",
    "acceptance_evidence": "验收结论及依据",
    "voided_date": "作废日期",
    "void_reason": "作废原因",
    "funds_wan": "投入资金（万元）",
}


def describe_changes(changes: object) -> str:
    """An event's field changes ({"field": [before, after]} as JSON) in Chinese, one line."""
    if not isinstance(changes, str) or not changes:
        return ""
    parts = []
    for field, (before, after) in json.loads(changes).items():
        label = FIELD_LABELS.get(field, field)
        parts.append(f"{label}：{_shown(before)} → {_shown(after)}")
    return "；".join(parts)


def _shown(value: object) -> str:
    return "（空）" if value is None or value == "" else str(value)
