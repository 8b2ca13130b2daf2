"""事故分析 and 治理成效 through AppTest on the demo city: the figures are the analytics' figures."""

from __future__ import annotations

import json
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from analytics import fmt
from analytics.accidents import analysis as aa
from analytics.accidents import effect
from analytics.accidents import site_tables as hotspot_tables
from analytics.accidents import sites as hotspots
from analytics.ledger.periods import Period
from analytics.store import db
from tests.conftest import app_as

STORY = date(2022, 9, 15)


@pytest.fixture(scope="module")
def demo(demo_db_path):
    conn = db.open_for_reading(demo_db_path)
    yield conn
    conn.close()


def _open(page: str, user: str = "admin", **widgets: object) -> AppTest:
    at = app_as(user)
    at.run()
    at.switch_page(page).run()
    for key, value in widgets.items():
        widget = at.date_input(key=key) if key == "as_of" else None
        if widget is None:
            found = [w for w in (*at.selectbox, *at.number_input) if w.key == key]
            widget = found[0]
        widget.set_value(value).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _metrics(at: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def _titles(at: AppTest) -> list[str]:
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_accident_page_shows_the_figures_of_the_period(demo_env, demo) -> None:
    at = _open("pages/accidents.py", as_of=STORY, period="year")
    s = aa.summary(demo, Period.ending(STORY, "year"))
    m = _metrics(at)
    assert m["事故"] == (
        fmt.count(s.now["accidents"], "起"),
        fmt.relative_change(s.yoy("accidents")),
    )
    assert m["死亡"][0] == f"{s.now['deaths']} 人"
    assert m["受伤"][0] == f"{s.now['injuries']} 人"
    assert m["直接财产损失"][0] == fmt.decimal(s.now["loss_wan"], 1, "万元")
    titles = _titles(at)
    assert titles[:3] == [
        "近12个月各月事故（截至 2022-09-15）",
        "各年事故及同比（截至 2022-09-15）",
        "各星期、各时段事故分布",
    ]
    assert {"按事故形态", "按单位"} <= set(titles)
    assert any(t.startswith("按路线") for t in titles)
    # the month chart: this year's bars are the analytics' months
    month = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert month[1]["y"] == aa.by_month(demo, STORY).accidents.tolist()
    assert month[1]["x"][-1] == "2022-09（1—15日）"


def test_a_filter_narrows_every_figure(demo_env, demo) -> None:
    at = _open("pages/accidents.py", as_of=STORY, period="year", acc_severity="死亡事故")
    s = aa.summary(demo, Period.ending(STORY, "year"), severity="死亡事故")
    assert _metrics(at)["事故"][0] == f"{s.now['accidents']} 起" == f"{s.now['fatal']} 起"
    assert at.subheader[-1].value == f"事故明细（{s.now['accidents']} 起）"
    rows = at.dataframe[-1].value
    assert set(rows["事故严重程度"]) == {"死亡事故"}


def test_a_county_user_sees_only_its_unit(demo_env, demo) -> None:
    at = _open("pages/accidents.py", user="yingshang", as_of=STORY, period="year")
    unit = at.selectbox(key="acc_unit")
    assert unit.disabled and unit.value == "341226"
    s = aa.summary(demo, Period.ending(STORY, "year"), unit="341226")
    assert _metrics(at)["事故"][0] == f"{s.now['accidents']} 起"
    by_unit = json.loads(at.get("plotly_chart")[4].proto.spec)["data"][0]
    assert by_unit["y"] == ["颍上县"]
    assert set(at.dataframe[-1].value["所属区县"]) == {"颍上县"}


def test_top_sites_of_a_preset(demo_env, demo) -> None:
    at = _open("pages/accidents.py", as_of=date(2017, 12, 31), acc_sites_preset="segment_2km_1y")
    sites = hotspots.find_sites(demo, date(2017, 12, 31), hotspots.preset("segment_2km_1y"))
    table = at.dataframe[0].value
    assert len(table) == len(sites) > 0
    assert table["位置"].iloc[0] == hotspot_tables.table(sites)["位置"].iloc[0]
    assert any("桩号法·2000米/1年/≥3起死亡事故" in c.value for c in at.caption)


def test_no_accidents_says_why(demo_env) -> None:
    at = _open("pages/accidents.py", as_of=date(2012, 6, 30))
    infos = [i.value for i in at.info]
    assert "近24个月（截至 2012-06-30）无符合条件的事故记录。" in infos
    assert any(
        i.startswith("所选时段（2012-06-01 至 2012-06-30）内无符合条件的事故记录") for i in infos
    )
    assert not at.get("plotly_chart")


def test_effect_page(demo_env, demo) -> None:
    at = _open("pages/effect.py", as_of=date(2022, 12, 31), eff_months=12)
    assert any("销号后均未满 12 个月" in i.value for i in at.info)  # the ledger starts in June 2022
    at.number_input(key="eff_months").set_value(3).run()
    e = effect.evaluate(demo, date(2022, 12, 31), 3, 200)
    m = _metrics(at)
    assert m["观察期已满"][0] == f"{e.total['full']} 处"
    assert m["治理前事故"][0] == f"{e.total['before']} 起"
    assert m["治理后事故"][0] == f"{e.total['after']} 起"
    assert m["比值比（对比全市）"][0] == f"{e.total['ratio_of_ratios']:.2f}"
    assert _titles(at)[0].startswith("治理前后事故对比")
    table = at.dataframe[0].value
    assert len(table) == len(e.hazards)
    assert set(table["评价"]) <= {"有效", "样本较少", "无法计算", "观察期未满"}
    assert "入单前 3 个月对比销号后 3 个月" in at.caption[0].value


def test_effect_page_for_a_county_user(demo_env, demo) -> None:
    at = _open("pages/effect.py", user="yingzhou", as_of=date(2022, 12, 31), eff_months=3)
    assert at.selectbox(key="eff_unit").disabled
    table = at.dataframe[0].value
    assert set(table["单位"]) == {"颍州区"}
    e = effect.evaluate(demo, date(2022, 12, 31), 3, 200, unit="341202")
    assert len(table) == len(e.hazards)
