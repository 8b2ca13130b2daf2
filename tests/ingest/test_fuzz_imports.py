"""Property-based: generated CSV and xlsx files (random headers, encodings, control characters,
odd values, broken structure) either import or report problems (ImportResult.problems or a
read.ReadError); nothing else is ever raised, and a rejected file writes nothing."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from analytics.accounts import auth
from analytics.ingest import accidents, hazards, headers, read, roads
from analytics.store import db

NOW = datetime(2022, 9, 20, 9, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
KINDS = {
    "hazards": (hazards.import_hazards, headers.HAZARD_HEADERS),
    "accidents": (accidents.import_accidents, headers.ACCIDENT_HEADERS),
    "roads": (roads.import_roads, headers.ROAD_HEADERS),
}
ODD = [
    "",
    " ",
    "\u3000",
    "0",
    "-1",
    "1.5",
    "1e308",
    "1e999",
    "-1e999",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "99999999999999999999999",
    "2022-06-03",
    "2022/6/3",
    "2022.6.3",
    "2022年6月3日",
    "20220603",
    "1899-12-31",
    "9999-12-31",
    "2022-02-30",
    "44834",
    "25:61",
    "14:30",
    "K12+300",
    "K12+300-K12+800",
    "K99999999999999+000",
    "123公里500米",
    "颍上县",
    "颍上",
    "341226",
    "合肥",
    "合计",
    "已销号",
    "整改中",
    "重大",
    "一级",
    "省级",
    "WGS84",
    "GCJ02",
    "BD09",
    "116.27",
    "32.63",
    "121.47",
    "-73.9",
    "181",
    "116.27,32.63;116.28,32.64",
    "=1+1",
    "@SUM(A1)",
    "\x00",
    "a\x01b",
    "\x0b",
    '"',
    "'",
    ",",
    "\n",
    "\r\n",
    "\ufeff",
    "\ud7ff",
    "𠀀",
    "死亡事故",
    "简易程序",
    "x" * 6000,
]
cell_text = st.one_of(st.sampled_from(ODD), st.text(max_size=12))
xlsx_value = st.one_of(
    cell_text,
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 1, 1)),
    st.dates(min_value=date(1900, 3, 1)),
    st.booleans(),
    st.none(),
)


def header_names(spec: dict[str, tuple[str, ...]]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from([n for names in spec.values() for n in names]), cell_text)


def table(spec: dict[str, tuple[str, ...]], cell: st.SearchStrategy) -> st.SearchStrategy:
    """A title row or not, a header of known and random names, ragged rows of odd cells."""
    head = st.lists(header_names(spec), min_size=0, max_size=10)
    body = st.lists(st.lists(cell, max_size=12), max_size=8)
    title = st.lists(cell_text, max_size=2)
    return st.tuples(title, head, body).map(lambda t: ([t[0]] if t[0] else []) + [t[1], *t[2]])


def csv_bytes(rows: list[list[str]], encoding: str, mangle: int) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    text = buf.getvalue()
    if mangle == 1:  # a stray quote: the rest of the file becomes one field
        text = text[: len(text) // 2] + '"' + text[len(text) // 2 :]
    data = text.encode(encoding, errors="surrogatepass" if encoding == "utf-8" else "replace")
    if mangle == 2:  # cut in the middle of a character
        data = data[:-1]
    if mangle == 3:  # bytes that are neither UTF-8 nor GB18030
        data += b"\xff\xfe\x80"
    return data


def xlsx_bytes(rows: list[list[object]], sheets: int) -> bytes:
    book = openpyxl.Workbook()
    for n in range(1, sheets):
        book.create_sheet(f"S{n}")
    for r in rows:  # openpyxl itself refuses the characters XML cannot hold
        book.active.append(
            [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in r]
        )
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def store(tmp_path_factory, fuyang):
    conn = db.open_store(tmp_path_factory.mktemp("fuzz") / "f.duckdb", fuyang)
    yield conn
    conn.close()


def _counts(conn) -> list:  # row counts of every table, in one cheap query
    return conn.execute(
        "SELECT table_name, estimated_size FROM duckdb_tables() ORDER BY table_name"
    ).fetchall()


def _import_once(store, fuyang, kind: str, name: str, data: bytes, accept: bool) -> None:
    importer, _ = KINDS[kind]
    before = _counts(store)
    try:
        result = importer(store, fuyang, ADMIN, name, data, now=NOW, accept_valid=accept)
    except read.ReadError as e:
        assert str(e)  # a Chinese message, never empty
        assert _counts(store) == before
        return
    if not result.written:
        assert _counts(store) == before
    else:
        assert accept or not result.problems
    for p in result.problems + result.warnings:
        assert isinstance(p.problem, str) and p.problem


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kind", list(KINDS))
def test_csv_imports_never_raise_anything_else(store, fuyang, kind: str) -> None:
    spec = KINDS[kind][1]

    @FUZZ
    @given(
        rows=table(spec, cell_text),
        encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
        mangle=st.integers(0, 3),
        accept=st.booleans(),
    )
    def check(rows, encoding, mangle, accept) -> None:
        _import_once(store, fuyang, kind, "随机.csv", csv_bytes(rows, encoding, mangle), accept)

    check()


@pytest.mark.parametrize("kind", list(KINDS))
def test_xlsx_imports_never_raise_anything_else(store, fuyang, kind: str) -> None:
    spec = KINDS[kind][1]

    @FUZZ
    @given(
        rows=table(spec, xlsx_value),
        sheets=st.integers(1, 3),
        accept=st.booleans(),
        cut=st.sampled_from([None, 100, 1000, -50]),
    )
    def check(rows, sheets, accept, cut) -> None:
        data = xlsx_bytes(rows, sheets)
        if cut is not None:  # a truncated upload
            data = data[:cut]
        _import_once(store, fuyang, kind, "随机.xlsx", data, accept)

    check()
