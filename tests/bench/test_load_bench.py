"""The load benchmark's protocol client against a real server: one simulated user signs in
through the form and opens the three pages the load runs (timings are never asserted here)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from analytics.demo.build import DEMO_PASSWORD
from bench import load, loadstore
from bench.wsclient import Run, Tab
from tests.pg_mode import store_conn


@pytest.fixture(scope="module")
def app_url(demo_db_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """One app process on a copy of the demo database (bench.load starts it as the bench does)."""
    folder = tmp_path_factory.mktemp("load")
    shutil.copy(demo_db_path, folder / "hazards.duckdb")  # bench.load uses it, builds none
    with load.servers(1, folder, None) as procs:
        yield procs[0].url


def _visit(url: str, username: str, password: str, pages: list[str]) -> tuple[Run, list[Run]]:
    async def go() -> tuple[Run, list[Run]]:
        tab = Tab(url)
        try:
            await tab.open("")
            signed = await tab.sign_in(username, password)
            runs = [await tab.open(page) for page in pages] if not signed.problems else []
            return signed, runs
        finally:
            await tab.close()

    return asyncio.run(go())


def test_one_user_signs_in_and_opens_each_page(app_url):
    signed, runs = _visit(app_url, "yingzhou", DEMO_PASSWORD, list(load.PAGES) * 2)
    assert signed.problems == []
    assert signed.headings[0] == "总览"  # the default page once signed in
    assert "退出登录" in signed.buttons
    assert [r.problems for r in runs] == [[]] * 6
    assert [r.headings[0] for r in runs] == ["领导驾驶舱", "隐患台账", "道路地图"] * 2
    assert "各单位排名" in runs[0].headings
    assert all(r.received_bytes > 0 for r in runs)


def test_the_session_cookie_signs_in_a_new_tab(app_url):
    async def go() -> tuple[Run, Run]:
        first = Tab(app_url)
        await first.open("")
        signed = await first.sign_in("leader", DEMO_PASSWORD)
        await first.close()
        second = Tab(app_url, cookie=first.cookie)  # the cookie the page's script set
        try:
            return signed, await second.open("ledger")
        finally:
            await second.close()

    signed, ledger = asyncio.run(go())
    assert signed.cookie is not None and len(signed.cookie) == 43  # 32 bytes, url-safe base64
    assert ledger.problems == []
    assert ledger.headings[0] == "隐患台账"
    assert "退出登录" in ledger.buttons


def test_a_wrong_password_is_counted_as_an_error(app_url):
    signed, runs = _visit(app_url, "jieshou", "not-the-password", ["ledger"])
    assert runs == []
    assert signed.problems[0].startswith("st.error: 登录失败：用户名或密码不正确")
    assert (
        signed.problems[1] == "not signed in as jieshou (page shows ['道路交通安全隐患治理系统'])"
    )


def test_a_page_run_is_timed_only_when_it_had_no_problem():
    level = load.Level(users=1, processes=1, seconds=1, accounts=load.DEMO_ACCOUNTS)
    level.record("ledger", Run(ms=120.0, received_bytes=10))
    level.record("ledger", Run(ms=900.0, received_bytes=5, problems=["timeout after 120 s"]))
    assert level.times == {"ledger": [120.0]}
    assert level.errors == ["ledger: timeout after 120 s"]
    assert level.received_bytes == 15


def test_percentile_matches_linear_interpolation_between_ranks():
    assert load.percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert load.percentile([float(n) for n in range(1, 21)], 95) == pytest.approx(19.05)
    assert load.percentile([7.0], 95) == 7.0


def test_the_bench_gives_each_user_an_account_of_its_own(demo_db_path, tmp_path):
    shutil.copy(demo_db_path, tmp_path / "hazards.duckdb")
    assert loadstore.seed(tmp_path, None, 3) == 3
    conn = store_conn(tmp_path / "hazards.duckdb", read_only=True)
    rows = conn.execute(
        "SELECT username, role, unit_adcode, display_name, is_demo FROM accounts"
        " WHERE username LIKE 'load%' ORDER BY username"
    ).fetchall()
    conn.close()
    assert rows == [
        ("load01", "leader", None, "压测账号01", False),
        ("load02", "county", "341202", "压测账号02", False),
        ("load03", "admin", None, "压测账号03", False),
    ]
    assert loadstore.own_accounts(2) == (
        ("load01", "Huaihe-load-bench-2022"),
        ("load02", "Huaihe-load-bench-2022"),
    )
