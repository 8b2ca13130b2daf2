"""Hostile spreadsheets: every bomb shape is refused in Chinese, quickly, before a parser builds
anything big; ordinary workbooks still read as before."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import time
from datetime import datetime

import openpyxl
import pytest

from analytics.ingest import read, xls
from bench import bombs
from tests.conftest import ROOT

REFUSALS = {
    "far cell XFD1048576": "文件 far-cell.xlsx 有 1048576 行，超过单次导入上限 200000 行",
    "far cell ZZ150000, no dimension": "文件 zz150000.xlsx 有 702 列，超过上限 100 列",
    "cells at A1 and XFD1048576": "文件 corners.xlsx 有 1048576 行，超过单次导入上限 200000 行",
    "declared dimension A1:XFD1048576": "文件 dimension.xlsx 有 1048576 行，超过单次导入上限 200000 行",
    "5,000 sheets": "sheets.xlsx 含有 5000 个工作表，超过上限 100 个：请只保留需要导入的工作表",
    "3,000,000 shared strings": "strings.xlsx 的文本内容异常庞大（超过 2,000,000 个不同文本或 100 MB），已拒收",
    "XML nested 2,000,000 deep": "nested.xlsx 解压后异常庞大（13 MB），疑似压缩炸弹，已拒收",
    "zip bomb (1 GB of spaces)": "zip-bomb.xlsx 解压后异常庞大（1024 MB），疑似压缩炸弹，已拒收",
    "zip bomb with a lying directory": "无法读取 Excel 文件 lying-zip.xlsx：文件已损坏",
    "xls with cells at A1 and IV65536": "文件 huge.xls 有 256 列，超过上限 100 列",
    "CSV with a 20 MB field": "文件 field.csv 第 2 行有单元格内容超过 131,072 个字符，无法导入",
}


def test_every_bomb_shape_is_listed() -> None:
    assert list(REFUSALS) == list(bombs.BOMBS)


@pytest.mark.parametrize("shape", list(bombs.BOMBS))
def test_a_bomb_is_refused_quickly(shape: str) -> None:
    name, data = bombs.BOMBS[shape]()
    t = time.perf_counter()
    with pytest.raises(read.ReadError) as e:
        read.read(name, data)
    assert time.perf_counter() - t < 3
    assert str(e.value).startswith(REFUSALS[shape])


def test_the_far_cell_is_refused_in_bounded_memory(tmp_path) -> None:
    """In a child process: the one that aborted the server (a 550 GB allocation) and the one
    that took 97 s and 5.9 GB are refused within a few seconds and a few dozen MB."""
    for shape in ("cells at A1 and XFD1048576", "far cell ZZ150000, no dimension"):
        name, data = bombs.BOMBS[shape]()
        path = tmp_path / name
        path.write_bytes(data)
        code = (  # VmHWM: the peak of this process image (ru_maxrss may carry the parent's)
            "import sys\n"
            "from analytics.ingest import read\n"
            "p = sys.argv[1]\n"
            "try:\n    read.read(p, open(p, 'rb').read())\nexcept read.ReadError:\n    pass\n"
            "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
        )
        t = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert time.perf_counter() - t < 10
        assert int(done.stdout) < 150 * 1024  # KB: the interpreter and its imports, no more


def _book(*rows: list[object]) -> bytes:
    book = openpyxl.Workbook()
    for r in rows:
        book.active.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_an_ordinary_workbook_reads_as_before() -> None:
    data = _book(
        ["隐患编号", "排查日期", "资金", "空"],
        ["A1", datetime(2022, 6, 3), 1.0, None],
        ["A2", "2022/6/4", 2.5, ""],
    )
    sheet = read.read("台账.xlsx", data)
    assert sheet.rows == [
        ["隐患编号", "排查日期", "资金", "空"],
        ["A1", datetime(2022, 6, 3), 1, None],
        ["A2", "2022/6/4", 2.5, None],
    ]
    assert sheet.sheet_names == ("Sheet",)


def test_rows_above_the_data_keep_their_excel_numbers() -> None:
    """A sheet whose first cell is C3: the rows read still start at Excel's row 1."""
    data = bombs.xlsx(
        [
            (
                "台账",
                bombs.sheet_xml(
                    '<row r="3"><c r="C3" t="inlineStr"><is><t>隐患编号</t></is></c></row>'
                    '<row r="4"><c r="C4" t="inlineStr"><is><t>A1</t></is></c></row>'
                ),
            )
        ]
    )
    assert read.read("台账.xlsx", data).rows == [[None], [None], ["隐患编号"], ["A1"]]


