"""The one loop every import kind's rows go through (analytics.ingest.rules), on a declaration of
three columns and hand-made rows: every problem of every row at once, one per cell, exact."""

from __future__ import annotations

from datetime import date

from analytics.ingest import rules, values
from analytics.ingest.rules import Column, RowCheck


def _in_range(n: float) -> str | None:
    return None if 0 <= n <= 100 else f"数量 {n:g} 超出 0 至 100"


def _not_before_2000(row: RowCheck) -> None:
    """A named cross-field check, as kinds list them."""
    day = row.out["day"]
    if day is not None and day < date(2000, 1, 1):
        row.problem("day", "日期早于 2000 年")


DECLARED = rules.Declaration(
    steps=(
        Column("code", required="缺少编号"),
        Column("day", values.parse_date, required="缺少日期", if_new=True),
        Column("amount", lambda c: values.number(c, "数量"), check=_in_range, default=0),
        _not_before_2000,
    ),
    stored=("day", "amount"),
)
NAMES = {"code": "编号", "day": "日期", "amount": "数量（个）"}


def _check(raw: dict, number: int) -> tuple[dict, list[tuple], list[tuple]]:
    rec, problems, warnings = rules.check_row(DECLARED, raw, NAMES, number)
    assert warnings == []
    shown = [(p.row, p.column, p.value, p.problem) for p in problems]
    return rec, shown, [(p.row, p.column, p.value, p.problem) for p in rec["_if_new"]]


def test_a_valid_row_gives_only_its_own_cells() -> None:
    rec, problems, if_new = _check({"code": " A1 ", "day": "2022年6月3日", "amount": "7"}, 2)
    assert (problems, if_new) == ([], [])
    assert (rec["code"], rec["day"], rec["amount"]) == ("A1", date(2022, 6, 3), 7.0)
    assert rec["_given"] == {"day", "amount"}
    assert rec["_names"] is NAMES


def test_absent_columns_and_empty_cells_change_nothing() -> None:
    """An absent column or an empty cell is never given; a default fills the record only."""
    rec, problems, if_new = _check({"code": "A2", "amount": "\u3000 "}, 3)
    assert problems == []
    assert if_new == [(3, "日期", "", "缺少日期")]  # refuses the row only when its id is new
    assert (rec["day"], rec["amount"]) == (None, 0)
    assert rec["_given"] == frozenset()


def test_required_missing_parse_error_and_range_error_all_at_once() -> None:
    """pandera's model: every problem of every row, as a table (row, column, cell, reason)."""
    rows = [
        (2, {"code": None, "day": "2022-02-30", "amount": "abc"}),
        (3, {"code": "B3", "day": "2022-06-03", "amount": "250"}),
        (5, {"code": "", "day": "1999-12-31", "amount": "-1"}),
        (6, {"code": "B6", "day": "2022-06-03", "amount": "100"}),
    ]
    table = []
    for number, raw in rows:
        _rec, problems, if_new = _check(raw, number)
        table += problems + if_new
    assert table == [
        (2, "编号", "", "缺少编号"),
        (2, "日期", "2022-02-30", "日期“2022-02-30”不存在"),
        (2, "数量（个）", "abc", "数量“abc”不是数字"),
        (3, "数量（个）", "250", "数量 250 超出 0 至 100"),
        (5, "编号", "", "缺少编号"),
        (5, "数量（个）", "-1", "数量 -1 超出 0 至 100"),
        (5, "日期", "1999-12-31", "日期早于 2000 年"),
    ]


def test_one_problem_per_cell_the_precise_one() -> None:
    """An unreadable cell is not reported missing as well, and a value refused by its check is
    not kept (a later check sees the default)."""
    rec, problems, if_new = _check({"code": "C1", "day": "20221345", "amount": "1e9"}, 9)
    assert problems == [
        (9, "日期", "20221345", "日期“20221345”不存在"),
        (9, "数量（个）", "1e9", "数量 1e+09 超出 0 至 100"),
    ]
    assert if_new == []
    assert (rec["day"], rec["amount"]) == (None, 0)
    assert rec["_given"] == frozenset()


def test_the_header_shown_is_the_files_own_and_a_field_without_one_is_named_as_is() -> None:
    rec, problems, _if_new = rules.check_row(DECLARED, {"amount": "101"}, {}, 4)
    assert [(p.row, p.column, p.value, p.problem) for p in problems] == [
        (4, "code", "", "缺少编号"),
        (4, "amount", "101", "数量 101 超出 0 至 100"),
    ]
    assert [(p.column, p.problem) for p in rec["_if_new"]] == [("day", "缺少日期")]


def test_one_of_names_the_allowed_words() -> None:
    check = rules.one_of(("简易程序", "一般程序"), "处理程序须为简易程序或一般程序")
    assert (check("一般程序"), check("快速程序")) == (None, "处理程序须为简易程序或一般程序")


def _counting_declaration(calls: list[object]) -> rules.Declaration:
    def parse(cell: object) -> str | None:
        calls.append(cell)
        t = values.text(cell)
        if t == "坏":
            raise values.ValueProblem("无法识别“坏”")
        return None if t is None else t + "!"

    return rules.Declaration(
        steps=(Column("kind", parse), Column("need", parse, required="缺少")), stored=("kind",)
    )


def test_a_repeated_text_cell_is_parsed_once_per_file_a_bad_one_every_time() -> None:
    calls: list[object] = []
    declared = _counting_declaration(calls)
    names = {"kind": "类型", "need": "必填"}  # one file: one header mapping for all its rows
    rows = [{"kind": "甲", "need": "甲"}, {"kind": "甲", "need": "乙"}, {"kind": 7, "need": "甲"}]
    outs = [rules.check_row(declared, raw, names, n)[0] for n, raw in enumerate(rows, 2)]
    assert [(o["kind"], o["need"]) for o in outs] == [("甲!", "甲!"), ("甲!", "乙!"), ("7!", "甲!")]
    # 甲 in each column once, 乙 once; a number is never remembered (7 and 7.0 and True differ)
    assert calls == ["甲", "甲", "乙", 7]
    bad = [rules.check_row(declared, {"kind": "坏", "need": "坏"}, names, n)[1] for n in (5, 6)]
    assert [[(p.row, p.column, p.problem) for p in ps] for ps in bad] == [
        [(5, "类型", "无法识别“坏”"), (5, "必填", "无法识别“坏”")],
        [(6, "类型", "无法识别“坏”"), (6, "必填", "无法识别“坏”")],
    ]
    # another file (another header mapping) starts afresh
    calls.clear()
    rules.check_row(declared, {"kind": "甲", "need": "甲"}, dict(names), 2)
    assert calls == ["甲", "甲"]


def test_the_memo_keeps_at_most_memo_size_texts_per_column(monkeypatch) -> None:
    monkeypatch.setattr(rules, "MEMO_SIZE", 2)
    calls: list[object] = []
    declared = _counting_declaration(calls)
    names = {"kind": "类型"}
    for n, t in enumerate(["a", "b", "c", "a", "c"], 2):
        rules.check_row(declared, {"kind": t, "need": "x"}, names, n)
    assert [c for c in calls if c != "x"] == ["a", "b", "c", "c"]  # c came after the memo filled


def test_total_rows_are_text_cells_of_the_first_four() -> None:
    assert values.is_total_row(["合 计", None, 12])
    assert values.is_total_row([None, 3, None, "\u3000小计 "])
    assert not values.is_total_row([None, None, None, None, "总计"])  # only the first four
    assert not values.is_total_row(["合计：12 处", 1.0, None])
    assert not values.is_total_row([20220603, 1.5, None, "计"])
