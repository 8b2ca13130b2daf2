"""One place turns a page's errors into what the user sees: a refusal as its Chinese message,
anything unexpected as a short apology with a reference (the traceback goes to the log)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import streamlit as st

from analytics.accounts import auth
from ui.text import plain

log = logging.getLogger("hazards.ui")


def guarded(page: Callable[[], None]) -> None:
    """Run a page; an unexpected error is logged in full and shown as a short apology.

    st.stop() and reruns are BaseExceptions in Streamlit and pass through untouched.
    """
    try:
        page()
    except auth.PermissionDenied as e:
        st.error(plain(e))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("page error (ref %s)", ref)
        st.error(f"抱歉，页面出现内部错误，请稍后重试或联系管理员（参考号 {ref}）。")
