"""Importing accident extracts: police columns, times, places, casualties, problems."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from analytics.__main__ import main
from analytics.accounts import auth
from analytics.ingest import accidents as ia
from analytics.store import db

NOW = datetime(2022, 9, 20, 9, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)
# a police extract: 路号 + 公里数 + 米数, date and time apart, one row by coordinates only
ROWS = [
    "事故编号,事故日期,时间,行政区划,道路名称,路号,公里数,米数,经度,纬度,死亡人数,受伤人数,直接财产损失(元),事故形态,处理程序",
    "A001,2022-06-03,14:30,颍上县,国道105线,G105,871,500,,,1,2,32000,正面相撞,一般程序",
    "A002,2022/6/4,8:05,颍上,国道105线,G105,872,0,,,0,0,1800,追尾相撞,简易程序",
    "A003,2022年6月5日,22:10,,城区人民路,,,,115.80,32.88,0,1,5000,撞行人,一般程序",
]


def _csv(*extra: str) -> bytes:
    return "\n".join([*ROWS, *extra]).encode("gb18030")


@pytest.fixture
def conn(tmp_path, fuyang):
    c = db.open_store(tmp_path / "a.duckdb", fuyang)
    yield c
    c.close()


def test_a_police_extract(conn, fuyang) -> None:
    r = ia.import_accidents(conn, fuyang, ADMIN, "事故.csv", _csv(), now=NOW)
    assert (r.rows, r.inserted, r.problems) == (3, 3, [])
    rows = conn.execute(
        "SELECT accident_id, occurred_at, unit_adcode, route_code, stake_m, deaths, injuries,"
        " severity, procedure FROM accidents ORDER BY accident_id"
    ).fetchall()
    assert rows == [
        (
            "A001",
            datetime(2022, 6, 3, 14, 30),
            "341226",
            "G105",
            871500,
            1,
            2,
            "死亡事故",
            "一般程序",
        ),
        (
            "A002",
            datetime(2022, 6, 4, 8, 5),
            "341226",
            "G105",
            872000,
            0,
            0,
            "财产损失事故",
            "简易程序",
        ),
        # no unit given: found from its coordinates
        ("A003", datetime(2022, 6, 5, 22, 10), "341202", None, None, 0, 1, "伤人事故", "一般程序"),
    ]


def test_rows_without_a_date_or_a_place_are_reported(conn, fuyang) -> None:
    data = _csv(
        "A004,,,颍上县,国道105线,G105,873,0,,,0,0,100,,简易程序",  # no date
        "A005,2022-06-06,9:00,颍上县,乡道,,,,0,0,0,0,100,,简易程序",  # (0, 0) is no place
        "A006,2022-06-07,25:00,颍上县,国道105线,G105,873,0,,,0,0,100,,简易程序",  # no such hour
        "A007,2022-06-07,9:00,颍上县,国道105线,G105,873,0,,,1,0,100,,简易程序",  # death, 简易
    )
    r = ia.import_accidents(conn, fuyang, ADMIN, "事故.csv", data, now=NOW)
    assert [(p.row, p.column, p.problem) for p in r.problems] == [
        (5, "事故日期", "缺少事故时间"),
        (6, "经度", "没有可用的位置：请填写路线编码和桩号（或公里数、米数），或经纬度"),
        (7, "事故日期", "时间“25:00”不存在"),
        (8, "处理程序", "死亡事故不能适用简易程序"),
    ]
    assert (r.written, conn.execute("SELECT count(*) FROM accidents").fetchone()) == (False, (0,))


def test_an_absurd_kilometre_is_a_problem_not_a_traceback(conn, fuyang) -> None:
    """Found by the fuzz test: 公里数 1e308 made the stake infinite (OverflowError)."""
    data = _csv("A008,2022-06-07,9:00,颍上县,国道105线,G105,1e308,0,,,0,0,100,,简易程序")
    r = ia.import_accidents(conn, fuyang, ADMIN, "事故.csv", data, now=NOW)
    assert [(p.row, p.column, p.value, p.problem) for p in r.problems] == [
        (5, "公里数", "1e308", "无法识别的公里数/米数")
    ]
    assert r.written is False


def test_the_command_line_imports_accidents(tmp_path, capsys) -> None:
    f = tmp_path / "事故.csv"
    f.write_bytes(_csv())
    assert main(["import", "accidents", str(f), "--db", str(tmp_path / "x.duckdb"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["kind"], out["inserted"], out["rejected"]) == ("accidents", 3, 0)


def test_the_nyc_file_through_a_mapping(tmp_path, capsys) -> None:
    """A real file from another system (NYC Open Data, ZIP 11234), its columns mapped once:
    rows without usable coordinates are reported, the rest imported (--accept-valid)."""
    import pandas as pd

    from tests.conftest import FIXTURES, ROOT
    from tests.pg_mode import store_conn

    source = ROOT.parent / "shared" / "data" / "real" / "nyc-collisions-11234"
    path = source / "Motor_Vehicle_Collisions_-_Crashes_zip11234.csv"
    if not path.exists():
        pytest.skip(f"the shared data folder is not beside the project: {path}")
    raw = pd.read_csv(path, dtype=str)
    lat = pd.to_numeric(raw.LATITUDE, errors="coerce")
    lon = pd.to_numeric(raw.LONGITUDE, errors="coerce")
    no_place = lat.isna() | lon.isna() | ((lat == 0) & (lon == 0))
    outside = ~no_place & ~(lat.between(40.57, 40.66) & lon.between(-73.96, -73.86))
    rejected = int((no_place | outside).sum())  # 390 without coordinates, 3 outside the unit
    db_path = tmp_path / "nyc.duckdb"
    args = [
        "import",
        "accidents",
        str(path),
        "--db",
        str(db_path),
        "--city",
        str(FIXTURES / "nyc" / "city.toml"),
        "--mapping",
        str(FIXTURES / "nyc" / "mapping.json"),
        "--json",
    ]
    assert main(args) == 1  # strict: rows were rejected, nothing written
    out = json.loads(capsys.readouterr().out)
    assert (out["rows"], out["rejected"], out["inserted"]) == (15753, rejected, 0)
    place_rows = {p["row"] for p in out["problems"] if p["problem"].startswith("没有可用的位置")}
    assert place_rows == {int(i) + 2 for i in raw.index[no_place]}  # Excel rows: header is row 1
    assert main([*args, "--accept-valid"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["inserted"] == 15753 - rejected
    conn = store_conn(db_path)
    killed = conn.execute(
        "SELECT sum(deaths), count(*) FILTER (severity = '死亡事故') FROM accidents"
    )
    expected = pd.to_numeric(raw["NUMBER OF PERSONS KILLED"], errors="coerce").fillna(0)
    kept = ~(no_place | outside)
    assert killed.fetchone() == (int(expected[kept].sum()), int((expected[kept] > 0).sum()))
    conn.close()


def _record_problems(fuyang, given: dict, names: dict) -> list[tuple]:
    """Every problem one row's record carries: its own and those that refuse it only when new."""
    from analytics.city import boundaries

    features = boundaries(fuyang)["features"]
    rec, problems, _warnings = ia._record(fuyang, ADMIN, features, given, names, 2)
    return [(p.row, p.column, p.value, p.problem) for p in [*problems, *rec["_if_new"]]]


