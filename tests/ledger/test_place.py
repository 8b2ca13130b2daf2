"""Placing a hazard (route + stakes or a point, when reporting and when correcting later) and
finding one (the search of 隐患详情)."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from analytics import access, geo
from analytics.accounts import auth
from analytics.city import boundaries
from analytics.ledger import hazard_list, place, workflow
from tests.conftest import app_as
from tests.pg_mode import store_conn
from ui.text import plain

NOW = datetime(2022, 12, 31, 9, 0)
ADMIN = auth.User("admin", "支队秩序科（演示）", "admin", None)
LEADER = auth.User("leader", "领导", "leader", None)
YINGSHANG = auth.User("yingshang", "颍上县大队", "county", "341226")
OWN, OTHER = "341226-YH-2022-001", "341202-YH-2022-001"  # 颍上县's, 颍州区's (demo)


# --- place.locate: what a form typed → the location columns ---------------------------------


def test_route_and_stake_range(fuyang) -> None:
    assert place.locate(fuyang, route_code=" g105 ", stakes="K12+800-K12+300") == {
        "route_code": "G105",
        "start_m": 12300,
        "end_m": 12800,
        "lon": None,
        "lat": None,
        "coord_source": None,
    }
    one = place.locate(fuyang, route_code="S305", stakes="50公里780米")
    assert (one["start_m"], one["end_m"]) == (50780, 50780)


def test_a_point_is_stored_in_wgs84_with_its_system(fuyang) -> None:
    gcj = geo.wgs84_to_gcj02(116.269516, 32.630374)
    out = place.locate(fuyang, lon=str(gcj[0]), lat=str(gcj[1]), system="高德")
    assert out["coord_source"] == "GCJ02"
    assert (out["lon"], out["lat"]) == pytest.approx((116.269516, 32.630374), abs=1e-6)
    bd = geo.wgs84_to_bd09(116.269516, 32.630374)
    out = place.locate(fuyang, lon=bd[0], lat=bd[1], system="BD09")
    assert out["coord_source"] == "BD09"
    assert (out["lon"], out["lat"]) == pytest.approx((116.269516, 32.630374), abs=1e-6)


def test_every_problem_at_once(fuyang) -> None:
    with pytest.raises(place.PlaceError) as e:
        place.locate(fuyang, route_code="105", stakes="K12+3x", lon="121.47", lat="31.23")
    assert e.value.problems == [
        "路线编码“105”格式不对：应为 G、S、X、Y、C、Z 加数字，如 G105、S202、X001",
        "桩号“K12+3x”无法识别，请按 K12+300 或 K12+300-K12+800 填写",
        "坐标（121.47000, 31.23000）不在阜阳市范围内，请核对经纬度及坐标系"
        "（高德、腾讯为 GCJ-02，百度为 BD-09）",
    ]
    with pytest.raises(place.PlaceError, match="填写桩号时须同时填写路线编码"):
        place.locate(fuyang, stakes="K1+000")
    with pytest.raises(place.PlaceError, match="经度和纬度须同时填写"):
        place.locate(fuyang, lon="116.2")
    with pytest.raises(place.PlaceError, match="须为数字"):
        place.locate(fuyang, lon="东经116", lat="32.6")
    assert place.locate(fuyang, route_code="国道105", stored_route="国道105")["route_code"] == (
        "国道105"
    )  # an imported spelling kept as it was
    with pytest.raises(place.PlaceError, match="请填写位置"):
        place.locate(fuyang, route_code="G105", required=True)
    assert place.locate(fuyang, required=False)["lon"] is None


def test_the_picker_grid_lies_inside_the_unit(fuyang) -> None:
    grid = place.pick_grid(fuyang, "341226")
    assert len(grid) > 1000
    features = boundaries(fuyang)["features"]
    assert {geo.locate_unit(p["lon"], p["lat"], features, key="unit_code") for p in grid[::97]} == {
        "341226"
    }
    assert place.pick_grid(fuyang, "999999") == []


# --- workflow.correct_basic ------------------------------------------------------------------


@pytest.fixture
def store(demo_store):  # ANN201
    return demo_store


def _correct(conn, user, hid, token=None, **fields):  # ANN202
    version = workflow.hazard(conn, hid)["version"]
    return workflow.correct_basic(
        conn, user, hid, version, fields=fields, reason="现场核实", now=NOW, token=token
    )


def test_a_correction_is_one_event_with_before_and_after(store) -> None:
    h = workflow.hazard(store, OWN)
    event = _correct(
        store,
        YINGSHANG,
        OWN,
        route_code="S305",
        start_m=50800,
        end_m=50900,
        township="南照镇",
        road_name="省道305线",
    )
    after = workflow.hazard(store, OWN)
    assert (after["start_m"], after["end_m"], after["road_name"]) == (50800, 50900, "省道305线")
    assert after["version"] == h["version"] + 1 and after["state"] == h["state"] == "已销号"
    row = store.execute(
        "SELECT actor, action, from_state, to_state, changes, note FROM hazard_events"
        " WHERE event_id = ?",
        [event],
    ).fetchone()
    assert row[:4] == ("颍上县大队·yingshang", "更正", "已销号", "已销号") and row[5] == "现场核实"
    assert json.loads(row[4]) == {
        "start_m": [50780, 50800],
        "end_m": [50902, 50900],
        "road_name": ["省道305线（阜阳—颍上）", "省道305线"],
    }


def test_nothing_changed_writes_nothing(store) -> None:
    before = workflow.hazard(store, OWN)
    assert _correct(store, ADMIN, OWN, route_code="S305", road_name=before["road_name"]) is None
    assert workflow.hazard(store, OWN)["version"] == before["version"]


def test_a_correction_is_checked(store) -> None:
    with pytest.raises(workflow.WorkflowError) as e:
        _correct(store, ADMIN, OWN, start_m=900, end_m=100, road_name=" ", lon=116.2, lat=None)
    assert e.value.problems == [
        "请填写道路名称",
        "止点桩号不能小于起点桩号",
        "经度和纬度须同时填写",
    ]
    with pytest.raises(ValueError, match="not basic fields"):
        _correct(store, ADMIN, OWN, deadline=date(2023, 1, 1))  # five elements: not here
    with pytest.raises(ValueError, match="not basic fields"):
        _correct(store, ADMIN, OWN, state="整改中")


def test_who_may_correct(store) -> None:
    with pytest.raises(access.PermissionDenied, match="无权对颍州区的隐患执行“更正隐患基本信息”"):
        _correct(store, YINGSHANG, OTHER, road_name="改")
    with pytest.raises(access.PermissionDenied, match="领导.*无权执行“更正隐患基本信息”"):
        _correct(store, LEADER, OWN, road_name="改")
    assert (
        workflow.hazard(store, OTHER)["version"] == 1
        and workflow.hazard(store, OWN)["version"] == 1
    )
    assert _correct(store, ADMIN, OTHER, road_name="改") is not None


def test_a_stale_or_repeated_correction_writes_once(store) -> None:
    _correct(store, ADMIN, OWN, token="t-1", township="甲镇")
    with pytest.raises(workflow.DuplicateSubmission):
        _correct(store, ADMIN, OWN, token="t-1", township="甲镇")
    with pytest.raises(
        workflow.ConflictError, match="已被支队秩序科（演示）·admin于2022-12-31 09:00修改"
    ):
        workflow.correct_basic(
            store, ADMIN, OWN, 1, fields={"township": "乙镇"}, reason="x", now=NOW
        )
    assert workflow.hazard(store, OWN)["township"] == "甲镇"


def test_report_keeps_the_location_and_refuses_a_bad_one(store) -> None:
    fields = {
        "road_name": "测试路",
        "hazard_type": "急弯陡坡",
        "description": "测试",
        "source": "日常排查",
        "route_code": "X061",
        "start_m": 300,
        "end_m": 800,
        "lon": 116.27,
        "lat": 32.62,
        "coord_source": "GCJ02",
    }
    hid = workflow.report(
        store,
        YINGSHANG,
        unit_adcode="341226",
        fields=fields,
        found_date=date(2022, 12, 30),
        now=NOW,
    )
    h = workflow.hazard(store, hid)
    assert [h[k] for k in place.LOCATION_FIELDS] == ["X061", 300, 800, 116.27, 32.62, "GCJ02"]
    with pytest.raises(workflow.WorkflowError, match="止点桩号不能小于起点桩号"):
        workflow.report(
            store,
            YINGSHANG,
            unit_adcode="341226",
            found_date=date(2022, 12, 30),
            now=NOW,
            fields=fields | {"start_m": 900},
        )
    plain_point = {k: v for k, v in fields.items() if k != "coord_source"}
    hid = workflow.report(
        store,
        YINGSHANG,
        unit_adcode="341226",
        fields=plain_point,
        found_date=date(2022, 12, 30),
        now=NOW,
    )
    assert workflow.hazard(store, hid)["coord_source"] == "WGS84"  # a point without its system


# --- finding a hazard ------------------------------------------------------------------------


def test_search_scoped_to_what_the_viewer_may_see(store) -> None:
    assert hazard_list.search(store, "济广 学校").hazard_id.tolist() == [
        "341226-YH-2022-025",
        "341226-YH-2022-017",
    ]
    assert hazard_list.search(store, "文化路 学校", ADMIN).hazard_id.tolist() == [
        "341203-YH-2022-004"
    ]
    assert hazard_list.search(store, "文化路 学校", YINGSHANG).empty
    assert hazard_list.search(store, "341226-yh-2022-00", YINGSHANG).hazard_id.tolist() == [
        f"341226-YH-2022-00{i}" for i in (9, 8, 6, 4, 3, 2, 7, 5, 1)
    ]
    assert hazard_list.search(store, "100%_ ").empty and hazard_list.search(store, "  ").empty


# --- the pages -------------------------------------------------------------------------------


def _db(path):  # ANN202
    return store_conn(path)


def _fill(at, **typed) -> None:
    labels = {
        "road": "道路名称",
        "route": "路线编码",
        "stakes": "桩号或桩号范围",
        "lon": "经度",
        "lat": "纬度",
    }
    for name, value in typed.items():
        next(w for w in at.text_input if w.label == labels[name]).set_value(value)
    next(w for w in at.text_area if w.label == "隐患描述").set_value("弯道无警告标志")


def _newest(path) -> tuple:
    conn = _db(path)
    try:
        return conn.execute(
            "SELECT route_code, start_m, end_m, lon, lat, coord_source FROM hazards"
            " ORDER BY created_at DESC, hazard_id DESC LIMIT 1"
        ).fetchone()
    finally:
        conn.close()


def test_the_report_form_takes_a_stake_range(demo_env) -> None:
    at = app_as("yingshang").run()
    at.switch_page("pages/tasks.py").run()
    assert not at.get("deck_gl_json_chart")  # the unit's picking grid is sent only on request
    at.toggle(key="report_map").set_value(True).run()
    assert at.get("deck_gl_json_chart")  # the map to pick on
    _fill(at, road="县道061线", route="x061", stakes="K0+300-K0+800")
    next(b for b in at.button if b.label == "上报").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _newest(demo_env) == ("X061", 300, 800, None, None, None)


def test_the_report_form_takes_a_typed_point_in_its_system(demo_env) -> None:
    at = app_as("yingshang").run()
    at.switch_page("pages/tasks.py").run()
    bd = geo.wgs84_to_bd09(116.269516, 32.630374)
    _fill(at, road="南照路", lon=f"{bd[0]:.7f}", lat=f"{bd[1]:.7f}")
    next(w for w in at.selectbox if w.label == "坐标系").set_value("BD09")
    next(b for b in at.button if b.label == "上报").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    row = _newest(demo_env)
    assert row[5] == "BD09" and row[3:5] == pytest.approx((116.269516, 32.630374), abs=2e-6)


def test_the_report_form_refuses_no_place_and_a_bad_one(demo_env) -> None:
    at = app_as("yingshang").run()
    at.switch_page("pages/tasks.py").run()
    _fill(at, road="南照路")
    next(b for b in at.button if b.label == "上报").click().run()
    assert [e.value for e in at.error] == [
        "无法上报：请填写位置：路线编码和桩号，或坐标（可在地图上选点）"
    ]
    _fill(at, route="G105", stakes="K887+x")
    next(b for b in at.button if b.label == "上报").click().run()
    assert plain("桩号“K887+x”无法识别") in at.error[0].value
    assert not at.success


def _search(at, text: str) -> list[str]:
    next(w for w in at.text_input if w.label == "查找隐患").set_value(text).run()
    assert not at.exception
    return at.dataframe[0].value["隐患编号"].tolist() if at.dataframe else []


def test_the_hazard_page_from_the_menu_searches_first(demo_env) -> None:
    at = app_as("admin").run()
    at.switch_page("pages/hazard.py").run()
    assert not at.exception
    assert _search(at, "济广 学校") == ["341226-YH-2022-025", "341226-YH-2022-017"]
    assert _search(at, "文化路 学校") == ["341203-YH-2022-004"]
    assert _search(at, "没有这条路") == []
    assert at.info[0].value == "没有找到与“没有这条路”相符的隐患。"


def test_a_brigade_finds_only_its_own_hazards(demo_env) -> None:
    at = app_as("yingshang").run()
    at.switch_page("pages/hazard.py").run()
    assert _search(at, "学校") == ["341226-YH-2022-025", "341226-YH-2022-017"]
    assert _search(at, "文化路 学校") == []
    assert "区县大队账号只能查找本单位的隐患" in at.info[0].value


def _hazard_page(username: str, hid: str):
    at = app_as(username, id=hid).run()
    at.switch_page("pages/hazard.py").run()
    assert not at.exception
    return at


def test_correcting_the_place_on_the_hazard_page(demo_env) -> None:
    at = _hazard_page("yingshang", OWN)
    assert any(t.label == "更正基本信息" for t in at.tabs)
    assert next(w for w in at.text_input if w.label == "桩号或桩号范围").value == (
        "K50+780—K50+902"
    )
    next(w for w in at.text_input if w.label == "桩号或桩号范围").set_value("K50+800-K50+900")
    next(w for w in at.text_input if w.label == "更正原因").set_value("桩号录入有误")
    at.button(key="submit_edit_basic").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    conn = _db(demo_env)
    try:
        h = conn.execute(
            "SELECT start_m, end_m, lon, coord_source, version FROM hazards WHERE hazard_id = ?",
            [OWN],
        ).fetchone()
        changes = conn.execute(
            "SELECT changes FROM hazard_events WHERE hazard_id = ? AND action = '更正'", [OWN]
        ).fetchone()[0]
    finally:
        conn.close()
    assert h == (50800, 50900, 116.269516, "WGS84", 2)  # the untouched point kept as it was
    assert json.loads(changes) == {"start_m": [50780, 50800], "end_m": [50902, 50900]}
    assert any("起点桩号：50780 → 50800" in c.value for c in at.caption)


def test_a_leader_may_not_correct(demo_env) -> None:
    at = _hazard_page("leader", OWN)
    assert not any(t.label == "更正基本信息" for t in at.tabs)
    assert not [b for b in at.button if b.key == "submit_edit_basic"]
