"""重点车辆与驾驶人 in a real browser: Chinese headings, a case's detail with masked personal data,
the full view for the detachment, at a desk's and a phone's width, nothing leaving 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from analytics.store import db
from tests import source_seed as seed
from tests.e2e.conftest import running_app, sign_in

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
MASKED_ID = seed.DRIVER_ID[:4] + "*" * 10 + seed.DRIVER_ID[-4:]


@pytest.fixture(scope="module")
def seeded_server(demo_db_path, fuyang, tmp_path_factory) -> Iterator[tuple[str, int]]:
    """The app on a demo copy holding the seeded lists (written before the server starts), and
    the seeded driver's case id (ids follow the demo's)."""
    folder = tmp_path_factory.mktemp("e2e_sources")
    path = folder / "hazards.duckdb"
    shutil.copy(demo_db_path, path)
    conn = db.open_store(path, fuyang)
    for statement in (  # whatever source data the demo brings: the figures are the seed's
        "DELETE FROM source_cases",
        "DELETE FROM source_snapshot_rows",
        "DELETE FROM source_snapshots",
        "DELETE FROM source_subjects",
    ):
        conn.execute(statement)
    seed.seed(conn, fuyang)
    (case_id,) = conn.execute(
        "SELECT case_id FROM source_cases WHERE subject_key = ?", [f"D:{seed.DRIVER_ID}"]
    ).fetchone()
    conn.close()
    with running_app(path, folder / "streamlit.log") as url:
        yield url, case_id


def _page(browser, hosts: set[str], width: int, height: int):  # ANN202
    page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or r.url))
    return page


def _open_case(page, width: int, case_id: int) -> None:
    from playwright.sync_api import expect

    phone = width < 600
    if phone and not page.locator("[data-testid='stSidebarNav']").is_visible():
        page.locator("[data-testid='stExpandSidebarButton']").click()
    page.get_by_role("link", name="重点车辆与驾驶人").click()
    if phone and page.locator("[data-testid='stSidebarNav']").is_visible():  # fold it to read
        page.locator("[data-testid='stSidebarCollapseButton'] button").click()
    expect(page.get_by_role("heading", name="重点车辆与驾驶人")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("各指标清零情况").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("单位排名与清零预计").first).to_be_visible()
    page.get_by_role("tab", name="案件").click()
    page.locator("[data-testid='stSelectbox']").filter(has_text="选择案件").click()
    page.get_by_role("option", name=f"案件 {case_id} · 驾驶人·逾期未审验 · 李*华").click()
    expect(page.get_by_text("该对象的其他案件")).to_be_visible(timeout=30_000)


def test_case_detail_and_full_view(seeded_server: tuple[str, int], browser) -> None:
    from playwright.sync_api import expect

    url, case_id = seeded_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1400, 3200), (390, 5200)):
        hosts: set[str] = set()
        page = _page(browser, hosts, width, height)
        sign_in(page, url)
        page.get_by_role("link", name="重点车辆与驾驶人").wait_for(state="attached")
        _open_case(page, width, case_id)
        table = page.locator("[data-testid='stTable']").first
        expect(table).to_contain_text(MASKED_ID)
        expect(table).not_to_contain_text(seed.DRIVER_ID)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SCREENSHOTS / f"sources_case_{width}.png"), full_page=True)
        page.get_by_role("button", name="显示完整信息").click()
        expect(table).to_contain_text(seed.DRIVER_ID, timeout=30_000)
        expect(page.get_by_text("本次查看已记入操作日志")).to_be_visible()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SCREENSHOTS / f"sources_revealed_{width}.png"), full_page=True)
        page.get_by_role("tab", name="指标").click()
        page.wait_for_timeout(1500)
        page.screenshot(path=str(SCREENSHOTS / f"sources_figures_{width}.png"), full_page=True)
        assert page.locator("[data-testid='stException']").count() == 0
        assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
        page.close()
