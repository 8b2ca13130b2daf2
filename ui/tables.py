"""Tables as pages show and download them: the hazard table with its standing colours, the
row limit on screen, xlsx downloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from analytics import inert
from ui.text import text_cells

SHOWN_ROWS = 500  # longer tables are cut on screen and downloaded whole

STANDING_COLOURS = {
    "逾期": "#d64541",
    "临期": "#f0a202",
    "正常推进": "#2f6fbf",
    "已销号": "#2e9e5b",
    "未入单": "#9e9e9e",
    "已作废": "#9e9e9e",
}


def hazard_table(f: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Rows of hazard_list.ledger / hazards_as_of as the user reads them (close dates after
    as_of are not shown: on that day the hazard was still open)."""
    closed = [d.date() if pd.notna(d) and d.date() <= as_of else None for d in f.closed_date]
    return pd.DataFrame(
        {
            "办理情况": f.standing,
            "逾期天数": text_cells([int(d) if pd.notna(d) else None for d in f.days_overdue]),
            "隐患编号": f.hazard_id,
            "单位": f.unit_name,
            "流程状态": f.state,
            "道路": f.road_name,
            "隐患类型": f.hazard_type,
            "风险等级": f.risk_grade.fillna(""),
            "挂牌督办": f.supervision_level,
            "完成时限": text_cells([d.date() if pd.notna(d) else None for d in f.deadline]),
            "销号日期": text_cells(closed),
            "责任单位": f.responsible_unit.fillna(""),
            "牵头领导": f.lead_leader.fillna(""),
        }
    )


def standing_marks(t: pd.DataFrame) -> pd.DataFrame:
    """Red overdue, amber due soon, blue in progress, green closed (the word says it too)."""
    css = pd.DataFrame("", index=t.index, columns=t.columns)
    css["办理情况"] = [f"color: {STANDING_COLOURS[s]}; font-weight: bold" for s in t["办理情况"]]
    return css


def xlsx_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    """A DataFrame as an .xlsx file (inert.workbook: formula-like text is quoted, stays text)."""
    return inert.workbook({sheet: frame})


def download(frame: pd.DataFrame | Callable[[], pd.DataFrame], sheet: str, file_name: str) -> None:
    """A download button for a table (or a function making it) as .xlsx, made on click."""
    st.download_button(
        f"下载{sheet}（xlsx）",
        lambda: xlsx_bytes(frame() if callable(frame) else frame, sheet),
        file_name=file_name,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"download_{sheet}",
        on_click="ignore",
    )
