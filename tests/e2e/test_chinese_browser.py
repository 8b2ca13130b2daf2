"""Chinese everywhere, in a real browser: every page as the detachment's admin and as a brigade
shows no Latin word that is not a code, a unit, a file format or a name (Streamlit's own English
on widgets is replaced by CSS, so the text is read as the user sees it, pseudo-elements
included); and a brigade's pages fit a phone (390×844)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.demo import build as demo
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# The text a user sees: text nodes that take space on screen (Streamlit's visually hidden
# accessibility labels, icon ligatures (translate="no") and text CSS shrank to nothing are
# left out) and the ::before/::after content that replaces Streamlit's English.
VISIBLE_TEXT = """() => {
  const out = [];
  const shown = (e) => {
    const r = e.getBoundingClientRect();
    const cs = getComputedStyle(e);
    return r.width > 2 && r.height > 2 && cs.visibility !== "hidden" && e.checkVisibility()
      && !(cs.clip === "rect(0px, 0px, 0px, 0px)" || cs.clipPath === "inset(50%)");
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode, e = n.parentElement;
    if (!e || e.closest('[translate="no"], script, style, noscript') || !shown(e)) continue;
    if (parseFloat(getComputedStyle(e).fontSize) < 1) continue;
    out.push(n.textContent);
  }
  for (const e of document.body.querySelectorAll("*")) {
    for (const pseudo of ["::before", "::after"]) {
      const c = getComputedStyle(e, pseudo).content;
      if (c && c.startsWith('"') && shown(e)) out.push(c.slice(1, -1));
    }
  }
  return out.join("\\n");
}"""

USERNAMES = {username for username, *_ in demo.DEMO_ACCOUNTS} | {demo.DEMO_PASSWORD}
ALLOWED = [  # whole words (case-insensitive) that are codes, units, formats, systems or names
    r"[GSXYZCV]\d+",  # route codes: G105, S305, X001
    r"K\d+(\+\d+)?",  # stakes: K12+300
    r"WGS-?84|GCJ-?02|BD-?09|SHA-?256|HSM|GIS|GPS|ID",
    r"xlsx?|csv|docx?|pdf|jpe?g|png|json|toml|zip|duckdb|https?",
    r"Excel|Word|DataV|GeoAtlas|PostgreSQL|DuckDB",  # products named by their own names
    r"[KMG]?B|km|m|h|s|ms|AADT",  # units
    r"HAZARDS_[A-Z_]+",  # the settings' environment variables
    r"[a-z]\d*",  # a single letter: a column or a variable in a formula
]
ALLOWED_RE = re.compile("|".join(f"(?:{p})" for p in ALLOWED), re.IGNORECASE)
# fragments read as a whole: hazard ids (341226-YH-2022-001), file paths, command lines shown
# to the administrator
FRAGMENTS = re.compile(
    r"\d+-YH-\d{4}-\d+|[A-Z][a-z]+/[A-Za-z_]+|(?:/[\w.+\-]+)+/?|python -m analytics [\w\- ./]+|[\w.\-]+\.(?:duckdb|toml|key|geojson|backup-key)\b"
)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*")


def latin_words(text: str) -> set[str]:
    """Latin words in text that are not codes, units, formats, usernames or paths."""
    text = FRAGMENTS.sub(" ", text)
    words = {w.strip("-+") for w in WORD.findall(text)}
    return {w for w in words if w and w not in USERNAMES and not ALLOWED_RE.fullmatch(w)}


def test_the_allow_list_is_made_of_patterns() -> None:
    shown = "G105 K12+300 WGS84 导出 xlsx 10 MB 341226-YH-2022-001 yingshang HAZARDS_DB_PATH"
    assert latin_words(shown) == set()
    english = {"Upload", "per", "file", "Take", "Photo"}
    assert latin_words("Upload 10MB per file • Take Photo") == english
    assert (
        latin_words("文件：/srv/data/hazards.duckdb；python -m analytics restore 备份目录") == set()
    )


def _settled(page) -> None:
    """Wait for the script run to finish (the status widget gone) and the page's title."""
    from playwright.sync_api import expect

    expect(page.locator("h1").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)
    expect(page.locator("[data-testid='stStatusWidget']")).to_have_count(0, timeout=60_000)
    page.wait_for_timeout(700)


