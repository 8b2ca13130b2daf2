"""Values that parse but cannot be true are row problems in Chinese: never a traceback from the
database, never a silent rounding. Control characters are removed with a warning."""

from __future__ import annotations

import math
import random
from datetime import date, datetime

import pytest

from analytics.accounts import auth
from analytics.ingest import accidents as ia
from analytics.ingest import hazards as ih
from analytics.ingest import plausible, values
from analytics.ingest import roads as ir
from analytics.ledger import metrics
from analytics.store import db

NOW = datetime(2022, 9, 20, 9, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
H_HEAD = "隐患编号,所属区县,道路名称,起点桩号,排查日期,完成时限,投入资金(万元),隐患描述"
A_HEAD = "事故编号,事故时间,所属区县,路线编码,桩号,死亡人数,受伤人数,直接财产损失(元)"


@pytest.fixture
def conn(tmp_path, fuyang):
    c = db.open_store(tmp_path / "p.duckdb", fuyang)
    yield c
    c.close()


def _problems(result) -> list[tuple]:
    return [(p.row, p.column, p.value, p.problem) for p in result.problems]


def _counts(conn) -> tuple:
    return db.table_counts(conn)


def test_implausible_hazard_values_are_row_problems(conn, fuyang) -> None:
    data = "\n".join(
        [
            H_HEAD,
            "H1,颍上县,G105,K1+000,1999-12-31,2000-03-01,1,",  # found before 2000
            "H2,颍上县,G105,K1+000,2022-09-21,2022-12-01,1,",  # found tomorrow
            "H3,颍上县,G105,K1+000,2022-06-01,2027-09-21,1,",  # deadline beyond 5 years
            "H4,颍上县,G105,K10001+000,2022-06-01,2022-12-01,1,",  # a stake beyond 10,000 km
            "H5,颍上县,G105,K1+000,2022-06-01,2022-12-01,NaN,",  # NaN money
            "H6,颍上县,G105,K1+000,2022-06-01,2022-12-01,inf,",  # infinite money
            "H7,颍上县,G105,K1+000,2022-06-01,2022-12-01,1e300,",  # absurd money
            "H8,颍上县,G105,K1+000,2022-06-01,2022-12-01,-5,",  # negative money
            "H9,颍上县,G105,K1+000,2022-06-01,2027-09-20," + "1," + "长" * 5001,  # overlong text
            "H10,颍上县,G105,K99999999999999999999+000,2022-06-01,2022-12-01,1,",  # beyond int64
        ]
    ).encode()
    before = _counts(conn)
    r = ih.import_hazards(conn, fuyang, ADMIN, "离谱.csv", data, now=NOW)
    assert _problems(r) == [
        (2, "排查日期", "1999-12-31", "日期 1999-12-31 早于 2000 年，请核对"),
        (3, "排查日期", "2022-09-21", "日期 2022-09-21 晚于今天（2022-09-20），请核对"),
        (4, "完成时限", "2027-09-21", "完成时限 2027-09-21 晚于今天起 5 年（2027-09-20），请核对"),
        (5, "起点桩号", "K10001+000", "桩号超出合理范围（0 至 K10000），请核对"),
        (6, "投入资金(万元)", "NaN", "投入资金“NaN”不是有效的数字"),
        (7, "投入资金(万元)", "inf", "投入资金“inf”不是有效的数字"),
        (8, "投入资金(万元)", "1e300", "投入资金超过 1,000,000 万元，请核对单位和数值"),
        (9, "投入资金(万元)", "-5", "投入资金不能为负数"),
        (10, "隐患描述", "长" * 20 + "……", "内容过长（5,001 字，上限 5,000 字）"),
        (11, "起点桩号", "K99999999999999999999+000", "桩号超出合理范围（0 至 K10000），请核对"),
    ]
    assert (r.written, _counts(conn)) == (False, before)


def test_the_deadline_horizon_is_a_setting(conn, fuyang) -> None:
    data = f"{H_HEAD}\nH1,颍上县,G105,K1+000,2022-06-01,2024-09-21,1,".encode()
    r = ih.import_hazards(conn, fuyang, ADMIN, "时限.csv", data, now=NOW, deadline_years=2)
    assert _problems(r) == [
        (2, "完成时限", "2024-09-21", "完成时限 2024-09-21 晚于今天起 2 年（2024-09-20），请核对")
    ]
    r = ih.import_hazards(conn, fuyang, ADMIN, "时限.csv", data, now=NOW, deadline_years=3)
    assert (r.problems, r.inserted) == ([], 1)


def test_implausible_accident_values_are_row_problems(conn, fuyang) -> None:
    data = "\n".join(
        [
            A_HEAD,
            "A1,2022-06-03 10:00,颍上县,G105,K871+500,1.5,0,100",  # a fractional death
            "A2,2022-06-03 10:00,颍上县,G105,K871+500,0,100000000000000000000,100",  # huge
            "A3,2022-06-03 10:00,颍上县,G105,K871+500,0,-1,100",  # negative
            "A4,2022-06-03 10:00,颍上县,G105,K871+500,0,0,nan",  # NaN loss
            "A5,2022-06-03 10:00,颍上县,G105,K871+500,0,0,2000000000",  # 20 亿元
            "A6,2023-01-01 10:00,颍上县,G105,K871+500,0,0,100",  # in the future
            "A7,1990-01-01 10:00,颍上县,G105,K871+500,0,0,100",  # before 2000
            "A8,2022-06-03 10:00,颍上县,G105,K871+500,501,0,100",  # beyond 500 people
        ]
    ).encode()
    before = _counts(conn)
    r = ia.import_accidents(conn, fuyang, ADMIN, "离谱.csv", data, now=NOW)
    assert _problems(r) == [
        (2, "死亡人数", "1.5", "死亡人数“1.5”须为整数"),
        (
            3,
            "受伤人数",
            "100000000000000000000",
            "受伤人数“100000000000000000000”超过 500 人，请核对",
        ),
        (4, "受伤人数", "-1", "受伤人数不能为负数"),
        (5, "直接财产损失(元)", "nan", "直接财产损失“nan”不是有效的数字"),
        (
            6,
            "直接财产损失(元)",
            "2000000000",
            "直接财产损失超过 1,000,000,000 元，请核对单位和数值",
        ),
        (7, "事故时间", "2023-01-01 10:00", "日期 2023-01-01 晚于今天（2022-09-20），请核对"),
        (8, "事故时间", "1990-01-01 10:00", "日期 1990-01-01 早于 2000 年，请核对"),
        (9, "死亡人数", "501", "死亡人数“501”超过 500 人，请核对"),
    ]
    assert (r.written, _counts(conn)) == (False, before)


def test_a_road_far_from_the_city_is_a_problem(conn, fuyang) -> None:
    data = (
        "路段编号,路线编码,起点桩号,止点桩号,所属区县,路径\n"
        "R1,G105,K1+000,K2+000,颍上县,121.47 31.23;121.48 31.24\n"
        "R2,G105,K1+000,K20000+000,颍上县,116.27 32.63;116.28 32.64\n"
    ).encode()
    r = ir.import_roads(conn, fuyang, ADMIN, "路段.csv", data, now=NOW)
    assert _problems(r) == [
        (
            2,
            "路径",
            "121.47 31.23;121.48 31.24",
            "坐标（121.47, 31.23）距阜阳市超过 50 公里，请核对经纬度",
        ),
        (3, "止点桩号", "K20000+000", "桩号超出合理范围（0 至 K10000），请核对"),
    ]


def test_control_characters_are_removed_with_a_warning(conn, fuyang) -> None:
    """NUL, \\x01 … go; Word's manual line break (\\x0b) becomes a newline; the row is kept."""
    data = f"{H_HEAD}\nH1,颍上县,G1\x0005,K1+000,2022-06-01,2022-12-01,1,急弯\x0b陡坡\x01".encode()
    r = ih.import_hazards(conn, fuyang, ADMIN, "控制符.csv", data, now=NOW)
    assert (r.problems, r.inserted) == ([], 1)
    assert [(w.row, w.column, w.value, w.problem) for w in r.warnings] == [
        (2, "道路名称", "G105", "含有不可见的控制字符，已删除"),
        (2, "隐患描述", "急弯\n陡坡", "含有不可见的控制字符，已删除"),
    ]
    row = conn.execute("SELECT road_name, description FROM hazards").fetchone()
    assert row == ("G105", "急弯\n陡坡")


def test_a_future_accident_does_not_move_the_default_as_of_date(conn, fuyang) -> None:
    """Stored before the check existed (or written directly): the default stays today."""
    conn.execute(
        "INSERT INTO accidents (accident_id, occurred_at, unit_adcode, deaths, injuries,"
        " severity) VALUES ('F1', TIMESTAMP '2030-01-01 08:00', '341226', 0, 0, '财产损失事故')"
    )
    assert metrics.latest_date(conn) == date(2030, 1, 1)
    assert metrics.default_as_of(metrics.latest_date(conn), date(2022, 9, 20)) == date(2022, 9, 20)
    assert metrics.default_as_of(date(2022, 6, 1), date(2022, 9, 20)) == date(2022, 6, 1)
    assert metrics.default_as_of(None, date(2022, 9, 20)) == date(2022, 9, 20)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1.5", "死亡人数“1.5”须为整数"),
        ("-2", "死亡人数不能为负数"),
        ("1e3", "死亡人数“1e3”超过 500 人，请核对"),
        ("NaN", "死亡人数“NaN”不是有效的数字"),
        ("1e999", "死亡人数“1e999”不是有效的数字"),
        ("两人", "死亡人数“两人”不是数字"),
    ],
)
def test_counts(cell: str, message: str) -> None:
    with pytest.raises(values.ValueProblem) as e:
        values.count(cell, "死亡人数", 500)
    assert str(e.value) == message
    assert values.count("３", "死亡人数", 500) == 3  # full-width digits
    assert values.count(2.0, "死亡人数", 500) == 2


