"""账号管理 (administrators): create accounts, reset passwords, disable, enable and unlock them.

The forms act in their submit callbacks, which first take the typed password out of session
state (a widget's value otherwise stays there); each callback checks the session and the
permission again, as the page does.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from analytics import access
from analytics.accounts import auth
from ui import errors, gate, session, widgets
from ui.context import Context
from ui.text import plain

STATUSES = ["不变", "启用", "停用", "解锁"]


def page() -> None:
    ctx = gate.context(action="manage_accounts")
    widgets.header(ctx, "账号管理")
    users = auth.list_users(ctx.cur, ctx.settings.now())
    st.dataframe(
        pd.DataFrame(
            {
                "用户名": users.username,
                "名称": users.display_name,
                "角色": users.role.map(access.ROLES),
                "单位": users.unit_name.fillna(""),
                "状态": [
                    "停用" if d else "锁定中" if lock else "启用"
                    for d, lock in zip(users.disabled, users.locked, strict=True)
                ],
                "锁定至": [
                    f"{t:%Y-%m-%d %H:%M}" if lock else ""
                    for t, lock in zip(users.locked_until, users.locked, strict=True)
                ],
                "演示账号": ["是" if d else "" for d in users.is_demo],
                "连续失败": users.failed_attempts,
            }
        ),
        hide_index=True,
    )
    demo = users[users.is_demo & ~users.disabled]
    managers = users.role.isin(access.ACTIONS["manage_accounts"].roles)  # who may manage accounts
    real_admins = users[managers & ~users.is_demo & ~users.disabled]
    if len(demo):
        if real_admins.empty:
            st.info(
                "停用演示账号前，请先在下方新建一个正式的支队管理员账号，以免无人能够管理系统。"
            )
        elif st.button(f"停用全部 {len(demo)} 个演示账号", type="primary"):
            for name in demo.username:
                auth.set_disabled(ctx.cur, ctx.user.username, name, True)
            st.rerun()

    units = {u.adcode: u.name for u in ctx.city.units}
    left, right = st.columns(2)
    with left:
        with st.form("add_user"):
            st.markdown("**新建账号**")
            st.text_input("用户名", key="new_username")
            st.text_input("名称", placeholder="例如：颍上县大队·张三", key="new_display_name")
            st.selectbox("角色", list(auth.ROLES), format_func=auth.ROLES.get, key="new_role")
            st.selectbox(
                "单位（区县大队账号必填）",
                [None, *units],
                key="new_unit",
                format_func=lambda u: units.get(u, "—"),
            )
            st.text_input("初始密码", type="password", help=auth.PASSWORD_RULE, key="new_password")
            st.form_submit_button("创建", key="create_account", on_click=_create, args=(ctx,))
        _show_result("add_user_result")
    with right:
        with st.form("change_user"):
            st.markdown("**修改账号**")
            st.selectbox("账号", users.username.tolist(), key="change_target")
            st.text_input(
                "新密码（留空则不改）",
                type="password",
                help=auth.PASSWORD_RULE,
                key="change_password",
            )
            st.radio(
                "状态",
                STATUSES,
                horizontal=True,
                key="change_status",
                help="解锁：清除连续失败次数和锁定，账号可立即再次登录",
            )
            st.form_submit_button("保存", key="save_account", on_click=_change, args=(ctx,))
        _show_result("change_user_result")


def _show_result(key: str) -> None:
    if result := st.session_state.pop(key, None):
        kind, text = result
        (st.success if kind == "success" else st.error)(plain(text))


def _take_password(key: str) -> str:
    """The typed password, removed from session state (and the browser's field emptied)."""
    password = st.session_state.pop(key, None) or ""
    st.session_state[key] = ""
    return password


def _acting_admin(ctx: Context, cur) -> auth.User | None:  # a DuckDB cursor
    """The signed-in user, checked again (a callback runs before the page's own checks)."""
    user = session.current_user(replace(ctx, cur=cur))
    return user if user is not None and access.may(user, "manage_accounts") else None


def _create(ctx: Context) -> None:
    s = st.session_state
    password = _take_password("new_password")
    username = (s.get("new_username") or "").strip()
    cur = ctx.cur.cursor()
    try:
        if (admin := _acting_admin(ctx, cur)) is None:
            return
        name = (s.get("new_display_name") or "").strip() or username
        auth.add_user(
            cur, admin.username, username, name, s.get("new_role"), s.get("new_unit"), password
        )
    except auth.AuthError as e:
        s["add_user_result"] = ("error", str(e))
    else:
        s["add_user_result"] = ("success", f"已创建账号 {username}")
        for key in ("new_username", "new_display_name"):
            s.pop(key, None)
    finally:
        cur.close()


def _change(ctx: Context) -> None:
    s = st.session_state
    password = _take_password("change_password")
    target, status = s.get("change_target"), s.get("change_status", "不变")
    cur = ctx.cur.cursor()
    try:
        if (admin := _acting_admin(ctx, cur)) is None or target is None:
            return
        if target == admin.username and status == "停用":
            raise auth.AuthError("不能停用当前登录的账号")
        if password:
            auth.set_password(cur, admin.username, target, password)
        if status in ("启用", "停用"):
            auth.set_disabled(cur, admin.username, target, status == "停用")
        elif status == "解锁":
            auth.unlock(cur, admin.username, target)
    except auth.AuthError as e:
        s["change_user_result"] = ("error", str(e))
    else:
        s["change_user_result"] = ("success", "已保存")
    finally:
        cur.close()


errors.guarded(page)
