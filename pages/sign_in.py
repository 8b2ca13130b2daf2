"""登录: the only page before signing in."""

from __future__ import annotations

import streamlit as st

from analytics import auth
from analytics.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from pages import _ui


def page() -> None:
    ctx = _ui.context(require_user=False)
    with st.columns([1, 2, 1])[1]:
        _form(ctx)


def _form(ctx: _ui.Context) -> None:
    st.title("道路交通安全隐患治理系统")
    st.caption(f"{ctx.city.detachment} · 一单四制隐患台账与事故分析")
    if reason := st.session_state.pop("session_ended", None):
        st.info(reason)
    with st.form("sign_in", clear_on_submit=False):
        username = st.text_input("用户名", key="sign_in_username")
        password = st.text_input("密码", type="password", key="sign_in_password")
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        try:
            user = auth.authenticate(
                ctx.cur, username.strip(), password, ctx.settings.now(),
                ctx.settings.max_failed_logins, ctx.settings.lockout_minutes,
            )  # fmt: skip
        except auth.AuthError as e:
            st.error(_ui.plain(e))
        else:
            _ui.sign_in(ctx, user)
            st.rerun()
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


def guarded_page() -> None:
    _ui.guarded(page)


if __name__ == "__main__":  # run as a page file (app.py also serves it at every page's address)
    guarded_page()
