"""A brigade uploads a GBK spreadsheet and sees the problem table (nothing is imported)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import sign_in
from tests.ingest.test_ingest_hazards import GBK_ROWS

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def test_upload_a_gbk_file_and_see_the_problems(server: str, browser, tmp_path) -> None:
    from playwright.sync_api import expect

    rows = [
        *GBK_ROWS[:4],
        "3,YZ-009,颍州区,人民路,K1+000,学校周边,一般,无,2022-06-07,2022-08-31,,,",
    ]
    path = tmp_path / "颍上台账.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gb18030"))
    hosts: set[str] = set()
    page = browser.new_page(viewport={"width": 1500, "height": 1800}, locale="zh-CN")
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or r.url))
    sign_in(page, server, "yingshang")
    page.get_by_role("link", name="数据上报").click()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    expect(page.get_by_text("预览（前 8 行）")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="检查并导入").click()
    expect(page.get_by_text("发现 1 个问题，整份文件未导入")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("问题清单（行号即 Excel 中看到的行号）")).to_be_visible()
    page.wait_for_timeout(1500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "upload_problems.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    assert hosts <= {"127.0.0.1"}
    page.close()
