"""Streamlit glue shared by the pages: the cached store, the as-of control, headers, errors."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

import duckdb
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from analytics import access, inert, startup
from analytics.accounts import auth, sessions
from analytics.city import City, CityConfigError
from analytics.config import SettingError, Settings
from analytics.fmt import date_cn, relative_change, signed, signed_points
from analytics.ledger import metrics
from analytics.ledger.periods import PERIOD_LABELS, PERIODS
from analytics.store import backup, db

log = logging.getLogger("hazards.ui")


@st.cache_resource(show_spinner="正在打开数据库……")
def _store(settings: Settings) -> tuple[duckdb.DuckDBPyConnection, City]:
    """One connection per process (DuckDB connections are not thread-safe: use cursors),
    opened by analytics.startup's thread (app.py shows its progress on a first start)."""
    return startup.begin(settings).result()


@dataclass(frozen=True)
class Context:
    settings: Settings
    city: City
    cur: duckdb.DuckDBPyConnection
    is_demo: bool
    data_span: tuple[date | None, date | None]
    revision: tuple  # the database file and its data fingerprint: the key of every cache
    user: auth.User | None  # the signed-in user (None on the sign-in page)
    clock_date: date | None  # a demo database pins "today" to its last day

    def now(self) -> datetime:
        """The time actions are recorded at: local time, on the demo's day for demo data."""
        now = self.settings.now()
        return datetime.combine(self.clock_date, now.time()) if self.clock_date else now

    def today(self) -> date:
        return self.now().date()

    def cached(self, fn: Callable, *args: object, **kwargs: object) -> object:
        """fn(cur, *args, **kwargs), computed once per data revision and arguments."""
        name = f"{fn.__module__}.{fn.__qualname__}"
        return _cached_call(self.cur, name, self.revision, args, tuple(sorted(kwargs.items())))


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_call(
    _cur: duckdb.DuckDBPyConnection, name: str, revision: tuple, args: tuple, kwargs: tuple
) -> object:
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)(_cur, *args, **dict(kwargs))


def context(require_user: bool = True, action: str | None = None) -> Context:
    """Settings, city and a cursor for this script run; stops the page with a Chinese message.

    Every page checks the session itself (require_user) and the access action that opens it:
    Streamlit can run a file of pages/ directly (its folder auto-discovery on a server's very
    first request), bypassing app.py; such a run shows the sign-in form, or a refusal, instead
    of the page.
    """
    try:
        settings = Settings.from_env()
        conn, city = _store(settings)
    except (db.StoreError, CityConfigError, SettingError, backup.BackupError) as e:
        st.error(plain(e))
        st.stop()
    cur = conn.cursor()
    facts = db.dataset_facts(cur)
    revision = (str(settings.db_path), *db.revision(cur))
    span = _cached_call(cur, "analytics.ledger.metrics.data_span", revision, (), ())
    user = st.session_state.get("user")
    clock = date.fromisoformat(facts["clock_date"]) if facts.get("clock_date") else None
    ctx = Context(settings, city, cur, facts.get("is_demo") == "1", span, revision, user, clock)
    if require_user and current_user(ctx) is None:
        from pages import sign_in  # the sign-in page uses this module: import it late

        sign_in.page()
        st.stop()
    if not require_user:
        return ctx
    ctx = replace(ctx, user=st.session_state.get("user"))
    if action is not None and not access.may(ctx.user, action):
        st.error(f"当前账号（{ctx.user.role_label}）无权{access.ACTIONS[action].label}。")
        st.stop()
    return ctx


# Streamlit 1.67 has no locale setting: its own English words on the widgets are replaced here
# by CSS (the English text shrinks to nothing, the Chinese comes from ::after), keyed on the
# data-testid attributes of streamlit/static (checked in Chromium). The limit of each file
# uploader is stated in its label (the English "10MB per file" line is replaced).
_CHINESE_WIDGETS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,
[data-testid="stFileUploaderDropzoneInstructions"] span,
[data-testid="stFileChip"][aria-invalid="true"] [role="alert"],
[data-testid="stCameraInputButton"],
[data-testid="stCameraInputWebcamComponent"] p,
[data-testid="stSkipToContent"] { font-size: 0 !important; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "选择文件"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "或将文件拖放到此处"; font-size: 0.875rem; }
[data-testid="stFileChip"][aria-invalid="true"] [role="alert"]::after {
  content: "文件过大或类型不符，未上传，请移除"; font-size: 0.75rem; }
