"""The overview in a real browser: Chinese renders, no exception, nothing leaves 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# Draws two different characters and a codepoint no font has in the page's font: with a CJK
# font the two differ from each other and from the missing-glyph box; without one, all are boxes.
GLYPH_CHECK = """(font) => {
  const c = document.createElement('canvas'); c.width = 64; c.height = 64;
  const g = c.getContext('2d');
  const draw = (ch) => { g.clearRect(0, 0, 64, 64); g.font = '40px ' + font;
                         g.fillText(ch, 4, 48); return g.getImageData(0, 0, 64, 64).data.join(); };
  const box = draw('\\u{10FFFD}');
  return { zheng_vs_gai: draw('整') !== draw('改'), zheng_vs_box: draw('整') !== box };
}"""


def test_overview_in_browser(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 2600}, locale="zh-CN")
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or r.url))
    sign_in(page, server)
    from playwright.sync_api import expect

    expect(page.get_by_text("入单隐患").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("整改率").first).to_be_visible()
    expect(page.get_by_text("演示数据").first).to_be_visible()
    expect(page.locator("[data-testid='stMetricValue']").first).to_contain_text("处")
    expect(page.locator("[data-testid='stPlotlyChart']").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)  # let the last elements of the rerun settle

    assert page.locator("[data-testid='stException']").count() == 0
    font = page.locator("[data-testid='stMetricLabel']").first.evaluate(
        "e => getComputedStyle(e).fontFamily"
    )
    glyphs = page.evaluate(GLYPH_CHECK, font)
    assert glyphs == {"zheng_vs_gai": True, "zheng_vs_box": True}, (
        f"Chinese renders as boxes in {font}"
    )

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
    assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
    page.close()


def test_data_and_settings_page_in_browser(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 2200}, locale="zh-CN")
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or r.url))
    sign_in(page, server)
    from playwright.sync_api import expect

    page.get_by_text("数据与设置").first.click()
    expect(page.get_by_text("运行设置").first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("cell", name="HAZARDS_DUE_SOON_DAYS")).to_be_visible()
    page.wait_for_timeout(1000)
    assert page.locator("[data-testid='stException']").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "data_settings.png"), full_page=True)
    assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
    page.close()
