"""Router: page config, navigation over the pages that exist, run the chosen page."""

import logging
from pathlib import Path

import streamlit as st

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(
    page_title="道路交通安全隐患治理",
    page_icon=str(Path(__file__).parent / "data" / "assets" / "favicon.png"),
    layout="wide",
    initial_sidebar_state="expanded",
)

pages = {
    "总览": [
        st.Page("pages/overview.py", title="总览", icon=":material/dashboard:", default=True),
        st.Page("pages/cockpit.py", title="领导驾驶舱", icon=":material/monitoring:"),
        st.Page("pages/big_screen.py", title="指挥中心大屏", icon=":material/tv:"),
    ],
    "系统": [st.Page("pages/data_settings.py", title="数据与设置", icon=":material/settings:")],
}
st.navigation(pages).run()
