"""通报 in a real browser: the preview renders in Chinese, the draft downloads, issuing archives it."""

from __future__ import annotations

import io
import os
from pathlib import Path

from docx import Document

from tests.e2e.conftest import ROOT, sign_in

SHOTS = Path(os.environ.get("HAZARDS_SHOTS_DIR", ROOT / "artifacts" / "screenshots"))


def test_bulletin_preview_download_and_issue(server, browser) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    sign_in(page, server)
    page.get_by_role("link", name="通报").click()
    expect(page.get_by_text("2022年第1期（草稿）").first).to_be_visible(timeout=30_000)
    # as of the demo's last day: 225 listed, 168 closed (the demo city)
    expect(page.get_by_text("全市累计排查认定道路交通安全隐患225处").first).to_be_visible()
    expect(page.get_by_text("表1　各单位隐患整改排名")).to_be_visible()
    page.wait_for_timeout(1500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "bulletin.png"))

    with page.expect_download() as d:
        page.get_by_role("button", name="下载草稿（Word）").click()
    draft = Document(io.BytesIO(Path(d.value.path()).read_bytes()))
    assert draft.paragraphs[1].text == "2022年第1期（草稿）"

    page.get_by_text("我已核对通报内容，确认签发").click()
    page.get_by_role("button", name="签发").click()
    expect(page.get_by_text("已签发 2022年第1期")).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="通报存档").click()
    with page.expect_download() as d:
        page.get_by_role("button", name="下载存档原件（Word）").click()
    issued = Document(io.BytesIO(Path(d.value.path()).read_bytes()))
    assert issued.paragraphs[1].text == "2022年第1期"
    page.screenshot(path=str(SHOTS / "bulletin_archive.png"))
    page.close()
