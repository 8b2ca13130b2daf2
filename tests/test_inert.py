"""Everything written out is inert: hostile text in the database reaches no file as a formula.

Each writer (page downloads, the ledger and accident workbooks, the bulletin workbook, the import
problem list, metrics and hotspots CSV) is given hostile text and its file is read back.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from analytics import inert
from analytics.__main__ import main
from analytics.accidents import analysis as aa
from analytics.accidents import site_tables as hotspot_tables
from analytics.accounts import auth
from analytics.bulletin import archive
from analytics.ledger import export, hazard_list
from analytics.store import db
from ui.tables import xlsx_bytes

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ['=HYPERLINK("http://x")', "+cmd", "-1+1", "@SUM(1)", "\t=1", "\r=1"]
QUOTED = ['\'=HYPERLINK("http://x")', "'+cmd", "'-1+1", "'@SUM(1)", "'\t=1", "'\r=1"]
ADMIN = auth.User("admin", "支队秩序科", "admin", None)


def test_neutralise_quotes_formula_text_and_leaves_numbers() -> None:
    assert [inert.neutralise(v) for v in HOSTILE] == QUOTED
    assert inert.neutralise("-5") == "'-5"  # a negative number stored as text is text
    assert inert.neutralise(-5) == -5 and inert.neutralise(-1.5) == -1.5
    assert inert.neutralise(None) is None
    assert inert.neutralise("普通文字") == "普通文字"
    assert inert.neutralise("a=b") == "a=b" and inert.neutralise("") == ""
    assert inert.neutralise("'=1") == "'=1"  # already quoted: not quoted twice


def _cells(data: bytes, sheet: str | None = None) -> openpyxl.worksheet.worksheet.Worksheet:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return book[sheet] if sheet else book.active


def _no_formulas(ws) -> None:
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_a_page_download_quotes_text_and_keeps_numbers() -> None:
    frame = pd.DataFrame(
        {
            "描述": HOSTILE,
            "数值": [-5, -1.5, 0, 1, 2, 3],
            "文本数": ["-5"] * 6,
            "分类": pd.Categorical(HOSTILE),
            "文字": pd.array(HOSTILE, "string"),
        }
    )
    ws = _cells(xlsx_bytes(frame, "表"))
    assert [c.value for c in ws["D"]][1:] == QUOTED and [c.value for c in ws["E"]][1:] == QUOTED
    assert [c.value for c in ws["A"]] == ["描述", *QUOTED]
    assert [c.value for c in ws["B"]][1:3] == [-5, -1.5]
    assert {c.data_type for c in ws["B"][1:]} == {"n"}
    assert {c.value for c in ws["C"][1:]} == {"'-5"}
    assert {c.data_type for c in ws["A"][1:]} == {"s"}
    _no_formulas(ws)


@pytest.fixture
def hostile_db(tmp_path, demo_db_path, fuyang) -> Path:
    """The demo city with hostile text in hazard descriptions, road names and accident roads."""
    path = tmp_path / "hostile.duckdb"
    shutil.copy(demo_db_path, path)
    conn = db.open_store(path, fuyang)
    ids = [
        r[0] for r in conn.execute("SELECT hazard_id FROM hazards ORDER BY 1 LIMIT 6").fetchall()
    ]
    for hazard_id, text in zip(ids, HOSTILE, strict=True):
        conn.execute("UPDATE hazards SET description = ? WHERE hazard_id = ?", [text, hazard_id])
    conn.execute(
        "UPDATE hazards SET road_name = ?, hazard_type = ? WHERE hazard_id = '341282-YH-2022-007'",
        [HOSTILE[0], HOSTILE[2]],
    )
    accidents = conn.execute(
        "SELECT accident_id FROM accidents WHERE occurred_at >= TIMESTAMP '2022-09-01'"
        " ORDER BY occurred_at DESC, accident_id LIMIT 6"
    ).fetchall()
    for (accident_id,), text in zip(accidents, HOSTILE, strict=True):
        conn.execute(
            "UPDATE accidents SET road_name = ? WHERE accident_id = ?", [text, accident_id]
        )
    conn.close()
    return path


def test_the_ledger_download(hostile_db) -> None:
    conn = db.open_for_reading(hostile_db)
    frame = hazard_list.ledger(conn, date(2022, 12, 31), 15)
    conn.close()
    ws = _cells(xlsx_bytes(export.ledger_sheet(frame), "隐患台账"))
    header = [c.value for c in ws[1]]
    ids, text = header.index("隐患编号") + 1, header.index("隐患描述") + 1
    lon = header.index("经度") + 1
    by_id = {ws.cell(r, ids).value: ws.cell(r, text) for r in range(2, ws.max_row + 1)}
    first_six = sorted(by_id)[:6]
    assert [by_id[i].value for i in first_six] == QUOTED
    assert {by_id[i].data_type for i in first_six} == {"s"}
    assert {ws.cell(r, lon).data_type for r in range(2, ws.max_row + 1)} <= {"n"}
    _no_formulas(ws)


def test_the_accident_export(hostile_db) -> None:
    conn = db.open_for_reading(hostile_db)
    frame = aa.accidents(conn, date(2022, 9, 1), date(2022, 12, 31), viewer=ADMIN)
    conn.close()
    data = inert.workbook({"事故明细": aa.export_table(frame)})
    ws = _cells(data, "事故明细")
    header = [c.value for c in ws[1]]
    road = header.index("道路名称") + 1
    roads = [ws.cell(r, road).value for r in range(2, ws.max_row + 1)]
    assert sorted(v for v in roads if v and v.startswith("'")) == sorted(QUOTED)
    assert not [v for v in roads if v and v[:1] in "=+-@\t\r"]
    _no_formulas(ws)


def test_the_bulletin_workbook(hostile_db) -> None:
    conn = db.open_for_reading(hostile_db)
    opts = archive.Options(15, "阜阳市公安局交通警察支队", "各县（市、区）交警大（中）队", "阜阳市")
    content = archive.draft(conn, date(2022, 9, 15), "week", opts, date(2022, 9, 16))
    conn.close()
    ws = _cells(archive.render(content).xlsx, "逾期隐患")
    assert ws.cell(3, 2).value == "341282-YH-2022-007"
    header = [c.value for c in ws[2]]
    row = {h: ws.cell(3, i).value for i, h in enumerate(header, start=1)}
    assert row["道路"] == QUOTED[0]
    assert row["隐患类型"] == QUOTED[2]
    assert ws.cell(3, 9).value == 52 and ws.cell(3, 9).data_type == "n"
    book = openpyxl.load_workbook(io.BytesIO(archive.render(content).xlsx))
    for sheet in book.worksheets:
        _no_formulas(sheet)


def _hostile_ledger_csv() -> bytes:
    head = "隐患编号,所属区县,道路名称,排查日期,完成时限,整改状态,销号日期,验收人,经度,纬度"
    rows = [
        ",".join(
            [
                f"X{i}",
                '"' + v.replace('"', '""') + '"',
                "G105",
                "2022-06-10",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
        for i, v in enumerate(HOSTILE, start=1)
    ]
    return "\n".join([head, *rows]).encode("utf-8")


def test_the_import_problem_list_as_csv_and_xlsx(tmp_path) -> None:
    src = tmp_path / "问题.csv"
    src.write_bytes(_hostile_ledger_csv())
    target = tmp_path / "t.duckdb"
    out_csv, out_xlsx = tmp_path / "问题清单.csv", tmp_path / "问题清单.xlsx"
    assert main(["import", "hazards", str(src), "--db", str(target), "--errors", str(out_csv)]) == 1
    assert (
        main(["import", "hazards", str(src), "--db", str(target), "--errors", str(out_xlsx)]) == 1
    )
    with out_csv.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["行号", "列", "内容", "问题", "处理"]
    unit = [r for r in rows[1:] if r[1] == "所属区县"]
    assert [r[2] for r in unit] == [inert.neutralise(v.strip()) for v in HOSTILE]
    assert [r[0] for r in unit] == ["2", "3", "4", "5", "6", "7"]  # row numbers stay numbers
    ws = _cells(out_xlsx.read_bytes())
    xunit = [[c.value for c in r] for r in ws.iter_rows(min_row=2) if r[1].value == "所属区县"]
    assert [r[2] for r in xunit] == [r[2] for r in unit]
    assert [r[0] for r in xunit] == [2, 3, 4, 5, 6, 7]
    _no_formulas(ws)


def test_metrics_csv(hostile_db, capsys) -> None:
    args = ["metrics", "--db", str(hostile_db), "--as-of", "2022-09-15", "--by", "type", "--csv"]
    assert main(args) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    groups = [r[0] for r in rows[1:]]
    assert QUOTED[2] in groups and HOSTILE[2] not in groups
    assert not [g for g in groups if g[:1] in "=+-@\t\r"]


def test_hotspots_csv(tmp_path, demo_db_path, capsys, monkeypatch) -> None:
    record = {
        "rank": 1,
        "site_key": "=1",
        "unit": "@SUM(1)",
        "accidents": -3,
        "covered_by": ["+cmd", "ok"],
        "note": "-5",
    }
    monkeypatch.setattr(hotspot_tables, "records", lambda sites: [record])
    assert main(["hotspots", "--db", str(demo_db_path), "--as-of", "2022-09-15", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [
        ["rank", "site_key", "unit", "accidents", "covered_by", "note"],
        ["1", "'=1", "'@SUM(1)", "-3", "'+cmd ok", "'-5"],
    ]


WRITERS = re.compile(
    r"\.to_csv\(|\.to_excel\(|csv\.writer\(|csv\.DictWriter\(|ExcelWriter\(|\bWorkbook\(\)"
    r"|\bws\.append\(|\bsheet\.append\(|\.cell\([^)]*,[^)]*,"
)
# the blank import template: fixed headers, options from the city file, no stored data
ALLOWED = {"analytics/inert.py", "analytics/ingest/template.py"}


def test_no_module_writes_csv_or_xlsx_itself() -> None:
    found = []
    for path in [
        *ROOT.glob("analytics/**/*.py"),
        *ROOT.glob("pages/*.py"),
        *ROOT.glob("ui/*.py"),
        ROOT / "app.py",
    ]:
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED:
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            if WRITERS.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert found == []


def test_the_quoted_ledger_re_imports_to_the_same_data(hostile_db, fuyang) -> None:
    """The quote the export adds is taken off again on import: nothing changes."""
    from datetime import datetime

    from analytics.ingest import hazards as ih

    conn = db.open_store(hostile_db, fuyang)
    frame = hazard_list.ledger(conn, date(2022, 12, 31), 15)
    data = xlsx_bytes(export.ledger_sheet(frame), "隐患台账")
    r = ih.import_hazards(conn, fuyang, ADMIN, "台账.xlsx", data, now=datetime(2022, 12, 31, 10))
    assert (r.rows, r.unchanged, r.inserted, r.updated, r.problems) == (231, 231, 0, 0, [])
    stored = conn.execute("SELECT description FROM hazards ORDER BY hazard_id LIMIT 6").fetchall()
    conn.close()
    assert [s for (s,) in stored] == HOSTILE
