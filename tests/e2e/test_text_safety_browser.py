"""Typed text in a real browser: a hazard, account names, event notes, evidence file names and
imported road names full of Markdown images and links, HTML, LaTeX and directives. As an
administrator every page that shows them is opened; the browser asks nothing of any host but the
app's, and the DOM holds no outside image or link. Screenshots go to /tmp/shots-textsafe/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import open_hazard, running_app, sign_in
from tests.hostile_text import ADMIN_NAME, ATTACKS, make_hostile

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots-textsafe")
OUTSIDE_DOM = """() => [
    ...[...document.querySelectorAll('img')].map(e => ['img', e.src]),
    ...[...document.querySelectorAll('a[href]')].map(e => ['a', e.href]),
    ...[...document.querySelectorAll('[src]')].map(e => [e.tagName, e.src || '']),
].filter(([_, url]) => url && !url.startsWith(location.origin) && !url.startsWith('data:')
                      && !url.startsWith('blob:') && !url.startsWith('about:'))"""


@pytest.fixture(scope="module")
def hostile_server(demo_db_path, fuyang, tmp_path_factory):  # ANN201
    folder = tmp_path_factory.mktemp("hostile_e2e")
    shutil.copy(demo_db_path, folder / "hazards.duckdb")
    hid = make_hostile(folder / "hazards.duckdb", fuyang, folder / "evidence")
    with running_app(folder / "hazards.duckdb", folder / "streamlit.log") as url:
        yield url, hid


def shown(text: str) -> re.Pattern:
    """The text as the page shows it: as typed, with invisible word joiners (U+2060) that
    ui/text.plain puts where Markdown would find a link or a shortcode."""
    return re.compile("\u2060?".join(re.escape(c) for c in text))


def _visit(page, name: str, shot: str, literal: list[str], heading: str = "") -> None:
    """Open a page from the sidebar; each literal text shows as typed; no outside image/link."""
    from playwright.sync_api import expect

    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=heading or name).first).to_be_visible(timeout=30_000)
    for text in literal:
        expect(page.get_by_text(shown(text)).first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)  # late elements (images, charts) arrive
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)
    assert page.evaluate(OUTSIDE_DOM) == [], name


def test_typed_text_stays_text_in_the_browser(hostile_server, browser) -> None:
    from playwright.sync_api import expect

    server, hid = hostile_server
    SHOTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1500, "height": 3200}, locale="zh-CN")
    page.on("request", lambda r: requests.append(r.url))

    sign_in(page, server, "admin")
    expect(page.get_by_text(shown(ADMIN_NAME)).first).to_be_visible(timeout=30_000)  # sidebar

    open_hazard(page, hid)
    for text in [
        *ATTACKS,
        "测试路" + ATTACKS[0] + ATTACKS[2],
        "照片" + ATTACKS[1] + ".png",
        "验收" + ATTACKS[0] + ".png",
        "王某" + ATTACKS[3],
    ]:
        expect(page.get_by_text(shown(text)).first).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stImage']").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "hazard.png"), full_page=True)
    assert page.evaluate(OUTSIDE_DOM) == []
    assert page.locator("b", has_text="粗").count() == 0  # no HTML made it through

    _visit(page, "我的待办", "tasks", [])
    _visit(page, "操作日志", "audit_log", [])
    _visit(page, "账号管理", "accounts", [])
    _visit(page, "道路地图", "road_map", [])
    _visit(page, "事故多发点段", "hotspots", [])
    _visit(page, "隐患台账", "ledger", [])
    _visit(page, "通报", "bulletin", [ATTACKS[0] + ATTACKS[2]])  # the oldest overdue road
    _visit(page, "指挥中心大屏", "big_screen", [], heading="指挥中心")

    outside = sorted({u for u in requests if urlparse(u).hostname != "127.0.0.1"})
    assert outside == [], outside
    assert requests, "the request recorder saw the app's own requests"