@pytest.mark.parametrize("cell", ["10000", "99999", "10000.0"])
def test_five_digit_text_outside_the_excel_serial_range_is_a_problem(cell: str) -> None:
    # It once recursed forever (the fuzz test found "10000" under a 排查日期 header).
    with pytest.raises(values.ValueProblem, match="无法识别的日期"):
        values.parse_date(cell)


def test_five_digit_text_inside_the_serial_range_is_that_day() -> None:
    assert values.parse_date("44715") == date(2022, 6, 3)  # Excel serial 44715 = 2022-06-03


@pytest.mark.parametrize("kind", ["hazards", "accidents", "roads"])
def test_every_record_with_an_implausible_value_is_a_suspect(kind) -> None:
    """plausible.suspects, a field at a time, finds every record problems() finds something in
    (on values of every type a check gives, at and beyond each bound), and not every record."""
    rnd = random.Random(kind)
    bounds = plausible.Bounds(date(2022, 9, 20))
    day = [None, date(1999, 12, 31), date(2000, 1, 1), date(2022, 9, 20), date(2022, 9, 21)]
    days = [*day, datetime(2022, 9, 21, 1), datetime(2000, 1, 1), date(2027, 9, 20)]
    numbers = [None, -1, 0, 0.5, -0.0, math.nan, math.inf, 12, 10_000_000, 10_000_001, 1e9, 2e9]
    fields = {
        **{f: days for f in ("found_date", "listed_date", "closed_date", "accepted_date")},
        "deadline": [*days, date(2027, 9, 21)],
        "occurred_at": days,
        **{f: numbers for f in ("start_m", "end_m", "stake_m", "funds_wan", "loss_yuan")},
    }
    records = [
        {f: rnd.choice(pool) if rnd.random() < 0.3 else pool[3] for f, pool in fields.items()}
        for _ in range(3000)
    ] + [None]
    found = plausible.suspects(kind, records, bounds)
    flagged = {i for i, r in enumerate(records) if r and plausible.problems(kind, r, bounds)}
    assert flagged <= found < set(range(len(records) - 1))
    assert flagged
