"""The cockpit and the wall in a real browser: as-of changes the KPIs, a click drills down."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _page(browser, hosts: set[str], width: int, height: int):  # ANN202
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or r.url))
    return page


def _metric(page, label: str):  # ANN202
    return (
        page.locator("[data-testid='stMetric']")
        .filter(has_text=label)
        .first.locator("[data-testid='stMetricValue']")
    )


def test_cockpit_as_of_and_drill_down(server: str, browser) -> None:
    from playwright.sync_api import expect

    hosts: set[str] = set()
    page = _page(browser, hosts, 1500, 4400)
    sign_in(page, server)
    page.get_by_text("领导驾驶舱").first.click()
    expect(page.get_by_text("各单位排名").first).to_be_visible(timeout=30_000)
    expect(_metric(page, "入单隐患")).to_have_text("225 处", timeout=30_000)

    # the date field is a row of spin buttons: type month and day, then leave the field
    field = page.locator("[data-testid='stDateInput']").first
    field.locator("[data-type='month']").click()
    page.keyboard.type("0915")
    page.keyboard.press("Tab")
    page.locator("h1").first.click()
    expect(_metric(page, "入单隐患")).to_have_text("172 处", timeout=30_000)
    expect(_metric(page, "已销号")).to_have_text("85 处")
    expect(_metric(page, "整改率")).to_have_text("49.4%")
    page.wait_for_timeout(2000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "cockpit.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0

    # click the lowest bar of the ranking (the last-ranked unit) to drill into it
    bars = page.locator("[data-testid='stPlotlyChart']").first.locator("g.point path")
    expect(bars.first).to_be_visible()
    box = bars.first.bounding_box()  # plotly takes clicks on its drag layer above the bars
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_role("heading", name=re.compile("领导驾驶舱 · "))).to_be_visible(
        timeout=30_000
    )
    assert "unit=" in page.url
    # every section names the unit shown (not 本单位: the viewer here is the detachment)
    expect(page.get_by_text(re.compile(r"^\S+(区|县|市)隐患清单$")).first).to_be_visible()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SCREENSHOTS / "cockpit_unit.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
    page.close()


def test_big_screen_at_1920_by_1080(server: str, browser) -> None:
    from playwright.sync_api import expect

    hosts: set[str] = set()
    page = _page(browser, hosts, 1920, 1080)
    sign_in(page, server)
    page.get_by_text("指挥中心大屏").first.click()
    expect(page.get_by_text("指挥中心").first).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stPlotlyChart']")).to_have_count(2, timeout=30_000)
    expect(page.locator("[data-testid='stSidebar']")).to_be_hidden()
    background = page.locator(".stApp").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(11, 21, 38)"
    page.wait_for_timeout(2500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "big_screen.png"))
    assert page.locator("[data-testid='stException']").count() == 0
    assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
    page.close()


def test_map_area_and_table_row_drill_down(server: str, browser, demo_db_path) -> None:
    from playwright.sync_api import expect

    from analytics.ledger import metrics
    from analytics.ledger.periods import Period
    from analytics.store import db

    conn = db.open_for_reading(demo_db_path)
    ranking = metrics.unit_ranking(conn, Period.ending(metrics.latest_date(conn), "month"), 15)
    conn.close()
    first = ranking.iloc[0]

    hosts: set[str] = set()
    page = _page(browser, hosts, 1500, 2400)
    sign_in(page, server)
    page.get_by_text("领导驾驶舱").first.click()
    table = page.locator("[data-testid='stDataFrame']").first
    expect(table.locator("canvas").first).to_be_visible(timeout=30_000)
    heading = page.get_by_role("heading", name=f"领导驾驶舱 · {first.unit_name}")
    # the first row's selection box, below the header row (clicked again, as a user would,
    # while the grid is still getting ready on a slow machine)
    _click_until(page, table, lambda box: (box["x"] + 18, box["y"] + 35 + 18), heading)
    assert f"unit={first.unit_adcode}" in page.url

    page.get_by_role("button", name="← 返回全市").click()
    deck = page.locator("[data-testid='stDeckGlJsonChart']").first
    expect(deck.locator("canvas").first).to_be_visible(timeout=30_000)
    heading = page.get_by_role("heading", name=re.compile("领导驾驶舱 · "))
    # the map's centre lies in one of the units
    _click_until(
        page, deck, lambda box: (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2), heading
    )
    assert "unit=" in page.url
    assert page.locator("[data-testid='stException']").count() == 0
    assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
    page.close()


def _click_until(page, element, where, shown, tries: int = 15) -> None:  # ANN001
    """Click the point where(box) of the element until shown is visible: a map or grid drawn
    by the browser takes clicks only once it is ready, which no element's state tells."""
    from playwright.sync_api import expect

    for _ in range(tries):
        box = element.bounding_box()
        if box is not None:  # (gone: the click took, the page is being redrawn)
            page.mouse.click(*where(box))
        try:
            expect(shown).to_be_visible(timeout=4_000)
            return
        except AssertionError:
            continue
    expect(shown).to_be_visible(timeout=10_000)
