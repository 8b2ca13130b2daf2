"""No page shows data before signing in, not even a deep link as a server's very first request
(when Streamlit runs the file of pages/ directly, without app.py)."""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

import pytest

from tests.e2e.conftest import running_app

pytestmark = pytest.mark.e2e


def test_a_deep_link_to_a_fresh_server_asks_for_sign_in(browser, demo_db_path, tmp_path) -> None:
    from playwright.sync_api import expect

    shutil.copy(demo_db_path, tmp_path / "hazards.duckdb")
    with running_app(tmp_path / "hazards.duckdb", tmp_path / "streamlit.log") as url:
        hosts: set[str] = set()
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or r.url))
        page.goto(url + "/cockpit?unit=341226")
        expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible(timeout=30_000)
        assert page.locator("[data-testid='stMetric']").count() == 0
        page.get_by_label("用户名").fill("leader")
        page.get_by_label("密码").fill("demo2022")
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.get_by_role("heading", name="领导驾驶舱 · 颍上县")).to_be_visible(
            timeout=30_000
        )
        assert hosts <= {"127.0.0.1"}
        page.close()


def test_a_wrong_password_is_answered_and_the_field_emptied(
    browser, demo_db_path, tmp_path
) -> None:
    from playwright.sync_api import expect

    shutil.copy(demo_db_path, tmp_path / "hazards.duckdb")
    with running_app(tmp_path / "hazards.duckdb", tmp_path / "streamlit.log") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.goto(url)
        expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible(timeout=30_000)
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill("wrong-pass-123")
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.get_by_text("登录失败：用户名或密码不正确")).to_be_visible(timeout=30_000)
        expect(page.get_by_label("密码")).to_have_value("")
        expect(page.get_by_label("用户名")).to_have_value("admin")
        page.get_by_label("密码").fill("demo2022")
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.get_by_role("heading", name="总览")).to_be_visible(timeout=30_000)
        page.close()