PLACE = {"unit": "颍上县", "lon": "115.8", "lat": "32.88"}
PLACE_NAMES = {"unit": "所属区县", "lon": "经度", "lat": "纬度"}


@pytest.mark.parametrize(
    ("given", "names", "expected"),
    [
        (
            {"occurred_at": "2022-02-30 14:30"},
            {"occurred_at": "事故时间"},
            ("事故时间", "2022-02-30 14:30", "日期“2022-02-30”不存在"),
        ),
        (
            {"occurred_at": "2022-02-30"},
            {"occurred_at": "事故时间"},
            ("事故时间", "2022-02-30", "日期“2022-02-30”不存在"),
        ),
        (
            {"occurred_date": "2022年2月30日", "occurred_time": "14:30"},
            {"occurred_date": "事故日期", "occurred_time": "时间"},
            ("事故日期", "2022年2月30日", "日期“2022年2月30日”不存在"),
        ),
        (
            {"occurred_date": "2022-06-03", "occurred_time": "25:00"},
            {"occurred_date": "事故日期", "occurred_time": "时间"},
            ("事故日期", "2022-06-03", "时间“25:00”不存在"),
        ),
    ],
)
def test_a_date_or_time_that_does_not_exist_is_one_problem(fuyang, given, names, expected) -> None:
    """One problem per cell, the precise one: never 缺少事故时间 as well."""
    given = {"accident_id": "D1", **PLACE, **given}
    names = {"accident_id": "事故编号", **PLACE_NAMES, **names}
    assert _record_problems(fuyang, given, names) == [(2, *expected)]


def test_an_unreadable_coordinate_is_one_problem(fuyang) -> None:
    """经度 that is not a number: reported so, not as 没有可用的位置 for the same cell as well."""
    given = {
        "accident_id": "D2",
        "occurred_at": "2022-06-03 14:30",
        "unit": "颍上县",
        "lon": "东经115.8",
        "lat": "32.88",
    }
    names = {"accident_id": "事故编号", "occurred_at": "事故时间", **PLACE_NAMES}
    assert _record_problems(fuyang, given, names) == [
        (2, "经度", "东经115.8", "经度“东经115.8”不是数字")
    ]
