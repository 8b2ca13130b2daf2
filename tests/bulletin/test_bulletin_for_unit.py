"""A brigade's copy of a bulletin (bulletin.for_unit): its own rows, every unit's figures."""

from __future__ import annotations

from datetime import date

from analytics.bulletin.content import for_unit
from analytics.bulletin.model import Bulletin, Section, Table


def _bulletin() -> Bulletin:
    overdue = Table(
        "逾期隐患",
        "表2　逾期未整改隐患",
        ["序号", "隐患编号", "单位", "逾期天数"],
        [[1, "A-1", "东区", 30], [2, "B-1", "西区", 20], [3, "A-2", "东区", 5]],
        ["red", "red", "red"],
    )
    ranking = Table(
        "单位排名", "表1　排名", ["排名", "单位"], [[1, "西区"], [2, "东区"]], [None, "red"]
    )
    sites = Table(
        "多发点段变化",
        "表3　点段",
        ["变化", "单位", "点段位置"],
        [["新增", "西区", "G1 K1"], ["新增", "东区", "G2 K2"]],
        ["red", "red"],
    )
    text = (
        "截至2022年9月15日，全市逾期未整改隐患3处，涉及2个单位（东区2处、西区1处）。"
        "其中逾期时间最长的是西区国道1急弯隐患（B-9），完成时限为2022年8月1日，已逾期45天，"
        "牵头领导张三。"
    )
    return Bulletin(
        period="week",
        as_of=date(2022, 9, 15),
        start=date(2022, 9, 9),
        end=date(2022, 9, 15),
        dated=date(2022, 9, 16),
        number=None,
        draft_number=1,
        issuer="支队",
        recipients="各大队",
        city="示例市",
        title="通报",
        horizon=15,
        figures={},
        previous=None,
        sections=[
            Section(
                "一、总体情况",
                [text, "另有2处隐患将在15日内到期。"],
                tables=["单位排名", "逾期隐患", "多发点段变化"],
            )
        ],
        tables={"单位排名": ranking, "逾期隐患": overdue, "多发点段变化": sites},
        charts={},
    )


def test_rows_of_other_units_go_and_the_rest_stays() -> None:
    mine = for_unit(_bulletin(), "东区")
    t = mine.tables["逾期隐患"]
    assert t.rows == [[1, "A-1", "东区", 30], [2, "A-2", "东区", 5]]  # renumbered
    assert t.marks == ["red", "red"]
    assert t.note == "本表仅列出本单位（东区）的明细；其他单位见上文汇总数字。"
    assert mine.tables["多发点段变化"].rows == [["新增", "东区", "G2 K2"]]
    assert mine.tables["单位排名"].rows == [[1, "西区"], [2, "东区"]]  # aggregate: unchanged
    assert mine.sections[0].paragraphs == [
        "截至2022年9月15日，全市逾期未整改隐患3处，涉及2个单位（东区2处、西区1处）。",
        "另有2处隐患将在15日内到期。",
    ]


def test_the_own_unit_keeps_its_named_hazard_and_the_original_is_untouched() -> None:
    original = _bulletin()
    theirs = for_unit(original, "西区")
    assert "其中逾期时间最长的是西区国道1急弯隐患（B-9）" in theirs.sections[0].paragraphs[0]
    assert theirs.tables["逾期隐患"].rows == [[1, "B-1", "西区", 20]]
    assert len(original.tables["逾期隐患"].rows) == 3
