"""Daily use: one word for one count across pages, the brigade's to-do list, the
default accident-prone rule, site ranking, 治理成效's default window, drill-down headers,
bulletin file names and chart legends, unit names on maps."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.conftest import app_as
from tests.pg_mode import store_conn

STORY = date(2022, 9, 15)


def _independent_open(path, d: date) -> int:
    """Listed (listed date or found date <= d, not voided by d) and not closed by d."""
    con = store_conn(path, read_only=True)
    try:
        return con.execute(
            "SELECT count(*) FROM hazards WHERE coalesce(listed_date, found_date) <= ?"
            " AND state <> '待认定' AND (voided_date IS NULL OR voided_date > ?)"
            " AND (closed_date IS NULL OR closed_date > ?)",
            [d, d, d],
        ).fetchone()[0]
    finally:
        con.close()


def test_zai_ban_is_one_count_on_every_page(demo_env, demo_db_path) -> None:
    """在办 = listed and not closed (docs/methods.md §一): 172 listed − 85 closed = 87 on 2022-09-15,
    the same on 总览, 隐患台账, 领导驾驶舱 and in the bulletin."""
    assert _independent_open(demo_db_path, STORY) == 172 - 85 == 87
    at = app_as("admin").run()
    at.date_input(key="as_of").set_value(STORY).run()
    cards = {m.label: m.value for m in at.metric}
    assert cards["在办"] == "87 处"
    assert at.dataframe[0].value["在办（处）"].sum() == 87

    at.switch_page("pages/ledger.py").run()
    at.date_input(key="as_of").set_value(STORY).run()
    caption = next(c.value for c in at.caption if c.value.startswith("共 "))
    assert "在办（已入单未销号，含逾期、临期）87 处" in caption
    assert "正常推进" in caption and "在办 " not in caption.split("。")[0]
    next(s for s in at.selectbox if s.label == "办理情况").set_value("在办").run()
    caption = next(c.value for c in at.caption if c.value.startswith("共 "))
    assert caption.startswith("共 87 处：逾期 ")
    assert "已销号" not in caption

    at.switch_page("pages/cockpit.py").run()
    at.date_input(key="as_of").set_value(STORY).run()
    assert any("现有在办 87 处" in c.value for c in at.caption)

    wall = app_as("leader", as_of="2022-09-15").run()
    wall.switch_page("pages/big_screen.py").run()
    backlog = next(
        json.loads(c.proto.spec)
        for c in wall.get("plotly_chart")
        if json.loads(c.proto.spec)["layout"]["title"]["text"] == "在办隐患与清零预计"
    )
    line = next(t for t in backlog["data"] if t["name"] == "在办隐患")
    assert (line["x"][-1], line["y"][-1]) == ("2022-09-15", 87)


def test_a_brigade_sees_its_sign_off_requests_as_waiting_for_acceptance(demo_env) -> None:
    """临泉县 has 4 hazards in 申请销号 in the demo (all past their deadline today): they are
    listed under 待验收 with the words for waiting, and not under 逾期 with 请尽快整改."""
    con = store_conn(demo_env, read_only=True)
    waiting = {
        r[0]
        for r in con.execute(
            "SELECT hazard_id FROM hazards WHERE state = '申请销号' AND unit_adcode = '341221'"
        ).fetchall()
    }
    con.close()
    assert len(waiting) == 4
    at = app_as("linquan").run()
    at.switch_page("pages/tasks.py").run()
    assert not at.exception
    heads = [h.value for h in at.subheader]
    assert "待验收（4 处）" in heads
    tables = {
        h: t.value for h, t in zip([h for h in heads if "（" in h], at.dataframe, strict=False)
    }
    assert set(tables["待验收（4 处）"]["隐患编号"]) == waiting
    assert set(tables["待验收（4 处）"]["流程状态"]) == {"申请销号"}
    overdue = next(t for h, t in tables.items() if h.startswith("逾期"))
    assert not waiting & set(overdue["隐患编号"])
    captions = [c.value for c in at.caption]
    assert "已申请销号，等待支队验收，无需再办理；超过完成时限的仍计入逾期数。" in captions


# --- the default accident-prone rule is the city file's ----------------------------------------


def test_the_city_file_names_the_default_rule(fuyang, tiny_city, tmp_path) -> None:
    from analytics import city as city_mod
    from analytics.accidents import rules as hotspot_rules

    assert fuyang.hotspot_preset == "city_3y"
    assert tiny_city.hotspot_preset == hotspot_rules.DEFAULT_PRESET == "point_500m_1y"
    bad = tmp_path / "city.toml"
    text = (fuyang.source).read_text(encoding="utf-8")
    bad.write_text(
        text.replace('default_preset = "city_3y"', 'default_preset = "nope"'), encoding="utf-8"
    )
    with pytest.raises(city_mod.CityConfigError, match="default_preset 的值 nope"):
        city_mod.load_city(bad)


def _city_3y_sites(path, as_of: date) -> int:
    from analytics.accidents import sites as hotspots
    from analytics.store import db

    conn = db.open_for_reading(path)
    try:
        return len(hotspots.find_sites(conn, as_of, hotspots.preset("city_3y")))
    finally:
        conn.close()


def test_the_demo_pages_open_on_the_city_rule(demo_env, demo_db_path) -> None:
    """On 2022-12-31 (the demo's latest day) the city's three-year rule names 34 sites; the
    one-year rule, the old default, named none. Each page opens on it and says so."""
    from analytics.accidents import sites as hotspots

    rule = hotspots.preset("city_3y").describe()
    assert rule == "桩号法·2000米/3年/≥2起一次死亡3人以上事故或≥3起死亡事故或≥5起一般程序事故"
    assert _city_3y_sites(demo_db_path, date(2022, 12, 31)) == 34
    at = app_as("admin").run()
    at.switch_page("pages/hotspots.py").run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["事故多发点段"] == "34 处"
    assert any(c.value.startswith(f"识别规则：{rule}；") for c in at.caption)
    at.switch_page("pages/accidents.py").run()
    assert not at.exception
    assert any(c.value.startswith(f"识别规则：{rule}；") for c in at.caption)
    assert any(c.value.startswith("共 34 处") for c in at.caption)


def test_the_bulletin_uses_the_city_rule_unless_a_setting_names_one(fuyang, demo_db_path) -> None:
    from analytics.bulletin import archive
    from analytics.config import Settings
    from analytics.store import db

    assert archive.options(Settings.from_env({}), fuyang).hotspot_preset == "city_3y"
    env = {"HAZARDS_BULLETIN_HOTSPOT_PRESET": "uk_cluster_50m_3y"}
    assert archive.options(Settings.from_env(env), fuyang).hotspot_preset == "uk_cluster_50m_3y"
    conn = db.open_for_reading(demo_db_path)
    opts = archive.options(Settings.from_env({}), fuyang)
    content = archive.draft(conn, date(2022, 12, 31), "month", opts)
    conn.close()
    rule = "桩号法·2000米/3年/≥2起一次死亡3人以上事故或≥3起死亡事故或≥5起一般程序事故"
    text = " ".join(p for s in content.sections for p in s.paragraphs)
    assert f"按{rule}的标准，全市现有事故多发点段34处" in text
    assert "全市目前无事故多发点段" not in text


def test_the_cli_uses_the_city_rule_by_default(demo_db_path, capsys) -> None:
    from analytics import __main__ as cli

    assert cli.main(["hotspots", "--db", str(demo_db_path), "--as-of", "2022-12-31", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["parameters"]["rule"].startswith("桩号法·2000米/3年/")
    assert len(out["sites"]) == 34


# --- ranking sites under a rule with several conditions ---------------------------------------


def test_sites_of_a_several_condition_rule_rank_on_the_weighted_score(demo_db_path) -> None:
    """city_3y has three conditions; sites rank on the score (fatal 12, injury 3, property 1),
    then deaths, then accidents. The scores are recomputed here from each site's accidents."""
    from analytics.accidents import site_tables as hotspot_tables
    from analytics.accidents import sites as hotspots
    from analytics.store import db

    params = hotspots.preset("city_3y")
    conn = db.open_for_reading(demo_db_path)
    try:
        sites = hotspots.find_sites(conn, date(2022, 12, 31), params)
        members = hotspots.site_accidents(conn, date(2022, 12, 31), params)
        conn.register("m", members)
        scores = dict(
            conn.execute(
                "SELECT m.site_key, sum(CASE WHEN a.deaths > 0 THEN 12 WHEN a.injuries > 0 THEN 3"
                " ELSE 1 END) FROM m JOIN accidents a USING (accident_id) GROUP BY m.site_key"
            ).fetchall()
        )
    finally:
        conn.close()
    assert dict(zip(sites.site_key, sites.measure, strict=True)) == scores
    order = sorted(scores, key=lambda k: (-scores[k], k))
    top = sites.head(3)
    assert top.site_key.tolist() == order[:3]
    assert top["rank"].tolist() == [1, 2, 3]
    # the 44-accident site on G105 (3 fatal accidents, 4 deaths) ranked 8th on 一次死亡3人以上事故
    g105 = sites.set_index("site_key").loc["G105:850230-853965"]
    assert (g105.accidents, g105.deaths, g105["rank"], g105.measure) == (44, 4, 3, 91)
    assert all(a >= b for a, b in zip(sites.measure, sites.measure[1:], strict=False))
    table = hotspot_tables.table(sites, params)
    assert list(table.columns[:5]) == ["排名", "位置", "道路", "单位", "排名指标·当量事故数"]
    assert table["排名指标·当量事故数"].iloc[2] == 91
    assert params.ranking() == (
        "排名：按当量事故数（死亡事故12、伤人事故3、财产损失事故1）从高到低，相同看死亡人数，再看事故数"
    )


# --- 治理成效 opens on a window that judges something ---------------------------------------------


def test_effect_opens_on_the_longest_period_that_judges_hazards(demo_env, demo_db_path) -> None:
    """The demo's first hazard was closed on 2022-06-25: on 2022-12-31 its 6-month after-period
    (to 2022-12-25) is over and a 7-month one (to 2023-01-25) is not, and nothing is judged
    under the 12-month setting. The page opens on 6 months and says why."""
    from analytics.accidents import effect
    from analytics.store import db

    con = store_conn(demo_db_path, read_only=True)
    first = con.execute("SELECT min(closed_date) FROM hazards").fetchone()[0]
    con.close()
    assert first == date(2022, 6, 25)
    conn = db.open_for_reading(demo_db_path)
    try:
        assert effect.judgeable_months(conn, date(2022, 12, 31), 12) == 6
        assert effect.judgeable_months(conn, date(2022, 12, 31), 4) == 4
        assert effect.judgeable_months(conn, date(2022, 7, 20), 12) is None
        six = effect.evaluate(conn, date(2022, 12, 31), 6, 200).total
    finally:
        conn.close()
    at = app_as("admin").run()
    at.switch_page("pages/effect.py").run()
    assert not at.exception
    assert at.number_input(key="eff_months").value == 6
    assert at.info[0].value.startswith(
        "系统设置的观察期为 12 个月，截至 2022-12-31 还没有销号满 12 个月"
        "的隐患，按此设置暂无可评价的治理成效。本页先按可评价的最长观察期 6 个月显示"
    )
    cards = {m.label: m.value for m in at.metric}
    assert six["full"] == 3
    assert cards["观察期已满"] == "3 处"
    assert cards["治理前事故"] == f"{six['before']} 起"


# --- a brigade viewing another unit on 领导驾驶舱 ---------------------------------------------------


def test_a_brigade_viewing_another_unit_reads_as_that_unit(demo_env) -> None:
    at = app_as("yingshang", unit="341202").run()
    at.switch_page("pages/cockpit.py").run()
    assert not at.exception
    assert at.title[0].value == "领导驾驶舱 · 颍州区"
    assert (
        "您正在查看颍州区的数据，不是本单位（颍上县）。以下各项指标、图表和说明均为颍州区的情况。"
        in [w.value for w in at.warning]
    )
    assert "查看单位：颍州区" in at.caption[0].value
    texts = [s.value for s in at.subheader] + [c.value for c in at.caption[1:]]
    texts += [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert texts and all(t.startswith("颍州区") for t in texts), texts
    assert not any("本单位" in t or "颍上" in t for t in texts)


def test_an_administrator_drilling_down_is_not_told_it_is_not_its_unit(demo_env) -> None:
    at = app_as("admin", unit="341202").run()
    at.switch_page("pages/cockpit.py").run()
    assert not any("不是本单位" in w.value for w in at.warning)
    assert "颍州区隐患清单" in [s.value for s in at.subheader]


# --- bulletin file names, the monthly comparison, chart legends ---------------------------------


def test_a_week_and_a_month_bulletin_of_one_day_are_two_files(demo_db_path) -> None:
    from analytics.bulletin import archive
    from analytics.store import db

    opts = archive.Options(15, "阜阳市公安局交通警察支队", "各县（市、区）交警大（中）队", "阜阳市")
    conn = db.open_for_reading(demo_db_path)
    try:
        week = archive.draft(conn, date(2022, 9, 30), "week", opts)
        month = archive.draft(conn, date(2022, 9, 30), "month", opts)
    finally:
        conn.close()
    assert archive.file_name(week, "docx") == "周通报_2022年第1期草稿_2022-09-24至2022-09-30.docx"
    assert archive.file_name(month, "xlsx") == "月通报_2022年第1期草稿_2022-09-01至2022-09-30.xlsx"
    # a month bulletin at the month's end compares September with August (环比) and 2021's September
    assert month.tables["事故情况"].columns == [
        "项目",
        "本期（09-01至09-30）",
        "上年同期（2021-09-01至09-30）",
        "同比",
        "上期（08-01至08-31）",
        "环比",
    ]
    assert "较上期末（2022年8月31日）" in month.sections[0].paragraphs[0]


def _figures(at) -> dict[str, dict]:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {s["layout"]["title"]["text"]: s for s in specs}


def test_the_month_chart_says_what_its_bars_are(demo_env) -> None:
    at = app_as("admin").run()
    at.switch_page("pages/accidents.py").run()
    fig = _figures(at)["近12个月各月事故（截至 2022-12-31）"]
    assert [t["name"] for t in fig["data"]] == ["上年同月", "近12个月"]


def test_the_big_screen_legend_stays_clear_of_the_date_axis(demo_env) -> None:
    at = app_as("leader").run()
    at.switch_page("pages/big_screen.py").run()
    fig = _figures(at)["在办隐患与清零预计"]
    legend = fig["layout"]["legend"]
    # inside the plot area's top right corner: neither below it (over the dates) nor above it
    # (wrapping over the title in the narrow column)
    assert (legend["x"], legend["xanchor"], legend["y"], legend["yanchor"]) == (
        1,
        "right",
        1,
        "top",
    )
    assert fig["layout"]["margin"]["b"] == 10
    # the other charts keep their legend above the plot, under the title
    other = _figures(at)["各单位整改率排名"]["layout"]["legend"]
    assert (other["y"], other["yanchor"]) == (1.0, "bottom")


# --- unit names on the maps ---------------------------------------------------------------------

UNIT_NAMES = {"颍州区", "颍东区", "颍泉区", "临泉县", "太和县", "阜南县", "颍上县", "界首市"}


def _label_layer(at, index: int = 0) -> dict:
    deck = json.loads(at.get("deck_gl_json_chart")[index].proto.json)
    return next(layer for layer in deck["layers"] if layer.get("id") == "unit_names")


def test_the_maps_name_the_units_in_a_font_that_has_chinese(demo_env, fuyang) -> None:
    from analytics.city import boundaries
    from ui import maps

    at = app_as("leader").run()
    at.switch_page("pages/cockpit.py").run()
    layer = _label_layer(at)
    assert layer["@@type"] == "TextLayer" and layer["pickable"] is False
    assert {row["name"] for row in layer["data"]} == UNIT_NAMES
    assert set(layer["characterSet"]) == set("".join(UNIT_NAMES))  # CJK needs its characters
    assert layer["fontFamily"].startswith("WenQuanYi Micro Hei")
    # each name sits inside its own outline (the centroid of a convex-enough county)
    outlines = {f["properties"]["unit_code"]: f for f in boundaries(fuyang)["features"]}
    for row in layer["data"]:
        code = next(u.adcode for u in fuyang.units if u.name == row["name"])
        x0, y0, x1, y1 = _bbox(outlines[code]["geometry"])
        assert x0 < row["position"][0] < x1 and y0 < row["position"][1] < y1
    assert maps.outline_centre(
        {"type": "Polygon", "coordinates": [[[0, 0], [4, 0], [4, 2], [0, 2], [0, 0]]]}
    ) == (2.0, 1.0)

    at.switch_page("pages/big_screen.py").run()
    assert {row["name"] for row in _label_layer(at)["data"]} == UNIT_NAMES
    at.switch_page("pages/road_map.py").run()
    assert {row["name"] for row in _label_layer(at)["data"]} == UNIT_NAMES


def _bbox(geometry: dict) -> tuple[float, float, float, float]:
    from analytics import geo

    return geo.bbox(geometry)
