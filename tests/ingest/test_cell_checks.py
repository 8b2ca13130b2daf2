"""The per-row check of overlong cells and of characters no writer can store is skipped for a CSV
whose text as a whole shows it would find nothing; the results must be exactly those of checking
every row (a differential test against the file read without those facts)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest

from analytics.accounts import auth
from analytics.ingest import hazards as ih
from analytics.ingest import plausible, read
from analytics.store import db

NOW = datetime(2022, 9, 20, 9, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
HEADER = "隐患编号,所属区县,道路名称,桩号,隐患类型,风险等级,排查日期,完成时限,牵头领导"


def _row(i: int, kind: str = "急弯陡坡", leader: str = "王五") -> str:
    return f"YS-{i:03d},颍上县,国道105线,K{i}+300,{kind},一般,2022-06-03,2022-08-31,{leader}"


FILES = {
    "plain": [HEADER, *(_row(i) for i in range(1, 30))],
    # non-printable yet storable: no-break space, zero-width space, DEL, a tab, a line break
    "odd but storable": [
        HEADER,
        _row(1, "急弯\u00a0陡坡"),
        _row(2, "视距\u200b不良"),
        _row(3, "急弯\x7f"),
        _row(4, leader='"王\t五"'),
        _row(5, leader='"王\n五"'),
    ],
    # far down the file: a NUL, a page break (both removed with a warning), an overlong cell
    "a control character": [HEADER, *(_row(i) for i in range(1, 40)), _row(40, "急弯\x00陡坡")],
    "a page break": [HEADER, *(_row(i) for i in range(1, 40)), _row(40, leader="王\x0c五")],
    "an overlong cell": [
        HEADER,
        *(_row(i) for i in range(1, 40)),
        _row(40, leader="王" * (plausible.MAX_CELL_CHARS + 1)),
    ],
    "a row too long together": [
        HEADER,
        _row(1, kind="弯" * 2600, leader="王" * 2600),
        _row(2),
    ],
}


@pytest.fixture
def conn(tmp_path, fuyang):
    c = db.open_store(tmp_path / "c.duckdb", fuyang)
    yield c
    c.close()


def _result(conn, fuyang, data: bytes, **options: object):
    r = ih.import_hazards(conn, fuyang, ADMIN, "台账.csv", data, now=NOW, dry_run=True, **options)
    return r.problems, r.warnings, r.rows, r.accepted, r.rejected, r.inserted


@pytest.mark.parametrize("name", list(FILES))
@pytest.mark.parametrize("mapping", [None, {"牵头领导": "牵头领导"}])
def test_skipping_the_row_checks_changes_nothing(conn, fuyang, monkeypatch, name, mapping):
    data = ("\r\n".join(FILES[name]) + "\r\n").encode("utf-8")
    fast = _result(conn, fuyang, data, mapping=mapping)
    whole = read.read

    def without_the_facts(*args, **kwargs):
        return dataclasses.replace(whole(*args, **kwargs), printable=None, longest_row=None)

    monkeypatch.setattr(read, "read", without_the_facts)
    assert fast == _result(conn, fuyang, data, mapping=mapping)
    if name in ("a control character", "a page break"):
        assert [w.problem for w in fast[1]] == ["含有不可见的控制字符，已删除"]
    if name == "an overlong cell":
        assert [p.problem[:4] for p in fast[0]] == ["内容过长"]
    if name in ("plain", "odd but storable", "a row too long together"):
        assert fast[:2] == ([], [])  # (the last: long together, no one cell too long)


def test_the_file_facts_are_what_the_rows_hold():
    rows = [HEADER, _row(1, "急弯\u00a0陡坡"), _row(2, leader="王" * 10)]
    sheet = read.read("a.csv", ("\r\n".join(rows) + "\r\n").encode("utf-8"))
    assert sheet.printable is False  # the no-break space
    assert sheet.longest_row == max(sum(len(c or "") for c in r) for r in sheet.rows)
    plain = read.read("b.csv", ("\n".join([HEADER, _row(1)]) + "\n").encode("utf-8"))
    assert plain.printable is True
    assert plain.longest_row == len(_row(1).replace(",", ""))


def test_a_mapping_cannot_smuggle_a_control_character_past_the_skipped_scan(conn, fuyang):
    """A column mapping renames matching cells of the first rows, data rows included: a hostile
    mapping turns a clean cell into one holding a NUL, which must still be found and removed."""
    data = ("\r\n".join([HEADER, _row(1), _row(2)]) + "\r\n").encode("utf-8")
    problems, warnings, *_ = _result(conn, fuyang, data, mapping={"王五": "王\x00五"})
    assert problems == []
    assert [(w.row, w.value, w.problem) for w in warnings] == [
        (2, "王五", "含有不可见的控制字符，已删除"),
        (3, "王五", "含有不可见的控制字符，已删除"),
    ]
