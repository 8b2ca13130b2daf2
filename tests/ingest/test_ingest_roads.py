"""Importing road segments: stakes, paths, units, routes."""

from __future__ import annotations

from datetime import datetime

import pytest

from analytics import geo
from analytics.accounts import auth
from analytics.ingest import roads
from analytics.store import db

NOW = datetime(2022, 9, 20, 9, 0)
ADMIN = auth.User("admin", "支队秩序科", "admin", None)


@pytest.fixture
def conn(tmp_path, fuyang):
    c = db.open_store(tmp_path / "r.duckdb", fuyang)
    yield c
    c.close()


def test_segments_with_paths(conn, fuyang) -> None:
    data = (
        "路段编号,路线编码,路线名称,技术等级,起止桩号,所属区县,路径,坐标系\n"
        "R1,X901,县道901线,县道,K0+000-K2+500,,115.80 32.88;115.82 32.89,WGS84\n"
        'R2,X901,县道901线,县道,K2+500-K5+000,颍州,"115.82,32.89;115.84,32.90",\n'
    ).encode("gb18030")
    r = roads.import_roads(conn, fuyang, ADMIN, "路段.csv", data, now=NOW)
    assert (r.inserted, r.problems) == (2, [])
    rows = conn.execute(
        "SELECT segment_id, route_code, start_m, end_m, unit_adcode, path FROM road_segments"
        " ORDER BY segment_id"
    ).fetchall()
    assert rows == [
        ("R1", "X901", 0, 2500, "341202", [[115.8, 32.88], [115.82, 32.89]]),  # unit from the path
        ("R2", "X901", 2500, 5000, "341202", [[115.82, 32.89], [115.84, 32.9]]),
    ]
    assert conn.execute(
        "SELECT route_code, name, road_class, start_m, end_m FROM routes"
    ).fetchall() == [("X901", "县道901线", "县道", 0, 5000)]
    assert geo.format_stake(rows[1][3]) == "K5+000"
    assert conn.execute(
        "SELECT count(*) FROM road_segments WHERE import_id IS NULL"
    ).fetchone() == (0,)


def test_bad_segments_are_reported(conn, fuyang) -> None:
    data = (
        "路段编号,路线编码,起点桩号,止点桩号,所属区县,路径\n"
        "R3,X902,K3+000,K1+000,颍州区,115.80 32.88;115.82 32.89\n"
        "R4,X902,K1+000,K2+000,颍州区,115.80 32.88\n"
        "R5,,K1+000,K2+000,颍州区,115.80 32.88;115.82 32.89\n"
    ).encode()
    r = roads.import_roads(conn, fuyang, ADMIN, "路段.csv", data, now=NOW)
    assert [(p.row, p.column, p.problem) for p in r.problems] == [
        (2, "止点桩号", "止点桩号小于起点桩号"),
        (3, "路径", "路径须为至少两个“经度,纬度”点，用分号分隔"),
        (4, "路线编码", "缺少路线编码"),
    ]
    assert conn.execute("SELECT count(*) FROM road_segments").fetchone() == (0,)


def test_roads_have_no_date_columns_and_an_unreadable_stake_is_one_problem(fuyang) -> None:
    """A segment carries no dates (nothing to report twice there); its stakes, when unreadable,
    are one problem for their cell, not 缺少 as well."""
    from analytics.city import boundaries
    from analytics.ingest import headers

    assert not [f for f in headers.ROAD_HEADERS if "date" in f or "time" in f]
    given = {
        "segment_id": "R9",
        "route_code": "X901",
        "stakes": "K1+abc-K2+000",
        "unit": "颍州区",
        "path": "115.80 32.88;115.82 32.89",
    }
    names = {
        "segment_id": "路段编号",
        "route_code": "路线编码",
        "stakes": "起止桩号",
        "unit": "所属区县",
        "path": "路径",
    }
    features = boundaries(fuyang)["features"]
    rec, problems, _warnings = roads._record(fuyang, ADMIN, features, given, names, 2)
    assert [(p.row, p.column, p.value, p.problem) for p in [*problems, *rec["_if_new"]]] == [
        (2, "起止桩号", "K1+abc-K2+000", "缺少或无法识别起止桩号")
    ]
