"""Time the foundation's hot paths on the demo city: python -m bench [--repeat N] [--json FILE].

Median of N runs after one warm-up. Issue 8 extends this to province scale with a baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from analytics import city as city_mod
from analytics import db, demo, metrics
from analytics.config import PROJECT_ROOT


def _median_ms(fn: Callable[[], object], repeat: int, warm: bool = True) -> float:
    if warm:
        fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    city = city_mod.load_city(PROJECT_ROOT / "data" / "city.toml")
    tmp = Path(tempfile.mkdtemp())
    results: dict[str, float] = {}

    n = iter(range(10_000))
    results["demo database build (ms)"] = _median_ms(
        lambda: demo.create_database(tmp / f"d{next(n)}.duckdb", city, 2022), args.repeat
    )
    conn = db.open_store(tmp / "d0.duckdb", city)
    results["overview figures as of 2022-09-15 (ms)"] = _median_ms(
        lambda: metrics.overview(conn, date(2022, 9, 15), 15), args.repeat
    )
    conn.close()

    from streamlit.testing.v1 import AppTest

    os.environ["HAZARDS_DB_PATH"] = str(tmp / "d0.duckdb")
    app = str(PROJECT_ROOT / "app.py")
    results["overview page script, cold process cache (ms)"] = _median_ms(
        lambda: AppTest.from_file(app, default_timeout=60).run(), 1, warm=False
    )
    results["overview page script, warm (ms)"] = _median_ms(
        lambda: AppTest.from_file(app, default_timeout=60).run(), args.repeat
    )
    width = max(map(len, results))
    for k, v in results.items():
        print(f"{k:<{width}}  {v:8.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