[data-testid="stCameraInputButton"]::after { content: "拍照"; font-size: 1rem; }
[data-testid="stCameraInputButton"]:has(*)::after { content: "清除照片"; }
[data-testid="stCameraInputWebcamComponent"] p::after { font-size: 0.875rem;
  content: "请允许本页面使用摄像头（浏览器地址栏中的摄像头图标）。浏览器只在 https 或本机地址下提供摄像头，否则请用“选择文件”拍照上传。"; }
[data-testid="stSkipToContent"]::after { content: "跳到正文"; font-size: 1rem; }
</style>"""
# the tooltips of plotly's chart toolbar (drawn from data-title by ::after)
_PLOTLY_TITLES = {
    "Download plot as a png": "下载为图片", "Download plot as a PNG": "下载为图片",
    "Download plot as png": "下载为图片", "Download plot as an svg": "下载为图片",
    "Download plot as JSON": "下载图表数据（JSON）",
    "Download plot": "下载为图片", "Zoom": "框选放大", "Pan": "平移", "Zoom in": "放大",
    "Zoom out": "缩小", "Autoscale": "自动缩放", "Reset axes": "复原坐标轴",
    "Reset view": "复原视图", "Box Select": "框选", "Lasso Select": "套索选择",
    "Toggle Spike Lines": "显示参考线", "Show closest data on hover": "悬停显示最近数据",
    "Compare data on hover": "悬停对比数据", "Fullscreen": "全屏", "Exit fullscreen": "退出全屏",
    "Close fullscreen": "退出全屏", "Orbital rotation": "旋转", "Turntable rotation": "旋转",
    "Reset camera to default": "复原视角", "Reset camera to last save": "复原视角",
}  # fmt: skip
_CHINESE_WIDGETS = _CHINESE_WIDGETS.replace(
    "</style>",
    "".join(
        f'.modebar-btn[data-title="{en}"]::after {{ content: "{zh}" !important; }}\n'
        for en, zh in _PLOTLY_TITLES.items()
    )
    + "</style>",
)


# Streamlit's English that appears only on interaction (table toolbars and menus, typing hints,
# empty selects): replaced in the page by a script. Exact texts, as Streamlit's bundle writes them.
_INTERACTION_WORDS = {
    "Show/hide columns": "显示/隐藏列",
    "Download as CSV": "下载为 CSV",
    "Search": "搜索",
    "Fullscreen": "全屏",
    "Close fullscreen": "退出全屏",
    "Type to search": "输入以搜索",
    "Close Search": "关闭搜索",
    "Next Result": "下一个",
    "Previous Result": "上一个",
    "Select all": "全选",
    "(index)": "（序号）",
    "Clear selection": "清除选择",
    "Sort ascending": "升序排列",
    "Sort descending": "降序排列",
    "Statistics": "统计",
    "Format": "数字格式",
    "Autosize": "自动列宽",
    "Pin column": "固定此列",
    "Unpin column": "取消固定",
    "Hide column": "隐藏此列",
    "Copy column name": "复制列名",
    "Count": "计数",
    "Distinct": "不同值",
    "Minimum": "最小值",
    "Maximum": "最大值",
    "Average": "平均值",
    "Median": "中位数",
    "Sum": "合计",
    "Standard deviation": "标准差",
    "Range": "范围",
    "Empty": "空值",
    "Values": "取值",
    "Minimum length": "最短长度",
    "Maximum length": "最长长度",
    "Average length": "平均长度",
    "Based on sample": "基于抽样",
    "Automatic": "自动",
    "Localized": "本地格式",
    "Plain": "原值",
    "Percent": "百分比",
    "Scientific": "科学计数",
    "Accounting": "会计格式",
    "Compact": "紧凑",
    "Dollar": "美元",
    "Euro": "欧元",
    "Yen": "日元",
    "Distance": "相对时间",
    "Calendar": "日历",
    "No results": "无匹配项",
    "No options": "无可选项",
    "No data": "无数据",
    "Choose an option": "请选择",
    "Choose options": "请选择",
    "Loading...": "加载中…",
    "Press Enter to apply": "按回车键确认",
    "Press Enter to submit form": "按回车键提交",
    "Press Ctrl+Enter to apply": "按 Ctrl+回车键确认",
    "Press ⌘+Enter to apply": "按 ⌘+回车键确认",
    "Press Ctrl+Enter to submit form": "按 Ctrl+回车键提交",
    "Press ⌘+Enter to submit form": "按 ⌘+回车键提交",
    "Running...": "运行中…",
    "Stop": "停止",
    "Rerun": "重新运行",
    "Connection error": "连接中断",
}
_INTERACTION_SCRIPT = """<script>(() => {
  if (window.__hazardsChinese) return;
  window.__hazardsChinese = true;
  const words = WORDS;
  const text = (node) => {
    const t = node.nodeValue.trim();
    if (t && Object.hasOwn(words, t)) node.nodeValue = node.nodeValue.replace(t, words[t]);
  };
  const attrs = (el) => {
    for (const a of ["placeholder", "aria-label", "title"]) {
      const v = el.getAttribute && el.getAttribute(a);
      if (v && Object.hasOwn(words, v)) el.setAttribute(a, words[v]);
    }
  };
  const walk = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return text(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    attrs(root);
    root.querySelectorAll("[placeholder],[aria-label],[title]").forEach(attrs);
    const it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (it.nextNode()) text(it.currentNode);
  };
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === "characterData") text(c.target);
      else if (c.type === "attributes") attrs(c.target);
      else c.addedNodes.forEach(walk);
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true,
    attributes: true, attributeFilter: ["placeholder", "aria-label", "title"]});
  walk(document.body);
})();</script>""".replace("WORDS", json.dumps(_INTERACTION_WORDS, ensure_ascii=False))


def chinese_widgets() -> None:
    """Streamlit's own English on widgets shown in Chinese (once per script run, from app.py).

    The calendar of a date input follows the browser's language (Chinese on a zh-CN browser).
    """
    st.html(_CHINESE_WIDGETS)
    st.html(_INTERACTION_SCRIPT, unsafe_allow_javascript=True, width="content")


def unit_select(ctx: Context, where: DeltaGenerator, key: str, own_help: str) -> str | None:
    """The unit filter of a page: every unit (None) or one; a brigade's own unit, fixed."""
    units = {u.adcode: u.name for u in ctx.city.units}
    own = access.home_unit(ctx.user)
    if own is not None:
        where.selectbox("单位", [own], format_func=units.get, disabled=True, key=key, help=own_help)
        return own
    return where.selectbox(
        "单位", [None, *units], key=key, format_func=lambda u: units.get(u, "全部")
    )


