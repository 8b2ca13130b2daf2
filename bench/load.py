"""Load: 10, 25 and 50 simulated users, each a real Streamlit session, against 1 or 2 processes.

python -m bench --load [--load-users 10,25,50] [--load-seconds 60] [--processes 1,2]
                       [--database-url postgresql://…] [--load-url http://…] [--load-quick]

Each user is one websocket session (bench/wsclient.py: Streamlit's own protocol, no browser, so
the client's cost stays small next to the server's on a 2-core machine). Users arrive spread over
the first 5 s and sign in through the form, each with an account of its own (leaders,
administrators and brigades in turn; bench/loadstore.py), the sign-in including 总览, the page
shown after it. Once all are in, the measured window starts: each user opens 领导驾驶舱, 隐患台账
and 道路地图 in turn from the menu, pausing 2–5 s (seeded) between pages, until the level's time
is up. With 2 processes users are dealt round-robin, as a sticky reverse proxy would. The bench
starts the processes itself on loopback ports (one: the demo city in a DuckDB file; several: in
PostgreSQL, a throwaway server or ``--database-url``), or loads running servers (``--load-url``).

Reported per process count and level: page time p50/p95 (send → script_finished) per page and
overall, pages completed, errors, each server process's CPU and peak memory, the bench client's
CPU, and what else kept the machine busy meanwhile (the cores are shared: read the figures with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench import loadstore
from bench.wsclient import Run, Tab

ROOT = Path(__file__).resolve().parents[1]
PAGES = {"cockpit": "领导驾驶舱", "ledger": "隐患台账", "road_map": "道路地图"}
# The demo accounts (password listed in the README) in the order users are dealt them, for servers
# the bench did not start; on its own database each user gets an account of its own (own_accounts)
DEMO_PASSWORD = "demo2022"
DEMO = ("leader", "yingzhou", "admin", "yingdong", "taihe", "linquan", "funan", "jieshou")
DEMO_ACCOUNTS = tuple((name, DEMO_PASSWORD) for name in DEMO)
THINK_S = (2.0, 5.0)
ARRIVAL_S = 5.0  # users arrive spread over this long


@dataclass
class Level:
    """What one level (users × seconds on N processes) measured."""

    users: int
    processes: int
    seconds: float
    accounts: tuple[tuple[str, str], ...]  # user n signs in as accounts[n % len]: (name, password)
    times: dict[str, list[float]] = field(default_factory=dict)  # page → ms of good runs
    sign_in_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    received_bytes: int = 0
    server: dict[str, float] = field(default_factory=dict)
    client_cpu_s: float = 0.0
    sign_in_phase_s: float = 0.0

    def record(self, page: str, run: Run) -> None:
        self.received_bytes += run.received_bytes
        if run.problems:
            self.errors.extend(f"{page}: {p}" for p in run.problems)
        else:
            self.times.setdefault(page, []).append(run.ms)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), linear between the nearest ranks (numpy's default)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# ---- one user -------------------------------------------------------------------------------


async def arrive(n: int, url: str, level: Level, seed: int) -> Tab | None:
    """A user arrives (spread over ARRIVAL_S) and signs in through the form."""
    await asyncio.sleep(random.Random(f"{seed}:{level.users}:{n}:arrive").uniform(0, ARRIVAL_S))
    tab = Tab(url)
    if await _sign_in(tab, level.accounts[n % len(level.accounts)], level):
        return tab
    await tab.close()
    return None


async def work(n: int, tab: Tab, level: Level, until: float, seed: int) -> None:
    """Cockpit → ledger → road map → … from the menu, with think time, until ``until``."""
    rng = random.Random(f"{seed}:{level.users}:{n}")
    step = n % len(PAGES)  # users start on different pages, at different moments
    await asyncio.sleep(rng.uniform(0, THINK_S[1]))
    try:
        while time.monotonic() < until:
            page = list(PAGES)[step % len(PAGES)]
            step += 1
            run = await tab.open(page)
            lost = not run.problems and not run.title_is(PAGES[page])  # e.g. the sign-in form
            if lost:
                run.problems.append(f"wrong page: {run.headings[:1]}")
            level.record(page, run)
            account = level.accounts[n % len(level.accounts)]
            if (lost or tab.closed) and not await _sign_in(tab, account, level):
                return
            await asyncio.sleep(rng.uniform(*THINK_S))
    finally:
        await tab.close()


async def _sign_in(tab: Tab, account: tuple[str, str], level: Level) -> bool:
    """Open the app's address in a fresh tab (the form shows) and sign in."""
    await tab.close()  # after a disconnect, a timeout or a lost session, too
    opened = await tab.open("")
    run = opened if opened.problems else await tab.sign_in(*account)
    if run.problems:
        level.errors.extend(f"sign-in {account[0]}: {p}" for p in run.problems)
        return False
    level.sign_in_ms.append(opened.ms + run.ms)
    return True


