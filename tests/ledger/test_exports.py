"""Spreadsheets the app writes: formulas never run, the ledger keeps the canonical headers."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd

from analytics.ledger import export, hazard_list
from analytics.store import db
from ui.tables import xlsx_bytes


def test_formula_like_text_stays_text() -> None:
    frame = pd.DataFrame({"描述": ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "普通"]})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame, "表"))).active
    cells = [c for c in sheet["A"]][1:]
    # quoted (the OWASP advice against CSV injection), strings not formulas; plain text unchanged
    assert [c.value for c in cells] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "普通",
    ]
    assert {c.data_type for c in cells} == {"s"}


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


def test_the_exported_ledger_re_imports_to_the_same_data(demo_db_path, tmp_path, fuyang) -> None:
    import shutil
    from datetime import datetime

    from analytics.accounts import auth
    from analytics.ingest import hazards as ih

    conn = db.open_for_reading(demo_db_path)
    frame = hazard_list.ledger(conn, date(2022, 12, 31), 15)
    data = xlsx_bytes(export.ledger_sheet(frame), "隐患台账")
    columns = ", ".join(["hazard_id", *ih.STORED])
    original = conn.execute(f"SELECT {columns} FROM hazards ORDER BY hazard_id").df()  # noqa: S608
    conn.close()
    admin = auth.User("admin", "支队秩序科", "admin", None)
    now = datetime(2022, 12, 31, 10, 0)

    shutil.copy(demo_db_path, tmp_path / "same.duckdb")  # into the same data: nothing changes
    same = db.open_store(tmp_path / "same.duckdb", fuyang)
    r = ih.import_hazards(same, fuyang, admin, "台账.xlsx", data, now=now)
    assert (r.rows, r.unchanged, r.inserted, r.updated, r.problems) == (231, 231, 0, 0, [])
    same.close()

    empty = db.open_store(tmp_path / "empty.duckdb", fuyang)  # into an empty store: the same rows
    r = ih.import_hazards(empty, fuyang, admin, "台账.xlsx", data, now=now)
    assert (r.inserted, r.problems) == (231, [])
    copied = empty.execute(f"SELECT {columns} FROM hazards ORDER BY hazard_id").df()  # noqa: S608
    pd.testing.assert_frame_equal(original, copied, check_dtype=False)
    empty.close()
