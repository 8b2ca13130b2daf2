"""One submission, one record, in a real browser: double-clicking 上报 makes one hazard; the
same report sent again from a second tab makes none."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.conftest import running_app, sign_in
from tests.pg_mode import store_conn

pytestmark = pytest.mark.e2e
ROAD = "双击测试路"


def _fill_report(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("link", name="我的待办", exact=True).click()
    form = page.locator("[data-testid='stForm']").filter(has_text="隐患描述").first
    expect(form).to_be_visible(timeout=30_000)
    form.get_by_label("道路名称").fill(ROAD)
    form.get_by_label("隐患描述").fill("路口视距不良，双击上报测试")
    form.get_by_label("路线编码").fill("S305")
    form.get_by_label("桩号或桩号范围").fill("K50+800")
    form.get_by_label("隐患描述").blur()


def test_double_click_and_second_tab_make_one_hazard(demo_db_path, browser, tmp_path) -> None:
    from playwright.sync_api import expect

    shutil.copy(demo_db_path, tmp_path / "hazards.duckdb")
    with running_app(tmp_path / "hazards.duckdb", tmp_path / "streamlit.log") as server:
        page = browser.new_page(viewport={"width": 1400, "height": 2400}, locale="zh-CN")
        sign_in(page, server, "yingshang")
        _fill_report(page)
        page.get_by_role("button", name="上报").dblclick()
        expect(
            page.get_by_text("已上报，隐患编号").or_(page.get_by_text("已提交，勿重复提交")).first
        ).to_be_visible(timeout=30_000)
        page.wait_for_timeout(3000)  # the second click's run, if any, has finished

        tab = browser.new_page(viewport={"width": 1400, "height": 2400}, locale="zh-CN")
        sign_in(tab, server, "yingshang")
        _fill_report(tab)
        tab.get_by_role("button", name="上报").click()
        expect(tab.get_by_text("已提交，勿重复提交")).to_be_visible(timeout=30_000)
        page.close()
        tab.close()
    conn = store_conn(tmp_path / "hazards.duckdb", read_only=True)
    try:
        made = conn.execute(
            "SELECT count(*), count(DISTINCT e.event_id) FROM hazards h"
            " JOIN hazard_events e USING (hazard_id) WHERE h.road_name = ?",
            [ROAD],
        ).fetchone()
    finally:
        conn.close()
    assert made == (1, 1)
