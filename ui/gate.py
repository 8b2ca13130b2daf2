"""Every page's first call: its context, once the session and the page's access action are
checked.

Streamlit can run a file of pages/ directly (its folder auto-discovery on a server's very first
request), bypassing app.py and listing the page files in English; such a run hands over to app.py
at once, which opens the same page (and query) through its own navigation.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAPIException

from analytics import access
from ui import session, sign_in
from ui.context import Context, load


def context(require_user: bool = True, action: str | None = None) -> Context:
    """Settings, city and this run's store view; stops the page with the sign-in form when
    nobody is signed in (require_user), or with a Chinese refusal when the signed-in role may
    not take ``action``."""
    if not st.session_state.get("routed"):  # run directly, not through app.py's navigation
        page = Path(sys._getframe(1).f_code.co_filename).stem
        st.session_state["reroute"] = (page, st.query_params.to_dict())
        try:
            st.switch_page("app.py")
        except StreamlitAPIException:  # the page is the entry point itself (a test harness)
            st.session_state.pop("reroute")
    ctx = load()
    if not require_user:
        return ctx
    if session.current_user(ctx) is None:
        sign_in.page(replace(ctx, user=None))
        st.stop()
    ctx = replace(ctx, user=st.session_state.get("user"))
    if action is not None and not access.may(ctx.user, action):
        st.error(f"当前账号（{ctx.user.role_label}）无权{access.ACTIONS[action].label}。")
        st.stop()
    return ctx
