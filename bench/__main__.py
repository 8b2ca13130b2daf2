"""Time the hot paths: python -m bench [--repeat N] [--scale] [--quick] [--json FILE].

Median of N runs after one warm-up. Without --scale it runs on the demo city; with --scale on
a generated province (100,000 hazards, 1,000,000 accidents, 100 units; --quick: a tenth).
Every run also imports a 100,000-row CSV and a 50,000-row xlsx ledger (--quick: a tenth), once.
Timings are printed and written as JSON; they are never asserted (see README, Performance).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from analytics import city as city_mod
from analytics import db, demo, hazard_list, metrics, trends
from analytics.config import PROJECT_ROOT
from bench import imports, scale

PAGES = (
    "pages/overview.py", "pages/cockpit.py", "pages/big_screen.py", "pages/ledger.py",
    "pages/tasks.py", "pages/audit_log.py", "pages/data_settings.py",
)  # fmt: skip


def _median_ms(fn: Callable[[], object], repeat: int, warm: bool = True) -> float:
    if warm:
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _analytics(path: Path, as_of: date, repeat: int) -> dict[str, float]:
    conn = db.open_for_reading(path)
    units = {u: 1 for u in conn.execute("SELECT adcode FROM units").fetchnumpy()["adcode"]}
    calls = {
        "metrics by unit with ranking": lambda: metrics.unit_ranking(conn, as_of, "month", 15),
        "city KPIs now and previous period": lambda: metrics.kpi_comparison(
            conn, as_of, "month", 15
        ),
        "accidents in period, 同比 and 环比": lambda: metrics.accident_comparison(
            conn, as_of, "month"
        ),
        "weekly flow + daily backlog": lambda: (
            trends.flow(conn, as_of, "week"),
            trends.backlog(conn, as_of),
        ),
        "清零 forecasts, every unit": lambda: trends.forecasts(conn, as_of, units),
        "overdue list": lambda: hazard_list.overdue(conn, as_of),
    }
    out = {f"{k} (ms)": _median_ms(fn, repeat) for k, fn in calls.items()}
    conn.close()
    return out


def _pages(path: Path, city_file: Path, repeat: int) -> dict[str, float]:
    """Each page's script time in AppTest: first run in a fresh process cache, then warm."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from analytics import auth

    os.environ["HAZARDS_DB_PATH"] = str(path)
    os.environ["HAZARDS_CITY_FILE"] = str(city_file)
    os.environ["HAZARDS_INITIAL_ADMIN_PASSWORD"] = "bench-admin-1"  # scale data has no accounts
    app = str(PROJECT_ROOT / "app.py")
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    out: dict[str, float] = {}
    for page in PAGES:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(app, default_timeout=300)
        at.session_state["user"] = auth.User("admin", "admin", "admin", None)
        at.session_state["signed_in_at"] = at.session_state["last_seen"] = now
        t = time.perf_counter()
        at.run()
        at.switch_page(page).run()
        cold = (time.perf_counter() - t) * 1000
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].message}")
        out[f"{page} cold, incl. opening the store (ms)"] = cold
        out[f"{page} warm (ms)"] = _median_ms(at.run, repeat)
    return out


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--scale", action="store_true", help="province-sized generated data")
    p.add_argument("--quick", action="store_true", help="a tenth of the scale size (for CI)")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hazards-bench-"))
    results: dict[str, float] = {}
    if args.scale or args.quick:
        n_h, n_a = (10_000, 100_000) if args.quick else (100_000, 1_000_000)
        path = tmp / "scale.duckdb"
        t = time.perf_counter()
        city_file = scale.build(path, n_h, n_a, 100)
        results[f"generate {n_h:,} hazards + {n_a:,} accidents (ms)"] = (
            time.perf_counter() - t
        ) * 1000
        as_of = date(2025, 6, 30)
    else:
        city_file = PROJECT_ROOT / "data" / "city.toml"
        city = city_mod.load_city(city_file)
        n = iter(range(10_000))
        results["build the demo database (ms)"] = _median_ms(
            lambda: demo.create_database(tmp / f"d{next(n)}.duckdb", city, 2022), args.repeat
        )
        path = tmp / "d0.duckdb"
        as_of = date(2022, 9, 15)
    rows_csv, rows_xlsx = (10_000, 5_000) if args.quick else (100_000, 50_000)
    fuyang = city_mod.load_city(PROJECT_ROOT / "data" / "city.toml")
    results |= imports.run(fuyang, tmp, rows_csv, rows_xlsx)
    results |= _analytics(path, as_of, args.repeat)
    results |= _pages(path, city_file, args.repeat)
    width = max(map(len, results))
    for k, v in results.items():
        print(f"{k:<{width}}  {v:9.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
