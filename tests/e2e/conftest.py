"""A real server on 127.0.0.1 and a headless system Chromium, for the browser tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_mode import ON_POSTGRES, store_url_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("HAZARDS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(db: Path, log_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port, on the database at ``db``."""
    port = _free_port()
    shared_store = {}
    if ON_POSTGRES:  # the whole suite on PostgreSQL: the server gets the database for this file
        shared_store["HAZARDS_DATABASE_URL"] = store_url_for(
            os.environ["HAZARDS_TEST_POSTGRES"], db
        )
    env = {
        **os.environ,
        **shared_store,
        "HAZARDS_DB_PATH": str(db),
        "HAZARDS_EVIDENCE_DIR": str(db.parent / "evidence"),
        "HAZARDS_BACKUP_DIR": str(db.parent / "backups"),
    }
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            proc.terminate()
            pytest.fail("streamlit did not start within 60 s")
        try:
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@pytest.fixture(scope="session")
def server(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the demo database, shared by the browser tests."""
    folder = tmp_path_factory.mktemp("e2e")
    shutil.copy(demo_db_path, folder / "hazards.duckdb")
    with running_app(folder / "hazards.duckdb", folder / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser():  # playwright Browser
    required = os.environ.get("HAZARDS_REQUIRE_BROWSER") == "1"  # CI: a missing browser fails
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-wqy-microhei"
        pytest.fail(message) if required else pytest.skip(message)
    try:
        from playwright import sync_api
    except ImportError:
        message = "playwright is not installed: pip install -r requirements-dev.txt"
        pytest.fail(message) if required else pytest.skip(message)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(page, server: str, username: str = "admin", password: str = "demo2022") -> None:
    """Open the app and sign in through the form (the demo accounts share one password)."""
    from playwright.sync_api import expect

    page.goto(server)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=30_000)


def sign_out(page) -> None:
    """Sign out and wait for the sign-in form (the session has ended before the next step)."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="退出登录").click()
    expect(page.get_by_label("密码")).to_be_visible(timeout=30_000)


def open_hazard(page, hid: str) -> None:
    """Open a hazard through 隐患详情's search: type its id, then select the one row found."""
    from playwright.sync_api import expect

    page.get_by_role("link", name="隐患详情", exact=True).click()
    page.get_by_label("查找隐患").fill(hid)
    page.get_by_label("查找隐患").press("Enter")
    expect(page.get_by_text("找到 1 处")).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)  # the table draws its rows
    box = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 52)  # the first row's selection box
    expect(page.get_by_role("heading", name=f"隐患 {hid}")).to_be_visible(timeout=30_000)