def as_of_control(ctx: Context) -> date:
    """The global as-of date (sidebar), defaulting to the latest date in the data."""
    first, last = ctx.data_span
    default = metrics.default_as_of(last, ctx.today())
    if "as_of" not in st.session_state:
        st.session_state["as_of"] = default
    return st.sidebar.date_input(
        "统计截至",
        key="as_of",
        min_value=date(2000, 1, 1),
        max_value=max(default, ctx.today()),
        help="所有数字按此日期统计（默认：数据中的最新日期）",
        format="YYYY-MM-DD",
    )


def header(ctx: Context, title: str, as_of: date | None = None, rule: str | None = None) -> None:
    """Page title, the demo-data label, and the as-of date (and rule) every figure depends on."""
    st.title(title)
    parts = [f"{ctx.city.detachment}"]
    if as_of:
        parts.append(f"统计截至 {date_cn(as_of)}")
    if rule:
        parts.append(rule)
    if ctx.is_demo:
        today = f"；演示中的“今天”为{date_cn(ctx.clock_date)}" if ctx.clock_date else ""
        st.warning(
            f"**演示数据** · 当前数据库为系统生成的演示城市，数字不代表真实情况{today}。",
            icon=":material/science:",
        )
    if auth.demo_accounts_active(ctx.cur):
        st.warning(
            "**演示账号已启用**（密码公开，见说明文档）。正式使用前请由支队管理员在“账号管理”中停用。",
            icon=":material/key:",
        )
    st.caption(" · ".join(parts))


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


