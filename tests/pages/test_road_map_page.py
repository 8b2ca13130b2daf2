"""道路地图 through AppTest: the layers, the grid against the database, detail levels, roles."""

from __future__ import annotations

import json
from datetime import date

from streamlit.testing.v1 import AppTest

from analytics.accidents import sites as hotspots
from analytics.store import db
from tests.conftest import app_as


def _map(username: str = "admin") -> AppTest:
    at = app_as(username)
    at.run()
    at.switch_page("pages/road_map.py").run()
    assert not at.exception and not at.error
    return at


def _deck(at: AppTest) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def _layers(at: AppTest) -> dict[str, dict]:
    return {layer["id"]: layer for layer in _deck(at)["layers"]}


def test_city_view_draws_every_layer(demo_env, demo_db_path) -> None:
    at = _map()
    assert at.title[0].value == "道路地图"
    at.selectbox(key="period").set_value("year").run()
    layers = _layers(at)
    assert list(layers) == [
        "units",
        "accident_grid",
        "segments",
        "sites_stake",
        "sites_coords",
        "hazards",
        "unit_names",
    ]
    conn = db.open_for_reading(demo_db_path)
    accidents = conn.execute(
        "SELECT count(*) FROM accidents WHERE occurred_at >= '2022-01-01'"
        " AND occurred_at < '2023-01-01'"
    ).fetchone()[0]
    segments = conn.execute("SELECT count(*) FROM road_segments").fetchone()[0]
    listed = conn.execute(
        "SELECT count(*) FROM hazard_listing WHERE listed_on <= '2022-12-31'"
        " AND (voided_date IS NULL OR voided_date > '2022-12-31')"
    ).fetchone()[0]
    conn.close()
    # the demo's year ends on its last day, 2022-12-31: the whole of 2022
    assert sum(cell["accidents"] for cell in layers["accident_grid"]["data"]) == accidents
    assert len(layers["segments"]["data"]) == segments
    assert len(layers["hazards"]["data"]) == listed  # every demo hazard has coordinates
    assert f"共 {accidents:,} 起" in " ".join(c.value for c in at.caption)
    deck = _deck(at)
    assert deck.get("mapStyle") in (None, "__MAP_STYLE__") and not deck.get("mapProvider")
    assert "basemap" not in layers


def test_layers_can_be_switched_off(demo_env) -> None:
    at = _map()
    at.multiselect(key="map_layers").set_value(["segments"]).run()
    assert list(_layers(at)) == ["segments"]
    at.radio(key="map_measure").set_value("deaths").run()
    assert any("每公里死亡人数越多颜色越深" in m.value for m in at.markdown)


def test_a_unit_shows_its_accidents_as_points(demo_env, demo_db_path) -> None:
    at = _map()
    at.selectbox(key="period").set_value("year").run()
    at.radio(key="map_level").set_value("unit").run()
    at.selectbox(key="map_unit").set_value("341226").run()
    assert not at.exception and not at.error
    layers = _layers(at)
    assert "accident_grid" not in layers
    conn = db.open_for_reading(demo_db_path)
    n = conn.execute(
        "SELECT count(*) FROM accidents WHERE unit_adcode = '341226'"
        " AND occurred_at >= '2022-01-01' AND occurred_at < '2023-01-01'"
    ).fetchone()[0]
    conn.close()
    assert len(layers["accident_points"]["data"]) == n
    assert {s["unit_name"] for s in layers["segments"]["data"]} == {"颍上县"}
    view = _deck(at)["initialViewState"]
    assert view["zoom"] > 9  # zoomed in on the county
    assert f"统计周期内共 {n} 起事故，全部显示为点。" in [c.value for c in at.caption]


def test_a_route_shows_its_segments(demo_env) -> None:
    at = _map()
    at.radio(key="map_level").set_value("route").run()
    at.selectbox(key="map_route").set_value("G105").run()
    layers = _layers(at)
    assert {s["route_code"] for s in layers["segments"]["data"]} == {"G105"}


def test_a_brigade_sees_its_own_hazards_and_other_units_in_aggregate(demo_env) -> None:
    at = _map("yingshang")
    hazards = _layers(at)["hazards"]["data"]
    assert hazards and {h["unit_name"] for h in hazards} == {"颍上县"}
    at.radio(key="map_level").set_value("unit").run()
    at.selectbox(key="map_unit").set_value("341202").run()  # 颍州区: not its own
    assert not at.exception and not at.error
    layers = _layers(at)
    assert "hazards" not in layers and "accident_points" not in layers
    assert "accident_grid" in layers
    captions = " ".join(c.value for c in at.caption)
    assert "其他区县的隐患不在图上标出" in captions and "按网格汇总显示" in captions


def test_story_date(demo_env) -> None:
    at = _map()
    at.date_input(key="as_of").set_value(date(2022, 9, 15)).run()
    standings = {h["standing"] for h in _layers(at)["hazards"]["data"]}
    assert standings == {"逾期", "临期", "正常推进", "已销号"}


def test_accident_prone_sites_of_the_chosen_rule(demo_env, demo_db_path) -> None:
    at = _map()
    at.selectbox(key="map_preset").set_value("city_3y").run()
    conn = db.open_for_reading(demo_db_path)
    sites = hotspots.find_sites(conn, date(2022, 12, 31), hotspots.preset("city_3y"))
    conn.close()
    layers = _layers(at)
    drawn = layers["sites_stake"]["data"] + layers["sites_coords"]["data"]
    assert sorted(s["site_key"] for s in drawn) == sorted(sites.site_key)
    assert len(layers["sites_stake"]["data"]) == int(sites.path.notna().sum())
    first = next(s for s in drawn if s["rank"] == 1)
    assert first["accidents"] == int(sites.iloc[0].accidents)
    uncovered = sum(1 for c in sites.covered_by if not len(c))
    rule = hotspots.preset("city_3y").describe()
    assert (
        f"事故多发点段规则：{rule}（截至 2022-12-31）：共 {len(sites)} 处，其中 {uncovered} 处尚未列入"
        in " ".join(c.value for c in at.caption)
    )
