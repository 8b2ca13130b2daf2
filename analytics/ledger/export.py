"""The ledger as a spreadsheet with the canonical headers of docs/operations.md (imports) (the import layout)."""

from __future__ import annotations

import pandas as pd

from analytics import geo

# canonical header: hazard column (or a function of the row)
CANONICAL = {
    "隐患编号": "hazard_id",
    "所属区县": "unit_name",
    "乡镇": "township",
    "道路名称": "road_name",
    "路线编码": "route_code",
    "起点桩号": "start_m",
    "止点桩号": "end_m",
    "经度": "lon",
    "纬度": "lat",
    "坐标系": "coord_source",
    "隐患类型": "hazard_type",
    "隐患描述": "description",
    "风险等级": "risk_grade",
    "挂牌督办": "supervision_level",
    "隐患来源": "source",
    "排查日期": "found_date",
    "入单日期": "listed_date",
    "工作目标": "goal",
    "牵头领导": "lead_leader",
    "责任单位": "responsible_unit",
    "完成标准": "completion_standard",
    "完成时限": "deadline",
    "奖惩措施": "reward_penalty",
    "整改措施": "measures",
    "临时管控措施": "temporary_controls",
    "整改进展": "progress",
    "整改状态": "state",
    "销号日期": "closed_date",
    "验收单位": "accept_unit",
    "验收人": "accepted_by",
    "验收日期": "accepted_date",
    "投入资金(万元)": "funds_wan",
}
DATES = ("found_date", "listed_date", "deadline", "closed_date", "accepted_date")


def ledger_sheet(frame: pd.DataFrame) -> pd.DataFrame:
    """Ledger rows (from hazard_list.ledger) in the canonical layout, stakes as K12+300."""
    out = pd.DataFrame(index=frame.index)
    for header, col in CANONICAL.items():
        values = frame[col]
        if col in ("start_m", "end_m"):
            values = [geo.format_stake(int(v)) if pd.notna(v) else None for v in values]
        elif col in DATES:
            values = [v.date().isoformat() if pd.notna(v) else None for v in values]
        out[header] = values
    return out.reset_index(drop=True)
