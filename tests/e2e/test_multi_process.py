"""Several app processes on one PostgreSQL store (issue #15): serve.sh starts them, nginx
(docs/nginx.conf) keeps each browser on one process, sign-in sessions and writes are shared,
concurrent workflow actions from two processes lose nothing, and the commands run beside the apps.

Needs PostgreSQL 15 (the pg_server fixture), nginx and Chromium. With HAZARDS_REQUIRE_POSTGRES=1
(CI) a missing PostgreSQL or nginx fails instead of skipping.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.e2e.conftest import open_hazard, sign_in

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
TINY_CITY = ROOT / "tests" / "fixtures" / "tinycity" / "city.toml"


def _nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        message = "nginx is not installed (apt-get install nginx)"
        if os.environ.get("HAZARDS_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


# --- the example configuration -------------------------------------------------------------


def test_the_example_nginx_configuration_passes_nginx_t(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "temp").mkdir()
    done = subprocess.run(
        [_nginx(), "-t", "-p", str(tmp_path), "-c", str(ROOT / "docs" / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_serve_sh_refuses_several_processes_without_the_shared_store(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HAZARDS_DATABASE_URL"}
    done = subprocess.run(
        ["bash", str(ROOT / "serve.sh"), "-n", "2", "--run-dir", str(tmp_path / "run")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    assert "HAZARDS_DATABASE_URL=postgresql://" in done.stderr
    assert not (tmp_path / "run").exists()  # refused before anything started


# --- serve.sh ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    apps: list[str]  # http://127.0.0.1:PORT of each process, in port order
    proxy: str | None  # nginx in front, when asked for
    run: Path  # serve.sh's run folder (PID files, logs, nginx's access log)
    env: dict[str, str]  # the settings every process got (commands use the same)

    def routes(self) -> dict[str, set[str]]:
        """Route cookie → the upstreams nginx sent its requests to (from the access log)."""
        found: dict[str, set[str]] = {}
        log = (self.run / "logs" / "access.log").read_text(encoding="utf-8")
        for upstream, route in re.findall(r"upstream=(\S+) route=(\S+)", log):
            found.setdefault(route, set()).add(upstream)
        return found

    def requests(self, route: str) -> list[str]:
        """The request lines nginx logged for one route cookie."""
        log = (self.run / "logs" / "access.log").read_text(encoding="utf-8")
        return re.findall(rf'"(\w+ \S+) HTTP/[\d.]+" \d+ \d+ upstream=\S+ route={route} ', log)


def _free_ports(count: int) -> int:
    """The first of ``count`` consecutive free loopback ports."""
    for _ in range(200):
        first = random.randint(20_000, 60_000)
        try:
            with contextlib.ExitStack() as stack:
                for port in range(first, first + count):
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError("no free consecutive ports")


@contextlib.contextmanager
def serving(folder: Path, url: str, processes: int, nginx: bool) -> Iterator[Served]:
    """serve.sh with ``processes`` app processes on the PostgreSQL store at ``url``."""
    if nginx:
        _nginx()
    first = _free_ports(processes + 1)
    env = {
        **os.environ,
        "HAZARDS_DATABASE_URL": url,
        "HAZARDS_DB_PATH": str(folder / "unused.duckdb"),
        "HAZARDS_EVIDENCE_DIR": str(folder / "evidence"),
        "HAZARDS_UPLOADS_DIR": str(folder / "uploads"),
        "HAZARDS_BACKUP_DIR": str(folder / "backups"),
        "PYTHON": sys.executable,
    }
    args = ["bash", str(ROOT / "serve.sh"), "-n", str(processes), "-p", str(first)]
    args += ["--run-dir", str(folder / "run")]
    if nginx:
        args += ["--nginx", str(first + processes)]
    out = folder / "serve.log"
    with out.open("w") as log:
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 240
        while "全部就绪" not in out.read_text(encoding="utf-8"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"serve.sh did not start: {out.read_text(encoding='utf-8')}")
            time.sleep(0.3)
        yield Served(
            [f"http://127.0.0.1:{first + i}" for i in range(processes)],
            f"http://127.0.0.1:{first + processes}" if nginx else None,
            folder / "run",
            env,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # serve.sh's own process group
            proc.wait()
    assert "已停止全部进程" in out.read_text(encoding="utf-8")
    assert not list((folder / "run").glob("app-*.pid"))


def _demo_store(pg_url: str, demo_db_path: Path) -> str:
    from analytics.store import mirror

    mirror.copy_from_file(demo_db_path, pg_url)
    return pg_url


# --- b. concurrent workflow actions from two processes ---------------------------------------

ROUNDS = 6  # progress entries per worker on each of its two hazards
BULLETINS = 3  # bulletins each worker issues
COUNTY = ("east", "东区大队", "county", "990101")
ADMIN = ("admin", "支队秩序科", "admin", None)


def _worker(url: str, name: str, own: str, shared_hid: str, days: list[int], start, out) -> None:
    """One OS process: its own mirror; progress on its own hazard and on the shared one (a
    conflict re-reads the hazard and tries again), a stale version once, then bulletins."""
    from analytics import city as city_mod
    from analytics.accounts.auth import User
    from analytics.bulletin import archive
    from analytics.ledger import workflow
    from analytics.store import mirror

    conn = mirror.open_store(url, city_mod.load_city(TINY_CITY))
    county, admin = User(*COUNTY), User(*ADMIN)
    now = datetime(2022, 3, 31, 10)
    conflicts = 0

    def progress(hid: str, text: str) -> int:
        nonlocal conflicts
        while True:
            conn.sync()  # as a script run starts
            h = workflow.hazard(conn, hid)
            try:
                return workflow.record_progress(
                    conn,
                    county,
                    hid,
                    h["version"],
                    text=text,
                    measures=None,
                    temporary_controls=None,
                    now=now,
                )
            except workflow.ConflictError:
                conflicts += 1

    start.wait()
    events = []
    for i in range(ROUNDS):
        events.append(progress(own, f"{name} 第{i + 1}次 {own}"))
        events.append(progress(shared_hid, f"{name} 第{i + 1}次 {shared_hid}"))
    # a version the worker saw before its own write is refused, not written over
    conn.sync()
    seen = workflow.hazard(conn, own)["version"]
    events.append(progress(own, f"{name} 最新 {own}"))
    try:
        workflow.record_progress(
            conn,
            county,
            own,
            seen,
            text=f"{name} 旧版本",
            measures=None,
            temporary_controls=None,
            now=now,
        )
        stale = "written"
    except workflow.ConflictError:
        stale = "refused"
    opts = archive.Options(15, "示例市公安局交通警察支队", "各大队", "示例市")
    numbers = []
    for day in days:
        as_of = date(2022, 3, day)
        issued = archive.issue(conn, admin, as_of, "week", opts, dated=as_of, now=now)
        numbers.append(issued.number)
    conn.close()
    out.put(
        {"name": name, "events": events, "conflicts": conflicts, "stale": stale, "numbers": numbers}
    )


def test_concurrent_workflow_actions_from_two_processes_lose_nothing(pg_url, tiny_city) -> None:
    """Two OS processes, each with its own mirror, write progress on their own hazard and both on
    one shared hazard at the same time, and issue bulletins: every event is stored once, each
    hazard's version counts its events, each event's "before" is the previous event's "after"
    (no write was made on a stale read), event ids and bulletin numbers run without gaps."""
    from analytics.store import mirror

    setup = mirror.open_store(pg_url, tiny_city)
    for hid in ("hA", "hB", "hS"):
        setup.execute(
            "INSERT INTO hazards (hazard_id, unit_adcode, state, found_date, listed_date,"
            " deadline, description) VALUES (?, '990101', '整改中', DATE '2022-01-10',"
            " DATE '2022-01-10', DATE '2022-06-30', '路口缺少信号灯')",
            [hid],
        )
    setup.execute(  # a closed hazard too: the bulletin's figures need one
        "INSERT INTO hazards (hazard_id, unit_adcode, state, found_date, listed_date, deadline,"
        " closed_date, description) VALUES ('hC', '990102', '已销号', DATE '2022-01-05',"
        " DATE '2022-01-05', DATE '2022-01-31', DATE '2022-01-25', '急弯无警示')"
    )
    base = dict(
        setup.execute("SELECT hazard_id, version FROM hazards WHERE hazard_id <> 'hC'").fetchall()
    )
    setup.close()

    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(2), ctx.Queue()
    plans = [("甲", "hA", [1, 3, 5]), ("乙", "hB", [2, 4, 6])]
    workers = [
        ctx.Process(target=_worker, args=(pg_url, name, own, "hS", days, start, out))
        for name, own, days in plans
    ]
    for w in workers:
        w.start()
    results = {}
    try:
        while len(results) < len(workers):
            try:
                r = out.get(timeout=2)
                results[r["name"]] = r
            except queue.Empty:
                failed = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
                assert not failed, f"a worker failed (exit codes {failed}); its traceback is above"
        for w in workers:
            w.join(timeout=60)
            assert w.exitcode == 0
    finally:
        for w in workers:
            if w.is_alive():
                w.terminate()  # a worker this test started
                w.join()

    assert {r["stale"] for r in results.values()} == {"refused"}
    conn = mirror.open_reading(pg_url)
    events = conn.execute(
        "SELECT event_id, hazard_id, changes FROM hazard_events ORDER BY event_id"
    ).fetchall()
    stored = {e[0] for e in events}
    written = [e for r in results.values() for e in r["events"]]
    per_worker = 2 * ROUNDS + 1
    assert len(written) == len(set(written)) == 2 * per_worker  # every action got its own event
    assert stored == set(written) == set(range(1, 2 * per_worker + 1))  # no gap, none extra
    counts = {hid: sum(1 for e in events if e[1] == hid) for hid in base}
    assert counts == {"hA": ROUNDS + 1, "hB": ROUNDS + 1, "hS": 2 * ROUNDS}
    hazards = dict(
        ((hid, (version, progress)))
        for hid, version, progress in conn.execute(
            "SELECT hazard_id, version, progress FROM hazards"
        ).fetchall()
    )
    for hid in base:
        chain = [json.loads(c)["progress"] for _, h, c in events if h == hid]
        assert hazards[hid][0] == base[hid] + counts[hid]
        assert chain[0][0] is None
        assert all(prev[1] == cur[0] for prev, cur in zip(chain, chain[1:], strict=False))
        assert hazards[hid][1] == chain[-1][1]
    # the shared hazard holds every entry of both workers, each once
    texts = sorted(c[1] for c in (json.loads(e[2])["progress"] for e in events if e[1] == "hS"))
    assert texts == sorted(f"{n} 第{i + 1}次 hS" for n in ("甲", "乙") for i in range(ROUNDS))
    numbers = conn.execute("SELECT year, number, as_of FROM bulletins ORDER BY number").fetchall()
    assert [n for _, n, _ in numbers] == list(range(1, 2 * BULLETINS + 1))
    assert {y for y, _, _ in numbers} == {2022}
    assert sorted(n for r in results.values() for n in r["numbers"]) == [n for _, n, _ in numbers]
    assert sorted(a.day for _, _, a in numbers) == [1, 2, 3, 4, 5, 6]
    conn.close()


# --- a. a browser moved to another process stays signed in and sees the same data ------------


def _photo(path: Path) -> Path:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 360), (60, 140, 90)).save(buf, format="JPEG")
    path.write_bytes(buf.getvalue())
    return path


def _progress(page, text: str, photo: Path | None = None) -> None:
    """Record 整改进展 on the open hazard; wait until the page shows it."""
    from playwright.sync_api import expect

    form = page.locator("[data-testid='stForm']").filter(has_text="整改进展").first
    form.get_by_label("整改进展").fill(text)
    if photo is not None:
        form.locator("input[type='file']").set_input_files(str(photo))
        expect(form.get_by_text(photo.name)).to_be_visible(timeout=15_000)
    form.get_by_role("button", name="提交").click()
    expect(page.get_by_text(text).first).to_be_visible(timeout=30_000)


def _cookie(context, name: str) -> str:
    for _ in range(300):  # the session cookie is set by a script in the page, just after sign-in
        found = {c["name"]: c["value"] for c in context.cookies()}
        if name in found:
            return found[name]
        time.sleep(0.1)
    raise AssertionError(f"no {name} cookie")


def _hazard_and_progress_count(conn, hid: str) -> tuple[int, int]:
    version = conn.execute("SELECT version FROM hazards WHERE hazard_id = ?", [hid]).fetchone()[0]
    events = conn.execute(
        "SELECT count(*) FROM hazard_events WHERE hazard_id = ? AND action = '进展'", [hid]
    ).fetchone()[0]
    return version, events


def test_a_browser_moved_to_the_other_process_stays_signed_in_and_sees_the_same_data(
    pg_url, demo_db_path, browser, tmp_path
) -> None:
    from playwright.sync_api import expect

    from analytics.store import db, mirror

    _demo_store(pg_url, demo_db_path)
    conn = db.open_for_reading(demo_db_path)
    hid = conn.execute(
        "SELECT hazard_id FROM hazards WHERE unit_adcode = '341226' AND state = '整改中'"
        " ORDER BY hazard_id LIMIT 1"
    ).fetchone()[0]
    version, entries = _hazard_and_progress_count(conn, hid)
    conn.close()
    photo = _photo(tmp_path / "多进程整改现场.jpg")
    view = {"viewport": {"width": 1500, "height": 2400}, "locale": "zh-CN"}

    with serving(tmp_path, pg_url, 2, nginx=True) as served:
        # nginx's upstream holds both processes: browsers spread over them, each kept on one
        rendered = (served.run / "nginx.conf").read_text(encoding="utf-8")
        assert re.findall(r"server (127\.0\.0\.1:\d+) ", rendered) == [
            u.removeprefix("http://") for u in served.apps
        ]
        for n in range(40):
            for _ in range(2):
                ask = urllib.request.Request(
                    served.proxy + "/_stcore/health", headers={"Cookie": f"hazards_route=r{n}"}
                )
                with urllib.request.urlopen(ask, timeout=30) as answer:
                    assert answer.status == 200
        spread = {r: u for r, u in served.routes().items() if re.fullmatch(r"r\d+", r)}
        assert len(spread) == 40 and all(len(u) == 1 for u in spread.values())
        assert set().union(*spread.values()) == {u.removeprefix("http://") for u in served.apps}

        # A: through nginx; the route cookie pins every request of this browser to one process
        a = browser.new_context(**view)
        page_a = a.new_page()
        sign_in(page_a, served.proxy, "yingshang")
        route, token = _cookie(a, "hazards_route"), _cookie(a, "hazards_session")
        (first,) = served.routes()[route]
        (other,) = [u for u in served.apps if not u.endswith("//" + first)]
        assert len(served.apps) == 2 and other.startswith("http://127.0.0.1:")

        # B: the same sign-in session, straight at the other process: signed in, no form
        b = browser.new_context(**view)
        b.add_cookies([{"name": "hazards_session", "value": token, "url": other}])
        page_b = b.new_page()
        page_b.goto(other)
        expect(page_b.get_by_role("button", name="退出登录")).to_be_visible(timeout=30_000)
        expect(page_b.get_by_label("密码")).to_have_count(0)

        # progress with a photo on A (upload and media through nginx) shows on B, photo too
        open_hazard(page_a, hid)
        _progress(page_a, "多进程：护栏已全部安装", photo)
        expect(page_a.locator("[data-testid='stImage']").first).to_be_visible(timeout=30_000)
        open_hazard(page_b, hid)
        expect(page_b.get_by_text("多进程：护栏已全部安装").first).to_be_visible(timeout=30_000)
        expect(page_b.locator("[data-testid='stImage']").first).to_be_visible(timeout=30_000)

        # and the other way: B writes, A sees it after a reload (a new Streamlit session)
        _progress(page_b, "多进程：标志标线已施划")
        page_a.reload()
        expect(page_a.get_by_role("button", name="退出登录")).to_be_visible(timeout=30_000)
        expect(page_a.get_by_role("heading", name=f"隐患 {hid}")).to_be_visible(timeout=30_000)
        expect(page_a.get_by_text("多进程：标志标线已施划").first).to_be_visible(timeout=30_000)

        # signing out on B ends the session on A's process as well
        page_b.get_by_role("button", name="退出登录").click()
        expect(page_b.get_by_label("密码")).to_be_visible(timeout=30_000)
        page_a.reload()
        expect(page_a.get_by_label("密码")).to_be_visible(timeout=30_000)
        a.close()  # the websocket closes: nginx logs it
        b.close()
        time.sleep(1)

        # every request of A's browser, its websocket, upload and photo went to one process
        assert served.routes()[route] == {first}
        asked = served.requests(route)
        for path in ("GET /_stcore/stream", "PUT /_stcore/upload_file/", "GET /media/"):
            assert any(r.startswith(path) for r in asked), (path, asked)

    stored = mirror.open_reading(pg_url)
    assert _hazard_and_progress_count(stored, hid) == (version + 2, entries + 2)
    stored.close()


# --- c. the commands run while an app process runs on the same store -------------------------


def test_the_commands_run_while_the_app_runs_and_the_app_sees_their_writes(
    pg_url, demo_db_path, browser, tmp_path
) -> None:
    import csv

    from playwright.sync_api import expect

    from analytics.ingest import template
    from analytics.store import db, mirror

    _demo_store(pg_url, demo_db_path)
    conn = db.open_for_reading(demo_db_path)
    bulletins = conn.execute("SELECT year, number FROM bulletins ORDER BY ALL").fetchall()
    conn.close()
    row = dict(template.EXAMPLE, 隐患编号="DJC-001", 所属区县="颍上县", 隐患描述="多进程导入测试")
    with (tmp_path / "颍上.csv").open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=list(row))
        out.writeheader()
        out.writerow(row)

    with serving(tmp_path, pg_url, 1, nginx=False) as served:
        (app,) = served.apps
        page = browser.new_page(viewport={"width": 1500, "height": 2400}, locale="zh-CN")
        sign_in(page, app, "admin")  # the app has its mirror loaded

        def command(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-m", "analytics", *args],
                cwd=ROOT,
                env=served.env,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=300,
            )

        done = command("import", "hazards", str(tmp_path / "颍上.csv"), "--json")
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["inserted"] == 1
        done = command(
            "user",
            "add",
            "duojincheng",
            "--role",
            "county",
            "--unit",
            "341226",
            "--name",
            "多进程测试员",
            "--password-stdin",
            stdin="Jiance#2022pw\n",
        )
        assert done.returncode == 0, done.stderr
        done = command(
            "bulletin",
            "--period",
            "week",
            "--as-of",
            "2022-09-15",
            "--date",
            "2022-09-16",
            "--out",
            str(tmp_path / "周通报.docx"),
            "--issue",
        )
        assert done.returncode == 0, done.stderr
        assert (tmp_path / "周通报.docx").stat().st_size > 0
        done = command("backup", "--out", str(tmp_path / "bk"), "--key", str(tmp_path / "bk.key"))
        assert done.returncode == 0, done.stderr
        assert len(list((tmp_path / "bk").glob("hazards-backup-*"))) == 1

        # the running app sees the imported hazard, and the new account can sign in on it
        page.reload()
        expect(page.get_by_role("button", name="退出登录")).to_be_visible(timeout=30_000)
        open_hazard(page, "DJC-001")
        expect(page.get_by_text("多进程导入测试").first).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="退出登录").click()
        expect(page.get_by_label("密码")).to_be_visible(timeout=30_000)  # signed out
        sign_in(page, app, "duojincheng", "Jiance#2022pw")
        expect(page.get_by_text("多进程测试员").first).to_be_visible(timeout=30_000)
        page.close()

    stored = mirror.open_reading(pg_url)
    numbers = stored.execute("SELECT year, number FROM bulletins ORDER BY ALL").fetchall()
    stored.close()
    top = max((n for y, n in bulletins if y == 2022), default=0)
    assert numbers == sorted([*bulletins, (2022, top + 1)])
