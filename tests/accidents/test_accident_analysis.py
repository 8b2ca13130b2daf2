"""事故分析 on a hand-made set of accidents: every figure below is counted by hand."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd
import pytest

from analytics import inert
from analytics.accidents import analysis as aa
from analytics.accounts import auth
from analytics.ledger.periods import Period
from analytics.store import db

D = date(2022, 3, 31)  # as of; period "month" = 2022-03-01 … 2022-03-31, year ago 2021-03-01 … 31
# id, time, unit, route, stake, deaths, injuries, loss, 事故形态, weather, severity, procedure
ACC = [
    (
        "b1",
        "2022-03-01 00:00",
        "990101",
        "G1",
        1000,
        0,
        0,
        2000,
        "尾随相撞",
        "晴",
        "财产损失事故",
        "简易程序",
    ),  # first day
    (
        "b2",
        "2022-03-15 08:30",
        "990101",
        "G1",
        1500,
        1,
        2,
        10000,
        "正面相撞",
        "雨",
        "死亡事故",
        "一般程序",
    ),
    (
        "b3",
        "2022-03-31 23:59",
        "990102",
        "S2",
        200,
        0,
        1,
        3000,
        "尾随相撞",
        "晴",
        "伤人事故",
        "一般程序",
    ),  # last minute
    (
        "b4",
        "2022-02-28 23:59",
        "990101",
        "G1",
        1000,
        0,
        0,
        1000,
        "侧面相撞",
        "晴",
        "财产损失事故",
        "简易程序",
    ),  # before
    (
        "b5",
        "2022-04-01 00:00",
        "990101",
        "G1",
        1000,
        0,
        0,
        1000,
        "侧面相撞",
        "晴",
        "财产损失事故",
        "简易程序",
    ),  # after D
    (
        "b6",
        "2021-03-10 10:00",
        "990101",
        "G1",
        900,
        0,
        0,
        5000,
        "尾随相撞",
        "阴",
        "财产损失事故",
        "简易程序",
    ),
    (
        "b7",
        "2021-03-31 12:00",
        "990102",
        "S2",
        300,
        2,
        0,
        4000,
        "对向刮擦",
        "雾",
        "死亡事故",
        "一般程序",
    ),
    (
        "b8",
        "2021-04-01 00:00",
        "990102",
        "S2",
        300,
        0,
        0,
        100,
        "其他",
        "晴",
        "财产损失事故",
        "简易程序",
    ),
    (
        "b9",
        "2022-03-20 18:10",
        None,
        None,
        None,
        0,
        0,
        500,
        "撞行人",
        "晴",
        "财产损失事故",
        "简易程序",
    ),
]
COUNTY = auth.User("xi", "西区大队", "county", "990102")


@pytest.fixture
def acc(tmp_path, tiny_city):
    c = db.open_store(tmp_path / "a.duckdb", tiny_city)
    c.execute(
        "INSERT INTO routes (route_code, name, road_class) VALUES ('G1', '测试国道1线', '国道')"
    )
    for row in ACC:
        c.execute(
            "INSERT INTO accidents (accident_id, occurred_at, unit_adcode, route_code, stake_m,"
            " deaths, injuries, loss_yuan, collision_type, weather, severity, procedure,"
            " road_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [*row, "某省道" if row[3] == "S2" else None],
        )
    return c


def test_totals_in_the_period_and_a_year_earlier(acc) -> None:
    s = aa.summary(acc, Period.ending(D, "month"))
    assert s.window == (date(2022, 3, 1), D)
    assert s.year_ago_window == (date(2021, 3, 1), date(2021, 3, 31))
    # b1, b2, b3, b9 (b4 the day before, b5 the day after)
    assert s.now == {"accidents": 4, "fatal": 1, "deaths": 1, "injuries": 3, "loss_wan": 1.55}
    # b6, b7 (b8 on 1 April)
    assert s.year_ago == {"accidents": 2, "fatal": 1, "deaths": 2, "injuries": 0, "loss_wan": 0.9}
    assert s.yoy("accidents") == 1.0
    assert s.yoy("deaths") == -0.5


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        ({"unit": "990101"}, {"b1", "b2"}),
        ({"route": "S2"}, {"b3"}),
        ({"severity": "死亡事故"}, {"b2"}),
        ({"collision_type": "尾随相撞"}, {"b1", "b3"}),
        ({"weather": "雨"}, {"b2"}),
        ({"procedure": "一般程序"}, {"b2", "b3"}),
        ({"procedure": "一般程序", "unit": "990102"}, {"b3"}),
        ({"severity": ""}, {"b1", "b2", "b3", "b9"}),  # an empty choice means all
    ],
)
def test_each_filter(acc, filters, ids) -> None:
    rows = aa.accidents(acc, date(2022, 3, 1), D, **filters)
    assert set(rows.accident_id) == ids
    assert aa.totals(acc, date(2022, 3, 1), D, **filters)["accidents"] == len(ids)


def test_a_county_user_sees_only_its_unit(acc) -> None:
    assert aa.summary(acc, Period.ending(D, "month"), viewer=COUNTY).now["accidents"] == 1  # b3
    assert set(aa.accidents(acc, date(2021, 1, 1), D, viewer=COUNTY).accident_id) == {
        "b3",
        "b7",
        "b8",
    }
    b = aa.breakdown(acc, date(2022, 3, 1), D, viewer=COUNTY)
    assert b["unit"].unit_adcode.tolist() == ["990102"]
    assert [r for r, _ in aa.options(acc, viewer=COUNTY)["routes"]] == ["S2"]
    with pytest.raises(auth.PermissionDenied):
        aa.summary(acc, Period.ending(D, "month"), viewer=COUNTY, unit="990101")
    with pytest.raises(ValueError, match="unknown accident filters"):
        aa.totals(acc, D, D, colour="red")


def test_by_month_with_the_same_month_a_year_earlier(acc) -> None:
    m = aa.by_month(acc, D)
    assert m.label.tolist()[0] == "2021-04" and m.label.tolist()[-1] == "2022-03"
    last, feb = m.iloc[-1], m.iloc[-2]
    assert (last.partial, last.accidents, last.accidents_last_year, last.yoy) == (False, 4, 2, 1.0)
    assert (last.deaths, last.deaths_last_year) == (1, 2)
    assert (feb.accidents, feb.accidents_last_year) == (1, 0) and pd.isna(feb.yoy)  # no base
    assert m.iloc[0].accidents == 1  # b8 on 1 April 2021
    assert m.accidents.sum() == 6 and m.accidents_last_year.sum() == 2


def test_a_running_month_is_compared_with_the_same_days(acc) -> None:
    m = aa.by_month(acc, date(2022, 3, 15))
    last = m.iloc[-1]
    # 1–15 March 2022: b1, b2 (08:30 on the 15th); 1–15 March 2021: b6 only (b7 on the 31st)
    assert (last.partial, last.accidents, last.accidents_last_year, last.yoy) == (True, 2, 1, 1.0)


def test_by_year_compares_the_running_year_with_the_same_part(acc) -> None:
    y = aa.by_year(acc, D)
    assert y.year.tolist() == [2021, 2022]
    assert y.iloc[0].accidents == 3 and pd.isna(y.iloc[0].yoy)  # b6, b7, b8; no year before
    # 2022 up to 31 March: b1, b2, b3, b4, b9; 2021 up to 31 March: b6, b7
    r = y.iloc[1]
    assert (r.partial, r.accidents, r.base, r.yoy) == (True, 5, 2, 1.5)
    assert (r.deaths, r.base_deaths) == (1, 2)
    assert aa.by_year(acc, D, unit="990171").empty


def test_breakdowns(acc) -> None:
    b = aa.breakdown(acc, date(2022, 3, 1), D)
    heat = b["heat"]
    assert len(heat) == 168 and heat.accidents.sum() == 4
    cells = {(int(r.weekday), int(r.hour)) for r in heat.itertuples() if r.accidents}
    assert cells == {(2, 0), (2, 8), (4, 23), (7, 18)}  # Tue 00h, Tue 08h, Thu 23h, Sun 18h
    assert heat[(heat.weekday == 2) & (heat.hour == 8)].deaths.iloc[0] == 1
    # most first; a tie follows the order of the accident extract's list
    assert b["collision"].collision_type.tolist() == ["尾随相撞", "正面相撞", "撞行人"]
    assert b["collision"].accidents.tolist() == [2, 1, 1]
    route = b["route"]
    assert route.route_code.tolist() == ["G1", "", "S2"]
    assert route.road_name.tolist() == ["测试国道1线", "", "某省道"]
    assert route.deaths.tolist() == [1, 0, 0] and route.loss_yuan.tolist() == [12000, 500, 3000]
    unit = b["unit"]
    assert unit.unit_name.tolist() == ["东区", "西区", "未归属单位"]
    assert unit.accidents.tolist() == [2, 1, 1] and unit.injuries.tolist() == [2, 1, 0]


def test_the_list_is_newest_first_and_bounded(acc) -> None:
    rows = aa.accidents(acc, date(2022, 3, 1), D, limit=2)
    assert rows.accident_id.tolist() == ["b3", "b9"]
    t = aa.export_table(aa.accidents(acc, date(2022, 3, 1), D))
    assert t.columns[:3].tolist() == ["事故编号", "事故时间", "所属区县"]
    b2 = t[t.事故编号 == "b2"].iloc[0]
    assert (b2.事故时间, b2.所属区县, b2.桩号, b2.死亡人数) == (
        "2022-03-15 08:30",
        "东区",
        "K1+500",
        1,
    )
    assert pd.isna(t[t.事故编号 == "b9"].桩号.iloc[0])


def test_workbook_has_every_sheet_and_keeps_formula_text(acc) -> None:
    t = aa.export_table(aa.accidents(acc, date(2022, 3, 1), D))
    t.loc[0, "道路名称"] = "=HYPERLINK(1)"
    book = openpyxl.load_workbook(
        io.BytesIO(inert.workbook({"事故明细": t, "多发点段": t.head(1)}))
    )
    assert book.sheetnames == ["事故明细", "多发点段"]
    sheet = book["事故明细"]
    assert sheet.max_row == 5 and sheet["A1"].value == "事故编号"
    assert sheet["D2"].value == "'=HYPERLINK(1)" and sheet["D2"].data_type == "s"


def test_options(acc) -> None:
    o = aa.options(acc)
    assert o["routes"] == [("G1", "测试国道1线"), ("S2", "某省道")]  # G1 has more accidents
    assert o["weather"] == ["晴", "阴", "雨", "雾"]
