"""Router: page config, sign-in, the pages this user's role may open, run the chosen page.

The first run on a new server reaches st.navigation before any slow work (Streamlit shows its
folder-based page list, in English, until then): the store opens in a background thread
(analytics.startup) while a Chinese progress page shows; pandas, DuckDB and the pages' modules
are imported only once the store is ready.
"""

import logging
import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from analytics import startup
from analytics.config import SettingError, Settings

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(
    page_title="道路交通安全隐患治理",
    page_icon=str(Path(__file__).parent / "data" / "assets" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="auto",  # a phone opens with the menu folded away
)

st.session_state["routed"] = True  # pages run without app.py hand over to it (ui/gate.py)

# section → (file, title, icon, the access action that opens it; None: everyone signed in)
PAGES = {
    "总览": [("overview", "总览", "dashboard", None), ("cockpit", "领导驾驶舱", "monitoring", None),
             ("big_screen", "指挥中心大屏", "tv", "view_big_screen")],
    "隐患治理": [("tasks", "我的待办", "task_alt", "view_tasks"),
                 ("ledger", "隐患台账", "list_alt", None), ("hazard", "隐患详情", "assignment", None),
                 ("sources", "重点车辆与驾驶人", "local_shipping", None),
                 ("bulletin", "通报", "campaign", None), ("upload", "数据上报", "upload_file", "import")],
    "事故与点段": [("accidents", "事故分析", "car_crash", None),
                   ("hotspots", "事故多发点段", "warning", None),
                   ("road_map", "道路地图", "map", None), ("effect", "治理成效", "trending_down", None)],
    "系统": [("data_settings", "数据与设置", "settings", "view_settings"),
             ("accounts", "账号管理", "group", "manage_accounts"),
             ("audit_log", "操作日志", "history", "view_audit_log")],
}  # fmt: skip


# Streamlit's folder-based page list (English module names) can stay in the sidebar of a server's
# first session while nothing should be listed: hidden until the signed-in menu replaces it
NO_MENU = (
    "<style>[data-testid='stSidebarNav'], [data-testid='stSidebar'] { display: none; }</style>"
)


def _reroute(pages: list[st.Page]) -> None:
    """Open the page (and query) Streamlit ran directly before app.py did (ui/gate.py)."""
    if (target := st.session_state.pop("reroute", None)) is not None:
        name, query = target
        for page in pages:
            if page.url_path == name:
                st.switch_page(page, query_params=query)


def _starting() -> None:
    """Shown while the store opens (on a first start: while the demo city is built)."""
    st.title("道路交通安全隐患治理")
    with st.status("系统正在启动……", expanded=True) as status:
        shown = st.empty()
        while not boot.ready(wait=0.3):
            steps = list(boot.steps)
            lines = [f"- ✓ {s}" for s in steps[:-1]] + [f"- {s}……" for s in steps[-1:]]
            elapsed = f"已用时 {time.monotonic() - boot.started:.0f} 秒"
            shown.markdown("\n".join(lines) + f"\n\n{elapsed}；首次启动需生成演示数据，约需十秒。")
        status.update(label="启动完成", state="complete")
    if boot.failed:
        from ui import context  # shows the reason (in Chinese) and stops

        context.load()
    st.rerun()


try:
    boot = startup.begin(Settings.from_env())
except SettingError:
    boot = None  # ui.context.load shows the reason
if boot is not None and not boot.ready():
    # every address shows the progress, so a bookmarked page opens once the store is ready
    addresses = [file for pages in PAGES.values() for file, *_ in pages]
    starting = [st.Page(_starting, title="正在启动", url_path="starting", default=True)]
    starting += [st.Page(_starting, title="正在启动", url_path=a) for a in addresses]
    st.html(NO_MENU)
    st.navigation(starting, position="hidden").run()
    st.stop()

from analytics import access  # imported once the store is ready (see above)  # noqa: E402
from ui import chinese, context, session, sign_in  # noqa: E402

chinese.chinese_widgets()
ctx = context.load()
session.ensure_initial_admin(ctx)
user = session.current_user(ctx)
if user is None:
    # every page's address shows the sign-in form, so a bookmarked page opens after signing in
    addresses = [file for pages in PAGES.values() for file, *_ in pages]
    signed_out = [st.Page("pages/sign_in.py", title="登录", icon=":material/login:", default=True)]
    signed_out += [st.Page(sign_in.guarded_page, title="登录", url_path=a) for a in addresses]
    st.html(NO_MENU)
    chosen = st.navigation(signed_out, position="hidden")
    _reroute(signed_out)
    chosen.run()
    st.stop()

session.account_box(ctx, user)
session.session_cookie(ctx)


def _refused(title: str, action: str) -> Callable[[], None]:
    """What a page the role may not open shows when its address is typed or bookmarked."""

    def page() -> None:
        st.title(title)
        st.error(
            f"当前账号（{user.role_label}）无权{access.ACTIONS[action].label}，请从菜单选择页面。"
        )

    return page


sections: dict[str, list[st.Page]] = {name: [] for name in PAGES}
refused = []  # kept at their addresses, out of the menu: no English "Page not found"
for name, pages in PAGES.items():
    for file, title, icon, action in pages:
        if action is None or access.may(user, action):
            default = file == "overview"
            page = st.Page(
                f"pages/{file}.py", title=title, icon=f":material/{icon}:", default=default
            )
            sections[name].append(page)
        else:
            hidden = st.Page(
                _refused(title, action), title=title, url_path=file, visibility="hidden"
            )
            refused.append(hidden)
menu = {name: pages for name, pages in sections.items() if pages}
menu[next(iter(menu))] += refused
chosen = st.navigation(menu, expanded=True)
_reroute([page for pages in menu.values() for page in pages])
chosen.run()
