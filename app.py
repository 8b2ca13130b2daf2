"""Router: page config, sign-in, the pages this user's role may open, run the chosen page."""

import logging
from pathlib import Path

import streamlit as st

from analytics import auth
from pages import _ui, sign_in

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(
    page_title="道路交通安全隐患治理",
    page_icon=str(Path(__file__).parent / "data" / "assets" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
)

ctx = _ui.context(require_user=False)
_ui.ensure_initial_admin(ctx)
user = _ui.current_user(ctx)
if user is None:
    # every page's address shows the sign-in form, so a bookmarked page opens after signing in
    addresses = ("overview", "cockpit", "accidents", "effect", "road_map", "big_screen", "tasks",
                 "ledger", "hazard", "bulletin", "hotspots", "upload", "data_settings", "accounts",
                 "audit_log")  # fmt: skip
    signed_out = [st.Page("pages/sign_in.py", title="登录", icon=":material/login:", default=True)]
    signed_out += [st.Page(sign_in.guarded_page, title="登录", url_path=a) for a in addresses]
    st.navigation(signed_out, position="hidden").run()
    st.stop()

_ui.account_box(user)
overview = [
    st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
    st.Page("pages/cockpit.py", title="领导驾驶舱", icon=":material/monitoring:"),
]
if user.role in ("leader", "admin"):
    overview.append(st.Page("pages/big_screen.py", title="指挥中心大屏", icon=":material/tv:"))
hazards = [
    st.Page("pages/ledger.py", title="隐患台账", icon=":material/list_alt:"),
    st.Page("pages/hazard.py", title="隐患详情", icon=":material/assignment:"),
    st.Page("pages/bulletin.py", title="通报", icon=":material/campaign:"),
]
if user.role in ("admin", "county"):
    hazards.insert(0, st.Page("pages/tasks.py", title="我的待办", icon=":material/task_alt:"))
    hazards.append(st.Page("pages/upload.py", title="数据上报", icon=":material/upload_file:"))
analysis = [
    st.Page("pages/accidents.py", title="事故分析", icon=":material/car_crash:"),
    st.Page("pages/hotspots.py", title="事故多发点段", icon=":material/warning:"),
    st.Page("pages/road_map.py", title="道路地图", icon=":material/map:"),
    st.Page("pages/effect.py", title="治理成效", icon=":material/trending_down:"),
]
system = []
if user.role in ("leader", "admin"):  # server paths and settings are not for the brigades
    system.append(st.Page("pages/data_settings.py", title="数据与设置", icon=":material/settings:"))
if auth.can(user, "manage_accounts"):
    system.append(st.Page("pages/accounts.py", title="账号管理", icon=":material/group:"))
if auth.can(user, "view_audit_log"):
    system.append(st.Page("pages/audit_log.py", title="操作日志", icon=":material/history:"))
sections = {"总览": overview, "隐患治理": hazards, "事故与点段": analysis, "系统": system}
st.navigation({name: pages for name, pages in sections.items() if pages}, expanded=True).run()
