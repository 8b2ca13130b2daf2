"""Signing in and out: the session in the database, its cookie in the browser, the signed-in
user re-read on every run, the first administrator, the account box in the sidebar."""

from __future__ import annotations

import json

import duckdb
import streamlit as st

from analytics.accounts import auth, sessions
from ui.context import Context
from ui.text import plain


def sign_in(ctx: Context, user: auth.User, cur: duckdb.DuckDBPyConnection | None = None) -> None:
    """Start a session in the database; its token goes to the browser's cookie on this run."""
    now = ctx.settings.now()  # sessions run on the real clock, also in the demo
    token = sessions.create(cur or ctx.cur, user.username, now)
    st.session_state.update(
        user=user,
        signed_in_at=now,
        last_seen=now,
        session=sessions.token_hash(token),
        set_cookie=token,
    )


def sign_out(ctx: Context) -> None:
    """End every session of the account (every tab, every browser) and forget the cookie."""
    user = st.session_state.get("user")
    if user is not None and st.session_state.get("session"):
        sessions.end_all(ctx.cur, user.username, "sign_out", ctx.settings.now())
    _forget()


def _forget() -> None:
    for key in ("user", "signed_in_at", "last_seen", "session", "set_cookie"):
        st.session_state.pop(key, None)
    st.session_state["clear_cookie"] = True


def _cookie_token() -> str | None:
    """The session token the browser sent when this tab connected (st.context.cookies is read
    from the websocket's opening request: it does not change while the tab stays connected)."""
    token = st.context.cookies.get(sessions.COOKIE)
    return token if isinstance(token, str) and 0 < len(token) <= 128 else None


def current_user(ctx: Context) -> auth.User | None:
    """The signed-in user, re-read from the store: this tab's session, or the one the browser's
    cookie names (a reload, a new tab, a link). None once the session ended (signed out in any tab,
    expired, the account disabled or its password changed): then the sign-in page says why."""
    user = st.session_state.get("user")
    hashed = st.session_state.get("session")
    if user is None:
        token = _cookie_token()
        if token is None or sessions.token_hash(token) == st.session_state.get("dead_cookie"):
            return None
        hashed = sessions.token_hash(token)
    elif hashed is None:
        return _memory_session(ctx, user)
    now = ctx.settings.now()
    found = sessions.lookup(
        ctx.cur, hashed, now, ctx.settings.session_idle_minutes, ctx.settings.session_max_hours
    )
    fresh = auth.get_user(ctx.cur, found.username) if found.username else None
    if fresh is None:
        if found.reason or user is not None:
            st.session_state["session_ended"] = found.reason or sessions.REASONS["disabled"]
        _forget()
        st.session_state["dead_cookie"] = hashed  # looked up once: not again in this tab
        return None
    st.session_state.update(
        user=fresh, session=hashed, signed_in_at=found.created_at, last_seen=now
    )
    return fresh


def _memory_session(ctx: Context, user: auth.User) -> auth.User | None:
    """A session held only in this tab's memory (tests and benchmarks set one directly)."""
    now = ctx.settings.now()
    expired = auth.session_expired(
        st.session_state["signed_in_at"],
        st.session_state["last_seen"],
        now,
        ctx.settings.session_idle_minutes,
        ctx.settings.session_max_hours,
    )
    fresh = auth.get_user(ctx.cur, user.username)
    if fresh is None:
        reason = sessions.REASONS["disabled"]
    elif auth.password_changed_since(ctx.cur, user.username, st.session_state["signed_in_at"]):
        reason = sessions.REASONS["password"]
    elif expired:
        reason = sessions.REASONS["idle"]
    else:
        reason = None
    if reason:
        _forget()
        st.session_state["session_ended"] = reason
        return None
    st.session_state.update(user=fresh, last_seen=now)
    return fresh


def session_cookie(ctx: Context) -> None:
    """Hand the browser the session cookie after signing in, or remove it after a session ended.

    Streamlit can read cookies (st.context.cookies) but not set them, so a script in the page sets
    it (st.html runs it in the app's own document, not in an iframe). Being set from a script, the
    cookie cannot be HttpOnly; it is SameSite=Strict, for the whole site (Path=/), Secure when the
    page is served over https, and lasts as long as the absolute limit allows.
    """
    if token := st.session_state.pop("set_cookie", None):
        st.session_state.pop("clear_cookie", None)
        value = f"{sessions.COOKIE}={token}; Max-Age={ctx.settings.session_max_hours * 3600}"
    elif st.session_state.pop("clear_cookie", None):
        value = f"{sessions.COOKIE}=; Max-Age=0"
    else:
        return
    st.html(
        f"<script>document.cookie = {json.dumps(value + '; Path=/; SameSite=Strict')}"
        ' + (location.protocol === "https:" ? "; Secure" : "");</script>',
        unsafe_allow_javascript=True,
        width="content",
    )


def ensure_initial_admin(ctx: Context) -> None:
    """Create 'admin' from HAZARDS_INITIAL_ADMIN_PASSWORD when the store has no account."""
    password = ctx.settings.initial_admin_password
    if password and auth.account_count(ctx.cur) == 0:
        try:
            auth.add_user(ctx.cur, "系统初始化", "admin", "支队管理员", "admin", None, password)
        except auth.AuthError as e:
            st.error(f"无法用 HAZARDS_INITIAL_ADMIN_PASSWORD 创建管理员账号：{plain(e)}")


def account_box(ctx: Context, user: auth.User) -> None:
    """The signed-in user in the sidebar, with sign-out."""
    with st.sidebar:
        st.markdown(f"**{plain(user.display_name)}**  \n{user.role_label} · {plain(user.username)}")
        if st.button("退出登录", key="sign_out", icon=":material/logout:"):
            sign_out(ctx)
            st.rerun()