def xlsx_bytes(frame: pd.DataFrame, sheet: str) -> bytes:
    """A DataFrame as an .xlsx file (inert.workbook: formula-like text is quoted, stays text)."""
    return inert.workbook({sheet: frame})


def change_metric(
    col, label: str, value: str, change: float | None, *, help: str, fewer_is_better: bool = True
) -> None:  # noqa: ANN001 - a Streamlit container
    """A metric with its 同比 change: arrow by the sign, green when it moved the right way."""
    if change is None or round(change * 1000) == 0:
        col.metric(
            label,
            value,
            delta=relative_change(change),
            delta_color="gray",
            delta_arrow="off",
            help=help,
        )
        return
    better = (change < 0) == fewer_is_better
    col.metric(
        label,
        value,
        delta=relative_change(change),
        delta_color="green" if better else "red",
        delta_arrow="down" if change < 0 else "up",
        help=help,
    )


def period_control() -> str:
    """The global reporting period (sidebar): week, month, quarter or year."""
    if "period" not in st.session_state:
        st.session_state["period"] = "month"
    return st.sidebar.selectbox(
        "统计周期",
        list(PERIODS),
        key="period",
        format_func=PERIOD_LABELS.get,
        help="环比、排名变化与事故统计所用的周期：截至统计日的最近一周、一月、一季度或一年",
    )


def compare_metric(
    col,  # noqa: ANN001 - a Streamlit container
    label: str,
    value: str,
    now: float | None,
    before: float | None,
    *,
    unit: str = "",
    rate: bool = False,
    up_is_good: bool | None = True,
    help: str,
) -> None:
    """A metric with its change against the end of the previous period (较上期)."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        col.metric(label, value, delta="较上期 —", delta_color="gray", delta_arrow="off", help=help)
        return
    diff = (now - before) * (100 if rate else 1)
    if round(diff, 1) == 0:
        col.metric(label, value, delta="较上期 持平", delta_color="gray", delta_arrow="off",
                   help=help)  # fmt: skip
        return
    text = signed_points(before, now) if rate else f"{signed(diff, 0 if unit else 1)} {unit}"
    good = None if up_is_good is None else (diff > 0) == up_is_good
    col.metric(
        label,
        value,
        delta=f"较上期 {text}".strip(),
        delta_color="gray" if good is None else "green" if good else "red",
        delta_arrow="up" if diff > 0 else "down",
        help=help,
    )


def download(frame: pd.DataFrame | Callable[[], pd.DataFrame], sheet: str, file_name: str) -> None:
    """A download button for a table (or a function making it) as .xlsx, made on click."""
    st.download_button(
        f"下载{sheet}（xlsx）",
        lambda: xlsx_bytes(frame() if callable(frame) else frame, sheet),
        file_name=file_name,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"download_{sheet}",
        on_click="ignore",
    )


def query_date(name: str) -> date | None:
    """A YYYY-MM-DD date from the page URL's query string, or None when absent or invalid."""
    text = st.query_params.get(name)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        st.warning(f"网址中的日期参数 {name}={text} 无效，应为 YYYY-MM-DD，已改用默认日期。")
        return None


# --- accounts and sessions ---------------------------------------------------------------


def sign_in(ctx: Context, user: auth.User, cur: duckdb.DuckDBPyConnection | None = None) -> None:
    """Start a session in the database; its token goes to the browser's cookie on this run."""
    now = ctx.settings.now()  # sessions run on the real clock, also in the demo
    token = sessions.create(cur or ctx.cur, user.username, now)
    st.session_state.update(user=user, signed_in_at=now, last_seen=now,
                            session=sessions.token_hash(token), set_cookie=token)  # fmt: skip


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
    st.session_state.update(user=fresh, session=hashed, signed_in_at=found.created_at,
                            last_seen=now)  # fmt: skip
    return fresh


def _memory_session(ctx: Context, user: auth.User) -> auth.User | None:
    """A session held only in this tab's memory (tests and benchmarks set one directly)."""
    now = ctx.settings.now()
    expired = auth.session_expired(
        st.session_state["signed_in_at"], st.session_state["last_seen"], now,
        ctx.settings.session_idle_minutes, ctx.settings.session_max_hours,
    )  # fmt: skip
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


