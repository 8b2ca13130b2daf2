"""The 人·车·企 cards on 领导驾驶舱 and 指挥中心大屏: the demo's figures, worked out here with SQL."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.store import db
from tests.conftest import app_as

STORY = date(2022, 9, 15)
START = date(2022, 1, 1)  # the campaign start in data/sources.toml
OPEN_ON = "c.opened_on <= $d AND (c.cleared_on IS NULL OR c.cleared_on > $d)"


def _expected(conn, d: date) -> dict[str, str]:
    vehicles, drivers = conn.execute(
        "SELECT count(*) FILTER (s.subject = 'vehicle'), count(*) FILTER (s.subject = 'driver')"
        " FROM source_cases c JOIN source_subjects s USING (subject_key)"
        " WHERE c.opened_on <= $d AND (c.cleared_on IS NULL OR c.cleared_on > $d)",
        {"d": d},
    ).fetchone()
    stock, new, cleared = conn.execute(
        "SELECT count(*) FILTER (opened_on <= $s AND (cleared_on IS NULL OR cleared_on > $s)),"
        " count(*) FILTER (opened_on > $s AND opened_on <= $d),"
        " count(*) FILTER (cleared_on > $s AND cleared_on <= $d) FROM source_cases",
        {"s": START, "d": d},
    ).fetchone()
    (summons,) = conn.execute(
        "SELECT count(*) FROM (SELECT coalesce(s.enterprise, CASE WHEN s.subject = 'enterprise'"
        " THEN s.name END) AS e FROM source_cases c JOIN source_subjects s USING (subject_key)"
        " WHERE c.opened_on <= $d AND (c.cleared_on IS NULL OR c.cleared_on > $d)"
        " GROUP BY e HAVING e IS NOT NULL AND count(*) >= 5)",
        {"d": d},
    ).fetchone()
    return {
        "8类重点车辆隐患余量": f"{vehicles} 件",
        "驾驶人隐患余量": f"{drivers} 件",
        "源头隐患清零率": f"{cleared / (stock + new) * 100:.1f}%",
        "建议约谈企业": f"{summons} 家",
    }


@pytest.fixture(scope="module")
def expected(demo_db_path) -> dict[date, dict[str, str]]:
    conn = db.open_for_reading(demo_db_path)
    out = {d: _expected(conn, d) for d in (STORY, date(2022, 12, 31))}
    conn.close()
    return out


def test_the_expected_figures_tell_the_demos_story(expected) -> None:
    # the demo's headline figures, pinned (a change of the demo's story shows here first)
    assert expected[STORY] == {
        "8类重点车辆隐患余量": "135 件",
        "驾驶人隐患余量": "78 件",
        "源头隐患清零率": "64.3%",
        "建议约谈企业": "6 家",
    }
    assert expected[date(2022, 12, 31)] == {
        "8类重点车辆隐患余量": "146 件",
        "驾驶人隐患余量": "85 件",
        "源头隐患清零率": "68.1%",
        "建议约谈企业": "10 家",
    }


def test_cockpit_cards(demo_env, expected) -> None:
    at = app_as("admin")
    at.run()
    at.switch_page("pages/cockpit.py").run()
    at.date_input(key="as_of").set_value(STORY).run()
    assert not at.exception and not at.error
    shown = {m.label: m.value for m in at.metric}
    assert {k: shown[k] for k in expected[STORY]} == expected[STORY]
    assert "重点车辆和驾驶人源头隐患" in [h.value for h in at.subheader]
    assert any("自2022年1月1日起" in c.value for c in at.caption)


def test_big_screen_cards(demo_env, expected) -> None:
    for d, query in ((STORY, {"as_of": "2022-09-15"}), (date(2022, 12, 31), {})):
        at = app_as("leader", **query)
        at.run()
        at.switch_page("pages/big_screen.py").run()
        assert not at.exception and not at.error
        shown = {m.label: m.value for m in at.metric}
        assert {k: shown[k] for k in expected[d]} == expected[d]
