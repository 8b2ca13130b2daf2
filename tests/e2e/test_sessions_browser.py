"""Signing in once: a reload, a new tab and a link stay signed in; signing out ends every tab.
The session cookie is checked as the browser holds it."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.conftest import running_app, sign_in
from tests.pg_mode import store_conn

pytestmark = pytest.mark.e2e
SIGNED_IN = 30_000


def _hazard_id(path) -> str:
    conn = store_conn(path, read_only=True)
    try:
        return conn.execute("SELECT min(hazard_id) FROM hazards WHERE state = '整改中'").fetchone()[
            0
        ]
    finally:
        conn.close()


def test_a_session_survives_reloads_tabs_and_links(browser, demo_db_path, tmp_path) -> None:
    from playwright.sync_api import expect

    shutil.copy(demo_db_path, tmp_path / "hazards.duckdb")
    hid = _hazard_id(tmp_path / "hazards.duckdb")
    with running_app(tmp_path / "hazards.duckdb", tmp_path / "streamlit.log") as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page = context.new_page()
        sign_in(page, url, "admin")
        out = page.get_by_role("button", name="退出登录")
        expect(page.get_by_role("heading", name="总览")).to_be_visible(timeout=SIGNED_IN)

        # the cookie: a random token, the whole site, never sent from other sites
        page.wait_for_function("document.cookie.includes('hazards_session=')", timeout=10_000)
        (cookie,) = [c for c in context.cookies() if c["name"] == "hazards_session"]
        assert len(cookie["value"]) >= 43 and cookie["path"] == "/"
        assert cookie["sameSite"] == "Strict" and not cookie["secure"]  # http here: no Secure
        assert cookie["expires"] > 0  # ends with the absolute limit, not with the browser
        assert not cookie["httpOnly"]  # set by the page's script: HttpOnly is not possible

        page.reload()  # F5
        expect(out).to_be_visible(timeout=SIGNED_IN)
        expect(page.get_by_role("heading", name="总览")).to_be_visible(timeout=SIGNED_IN)

        second = context.new_page()  # a new tab, straight to a page's address
        second.goto(url + "/ledger")
        expect(second.get_by_role("button", name="退出登录")).to_be_visible(timeout=SIGNED_IN)
        expect(second.get_by_role("heading", name="隐患台账")).to_be_visible(timeout=SIGNED_IN)

        # a link shared on another site (localhost is another site than 127.0.0.1): SameSite=Strict
        # holds the cookie back from that first request, but Streamlit reads cookies from the
        # page's own websocket request, which is same-site
        third = context.new_page()
        third.goto(url.replace("127.0.0.1", "localhost") + "/_stcore/health")
        third.evaluate(f"document.body.innerHTML = '<a id=go href={url}/ledger>link</a>'")
        third.click("#go")
        expect(third.get_by_role("heading", name="隐患台账")).to_be_visible(timeout=SIGNED_IN)
        third.close()

        out.click()  # signing out in the first tab ...
        expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible(timeout=SIGNED_IN)
        page.wait_for_function("!document.cookie.includes('hazards_session=')", timeout=10_000)
        assert not [c for c in context.cookies() if c["name"] == "hazards_session"]
        # ... signs the second out at its next action
        second.get_by_role("link", name="总览").click()
        expect(second.get_by_role("button", name="登录", exact=True)).to_be_visible(
            timeout=SIGNED_IN
        )
        expect(second.get_by_text("已退出登录")).to_be_visible()
        second.reload()
        expect(second.get_by_role("button", name="登录", exact=True)).to_be_visible(
            timeout=SIGNED_IN
        )

        # a link to a hazard, signed out: the sign-in form, then that hazard
        page.goto(f"{url}/hazard?id={hid}")
        expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible(timeout=SIGNED_IN)
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill("demo2022")
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page.get_by_role("heading", name=f"隐患 {hid}")).to_be_visible(timeout=SIGNED_IN)
        assert f"id={hid}" in page.url
        page.reload()
        expect(page.get_by_role("heading", name=f"隐患 {hid}")).to_be_visible(timeout=SIGNED_IN)
        context.close()


def test_addresses_a_role_may_not_open_and_typos_answer_in_chinese(server: str, browser) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    sign_in(page, server, "yingshang")
    page.goto(f"{server}/accounts")  # a brigade may not manage accounts
    expect(page.get_by_text("当前账号（区县大队）无权管理账号")).to_be_visible(timeout=SIGNED_IN)
    expect(page.get_by_role("link", name="账号管理")).to_have_count(0)  # still not in the menu
    page.goto(f"{server}/leger")  # a typo: Streamlit's own dialog, in Chinese
    expect(page.get_by_role("heading", name="页面不存在")).to_be_visible(timeout=SIGNED_IN)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    page.close()


def test_a_new_servers_first_visit_lists_no_page_files(browser, demo_db_path, tmp_path) -> None:
    """Streamlit's folder-based page list (English module names) stayed beside the sign-in form
    of a server's first session."""
    from playwright.sync_api import expect

    shutil.copy(demo_db_path, tmp_path / "hazards.duckdb")
    with running_app(tmp_path / "hazards.duckdb", tmp_path / "streamlit.log") as server:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        page.goto(f"{server}/ledger")  # a bookmark, the server's very first request
        expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible(timeout=SIGNED_IN)
        page.wait_for_timeout(1500)
        expect(page.locator("[data-testid='stSidebarNav']")).to_be_hidden()
        page.close()