def _pages(page) -> list[str]:
    links = page.locator("[data-testid='stSidebarNav'] a")
    return [links.nth(i).inner_text().strip().splitlines()[-1] for i in range(links.count())]


def _scan(page, username: str) -> dict[str, set[str]]:
    found = {}
    titles = sorted(_pages(page), key=lambda t: t == "指挥中心大屏")  # the wall hides the menu
    for title in titles:
        page.get_by_role("link", name=title, exact=True).first.click()
        _settled(page)
        if title == "指挥中心大屏":  # the wall refreshes itself; read it once it is drawn
            page.wait_for_timeout(1500)
        words = latin_words(page.evaluate(VISIBLE_TEXT))
        if words:
            found[f"{username}: {title}"] = words
    return found


@pytest.mark.parametrize("username", ["admin", "yingshang"])
def test_every_page_reads_in_chinese(server: str, browser, demo_db_path, username) -> None:
    from playwright.sync_api import expect

    from analytics.store import db

    conn = db.open_for_reading(demo_db_path)
    hid = conn.execute(
        "SELECT hazard_id FROM hazards WHERE unit_adcode = '341226' AND state = '整改中'"
        " ORDER BY hazard_id LIMIT 1"
    ).fetchone()[0]
    conn.close()
    page = browser.new_page(viewport={"width": 1400, "height": 1600}, locale="zh-CN")
    sign_in(page, server, username)
    found = _scan(page, username)
    # a hazard the brigade works on: the evidence uploader and the camera are on its forms
    page.goto(f"{server}/hazard?id={hid}")  # a link: the session's cookie keeps the user signed in
    expect(page.get_by_role("heading", name=f"隐患 {hid}")).to_be_visible(timeout=30_000)
    _settled(page)
    if username == "yingshang":
        page.get_by_role("tab", name="记录整改进展").click()
        page.get_by_text("用摄像头拍照").first.click()
        page.wait_for_timeout(1500)
    words = latin_words(page.evaluate(VISIBLE_TEXT))
    if words:
        found[f"{username}: 隐患 {hid}"] = words
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"chinese_hazard_{username}.png"))
    page.close()
    assert found == {}, "\n".join(f"{p}: {sorted(w)}" for p, w in found.items())


PHONE = {"width": 390, "height": 844}


def _overflow(page) -> int:
    """How far the page is wider than the phone's screen, in CSS pixels."""
    return page.evaluate("document.documentElement.scrollWidth") - PHONE["width"]


def _open_from_menu(page, title: str) -> None:
    """On a phone the sidebar is folded away: open it, then the page."""
    sidebar_open = page.locator("[data-testid='stSidebarNav']").is_visible()
    if not sidebar_open:
        page.locator("[data-testid='stExpandSidebarButton']").click()
    page.get_by_role("link", name=title, exact=True).first.click()
    _settled(page)
    if page.locator("[data-testid='stSidebarNav']").is_visible():  # fold it to read the page
        page.locator("[data-testid='stSidebarCollapseButton'] button").click()
        page.wait_for_timeout(500)


