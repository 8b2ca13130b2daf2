"""Importing county ledgers: the quirks of real files, every problem at once, one transaction."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import openpyxl
import pytest

from analytics.__main__ import main
from analytics.accounts import auth
from analytics.ingest import hazards as ih
from analytics.ingest import read
from analytics.ledger import vocabulary as ledger
from analytics.store import db
from tests.pg_mode import store_conn

NOW = datetime(2022, 9, 20, 9, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
YINGSHANG = auth.User("yingshang", "颍上县大队", "county", "341226")

# A GBK CSV as a county saves it from Excel: title row, 序号, a header with a full-width space,
# a blank row and a 合计 row; dates in four spellings; stakes in one cell.
GBK_ROWS = [
    "颍上县道路交通安全隐患排查治理台账（2022年9月）,,,,,,,,,,,,",
    "序号,隐患编号,所属区县,道路名称,桩号,隐患类型,风险\u3000等级,挂牌督办,排查日期,完成时限,整改状态,销号日期,验收人",
    "1,YS-001,颍上,国道105线,K12+300-K12+800,急弯陡坡,二级,市级,2022/6/3,2022年8月31日,已销号,20220820,张三",
    "2,YS-002,颍上县,S237,K3+050,视距不良,一般,无,2022.6.5,2022-09-30,整改中,,",
    ",,,,,,,,,,,,",
    "合计,,,,,,,,,,,,",
]


def _gbk() -> bytes:
    return ("\r\n".join(GBK_ROWS) + "\r\n").encode("gb18030")


@pytest.fixture
def conn(tmp_path, fuyang):
    c = db.open_store(tmp_path / "i.duckdb", fuyang)
    yield c
    c.close()


def _hazards(conn) -> list[tuple]:
    return conn.execute(
        "SELECT hazard_id, unit_adcode, road_name, start_m, end_m, risk_grade, supervision_level,"
        " found_date, deadline, state, closed_date, accepted_by FROM hazards ORDER BY hazard_id"
    ).fetchall()


def test_a_gbk_csv_with_title_row_and_totals(conn, fuyang) -> None:
    r = ih.import_hazards(conn, fuyang, ADMIN, "颍上.csv", _gbk(), now=NOW)
    assert (r.rows, r.accepted, r.rejected, r.inserted) == (2, 2, 0, 2)
    assert r.problems == [] and r.unmatched_columns == []
    assert _hazards(conn) == [
        (
            "YS-001",
            "341226",
            "国道105线",
            12300,
            12800,
            "较大",
            "市",
            date(2022, 6, 3),
            date(2022, 8, 31),
            "已销号",
            date(2022, 8, 20),
            "张三",
        ),
        (
            "YS-002",
            "341226",
            "S237",
            3050,
            3050,
            "一般",
            "无",
            date(2022, 6, 5),
            date(2022, 9, 30),
            "整改中",
            None,
            None,
        ),
    ]
    events = conn.execute("SELECT hazard_id, action, note FROM hazard_events ORDER BY 1").fetchall()
    assert events == [
        ("YS-001", "导入", "导入文件：颍上.csv"),
        ("YS-002", "导入", "导入文件：颍上.csv"),
    ]
    assert conn.execute("SELECT count(*) FROM hazards WHERE import_id IS NULL").fetchone() == (0,)


def test_a_merged_two_row_header_and_excel_serial_dates(conn, fuyang) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["阜南县隐患台账"])
    ws.append(["隐患编号", "所属区县", "道路名称", "时间", None, "隐患类型"])
    ws.append([None, None, None, "排查\n日期", "完成时限", None])
    ws.merge_cells("D2:E2")
    ws.append(["FN-9", "341225", "X051", 44713, 44804, "团雾结冰路段"])  # 2022-06-01, 2022-08-31
    buf = io.BytesIO()
    book.save(buf)
    r = ih.import_hazards(conn, fuyang, ADMIN, "阜南.xlsx", buf.getvalue(), now=NOW)
    assert r.problems == [] and r.inserted == 1
    row = conn.execute(
        "SELECT unit_adcode, found_date, deadline, hazard_type FROM hazards"
    ).fetchone()
    assert row == ("341225", date(2022, 6, 1), date(2022, 8, 31), "团雾结冰路段")


def _csv(*rows: str) -> bytes:
    head = "隐患编号,所属区县,道路名称,排查日期,完成时限,整改状态,销号日期,验收人,经度,纬度"
    return "\n".join([head, *rows]).encode("utf-8")


def test_every_problem_is_reported_and_nothing_is_written(conn, fuyang) -> None:
    data = _csv(
        "A1,颍上县,G105,2022-06-10,2022-06-01,,,,,",  # deadline before the found date
        "A2,合肥,G105,2022-06-10,,,,,,",  # not a unit of the city
        "A3,颍上县,G105,2022-06-10,,已销号,2022-07-01,,,",  # closed without who accepted it
        "A4,颍上县,G105,2022-02-30,,,,,,",  # a day that does not exist
        "A5,颍上县,G105,2022-06-10,,,,,,",
        "A5,颍上县,G105,2022-06-11,,,,,,",  # the same id twice
    )
    r = ih.import_hazards(conn, fuyang, ADMIN, "问题.csv", data, now=NOW)
    assert [(p.row, p.column, p.value, p.problem) for p in r.problems] == [
        (2, "完成时限", "2022-06-01", "完成时限早于排查日期（2022-06-10）"),
        (3, "所属区县", "合肥", "所属区县为空或不是本市的单位"),
        (4, "整改状态", "已销号", "已销号的隐患须有销号日期和验收人"),
        (5, "排查日期", "2022-02-30", "日期“2022-02-30”不存在"),
        (7, "隐患编号", "A5", "隐患编号与第 6 行重复"),
    ]
    assert (r.rejected, r.accepted, r.written) == (5, 1, False)
    assert _hazards(conn) == []
    assert conn.execute("SELECT count(*) FROM imports").fetchone() == (0,)
    kept = ih.import_hazards(conn, fuyang, ADMIN, "问题.csv", data, now=NOW, accept_valid=True)
    assert (kept.written, kept.inserted) == (True, 1)
    assert [h[0] for h in _hazards(conn)] == ["A5"]


def test_a_brigade_imports_only_its_own_unit(conn, fuyang) -> None:
    data = _csv("Y1,颍上县,G105,2022-06-10,,,,,,", "Z1,颍州区,G105,2022-06-10,,,,,,")
    r = ih.import_hazards(conn, fuyang, YINGSHANG, "混合.csv", data, now=NOW)
    assert [(p.row, p.problem) for p in r.problems] == [
        (3, "区县大队账号只能导入本单位（颍上县）的数据")
    ]
    assert _hazards(conn) == []


def test_every_row_of_another_unit_is_refused_not_only_the_first(conn, fuyang) -> None:
    # a unit's name is resolved and access-checked once per file: the answer must hold for
    # each later row naming it, and must not carry over to another user's import
    rows = ("Y1,颍上县", "Z1,颍州区", "Z2,颍州区", "Y2,颍上县", "Z3,颍州区")
    data = _csv(*(f"{r},G105,2022-06-10,,,,,," for r in rows))
    r = ih.import_hazards(conn, fuyang, YINGSHANG, "混合.csv", data, now=NOW)
    assert [(p.row, p.problem) for p in r.problems] == [
        (n, "区县大队账号只能导入本单位（颍上县）的数据") for n in (3, 4, 6)
    ]
    assert _hazards(conn) == []
    r = ih.import_hazards(conn, fuyang, ADMIN, "混合.csv", data, now=NOW)
    assert (r.problems, r.inserted) == ([], 5)


def test_the_same_file_twice_changes_nothing(conn, fuyang) -> None:
    ih.import_hazards(conn, fuyang, ADMIN, "颍上.csv", _gbk(), now=NOW)
    again = ih.import_hazards(conn, fuyang, ADMIN, "颍上（副本）.csv", _gbk(), now=NOW)
    assert again.duplicate_file and not again.written
    assert conn.execute("SELECT count(*) FROM imports").fetchone() == (1,)


def test_a_corrected_upload_updates_by_id_and_never_deletes(conn, fuyang) -> None:
    ih.import_hazards(conn, fuyang, ADMIN, "第一版.csv", _gbk(), now=NOW)
    fixed = _csv("YS-002,颍上县,省道237线,2022-06-05,2022-09-30,整改中,,,,")
    r = ih.import_hazards(conn, fuyang, ADMIN, "第二版.csv", fixed, now=NOW)
    assert (r.updated, r.inserted, r.not_in_upload) == (1, 0, ["YS-001"])
    assert conn.execute(
        "SELECT road_name, version FROM hazards WHERE hazard_id = 'YS-002'"
    ).fetchone() == ("省道237线", 2)
    change = conn.execute(
        "SELECT changes FROM hazard_events WHERE hazard_id = 'YS-002' ORDER BY event_id DESC LIMIT 1"
    ).fetchone()[0]
    assert json.loads(change) == {"road_name": ["S237", "省道237线"]}
    assert len(_hazards(conn)) == 2  # YS-001 stays, listed as not in this upload


def test_swapped_coordinates_are_corrected_with_a_warning(conn, fuyang) -> None:
    r = ih.import_hazards(
        conn, fuyang, ADMIN, "坐标.csv", _csv("C1,颍上县,G105,2022-06-10,,,,,32.63,116.27"), now=NOW
    )
    assert [w.problem for w in r.warnings] == ["经纬度填反，已自动对调"]
    assert conn.execute("SELECT lon, lat FROM hazards").fetchone() == (116.27, 32.63)


def test_a_point_just_outside_the_city_is_flagged(conn, fuyang) -> None:
    """About 26 km east of the box around Fuyang's outlines: a neighbour's road, perhaps."""
    r = ih.import_hazards(
        conn, fuyang, ADMIN, "坐标.csv", _csv("C2,颍上县,G105,2022-06-10,,,,,116.9,32.6"), now=NOW
    )
    assert [w.problem for w in r.warnings] == ["坐标不在阜阳市范围内，请核对"]
    assert r.inserted == 1  # kept, with the warning: the officer decides


def test_a_point_far_from_the_city_is_a_problem(conn, fuyang) -> None:
    """Shanghai (about 450 km away) or a point outside China cannot be a Fuyang road."""
    data = _csv(
        "C2,颍上县,G105,2022-06-10,,,,,121.47,31.23", "C3,颍上县,G105,2022-06-10,,,,,-73.9,40.6"
    )
    r = ih.import_hazards(conn, fuyang, ADMIN, "坐标.csv", data, now=NOW)
    assert [(p.row, p.column, p.value, p.problem) for p in r.problems] == [
        (2, "经度", "121.47", "坐标（121.47, 31.23）距阜阳市超过 50 公里，请核对经纬度"),
        (3, "经度", "-73.9", "坐标（-73.9, 40.6）距阜阳市超过 50 公里，请核对经纬度"),
    ]
    assert (r.written, r.inserted) == (False, 0)


def test_a_failure_half_way_leaves_the_database_as_it_was(conn, fuyang, monkeypatch) -> None:
    def failing(*args, **kwargs):  # ANN003, ANN202 - after the hazards went in
        raise RuntimeError("power cut")

    monkeypatch.setattr(ih, "_insert_events", failing)
    with pytest.raises(RuntimeError):
        ih.import_hazards(conn, fuyang, ADMIN, "颍上.csv", _gbk(), now=NOW)
    assert _hazards(conn) == []
    assert conn.execute("SELECT count(*) FROM imports").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM hazard_events").fetchone() == (0,)


def test_unreadable_files_say_so() -> None:
    import zipfile

    with pytest.raises(read.ReadError, match="不支持的文件类型"):
        read.read("台账.docx", b"PK\x03\x04")
    with pytest.raises(read.ReadError, match="不是有效的 Excel 文件"):
        read.read("台账.xlsx", b"not a workbook")
    with pytest.raises(read.ReadError, match="无法读取 Excel 文件 台账.xlsx：文件已损坏"):
        read.read("台账.xlsx", b"PK\x03\x04 truncated")
    encrypted = read.OLE2 + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    with pytest.raises(read.ReadError, match="设置了打开密码"):
        read.read("加密.xlsx", encrypted)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 2**20))  # 60 MB of zeros
    with pytest.raises(read.ReadError, match="疑似压缩炸弹"):
        read.read("炸弹.xlsx", bomb.getvalue())


def test_the_command_line(tmp_path, capsys) -> None:
    good = tmp_path / "颍上.csv"
    good.write_bytes(_gbk())
    target = tmp_path / "new.duckdb"  # no database yet: an empty one is created
    assert main(["import", "hazards", str(good), "--db", str(target), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["rows"], out["inserted"], out["duplicate_file"]) == (2, 2, False)
    assert main(["import", "hazards", str(good), "--db", str(target), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["duplicate_file"] is True
    bad = tmp_path / "问题.csv"
    bad.write_bytes(_csv("B1,合肥,G105,2022-06-10,,,,,,"))
    errors = tmp_path / "问题清单.xlsx"
    assert main(["import", "hazards", str(bad), "--db", str(target), "--errors", str(errors)]) == 1
    sheet = openpyxl.load_workbook(errors).active
    assert [c.value for c in sheet[2]] == [
        2,
        "所属区县",
        "合肥",
        "所属区县为空或不是本市的单位",
        "拒收",
    ]
    conn = store_conn(target)
    assert conn.execute("SELECT count(*) FROM hazards").fetchone() == (2,)
    assert conn.execute(
        "SELECT count(*) FROM hazards WHERE state = ?", [ledger.CLOSED]
    ).fetchone() == (1,)
    conn.close()


@pytest.mark.parametrize(
    ("cell", "start", "end"),
    [
        ("K123+500", 123500, 123500),
        ("k123+500m", 123500, 123500),
        ("123K+500", 123500, 123500),
        ("1325Km+500m", 1325500, 1325500),
        ("123公里500米", 123500, 123500),
        ("77公里加800米", 77800, 77800),
        ("123.5", 123500, 123500),
        ("K867+000-K877+000", 867000, 877000),
        ("867公里至877公里", 867000, 877000),
        ("K12+300～K12+800", 12300, 12800),
        ("Ｋ１２＋３００", 12300, 12300),
    ],
)
def test_every_stake_spelling_through_the_importer(conn, fuyang, cell, start, end) -> None:
    data = f"隐患编号,所属区县,道路名称,排查日期,桩号\nS1,颍上县,G105,2022-06-10,{cell}\n".encode()
    r = ih.import_hazards(conn, fuyang, ADMIN, f"桩号{cell}.csv", data, now=NOW)
    assert r.problems == []
    assert conn.execute("SELECT start_m, end_m FROM hazards").fetchone() == (start, end)


def test_killing_the_import_leaves_the_database_as_it_was(tmp_path, fuyang) -> None:
    """A real process killed in the middle of a large import: the store is as before."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from bench.imports import ledger_frame

    db_path = tmp_path / "kill.duckdb"
    conn = db.open_store(db_path, fuyang)
    ih.import_hazards(conn, fuyang, ADMIN, "颍上.csv", _gbk(), now=NOW)
    before = _hazards(conn)
    conn.close()
    big = tmp_path / "big.csv"
    ledger_frame(fuyang, 300_000).to_csv(big, index=False)
    env = {**os.environ, "HAZARDS_IMPORT_MAX_ROWS": "400000", "HAZARDS_UPLOADS_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "analytics", "import", "hazards", str(big), "--db", str(db_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(6)  # reading and checking 300,000 rows takes longer than this
    assert proc.poll() is None, "the import finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    conn = store_conn(db_path)
    assert _hazards(conn) == before
    assert conn.execute("SELECT count(*) FROM imports").fetchone() == (1,)
    conn.close()


def test_command_line_unit_sheet_and_coordinate_system(tmp_path, capsys) -> None:
    from analytics import geo

    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本工作簿第二张表为台账"])
    ledger_sheet = book.create_sheet("台账")
    ledger_sheet.append(["隐患编号", "所属区县", "道路名称", "排查日期", "经度", "纬度"])
    ledger_sheet.append(["G1", "颍上县", "G105", "2022-06-10", 116.27, 32.63])  # an AMap point
    path = tmp_path / "两张表.xlsx"
    book.save(path)
    target = tmp_path / "c.duckdb"
    args = ["import", "hazards", str(path), "--db", str(target), "--json"]
    assert main(args) == 1  # the first sheet has no ledger
    assert "找不到表头" in json.loads(capsys.readouterr().out)["problems"][0]["problem"]
    assert main([*args, "--sheet", "台账", "--unit", "颍上", "--coords", "GCJ02"]) == 0
    capsys.readouterr()
    conn = store_conn(target)
    lon, lat, system = conn.execute("SELECT lon, lat, coord_source FROM hazards").fetchone()
    by = conn.execute("SELECT unit_adcode, imported_by FROM imports").fetchone()
    conn.close()
    expected = geo.gcj02_to_wgs84(116.27, 32.63)
    assert (round(lon, 6), round(lat, 6), system) == (
        round(expected[0], 6),
        round(expected[1], 6),
        "GCJ02",
    )
    assert by == ("341226", "命令行（代颍上县上报）·cli")


def test_progress_is_reported(conn, fuyang) -> None:
    from bench.imports import ledger_frame

    seen: list[tuple[float, str]] = []
    data = ledger_frame(fuyang, 5000).to_csv(index=False).encode()
    r = ih.import_hazards(
        conn,
        fuyang,
        ADMIN,
        "大文件.csv",
        data,
        now=datetime(2026, 1, 1),
        progress=lambda done, text: seen.append((round(done, 2), text)),
    )
    assert r.inserted == 5000
    assert seen == [
        (0.38, "正在检查第 2000 行……"),
        (0.66, "正在检查第 4000 行……"),
        (0.85, "正在写入 5000 条记录……"),
    ]


def test_an_old_xls_workbook(conn, fuyang) -> None:
    import xlwt  # writes the Excel 97–2003 format counties still send

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("台账")
    for j, text in enumerate(["隐患编号", "所属区县", "道路名称", "排查日期", "完成时限"]):
        sheet.write(0, j, text)
    for j, value in enumerate(["X-1", "界首", "S204", "2022.6.8", 44834]):  # 44834 = 2022-09-30
        sheet.write(1, j, value)
    buf = io.BytesIO()
    book.save(buf)
    r = ih.import_hazards(conn, fuyang, ADMIN, "老格式.xls", buf.getvalue(), now=NOW)
    assert (r.inserted, r.problems) == (1, [])
    row = conn.execute("SELECT unit_adcode, found_date, deadline FROM hazards").fetchone()
    assert row == ("341282", date(2022, 6, 8), date(2022, 9, 30))


# A county ledger as counties lay it out: the title, then who filled it in and when (one cell
# here; two cells in the workbook below), then the header; 备注 is the last column.
TITLED_HEADER = [
    "序号",
    "隐患编号",
    "所属区县",
    "道路名称",
    "桩号",
    "隐患类型",
    "风险等级",
    "排查日期",
    "完成时限",
    "整改措施",
    "责任单位",
    "备注",
]
TITLED_ROWS = [
    [
        1,
        "YS-101",
        "颍上县",
        "国道105线",
        "K12+300-K12+800",
        "急弯陡坡",
        "一般",
        "2022-06-03",
        "2022-08-31",
        "设置警示标志",
        "县公路局",
        "已上报",
    ],
    [
        2,
        "YS-102",
        "颍上县",
        "S237",
        "K3+050",
        "视距不良",
        "较大",
        "2022-06-05",
        "2022-09-30",
        "清理遮挡物",
        "县公路局",
        None,
    ],
]
TITLE = "颍上县道路交通安全隐患排查治理台账（2022年9月）"
FILLED_BY = "填报单位：颍上县公安局交警大队 填报日期：2022年9月20日"
TITLED_COLUMNS = {
    0: "row_number",
    1: "hazard_id",
    2: "unit",
    3: "road_name",
    4: "stakes",
    5: "hazard_type",
    6: "risk_grade",
    7: "found_date",
    8: "deadline",
    9: "measures",
    10: "responsible_unit",
}
TITLED_IMPORTED = [
    (
        "YS-101",
        "341226",
        "国道105线",
        12300,
        12800,
        "一般",
        "无",
        date(2022, 6, 3),
        date(2022, 8, 31),
        ledger.LISTED,
        None,
        None,
        "设置警示标志",
        "县公路局",
    ),
    (
        "YS-102",
        "341226",
        "S237",
        3050,
        3050,
        "较大",
        "无",
        date(2022, 6, 5),
        date(2022, 9, 30),
        ledger.LISTED,
        None,
        None,
        "清理遮挡物",
        "县公路局",
    ),
]


def titled_csv() -> bytes:
    """The titled ledger as Chinese Excel saves it: GBK, CRLF, the title rows padded with commas."""
    width = len(TITLED_HEADER)
    lines = [[TITLE] + [""] * (width - 1), [FILLED_BY] + [""] * (width - 1), TITLED_HEADER]
    lines += [["" if c is None else str(c) for c in r] for r in TITLED_ROWS]
    return "".join(",".join(map(str, line)) + "\r\n" for line in lines).encode("gbk")


def titled_xlsx() -> bytes:
    """The titled ledger as a workbook: the title merged across the sheet, 填报单位 and 填报日期
    in two merged cells of the second row."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([TITLE])
    ws.merge_cells("A1:L1")
    ws.append(["填报单位：颍上县公安局交警大队", *[None] * 5, "填报日期：2022年9月20日"])
    ws.merge_cells("A2:F2")
    ws.merge_cells("G2:L2")
    ws.append(TITLED_HEADER)
    for r in TITLED_ROWS:
        ws.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _titled_hazards(conn) -> list[tuple]:
    return conn.execute(
        "SELECT hazard_id, unit_adcode, road_name, start_m, end_m, risk_grade, supervision_level,"
        " found_date, deadline, state, closed_date, accepted_by, measures, responsible_unit"
        " FROM hazards ORDER BY hazard_id"
    ).fetchall()


@pytest.mark.parametrize(("name", "make"), [("颍上.csv", titled_csv), ("颍上.xlsx", titled_xlsx)])
def test_title_rows_above_the_header_are_titles(conn, fuyang, name, make) -> None:
    """The title and the 填报单位 line are not the upper row of a merged header."""
    from analytics.ingest import headers

    data = make()
    header = headers.find_header(read.read(name, data).rows)
    assert (header.row, header.columns, header.unmatched) == (2, TITLED_COLUMNS, ["备注"])
    r = ih.import_hazards(conn, fuyang, ADMIN, name, data, now=NOW)
    assert (r.rows, r.inserted, r.problems) == (2, 2, [])
    assert r.unmatched_columns == ["备注"]  # listed by its own name: the ledger has no such field
    assert _titled_hazards(conn) == TITLED_IMPORTED


def test_a_title_above_a_real_two_row_header(conn, fuyang) -> None:
    """The title rows are skipped; the merged 整改情况 and 验收情况 still head their columns."""
    from analytics.ingest import headers

    book = openpyxl.Workbook()
    ws = book.active
    ws.append([TITLE])
    ws.merge_cells("A1:I1")
    ws.append([FILLED_BY])
    ws.merge_cells("A2:I2")
    ws.append(
        ["隐患编号", "所属区县", "道路名称", "排查日期", "整改情况", None, "验收情况", None, None]
    )
    ws.append([None, None, None, None, "整改措施", "整改进展", "验收单位", "验收人", "验收日期"])
    ws.merge_cells("E3:F3")
    ws.merge_cells("G3:I3")
    for j in range(1, 5):
        ws.merge_cells(start_row=3, start_column=j, end_row=4, end_column=j)
    ws.append(
        [
            "YS-201",
            "颍上县",
            "G105",
            "2022-06-03",
            "增设护栏",
            "已完工",
            "县交通局",
            "李四",
            "2022-08-30",
        ]
    )
    buf = io.BytesIO()
    book.save(buf)
    header = headers.find_header(read.read("两行表头.xlsx", buf.getvalue()).rows)
    assert (header.row, header.unmatched) == (3, [])
    assert header.columns == {
        0: "hazard_id",
        1: "unit",
        2: "road_name",
        3: "found_date",
        4: "measures",
        5: "progress",
        6: "accept_unit",
        7: "accepted_by",
        8: "accepted_date",
    }
    r = ih.import_hazards(conn, fuyang, ADMIN, "两行表头.xlsx", buf.getvalue(), now=NOW)
    assert (r.inserted, r.problems, r.unmatched_columns) == (1, [], [])
    row = conn.execute(
        "SELECT measures, progress, accept_unit, accepted_by, accepted_date FROM hazards"
    ).fetchone()
    assert row == ("增设护栏", "已完工", "县交通局", "李四", date(2022, 8, 30))


def _every_problem(rec: dict, problems: list) -> list[tuple]:
    """What a record says is wrong: its problems and those that refuse it only when new."""
    return [(p.row, p.column, p.value, p.problem) for p in [*problems, *rec["_if_new"]]]


HAZARD_DATES = {
    "found_date": "排查日期",
    "listed_date": "入单日期",
    "deadline": "完成时限",
    "closed_date": "销号日期",
    "accepted_date": "验收日期",
}


@pytest.mark.parametrize("field", list(HAZARD_DATES))
@pytest.mark.parametrize("cell", ["2022-02-30", "2022年2月30日", "20220230", "2022/13/1"])
def test_a_date_that_does_not_exist_is_one_problem(conn, fuyang, field, cell) -> None:
    """One problem per cell, the precise one: never 缺少排查日期 as well."""
    header = HAZARD_DATES[field]
    given = {"hazard_id": "D1", "unit": "颍上县", "road_name": "G105", field: cell}
    if field not in ("found_date", "listed_date"):
        given["found_date"] = "2022-06-01"
    names = {f: HAZARD_DATES.get(f, f) for f in given}
    rec, problems, _warnings = ih._record(fuyang, ADMIN, given, names, 2)
    assert _every_problem(rec, problems) == [(2, header, cell, f"日期“{cell}”不存在")]
    columns = [
        "隐患编号",
        "所属区县",
        "道路名称",
        *(HAZARD_DATES[f] for f in given if f in HAZARD_DATES),
    ]
    data = "\n".join([",".join(columns), ",".join(given.values())]).encode()
    r = ih.import_hazards(conn, fuyang, ADMIN, f"{field}{cell.replace('/', '')}.csv", data, now=NOW)
    assert [(p.row, p.column, p.value, p.problem) for p in r.problems] == [
        (2, header, cell, f"日期“{cell}”不存在")
    ]
