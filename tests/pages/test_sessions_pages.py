"""Signing in once, through AppTest: the session in the database, the cookie's script, a second
tab found by its cookie, signing out everywhere. (The browser test checks the real cookie.)"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analytics.accounts import auth, sessions
from tests.conftest import ROOT
from tests.pg_mode import store_conn
from ui import session


def _signed_in(username: str = "admin", *, page: bool = True) -> AppTest:
    """A tab signed in through the form (then on 总览: AppTest stays on the page it ran last)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    at.text_input(key="sign_in_username").set_value(username)
    at.text_input(key="sign_in_password").set_value("demo2022")
    at.button[0].click().run()
    assert at.session_state["user"].username == username
    if page:
        at.switch_page("pages/overview.py").run()
    return at


def _token(at: AppTest) -> str:
    return _scripts(at).split(f"{sessions.COOKIE}=")[1].split(";")[0]


def _sessions(path) -> list[tuple]:
    conn = store_conn(path)  # the app's own instance
    try:
        return conn.execute(
            "SELECT token_hash, username, end_reason FROM sessions ORDER BY created_at"
        ).fetchall()
    finally:
        conn.close()


def _scripts(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


@pytest.fixture
def cookie(monkeypatch):
    """The cookie a new tab sends (st.context.cookies is empty under AppTest)."""
    sent: dict[str, str | None] = {"token": None}
    monkeypatch.setattr(session, "_cookie_token", lambda: sent["token"])
    return sent


def test_signing_in_starts_a_session_and_sets_the_cookie(demo_env, cookie) -> None:
    at = _signed_in(page=False)
    ((hashed, username, ended),) = _sessions(demo_env)
    assert (username, ended) == ("admin", None) and at.session_state["session"] == hashed
    script = _scripts(at)
    assert "document.cookie" in script and f"{sessions.COOKIE}=" in script
    assert "SameSite=Strict" in script and "Path=/" in script and '"; Secure"' in script
    token = _token(at)
    assert sessions.token_hash(token) == hashed  # only the hash is stored
    assert "set_cookie" not in at.session_state  # the token left the session once sent
    at.switch_page("pages/overview.py").run()
    assert at.title[0].value == "总览"
    assert "document.cookie" not in _scripts(at)  # set once


def test_a_new_tab_with_the_cookie_is_signed_in(demo_env, cookie) -> None:
    cookie["token"] = _token(_signed_in("leader", page=False))
    tab = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert tab.session_state["user"].username == "leader"
    assert tab.button(key="sign_out")
    cookie["token"] = "forged-token"
    stranger = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert "user" not in stranger.session_state and stranger.title[0].value.startswith("道路")


def test_signing_out_elsewhere_ends_this_tab_and_removes_the_cookie(demo_env, cookie) -> None:
    """(The sign-out button itself is clicked in the browser test: under AppTest a rerun runs
    the page file, not app.py's sidebar.)"""
    other = _signed_in()  # the same account in another browser
    cookie["token"] = _token(_signed_in(page=False))
    tab = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()  # by its cookie
    assert tab.session_state["user"].username == other.session_state["user"].username
    conn = store_conn(demo_env)
    sessions.end_all(conn, "admin", "sign_out")  # what the button does, in a third tab
    conn.close()
    for at in (tab, other):
        at.run()  # the next action
        assert "user" not in at.session_state
        assert "已退出登录" in at.info[0].value
        assert f'"{sessions.COOKIE}=; Max-Age=0' in _scripts(at)
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()  # a new tab
    assert "user" not in again.session_state


def test_disabling_an_account_signs_out_its_open_tabs(demo_env, cookie) -> None:
    at = _signed_in("yingshang")
    conn = store_conn(demo_env)
    auth.set_disabled(conn, "admin", "yingshang", True)
    conn.close()
    at.run()
    assert "user" not in at.session_state and "账号已停用" in at.info[0].value