def test_a_brigade_works_from_a_phone(server: str, browser, demo_db_path) -> None:
    from playwright.sync_api import expect

    from analytics.store import db

    conn = db.open_for_reading(demo_db_path)
    hid = conn.execute(
        "SELECT hazard_id FROM hazards WHERE unit_adcode = '341226' AND state = '整改中'"
        " ORDER BY hazard_id LIMIT 1"
    ).fetchone()[0]
    conn.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    sign_in(page, server, "yingshang")
    checked = {}
    for title, shot in [
        ("我的待办", "phone_tasks"),
        ("总览", "phone_overview"),
        ("领导驾驶舱", "phone_cockpit"),
    ]:
        _open_from_menu(page, title)
        checked[title] = _overflow(page)
        page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
    # the hazard's progress form: the text, the evidence, the camera and the button in reach
    page.goto(f"{server}/hazard?id={hid}")  # a link: the session's cookie keeps the user signed in
    expect(page.get_by_role("heading", name=f"隐患 {hid}")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="记录整改进展").click()
    form = page.locator("[data-testid='stForm']").filter(has_text="整改进展").first
    form.get_by_role("button", name="提交").scroll_into_view_if_needed()
    box = form.get_by_role("button", name="提交").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    checked["隐患详情"] = _overflow(page)
    page.screenshot(path=str(SCREENSHOTS / "phone_hazard.png"), full_page=True)
    page.close()
    assert all(over <= 4 for over in checked.values()), checked


def _words_now(page, found: dict[str, set[str]], what: str) -> None:
    page.wait_for_timeout(700)
    if words := latin_words(page.evaluate(VISIBLE_TEXT)):
        found[what] = words


def _to_toolbar_button(page, table, button) -> None:
    """The mouse onto a table toolbar button, passing over the table so the toolbar stays shown.

    The toolbar shows only while the pointer is over its table; Playwright's own hover scrolls
    and re-checks the hit target, and on a loaded machine the toolbar can fade between the two
    (seen in CI: the caption above the table, then the grid, "intercepts pointer events")."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # this button's own tooltip (its text is the button's label), not the last one fading out
    label = button.get_attribute("aria-label") or ""
    tooltip = page.locator("[data-testid='stTooltipContent']").filter(has_text=label)
    for _ in range(4):
        table.hover()
        button.wait_for(state="visible")
        box = button.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=8)
        try:
            tooltip.first.wait_for(state="visible", timeout=3_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError("the table toolbar button never showed its tooltip")


def test_what_appears_on_interaction_reads_in_chinese(server: str, browser) -> None:
    """Streamlit's table toolbar and menus, typing hints, an empty select and the calendar."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    sign_in(page, server, "admin")
    found: dict[str, set[str]] = {}
    page.get_by_role("group", name="统计截至").click()  # the date input's calendar
    _words_now(page, found, "日历")
    page.keyboard.press("Escape")
    page.get_by_role("link", name="隐患台账", exact=True).click()
    _settled(page)
    table = page.locator("[data-testid='stDataFrame']").first
    table.scroll_into_view_if_needed()
    table.hover()
    buttons = page.locator("[data-testid='stElementToolbar']").first.locator("button")
    buttons.first.wait_for(state="visible")
    assert buttons.count() == 4  # columns, download, search, fullscreen
    for i in range(buttons.count()):  # each button's tooltip
        _to_toolbar_button(page, table, buttons.nth(i))
        _words_now(page, found, f"表格工具栏提示 {i}")
    for i, label in [(0, "显示/隐藏列"), (2, "搜索")]:  # the toolbar's order
        _to_toolbar_button(page, table, buttons.nth(i))
        page.mouse.down()
        page.mouse.up()
        _words_now(page, found, label)
        page.keyboard.press("Escape")
    box = table.bounding_box()
    page.mouse.move(box["x"] + 500, box["y"] + 16)  # a column header shows its menu button
    page.mouse.click(box["x"] + 600, box["y"] + 16)
    _words_now(page, found, "列菜单")
    page.get_by_role("menuitem").nth(2).hover()  # 统计 (after the two sorts)
    _words_now(page, found, "列统计")
    page.keyboard.press("Escape")
    page.get_by_label("关键字").fill("宁洛")  # typed, not yet applied: the typing hint shows
    _words_now(page, found, "输入提示")
    page.get_by_label("单位").first.click()
    page.keyboard.type("zzz")  # a select with no match
    _words_now(page, found, "无匹配的选择框")
    page.screenshot(path=str(SCREENSHOTS / "chinese_interaction.png"))
    page.close()
    assert found == {}, "\n".join(f"{p}: {sorted(w)}" for p, w in found.items())