SHOWN_ROWS = 500  # longer tables are cut on screen and downloaded whole


_MARKDOWN_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_SHORTCODE = re.compile(r":(?=[\w/+-]+:)")  # :smile: and :material/icon: (emoji and icons)
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)
_AUTOLINK = re.compile(r"(:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)  # GFM autolinks


def plain(value: object) -> str:
    """Text a user typed or a file brought, made safe to put into Streamlit Markdown (st.markdown,
    captions, alerts, titles, labels, st.table cells): it then reads literally.

    Every ASCII punctuation character is backslash-escaped (CommonMark shows an escaped
    character as itself), which disarms links, images, autolinks, HTML, emphasis, tables,
    headings, LaTeX ($), :color[...] directives. Emoji and :material/...: shortcodes and GFM's
    autolinks (http://…, www.…, a@b.c) are matched on the text after unescaping (checked in a
    browser: an escaped URL still became a live link), so an invisible word joiner (U+2060)
    breaks them: after such a colon, in "://", after "www", before "@". Line breaks stay;
    indentation becomes no-break spaces (an indented line would be a code block).
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = _SHORTCODE.sub(":\u2060", str(value).replace("\r\n", "\n").replace("\r", "\n"))
    text = _AUTOLINK.sub(lambda m: (m.group(1) or "") + "\u2060", text)
    text = _MARKDOWN_PUNCT.sub(r"\\\1", text)
    text = _INDENT.sub(lambda m: "\u00a0" * len(m.group()), text)  # no code block (shows "\\")
    return text.replace("\n", "  \n")


def plain_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame for st.table (which renders every cell, header and index as Markdown) whose
    cells, headers and index read literally."""
    out = frame.map(plain)
    out.columns = [plain(c) for c in frame.columns]
    out.index = pd.Index([plain(i) for i in frame.index], name=plain(frame.index.name) or None)
    return out


def text_cells(values: list) -> list[str]:
    """Cells as text, blanks for missing values (a styled table would print "None")."""
    return ["" if v is None else str(v) for v in values]


def submission_token(user: auth.User, form: str, *parts: object) -> str:
    """The token of one form submission: the account, the form, what the form was drawn for
    (a hazard and the version seen, or the day) and what was typed. A double click or the same
    form sent from a second tab yields the same token, which the workflow accepts once; any
    change to the input makes a new submission."""
    text = json.dumps([user.username, form, *parts], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def open_hazard(hazard_id: str) -> None:
    st.switch_page("pages/hazard.py", query_params={"id": hazard_id})


STANDING_COLOURS = {"逾期": "#d64541", "临期": "#f0a202", "正常推进": "#2f6fbf", "已销号": "#2e9e5b",
                    "未入单": "#9e9e9e", "已作废": "#9e9e9e"}  # fmt: skip


def hazard_table(f: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Rows of hazard_list.ledger / hazards_as_of as the user reads them (close dates after
    as_of are not shown: on that day the hazard was still open)."""
    closed = [d.date() if pd.notna(d) and d.date() <= as_of else None for d in f.closed_date]
    return pd.DataFrame(
        {
            "办理情况": f.standing,
            "逾期天数": text_cells([int(d) if pd.notna(d) else None for d in f.days_overdue]),
            "隐患编号": f.hazard_id,
            "单位": f.unit_name,
            "流程状态": f.state,
            "道路": f.road_name,
            "隐患类型": f.hazard_type,
            "风险等级": f.risk_grade.fillna(""),
            "挂牌督办": f.supervision_level,
            "完成时限": text_cells([d.date() if pd.notna(d) else None for d in f.deadline]),
            "销号日期": text_cells(closed),
            "责任单位": f.responsible_unit.fillna(""),
            "牵头领导": f.lead_leader.fillna(""),
        }
    )


def standing_marks(t: pd.DataFrame) -> pd.DataFrame:
    """Red overdue, amber due soon, blue in progress, green closed (the word says it too)."""
    css = pd.DataFrame("", index=t.index, columns=t.columns)
    css["办理情况"] = [f"color: {STANDING_COLOURS[s]}; font-weight: bold" for s in t["办理情况"]]
    return css