def test_cells_without_references_are_placed_and_counted() -> None:
    """A writer may leave out r="…": cells then follow each other (as calamine reads them), and
    a row of 101 such cells is 101 columns."""
    ok = bombs.xlsx([("S", bombs.sheet_xml("<row><c><v>1</v></c><c><v>2</v></c></row>"))])
    assert read.read("a.xlsx", ok).rows == [[1, 2]]
    wide = bombs.xlsx([("S", bombs.sheet_xml("<row>" + "<c><v>1</v></c>" * 101 + "</row>"))])
    with pytest.raises(read.ReadError, match="有 101 列，超过上限 100 列"):
        read.read("a.xlsx", wide)
    deep = bombs.xlsx([("S", bombs.sheet_xml('<row r="300000"><c><v>1</v></c></row>'))])
    with pytest.raises(read.ReadError, match="有 300000 行，超过单次导入上限 200000 行"):
        read.read("a.xlsx", deep)


PIECES = [
    b"<c",
    b"<c ",
    b'<c r="A1"',
    b'<c r="B22"',
    b"<c/>",
    b"<c>",
    b"<c\t",
    b"<c\x0b",
    b"<col",
    b"<cols>",
    b"<cfRule",
    b'<row r="',
    b' r="',
    b" r =",
    b"\tr=",
    b"\nr\t=",
    b"r=",
    b"bar=1",
    b"rr=",
    b"=",
    b'"',
    b" ",
    b">",
    b"x",
    b"</c>",
    b"<c<c",
    b"<",
]


@pytest.mark.parametrize("seed", range(3))
def test_the_quick_cell_and_reference_counts_are_the_exact_ones(seed) -> None:
    """The scan counts cells and r attributes the quick way; on random XML-like text the
    counts are those of the exact ways (every <c + each end; the _ANY_R regex)."""
    rnd = random.Random(seed)
    for _ in range(3000):
        buf = b"".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 30)))
        exact_cells = sum(buf.count(b"<c" + bytes([end])) for end in b" \t\n\r\x0b\x0c/>")
        assert buf.count(b"<c") - len(read._NOT_CELL.findall(buf)) == exact_cells, buf
        own = len(read._FAST_REF.findall(buf)) + buf.count(b'<row r="')
        assert read._only_own_r(buf, own) == (len(read._ANY_R.findall(buf)) == own), buf


def test_rows_without_references_follow_the_last_row_of_a_referenced_chunk() -> None:
    """A chunk whose every cell says where it is, then rows that do not: they follow the last
    row (300), as calamine places them, whatever order the chunk's rows were counted in."""
    scan = read._CellScan("a.xlsx", read.Limits())
    scan.feed(
        b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(1, 301))
    )
    scan.feed(b"<row><c><v>1</v></c></row><row><c><v>1</v></c></row>")
    scan.close()
    assert (scan.lo_row, scan.hi_row, scan.lo_col, scan.hi_col) == (1, 302, 1, 1)


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ('<x:row r="1"><x:c r="XFD1"><x:v>1</x:v></x:c></x:row>', "有 16384 列，超过上限 100 列"),
        ("<row r='1'><c r='A1048576'><v>1</v></c></row>", "有 1048576 行，超过单次导入上限"),
        ('<row r="1"><c r="&#88;FD1"><v>1</v></c></row>', "单元格位置格式异常，已拒收"),
        ('<row r="x"><c><v>1</v></c></row>', "单元格位置格式异常，已拒收"),
        ('<row r="1"><c r="A1" r="XFD1"><v>1</v></c></row>', "有 16384 列，超过上限 100 列"),
        ('<row r="1"><c r="A1"\tr="XFD1"><v>1</v></c></row>', "有 16384 列，超过上限 100 列"),
    ],
)
def test_prefixed_or_single_quoted_references_are_scanned_too(xml: str, message: str) -> None:
    """calamine reads namespace-prefixed elements, single-quoted attributes and, of two r="…",
    the last: so does the scan."""
    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    part = f"<x:worksheet {ns}><x:sheetData>{xml}</x:sheetData></x:worksheet>".encode()
    if not xml.startswith("<x:"):
        part = bombs.sheet_xml(xml)
    with pytest.raises(read.ReadError, match=message):
        read.read("a.xlsx", bombs.xlsx([("S", part)]))


