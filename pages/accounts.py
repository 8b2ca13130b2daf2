"""账号管理 (administrators): create accounts, reset passwords, disable and enable them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import auth
from pages import _ui


def page() -> None:
    ctx = _ui.context()
    auth.check(ctx.user, "manage_accounts")
    _ui.header(ctx, "账号管理")
    users = auth.list_users(ctx.cur)
    st.dataframe(
        pd.DataFrame(
            {
                "用户名": users.username,
                "名称": users.display_name,
                "角色": users.role.map(auth.ROLES),
                "单位": users.unit_name.fillna(""),
                "状态": ["停用" if d else "启用" for d in users.disabled],
                "演示账号": ["是" if d else "" for d in users.is_demo],
                "连续失败": users.failed_attempts,
            }
        ),
        hide_index=True,
    )
    demo = users[users.is_demo & ~users.disabled]
    real_admins = users[(users.role == "admin") & ~users.is_demo & ~users.disabled]
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
    with left, st.form("add_user", clear_on_submit=True):
        st.markdown("**新建账号**")
        username = st.text_input("用户名")
        name = st.text_input("名称", placeholder="例如：颍上县大队·张三")
        role = st.selectbox("角色", list(auth.ROLES), format_func=auth.ROLES.get)
        unit = st.selectbox("单位（区县大队账号必填）", [None, *units],
                            format_func=lambda u: units.get(u, "—"))  # fmt: skip
        password = st.text_input("初始密码", type="password", help="至少 8 位，含字母和数字")
        if st.form_submit_button("创建"):
            try:
                auth.add_user(ctx.cur, ctx.user.username, username.strip(), name.strip() or username,
                              role, unit, password)  # fmt: skip
            except auth.AuthError as e:
                st.error(_ui.plain(e))
            else:
                st.success(f"已创建账号 {_ui.plain(username)}")
    with right, st.form("change_user"):
        st.markdown("**修改账号**")
        target = st.selectbox("账号", users.username.tolist())
        new_password = st.text_input("新密码（留空则不改）", type="password")
        status = st.radio("状态", ["不变", "启用", "停用"], horizontal=True)
        if st.form_submit_button("保存"):
            try:
                if target == ctx.user.username and status == "停用":
                    raise auth.AuthError("不能停用当前登录的账号")
                if new_password:
                    auth.set_password(ctx.cur, ctx.user.username, target, new_password)
                if status != "不变":
                    auth.set_disabled(ctx.cur, ctx.user.username, target, status == "停用")
            except auth.AuthError as e:
                st.error(_ui.plain(e))
            else:
                st.success("已保存")


_ui.guarded(page)