async def run_level(
    urls: list[str],
    users: int,
    seconds: float,
    seed: int,
    accounts: tuple[tuple[str, str], ...],
    started: Callable[[], None],
) -> Level:
    """Every user signs in (users arrive over ARRIVAL_S), then all work for ``seconds``;
    ``started`` is called between the two (the measured window starts)."""
    level = Level(users, len(urls), seconds, accounts)
    t = time.monotonic()
    tabs = await asyncio.gather(
        *(arrive(n, urls[n % len(urls)], level, seed) for n in range(users))
    )
    level.sign_in_phase_s = time.monotonic() - t
    started()
    until = time.monotonic() + seconds
    await asyncio.gather(
        *(work(n, tab, level, until, seed) for n, tab in enumerate(tabs) if tab is not None)
    )
    return level


# ---- the server processes -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def servers(count: int, folder: Path, database_url: str | None) -> Iterator[list[Server]]:
    """``count`` app processes on loopback ports: on folder/hazards.duckdb (one process: DuckDB
    holds its file; bench/loadstore.py fills it), or all on the shared database at
    ``database_url``."""
    if count > 1 and not database_url:
        raise SystemExit(
            "--processes 2 needs the shared database: --database-url postgresql://… "
            "(or HAZARDS_DATABASE_URL); DuckDB lets one process hold its file."
        )
    env = {
        **os.environ,
        "HAZARDS_EVIDENCE_DIR": str(folder / "evidence"),
        "HAZARDS_BACKUP_DIR": str(folder / "backups"),
    }
    if database_url:
        env["HAZARDS_DATABASE_URL"] = database_url
    else:
        env["HAZARDS_DB_PATH"] = str(folder / "hazards.duckdb")
    started = [Server.start(env, folder / f"streamlit-{i}.log") for i in range(count)]
    try:
        for s in started:
            s.wait_ready()
        yield started
    finally:
        for s in started:
            s.stop()


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path

    @classmethod
    def start(cls, env: dict[str, str], log: Path) -> Server:
        port = _free_port()
        args = ["--server.address", "127.0.0.1", "--server.port", str(port)]
        args += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return cls(proc, f"http://127.0.0.1:{port}", log)

    def wait_ready(self, limit: float = 120.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"the app did not start ({self.url}); its log: {self.log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (/proc/PID/stat)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> tuple[float, float]:
        """Resident memory now and its peak since the process started (MB)."""
        status = dict(
            line.split(":", 1)
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines()
        )
        return int(status["VmRSS"].split()[0]) / 1024, int(status["VmHWM"].split()[0]) / 1024


def machine_cpu_seconds() -> float:
    """CPU time every core of the machine spent busy so far (/proc/stat: all but idle, iowait)."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


# ---- running and reporting --------------------------------------------------------------------


async def _warm(urls: list[str], account: tuple[str, str]) -> dict[str, float]:
    """The first visit to each process (the caches fill): sign in, open each page once."""
    out: dict[str, float] = {}
    for i, url in enumerate(urls):
        level = Level(1, 1, 0, (account,))
        tab = Tab(url)
        if not await _sign_in(tab, account, level):
            raise SystemExit(f"cannot sign in on {url}: {level.errors}")
        for page, title in PAGES.items():
            run = await tab.open(page)
            if run.problems or not run.title_is(title):
                raise SystemExit(f"{url} {page}: {run.problems or run.headings[:1]}")
            out[f"load warm-up, process {i + 1}: first {title} (ms)"] = run.ms
        await tab.close()
    return out


def measure(
    urls: list[str],
    procs: list[Server],
    levels: list[int],
    seconds: float,
    seed: int,
    accounts: tuple[tuple[str, str], ...],
    helpers: dict[str, Callable[[], float]],
) -> tuple[dict[str, float], list[Level]]:
    """Warm each process up, then run every level; ``helpers`` are other processes serving the
    app (PostgreSQL) by name → their CPU seconds so far."""
    results = asyncio.run(_warm(urls, accounts[0]))
    done = []
    for users in levels:
        mark: dict[str, float] = {}

        def started(mark: dict[str, float] = mark) -> None:
            mark |= {f"cpu{i}": p.cpu_seconds() for i, p in enumerate(procs)}
            mark |= {"client": time.process_time(), "t": time.monotonic()}
            mark["machine"] = machine_cpu_seconds()
            mark |= {name: cpu() for name, cpu in helpers.items()}

        level = asyncio.run(run_level(urls, users, seconds, seed, accounts, started))
        wall = time.monotonic() - mark["t"]
        level.client_cpu_s = time.process_time() - mark["client"]
        for i, p in enumerate(procs):
            rss, peak = p.memory_mb()
            level.server |= {
                f"process {i + 1} CPU (% of one core)": 100
                * (p.cpu_seconds() - mark[f"cpu{i}"])
                / wall,
                f"process {i + 1} memory now (MB)": rss,
                f"process {i + 1} peak memory (MB)": peak,
            }
        level.server["bench client CPU (% of one core)"] = 100 * level.client_cpu_s / wall
        servers_cpu = sum(p.cpu_seconds() - mark[f"cpu{i}"] for i, p in enumerate(procs))
        for name, cpu in helpers.items():
            used = cpu() - mark[name]
            level.server[f"{name} CPU (% of one core)"] = 100 * used / wall
            servers_cpu += used
        others = machine_cpu_seconds() - mark["machine"] - servers_cpu - level.client_cpu_s
        level.server["other work on the machine, CPU (% of one core)"] = 100 * others / wall
        results |= report(level)
        done.append(level)
    return results, done


def report(level: Level) -> dict[str, float]:
    """The level's figures as the flat name → number of every bench section."""
    head = (
        f"load {level.processes} process{'es' if level.processes > 1 else ''}, {level.users} users"
    )
    out: dict[str, float] = {}
    every = [ms for times in level.times.values() for ms in times]
    for page, title in PAGES.items():
        times = level.times.get(page, [])
        out[f"{head}: {title} p50 (ms)"] = percentile(times, 50)
        out[f"{head}: {title} p95 (ms)"] = percentile(times, 95)
        out[f"{head}: {title} pages"] = len(times)
    out[f"{head}: all pages p50 (ms)"] = percentile(every, 50)
    out[f"{head}: all pages p95 (ms)"] = percentile(every, 95)
    out[f"{head}: pages completed"] = len(every)
    out[f"{head}: pages per second"] = len(every) / level.seconds
    out[f"{head}: sign-in p50 (ms)"] = percentile(level.sign_in_ms, 50)
    out[f"{head}: sign-in p95 (ms)"] = percentile(level.sign_in_ms, 95)
    out[f"{head}: all signed in after (s)"] = level.sign_in_phase_s
    out[f"{head}: errors"] = len(level.errors)
    out[f"{head}: received (MB)"] = level.received_bytes / 2**20
    out |= {f"{head}: {k}": v for k, v in level.server.items()}
    return out


def run(
    levels: list[int],
    seconds: float,
    process_counts: list[int],
    database_url: str | None,
    urls: list[str] | None,
    seed: int = 2022,
) -> dict[str, float]:
    """Every process count × level; prints the errors seen (the figures are returned).

    One process runs on a DuckDB file unless ``database_url`` is given; when several processes
    are asked for without a URL, every count runs on a throwaway PostgreSQL server (a new
    database each), so 1 and 2 processes are compared on the same store. On a store the bench
    fills, each user signs in with an account of its own; on servers it did not start or a
    database it did not fill, users share the demo accounts (an account signed in by five users
    at once locks itself: see auth.authenticate)."""
    results: dict[str, float] = {}
    levels_run: list[Level] = []
    if urls:  # servers someone else runs: no CPU or memory figures
        found, levels_run = measure(urls, [], levels, seconds, seed, DEMO_ACCOUNTS, {})
        results |= found
    needed = not urls and not database_url and any(c > 1 for c in process_counts)
    with loadstore.throwaway_postgres(needed) as pg:
        for count in process_counts if not urls else []:
            folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"hazards-load-{os.getpid()}-{count}"
            folder.mkdir(parents=True, exist_ok=True)
            url = pg.new_database() if pg else database_url
            own = loadstore.seed(folder, url, max(levels))
            accounts = loadstore.own_accounts(own) if own else DEMO_ACCOUNTS
            helpers = {"PostgreSQL": pg.cpu_seconds} if pg else {}
            with servers(count, folder, url) as procs:
                urls_ = [p.url for p in procs]
                found, done = measure(urls_, procs, levels, seconds, seed, accounts, helpers)
            shutil.rmtree(folder, ignore_errors=True)  # kept, with the servers' logs, on a failure
            results |= found
            levels_run += done
    for level in levels_run:
        for problem in sorted(set(level.errors))[:10]:
            n = level.errors.count(problem)
            print(f"  error ({level.processes} proc, {level.users} users) ×{n}: {problem}")
    return results