def test_the_limits_are_the_callers() -> None:
    """Rows: the limit plus 20 for a title and a header; CSV rows are counted to the end."""
    data = _book(*[[f"A{i}", i, i] for i in range(25)])
    with pytest.raises(read.ReadError, match="有 3 列，超过上限 2 列"):
        read.read("a.xlsx", data, limits=read.Limits(rows=5, columns=2))
    with pytest.raises(read.ReadError, match="有 25 行，超过单次导入上限 4 行"):
        read.read("a.xlsx", data, limits=read.Limits(rows=4, columns=3))
    with pytest.raises(read.ReadError, match="有 30 行，超过单次导入上限 5 行"):
        read.read("a.csv", "\n".join(f"A{i}" for i in range(30)).encode(), limits=read.Limits(5))
    assert len(read.read("a.xlsx", data, limits=read.Limits(rows=5, columns=3)).rows) == 25


def test_a_csv_row_wider_than_the_limit_is_refused_but_trailing_commas_are_not() -> None:
    assert read.read("a.csv", b"a,b" + b"," * 500 + b"\n1\n").rows == [["a", "b"], ["1", None]]
    with pytest.raises(read.ReadError, match="有 101 列，超过上限 100 列"):
        read.read("a.csv", b",".join([b"x"] * 101))


def test_an_unterminated_quote_reads_to_the_end_and_a_long_field_is_a_read_error() -> None:
    with pytest.raises(read.ReadError) as e:
        read.read("a.csv", b'h\n"' + b"x" * 200_000)
    assert str(e.value) == (
        "文件 a.csv 第 2 行有单元格内容超过 131,072 个字符，无法导入：请检查引号是否成对，"
        "或用 Excel 打开后另存"
    )


def test_an_xls_is_measured_from_its_cell_records() -> None:
    import xlwt

    book = xlwt.Workbook()
    for n in range(2):
        s = book.add_sheet(f"S{n}")
        s.write(2, 1, "x")
        s.write(40, 7 + n, 1)
    buf = io.BytesIO()
    book.save(buf)
    assert xls.extent(buf.getvalue()) == xls.Extent(2, [(41, 7), (41, 8)])


def test_a_broken_compound_file_is_a_read_error() -> None:
    with pytest.raises(
        read.ReadError, match="无法读取 Excel 文件 坏.xls：文件已损坏或不是 Excel 文件"
    ):
        read.read("坏.xls", read.OLE2 + b"\x00" * 600)


def test_a_sheet_outside_the_workbook_list_is_not_scanned_nor_read() -> None:
    """The sheet chosen is scanned; asking for a missing one says which exist."""
    data = bombs.xlsx([("台账", bombs.sheet_xml("")), ("说明", bombs.sheet_xml(""))])
    with pytest.raises(read.ReadError, match="工作簿中没有名为“其他”的工作表（共有：台账、说明）"):
        read.read("a.xlsx", data, "其他")


def test_column_letters() -> None:
    assert [read.column_number(c) for c in ("A", "Z", "AA", "GR", "ZZ", "XFD")] == [
        1,
        26,
        27,
        200,
        702,
        16384,
    ]
