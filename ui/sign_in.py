"""The sign-in form: the only thing shown before signing in (pages/sign_in.py, and every page's
address while nobody is signed in: ui.gate)."""

from __future__ import annotations

import streamlit as st

from analytics.accounts import auth
from analytics.demo.build import DEMO_ACCOUNTS, DEMO_PASSWORD
from ui import errors, session
from ui.context import Context, load
from ui.text import plain


def page(ctx: Context | None = None) -> None:
    """The sign-in page, for this run's context (loaded when not given)."""
    ctx = load() if ctx is None else ctx
    session.session_cookie(ctx)  # a session that ended: the browser forgets its cookie
    with st.columns([1, 2, 1])[1]:
        _form(ctx)


def _form(ctx: Context) -> None:
    st.title("道路交通安全隐患治理系统")
    st.caption(f"{ctx.city.detachment} · 一单四制隐患台账与事故分析")
    if reason := st.session_state.pop("session_ended", None):
        st.info(reason)
    with st.form("sign_in", clear_on_submit=False):
        st.text_input("用户名", key="sign_in_username")
        st.text_input("密码", type="password", key="sign_in_password")
        st.form_submit_button("登录", type="primary", on_click=_submit, args=(ctx,))
    if error := st.session_state.pop("sign_in_error", None):
        st.error(plain(error))
    if auth.demo_accounts_active(ctx.cur):
        names = "、".join(
            f"{u}（{name.removesuffix('（演示）')}）" for u, name, *_ in DEMO_ACCOUNTS
        )
        st.warning(
            f"**演示账号已启用**，密码均为 `{DEMO_PASSWORD}`：{names}。正式使用前请由管理员停用演示账号。",
            icon=":material/key:",
        )
    elif auth.account_count(ctx.cur) == 0:
        st.warning(
            "系统中还没有任何账号。请在服务器上运行 "
            "`python -m analytics user add admin --role admin --name 支队管理员`，"
            "或设置 HAZARDS_INITIAL_ADMIN_PASSWORD 后重启。"
        )


def _submit(ctx: Context) -> None:
    """Check the credentials before the rerun; the password is blanked in session state first
    (a widget's value otherwise stays there for the whole session)."""
    username = st.session_state.get("sign_in_username", "").strip()
    password = st.session_state.get("sign_in_password", "")
    st.session_state.pop("sign_in_password", None)  # the value the browser sent, too
    st.session_state["sign_in_password"] = ""  # and the browser's field is emptied
    cur = ctx.cur.cursor()  # this callback runs before the page: a cursor of its own
    try:
        user = auth.authenticate(
            cur,
            username,
            password,
            ctx.settings.now(),
            ctx.settings.max_failed_logins,
            ctx.settings.lockout_minutes,
        )
    except auth.AuthError as e:
        st.session_state["sign_in_error"] = str(e)
    else:
        st.session_state.pop("sign_in_username", None)
        session.sign_in(ctx, user, cur)
    finally:
        cur.close()


def guarded_page() -> None:
    """The sign-in page with errors shown as ui.errors shows them (app.py serves it at every
    page's address while nobody is signed in)."""
    errors.guarded(page)
