"""Placing and finding a hazard in a real browser: a point picked on the report form's map fills
the coordinates and reaches the database in WGS-84; 隐患详情 from the menu searches first."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import running_app, sign_in
from tests.pg_mode import store_conn

pytestmark = pytest.mark.e2e
SHOTS = os.environ.get("HAZARDS_SCREENSHOTS")  # a folder: keep the screenshots there
ROAD = "选点测试路"


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name))


def test_pick_a_point_then_find_the_hazard(demo_db_path, browser, tmp_path) -> None:
    from playwright.sync_api import expect

    shutil.copy(demo_db_path, tmp_path / "hazards.duckdb")
    with running_app(tmp_path / "hazards.duckdb", tmp_path / "streamlit.log") as server:
        page = browser.new_page(viewport={"width": 1400, "height": 2600}, locale="zh-CN")
        sign_in(page, server, "yingshang")
        page.get_by_role("link", name="我的待办", exact=True).click()
        page.get_by_text("在地图上选取隐患位置（可选）").click()
        deck = page.locator("[data-testid='stDeckGlJsonChart']").first
        expect(deck).to_be_visible(timeout=30_000)
        form = page.locator("[data-testid='stForm']").filter(has_text="隐患描述").first
        box = deck.bounding_box()
        middle = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        for _ in range(10):  # until deck.gl has drawn its points and the pick arrives
            page.wait_for_timeout(2000)
            page.mouse.move(*middle)
            page.mouse.click(*middle)
            if form.get_by_label("经度").input_value():
                break
        expect(form.get_by_label("经度")).not_to_have_value("", timeout=30_000)
        lon = float(form.get_by_label("经度").input_value())
        lat = float(form.get_by_label("纬度").input_value())
        form.get_by_label("道路名称").fill(ROAD)
        form.get_by_label("隐患描述").fill("弯道无警告标志，地图选点")
        form.get_by_label("隐患描述").blur()
        page.wait_for_timeout(500)
        form.scroll_into_view_if_needed()
        _shot(page, "report_form_with_location.png")
        page.get_by_role("button", name="上报").click()
        expect(page.get_by_text("已上报，隐患编号")).to_be_visible(timeout=30_000)

        page.get_by_role("link", name="隐患详情", exact=True).click()
        page.get_by_label("查找隐患").fill(ROAD)
        page.get_by_label("查找隐患").press("Enter")
        expect(page.get_by_text("找到 1 处")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1000)
        _shot(page, "hazard_search.png")
        grid = page.locator("[data-testid='stDataFrame']").first
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 12, box["y"] + 52)  # the first row's selection box
        expect(page.get_by_role("heading", name="隐患 341226-YH-2022-030")).to_be_visible(
            timeout=30_000
        )
        assert page.url.endswith("/hazard?id=341226-YH-2022-030")
        page.close()
    conn = store_conn(tmp_path / "hazards.duckdb", read_only=True)
    try:
        row = conn.execute(
            "SELECT unit_adcode, lon, lat, coord_source FROM hazards WHERE road_name = ?", [ROAD]
        ).fetchone()
    finally:
        conn.close()
    assert row == ("341226", pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6), "WGS84")
    assert 115.9 < lon < 116.6 and 32.3 < lat < 32.9  # inside 颍上县
