"""Issue #13 (daily use): one word for one count across pages, the brigade's to-do list, the
default accident-prone rule, site ranking, 治理成效's default window, drill-down headers,
bulletin file names and chart legends, unit names on maps."""

from __future__ import annotations

from datetime import date

import duckdb

from tests.conftest import app_as

STORY = date(2022, 9, 15)


def _independent_open(path, d: date) -> int:
    """Listed (listed date or found date <= d, not voided by d) and not closed by d."""
    con = duckdb.connect(str(path), read_only=True)
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
    """在办 = listed and not closed (DOMAIN.md §1): 172 listed − 85 closed = 87 on 2022-09-15,
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


def test_a_brigade_sees_its_sign_off_requests_as_waiting_for_acceptance(demo_env) -> None:
    """临泉县 has 4 hazards in 申请销号 in the demo (all past their deadline today): they are
    listed under 待验收 with the words for waiting, and not under 逾期 with 请尽快整改."""
    con = duckdb.connect(str(demo_env), read_only=True)
    waiting = {r[0] for r in con.execute(
        "SELECT hazard_id FROM hazards WHERE state = '申请销号' AND unit_adcode = '341221'"
    ).fetchall()}  # fmt: skip
    con.close()
    assert len(waiting) == 4
    at = app_as("linquan").run()
    at.switch_page("pages/tasks.py").run()
    assert not at.exception
    heads = [h.value for h in at.subheader]
    assert "待验收（4 处）" in heads
    tables = {h: t.value for h, t in zip([h for h in heads if "（" in h], at.dataframe,
                                        strict=False)}  # fmt: skip
    assert set(tables["待验收（4 处）"]["隐患编号"]) == waiting
    assert set(tables["待验收（4 处）"]["流程状态"]) == {"申请销号"}
    overdue = next(t for h, t in tables.items() if h.startswith("逾期"))
    assert not waiting & set(overdue["隐患编号"])
    captions = [c.value for c in at.caption]
    assert "已申请销号，等待支队验收，无需再办理；超过完成时限的仍计入逾期数。" in captions
