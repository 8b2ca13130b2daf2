"""One simulated browser tab speaking Streamlit's own websocket protocol (bench/load.py).

What a browser does, and what this client sends:

- connect to ws://HOST:PORT/_stcore/stream with the subprotocol "streamlit" (a browser lists
  "streamlit" plus its XSRF token there; the token only matters for Streamlit's own auth cookie,
  which this app does not use) and, when it has one, the ``hazards_session`` cookie in the
  opening request (st.context.cookies reads it from there);
- a BackMsg ``rerun_script`` (ClientState) to run a page: the page's URL path as ``page_name``
  when opening an address, the page's ``page_script_hash`` (from the last ``navigation``
  ForwardMsg) when following the menu, the browser's context (time zone, locale, URL) and the
  widget states (the sign-in form: both text inputs and the submit button's trigger);
- then reads ForwardMsgs until ``script_finished`` (a run ended by st.rerun or st.switch_page is
  followed by the next run, as in a browser). No ``cached_message_hashes`` are sent, so the
  server sends every element in full (a browser that has seen them gets references instead).

A page run's time is from sending the BackMsg to receiving the final ``script_finished``.
Problems counted: an exception element, an st.error alert, page-not-found, a compile error,
a disconnect, a timeout, and a page whose title is not the expected one.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

COOKIE = "hazards_session"  # analytics.accounts.sessions.COOKIE (bench does not import the app)
_COOKIE_SET = re.compile(COOKIE + r"=([A-Za-z0-9_\-]+);")
FINISHED = ForwardMsg.ScriptFinishedStatus
_DONE = {FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_WITH_COMPILE_ERROR}


@dataclass
class Run:
    """What one page run sent back."""

    ms: float = 0.0
    received_bytes: int = 0
    headings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # widget label → widget id
    buttons: dict[str, str] = field(default_factory=dict)
    cookie: str | None = None  # the session token the page's script hands the browser

    def title_is(self, expected: str) -> bool:
        """The page's first heading is ``expected`` (or ``expected · …``: a unit's view)."""
        return bool(self.headings) and (
            self.headings[0] == expected or self.headings[0].startswith(expected + " · ")
        )


class Disconnected(Exception):
    """The server closed the websocket."""


class Tab:
    """One browser tab: one websocket, one Streamlit session, run by run."""

    def __init__(self, base_url: str, cookie: str | None = None, timeout: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookie = cookie
        self.timeout = timeout
        self.pages: dict[str, str] = {}  # URL path → page_script_hash (the menu)
        self.page_hash = ""  # the page this tab shows
        self.shown = Run()  # what the last run showed
        self._ws: websockets.ClientConnection | None = None

    @property
    def closed(self) -> bool:
        """The websocket was closed (a timeout, a disconnect): the next run opens a new one."""
        return self._ws is None

    async def connect(self) -> None:
        ws_url = self.base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        headers = {"Cookie": f"{COOKIE}={self.cookie}"} if self.cookie else None
        self._ws = await websockets.connect(
            ws_url,
            subprotocols=["streamlit"],
            additional_headers=headers,
            max_size=None,  # a page's element can be megabytes (Streamlit allows 200 MB)
            ping_interval=None,  # a browser's page sends no pings of its own
            open_timeout=self.timeout,
        )

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def open(self, url_path: str) -> Run:
        """Open a page as the menu does (its hash), or by its address before the menu is known."""
        if url_path in self.pages:
            return await self.run(page_hash=self.pages[url_path], url_path=url_path)
        return await self.run(page_name=url_path, url_path=url_path)

    async def sign_in(self, username: str, password: str) -> Run:
        """Fill in and submit the sign-in form the last run showed (open a page first)."""
        form = self.shown
        try:
            states = [
                WidgetState(id=form.inputs["用户名"], string_value=username),
                WidgetState(id=form.inputs["密码"], string_value=password),
                WidgetState(id=form.buttons["登录"], trigger_value=True),
            ]
        except KeyError:
            form.problems.append(f"no sign-in form (page shows {form.headings[:1]})")
            return form
        done = await self.run(page_hash=self.page_hash, widgets=states)
        if done.cookie:
            self.cookie = done.cookie
        if "退出登录" not in done.buttons:
            done.problems.append(f"not signed in as {username} (page shows {done.headings[:1]})")
        return done

    async def run(
        self,
        page_name: str = "",
        page_hash: str = "",
        url_path: str = "",
        widgets: list[WidgetState] | None = None,
    ) -> Run:
        """One rerun: send the BackMsg, read ForwardMsgs until the final script_finished."""
        if self._ws is None:
            await self.connect()
        msg = BackMsg()
        state = msg.rerun_script
        state.page_name = page_name
        state.page_script_hash = page_hash
        state.query_string = ""
        state.widget_states.widgets.extend(widgets or [])
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "Asia/Shanghai", -480, "zh-CN"
        info.url, info.is_embedded, info.color_scheme = (
            f"{self.base_url}/{url_path}",
            False,
            "light",
        )
        out = Run()
        start = time.perf_counter()
        try:
            await self._ws.send(msg.SerializeToString())
            await asyncio.wait_for(self._read(out), self.timeout)
        except TimeoutError:
            out.problems.append(f"timeout after {self.timeout:.0f} s")
            await self.close()  # what arrives late belongs to no run: start afresh
        except websockets.ConnectionClosed as e:
            out.problems.append(f"disconnected ({e.rcvd.code if e.rcvd else 'no close frame'})")
            self._ws = None
        out.ms = (time.perf_counter() - start) * 1000
        self.shown = out
        return out

    async def _read(self, out: Run) -> None:
        while True:
            data = await self._ws.recv()
            out.received_bytes += len(data)
            fwd = ForwardMsg()
            fwd.ParseFromString(data)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":  # a run starts: what an earlier run showed is replaced
                self.page_hash = fwd.new_session.page_script_hash
                out.headings.clear()
                out.inputs.clear()
                out.buttons.clear()
            elif kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in fwd.navigation.app_pages}
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                self._element(fwd.delta.new_element, out)
            elif kind == "page_not_found":
                out.problems.append("page not found")
            elif kind == "script_finished" and fwd.script_finished in _DONE:
                if fwd.script_finished == FINISHED.FINISHED_WITH_COMPILE_ERROR:
                    out.problems.append("compile error")
                return

    @staticmethod
    def _element(element, out: Run) -> None:  # streamlit.proto Element
        kind = element.WhichOneof("type")
        if kind == "heading":
            out.headings.append(element.heading.body)
        elif kind == "exception":
            out.problems.append(f"exception: {element.exception.message[:200]}")
        elif kind == "alert" and element.alert.format == Alert.ERROR:
            out.problems.append(f"st.error: {element.alert.body[:200]}")
        elif kind == "text_input":
            out.inputs[element.text_input.label] = element.text_input.id
        elif kind == "button":
            out.buttons[element.button.label] = element.button.id
        elif kind == "html" and (found := _COOKIE_SET.search(element.html.body)):
            out.cookie = found.group(1)
