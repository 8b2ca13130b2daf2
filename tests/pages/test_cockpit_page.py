"""The cockpit and the big screen through AppTest: figures, periods, drill-down."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from analytics.ledger import metrics
from analytics.store import db
from tests.conftest import app_as

STORY = date(2022, 9, 15)


@pytest.fixture(scope="module")
def story_report(demo_db_path) -> dict:
    """The CLI's figures for the story date (read from the pristine fixture file)."""
    conn = db.open_for_reading(demo_db_path)
    out = metrics.report(conn, STORY, 15)
    conn.close()
    return out


def _cockpit(**query: str) -> AppTest:
    at = app_as("admin", **query)
    at.run()
    at.switch_page("pages/cockpit.py").run()
    return at


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def test_cockpit_matches_the_command_line(demo_env, story_report) -> None:
    at = _cockpit()
    at.date_input(key="as_of").set_value(STORY).run()
    assert not at.exception and not at.error
    m = _metrics(at)
    t = story_report["total"]
    assert m["入单隐患"][0] == "172 处" == f"{t['listed']} 处"
    assert m["已销号"][0] == "85 处" == f"{t['closed']} 处"
    assert m["整改率"][0] == "49.4%"
    assert m["逾期"][0] == f"{t['overdue']} 处"
    assert m["按期整改率"][0] == f"{t['on_time_rate'] * 100:.1f}%"
    # the ranking chart follows the ranking of the command line
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    ranked = sorted((g for g in story_report["groups"] if g["rank"]), key=lambda g: g["rank"])
    assert spec["data"][0]["y"][::-1] == [g["unit_name"] for g in ranked]
    assert "各单位整改率排名（截至 2022-09-15）" in spec["layout"]["title"]["text"]


def test_changes_are_against_the_previous_period(demo_env, demo_db_path) -> None:
    at = _cockpit()
    at.date_input(key="as_of").set_value(STORY).run()
    at.selectbox(key="period").set_value("week").run()
    assert "近一周（2022-09-09 至 2022-09-15）" in at.caption[0].value
    conn = db.open_for_reading(demo_db_path)
    before = metrics.total(conn, date(2022, 9, 8), 15)
    conn.close()
    closed_value, closed_delta = _metrics(at)["已销号"]
    assert closed_delta == f"较上期 +{85 - before['closed']} 处"


def test_drill_down_into_a_unit(demo_env, story_report) -> None:
    at = _cockpit(unit="341226")
    at.date_input(key="as_of").set_value(STORY).run()
    assert not at.exception and not at.error
    assert at.title[0].value == "领导驾驶舱 · 颍上县"
    g = next(g for g in story_report["groups"] if g["unit_code"] == "341226")
    assert _metrics(at)["入单隐患"][0] == f"{g['listed']} 处"
    assert f"全市排名：第 {g['rank']} 名" in at.info[0].value
    names = [d.value.columns[0] for d in at.dataframe]
    assert "办理情况" in names  # the unit's hazard list
    at.button(key="back_to_city").click().run()
    assert at.title[0].value == "领导驾驶舱"
    assert "unit" not in at.query_params


def test_unknown_unit_in_the_url_shows_the_city(demo_env) -> None:
    at = _cockpit(unit="999999")
    assert not at.exception
    assert at.title[0].value == "领导驾驶舱"


def test_big_screen(demo_env) -> None:
    at = app_as("leader").run()
    at.switch_page("pages/big_screen.py").run()
    assert not at.exception and not at.error
    m = {x.label: x.value for x in at.metric}
    assert m["入单隐患"] == "225 处"  # latest date in the data: 2022-12-31
    assert "指挥中心" in at.title[0].value
    assert "【演示数据】" in at.caption[0].value
    assert len(at.get("plotly_chart")) == 2
    assert len(at.get("deck_gl_json_chart")) == 1


def test_big_screen_as_of_from_the_url(demo_env) -> None:
    at = app_as("leader", as_of="2022-09-15")
    at.run()
    at.switch_page("pages/big_screen.py").run()
    assert {x.label: x.value for x in at.metric}["入单隐患"] == "172 处"


def test_the_map_fetches_nothing(demo_env) -> None:
    at = _cockpit()
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert deck.get("mapStyle") in (None, "__MAP_STYLE__")
    assert "mapProvider" not in deck or deck["mapProvider"] in (None, "")
    layer = deck["layers"][0]
    assert layer["@@type"] == "GeoJsonLayer"
    assert len(layer["data"]["features"]) == 8


def test_a_brigade_sees_other_units_in_aggregate_only(demo_env) -> None:
    at = app_as("yingshang", unit="341202").run()
    at.switch_page("pages/cockpit.py").run()
    assert not at.exception
    assert at.title[0].value == "领导驾驶舱 · 颍州区"
    assert any("只能查看其他单位的汇总数字" in i.value for i in at.info)
    # no list of rows under another unit's title: not its own, not the viewer's
    assert any("颍州区的逾期隐患明细仅对该单位和支队开放" in i.value for i in at.info)
    assert not [d.value for d in at.dataframe if "隐患编号" in d.value.columns]


def test_a_brigade_on_the_city_view_lists_its_own_overdue_under_its_own_name(demo_env) -> None:
    at = app_as("yingshang").run()
    at.switch_page("pages/cockpit.py").run()
    assert not at.exception
    assert "本单位（颍上县）逾期隐患（逾期最久者在前）" in [s.value for s in at.subheader]
    overdue_tables = [d.value for d in at.dataframe if "逾期天数" in d.value.columns]
    assert overdue_tables
    assert all(set(t["单位"]) == {"颍上县"} for t in overdue_tables)
