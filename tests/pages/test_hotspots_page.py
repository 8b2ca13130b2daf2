"""事故多发点段 through AppTest: the rule, the table, the detail, putting a site on the list."""

from __future__ import annotations

from datetime import date

from streamlit.testing.v1 import AppTest

from analytics.accidents import sites as hotspots
from tests.conftest import app_as
from tests.pg_mode import store_conn

Y2017 = date(2017, 12, 31)


def _page(username: str) -> AppTest:
    at = app_as(username)
    at.run()
    at.switch_page("pages/hotspots.py").run()
    at.date_input(key="as_of").set_value(Y2017).run()
    assert not at.exception and not at.error
    return at


def test_the_one_year_rule_finds_the_g105_sites_of_2017(demo_env):
    at = _page("leader")
    at.selectbox(key="hotspot_preset").set_value("point_500m_1y").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["事故多发点段"] == "3 处"
    assert "桩号法·500米/1年/≥3起死亡事故" in "".join(c.value for c in at.caption) + str(
        at.markdown
    )
    table = at.dataframe[0].value
    assert table["位置"].tolist() == [
        "G105 K872+110—K872+476",
        "G105 K869+539—K870+034",
        "G105 K875+583—K875+854",
    ]
    assert table["排名"].tolist() == [1, 2, 3]  # 4 fatal, 5 deaths each: 11 accidents before 8
    assert not [b for b in at.button if b.key == "list_site"]  # no one selected a site yet


def test_an_administrator_puts_an_uncovered_site_on_the_list(demo_env):
    at = _page("admin")
    at.selectbox(key="hotspot_preset").set_value("uk_cluster_50m_3y").run()
    at.date_input(key="as_of").set_value(date(2022, 9, 15)).run()
    table = at.dataframe[0].value
    row = table.index[table["已覆盖隐患"] == "未入单"][0]
    before = len(table)
    # select the row as a click would
    at.session_state["sites_table"] = {"selection": {"rows": [int(row)], "columns": []}}
    at.run()
    site_rows = at.dataframe[1].value  # the selected site's accidents, in its detail
    assert len(site_rows) == table.loc[row, "事故(起)"]
    at.button(key="list_site").click().run()
    assert not at.exception and not at.error
    assert any("已列入隐患清单" in s.value for s in at.success)
    conn = store_conn(demo_env)  # as the app's own store
    params = hotspots.preset("uk_cluster_50m_3y")
    sites = hotspots.find_sites(conn, date(2022, 9, 15), params)
    listed = conn.execute(
        "SELECT count(*) FROM hazards WHERE source = '事故分析' AND state = '待认定'"
        " AND hazard_type = '事故多发点段'"
    ).fetchone()[0]
    conn.close()
    assert len(sites) == before and listed == 1
    assert (
        sum(1 for c in sites["covered_by"] if not c) == (table["已覆盖隐患"] == "未入单").sum() - 1
    )


def test_a_brigade_sees_its_own_units_sites_and_cannot_list(demo_env):
    at = _page("taihe")
    at.selectbox(key="hotspot_preset").set_value("uk_cluster_50m_3y").run()
    at.date_input(key="as_of").set_value(date(2022, 9, 15)).run()
    table = at.dataframe[0].value
    assert set(table["单位"]) == {"太和县"}
    at.session_state["sites_table"] = {"selection": {"rows": [0], "columns": []}}
    at.run()
    assert not [b for b in at.button if b.key == "list_site"]
