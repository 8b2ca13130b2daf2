"""Spreadsheets the app writes: formulas never run, the ledger keeps the canonical headers."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd

from analytics import db, export, hazard_list
from pages._ui import xlsx_bytes


def test_formula_like_text_stays_text() -> None:
    frame = pd.DataFrame({"描述": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "普通"]})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame, "表"))).active
    cells = [c for c in sheet["A"]][1:]
    assert [c.value for c in cells] == list(frame["描述"])  # unchanged, no leading quote
    assert {c.data_type for c in cells} == {"s"}  # strings, not formulas


def test_ledger_export_has_the_canonical_layout(demo_db_path) -> None:
    conn = db.open_for_reading(demo_db_path)
    frame = hazard_list.ledger(conn, date(2022, 9, 15), 15, unit="341226")
    conn.close()
    sheet = export.ledger_sheet(frame)
    assert list(sheet.columns) == list(export.CANONICAL)
    assert len(sheet) == len(frame)
    row = sheet.iloc[0]
    assert row["所属区县"] == "颍上县"
    assert row["隐患编号"] == frame.hazard_id.iloc[0]
    stakes = sheet["起点桩号"].dropna()
    assert stakes.str.fullmatch(r"K\d+\+\d{3}").all()
