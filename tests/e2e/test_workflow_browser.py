"""The workflow in a real browser: a brigade records progress with a photo and requests
sign-off; the detachment accepts it; the overview's closed count goes up by one."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

from tests.e2e.conftest import open_hazard, sign_in, sign_out

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _photo(path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (640, 360), (60, 140, 90)).save(buf, format="JPEG")
    path.write_bytes(buf.getvalue())
    return path


def _open_hazard(page, hid: str) -> None:
    open_hazard(page, hid)


def _form(page, text: str):  # ANN202
    return page.locator("[data-testid='stForm']").filter(has_text=text).first


def _closed_on_overview(page) -> str:
    from playwright.sync_api import expect

    page.get_by_role("link", name="总览").click()
    metric = page.locator("[data-testid='stMetric']").filter(has_text="已销号").first
    value = metric.locator("[data-testid='stMetricValue']")
    expect(value).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1000)
    return value.inner_text()


def test_progress_signoff_and_acceptance(server: str, browser, demo_db_path, tmp_path) -> None:
    from playwright.sync_api import expect

    from analytics.store import db

    conn = db.open_for_reading(demo_db_path)
    hid = conn.execute(
        "SELECT hazard_id FROM hazards WHERE unit_adcode = '341226' AND state = '整改中'"
        " ORDER BY hazard_id LIMIT 1"
    ).fetchone()[0]
    conn.close()
    photo = _photo(tmp_path / "整改现场.jpg")
    hosts: set[str] = set()
    page = browser.new_page(viewport={"width": 1500, "height": 2400}, locale="zh-CN")
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or r.url))

    sign_in(page, server, "admin")
    closed_before = _closed_on_overview(page)
    sign_out(page)

    sign_in(page, server, "yingshang")
    _open_hazard(page, hid)
    form = _form(page, "整改进展")
    form.get_by_label("整改进展").fill("护栏已全部安装，标志标线已施划")
    form.locator("input[type='file']").set_input_files(str(photo))
    expect(form.get_by_text("整改现场.jpg")).to_be_visible(timeout=15_000)
    form.get_by_role("button", name="提交").click()
    expect(page.get_by_text("护栏已全部安装，标志标线已施划").first).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stImage']").first).to_be_visible(timeout=30_000)

    page.get_by_role("tab", name="申请销号").click()
    form = _form(page, "整改完成情况")
    form.get_by_label("整改完成情况").fill("已按完成标准整改完毕")
    form.locator("input[type='file']").set_input_files(str(photo))
    expect(form.get_by_text("整改现场.jpg")).to_be_visible(timeout=15_000)
    form.get_by_role("button", name="提交").click()
    expect(page.get_by_text("流程状态：申请销号")).to_be_visible(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "hazard_signoff_requested.png"), full_page=True)
    sign_out(page)

    sign_in(page, server, "admin")
    _open_hazard(page, hid)
    form = _form(page, "验收结论及依据")
    form.get_by_label("验收人").fill("李四")
    form.get_by_label("验收结论及依据").fill("现场核查，护栏与标线达到完成标准")
    form.get_by_role("button", name="提交").click()
    expect(page.get_by_text("流程状态：已销号")).to_be_visible(timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "hazard_closed.png"), full_page=True)

    closed_after = _closed_on_overview(page)
    assert int(closed_after.split()[0]) == int(closed_before.split()[0]) + 1
    assert page.locator("[data-testid='stException']").count() == 0
    assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
    page.close()
