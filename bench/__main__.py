"""Time the hot paths: python -m bench [--repeat N] [--scale] [--quick] [--json FILE].

python -m bench --only hotspots [--scale | --quick]: only the accident-prone-site timings, the
baseline's and the peers' (with their equality checks), on the same generated data.

python -m bench --only pages [--scale | --quick]: only the page timings (bench/pages.py) and the
unit ranking beside its pandas baseline (with its equality check), on the same generated data.

python -m bench --load [--load-quick] [...]: only the load benchmark (bench/load.py: simulated
users over Streamlit's websocket protocol against 1 or 2 app processes).

Median of N runs after one warm-up. Without --scale it runs on the demo city; with --scale on
a generated province (100,000 hazards, 1,000,000 accidents, 100 units; --quick: a tenth).
Every run also imports a 100,000-row CSV and a 50,000-row xlsx ledger (--quick: a tenth), once,
and refuses each hostile spreadsheet of bench/bombs.py in a child process (time, peak memory), and
measures the PostgreSQL store on the same data (bench/shared_store.py; skipped without PostgreSQL).
The peers (bench/peers.py: DuckDB SQL and Polars stake windows, Polars ranking, PostGIS
ST_ClusterDBSCAN clusters) run beside the product on the same data; a peer whose answer differs
prints a MISMATCH line, is recorded in the JSON and makes the run exit with status 1.
--compare OLD.json prints every figure beside a saved run's (bench/compare.py).
--only imports runs only the two ledger imports (a tenth with --quick), --repeat times (medians).
Timings are printed and written as JSON; they are never asserted (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from analytics import city as city_mod
from analytics import memory
from analytics.accidents import rules as hotspot_rules
from analytics.accidents import search as hotspot_search
from analytics.accidents import sites as hotspots
from analytics.config import PROJECT_ROOT, Settings
from analytics.demo import build as demo
from analytics.ledger import hazard_list, metrics, trends
from analytics.ledger.periods import Period
from analytics.store import db
from bench import baseline, compare, hostile, imports, load, peers, reference, scale, shared_store


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
    month = Period.ending(as_of, "month")
    calls = {
        "metrics by unit with ranking": lambda: metrics.unit_ranking(conn, month, 15),
        "city KPIs now and previous period": lambda: metrics.kpi_comparison(conn, month, 15),
        "accidents in period, 同比 and 环比": lambda: metrics.accident_comparison(conn, month),
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
    """Page timings, bytes sent and peak memory, from a child process (bench/pages.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.pages", str(path), str(city_file), str(repeat)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"bench.pages failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _ranking(path: Path, as_of: date, repeat: int) -> dict[str, float]:
    """Metrics by unit with ranking (as in _analytics) and the pandas baseline's ranking, checked
    equal first (as in _versus_baseline)."""
    conn = db.open_for_reading(path)
    month = Period.ending(as_of, "month")
    ms = _median_ms(lambda: metrics.unit_ranking(conn, month, 15), repeat)
    t = time.perf_counter()
    base = baseline.unit_ranking(conn.execute("SELECT * FROM hazards").df(), as_of)
    slow = (time.perf_counter() - t) * 1000
    ours = metrics.unit_ranking(conn, month, 15).set_index("unit_adcode")
    assert (ours.loc[base.index, "listed"].to_numpy() == base["listed"].to_numpy()).all()
    conn.close()
    return {"metrics by unit with ranking (ms)": ms} | _pair(
        "unit ranking (baseline incl. reading the hazards into pandas)", slow, ms
    )


def _hotspots(path: Path, as_of: date, repeat: int) -> dict[str, float]:
    """Every preset as of the date, then both modes over every accident in the database."""
    conn = db.open_for_reading(path)
    out = {}
    for name in hotspot_rules.PRESETS:
        params = hotspot_rules.preset(name)
        n = len(hotspots.find_sites(conn, as_of, params))
        out[f"hotspots {name}: {n} sites (ms)"] = _median_ms(
            lambda p=params: hotspots.find_sites(conn, as_of, p), repeat
        )
    last, days = _all_days(conn)
    total = conn.execute("SELECT count(*) FROM accidents").fetchone()[0]
    for name in ("point_500m_1y", "uk_cluster_50m_3y"):
        params = hotspot_rules.preset(name).with_(days=days)
        out[f"hotspots {params.mode} mode over all {total:,} accidents (ms)"] = _median_ms(
            lambda p=params: hotspots.find_sites(conn, last, p), repeat
        )
    conn.close()
    return out


def _all_days(conn) -> tuple[date, int]:
    first, last = conn.execute(
        "SELECT min(occurred_at)::DATE, max(occurred_at)::DATE FROM accidents"
    ).fetchone()
    return last, (last - first).days + 1


def _versus_baseline(path: Path, as_of: date, sample: int) -> dict[str, float]:
    """The same jobs the pandas way (bench/baseline.py), timed once each, with the ratio; the
    answers are checked equal first, so the two sides did the same work."""
    conn = db.open_for_reading(path)
    out: dict[str, float] = {}
    t = time.perf_counter()  # the baseline reads the hazards into pandas, then groups them
    hazards = conn.execute("SELECT * FROM hazards").df()
    base = baseline.unit_ranking(hazards, as_of)
    slow = (time.perf_counter() - t) * 1000
    month = Period.ending(as_of, "month")
    fast = _median_ms(lambda: metrics.unit_ranking(conn, month, 15), 5)
    ours = metrics.unit_ranking(conn, month, 15).set_index("unit_adcode")
    assert (ours.loc[base.index, "listed"].to_numpy() == base["listed"].to_numpy()).all()
    out |= _pair("unit ranking (baseline incl. reading the hazards into pandas)", slow, fast)

    last, days = _all_days(conn)
    params = hotspot_rules.preset("point_500m_1y").with_(days=days)
    accidents = conn.execute(
        "SELECT route_code, stake_m, deaths FROM accidents WHERE stake_m IS NOT NULL"
    ).df()
    t = time.perf_counter()
    base_sites = baseline.stake_sites(accidents, params.window_m, 3)
    slow = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    sites = hotspots.find_sites(conn, last, params)
    fast = (time.perf_counter() - t) * 1000
    assert sorted(base_sites) == sorted(
        zip(sites.route_code, sites.start_m, sites.end_m, strict=True)
    )
    out |= _pair(f"stake sites over {len(accidents):,} accidents ({len(sites)} sites)", slow, fast)

    rows = conn.execute(
        "SELECT lon, lat, CAST(deaths > 0 OR injuries > 0 AS DOUBLE) AS hurt FROM accidents"
        " WHERE lon IS NOT NULL ORDER BY accident_id LIMIT ?",
        [sample],
    ).fetchnumpy()
    t = time.perf_counter()
    n_base = baseline.coord_sites(rows["lon"], rows["lat"], rows["hurt"], 2, 500.0)
    slow = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    found = hotspot_search.coord_sites(rows["lon"], rows["lat"], rows["hurt"], [2], 500.0)
    fast = (time.perf_counter() - t) * 1000
    assert found.count == n_base
    n = len(rows["lon"])
    out |= _pair(f"coordinate clusters over {n:,} accidents ({n_base} sites)", slow, fast)
    conn.close()
    return out


def _pair(what: str, slow: float, fast: float) -> dict[str, float]:
    return {
        f"{what}: baseline (ms)": slow,
        f"{what}: product (ms)": fast,
        f"{what}: product is faster by (x)": slow / fast,
    }


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--scale", action="store_true", help="province-sized generated data")
    p.add_argument("--quick", action="store_true", help="a tenth of the scale size (for CI)")
    p.add_argument("--json", type=Path)
    p.add_argument("--compare", type=Path, help="a saved --json file to compare this run with")
    p.add_argument(
        "--only",
        choices=("hotspots", "imports", "pages"),
        help="only this part (hotspots: the presets, modes, baseline and peers; imports: the CSV"
        " and xlsx ledger imports, medians of --repeat; pages: the page timings and the unit"
        " ranking; all at the --quick/--scale sizes)",
    )
    _load_arguments(p)
    args = p.parse_args()
    if args.load or args.load_quick:
        _print(_load(args), args.json, args.compare)
        return
    # as every app process does at start (analytics.startup), so the timings are the app's
    kept = memory.keep_freed(Settings.from_env().keep_freed_mb)
    tmp = Path(tempfile.mkdtemp(prefix="hazards-bench-"))
    results: dict[str, float] = {
        "freed memory the process keeps a heap (MB)": kept,
        reference.AT_START: _median_ms(reference.workload, 3),
    }
    if args.only == "imports":  # medians of --repeat runs (the full run imports once)
        runs = [_imports(tmp, args.quick) for _ in range(args.repeat)]
        results |= {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        _print(results, args.json, args.compare)
        return
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
    if args.only == "hotspots":
        _only_hotspots(results, path, as_of, args)
        return
    if args.only == "pages":
        results |= _ranking(path, as_of, args.repeat)
        results |= _pages(path, city_file, args.repeat)
        _print(results, args.json, args.compare)
        return
    results |= _imports(tmp, args.quick)
    results |= hostile.run(tmp / "hostile")
    results |= _analytics(path, as_of, args.repeat)
    results |= _hotspots(path, as_of, args.repeat)
    results |= _versus_baseline(path, as_of, 2_000 if args.quick else 20_000)
    mismatches: list[str] = []
    if args.scale or args.quick:
        figures, mismatches = peers.run(path, as_of, args.repeat)
        results |= figures | {f"{m} (count)": 1.0 for m in mismatches}
    results |= _pages(path, city_file, args.repeat)
    results |= shared_store.run(path, city_file, tmp, args.repeat)
    _print(results, args.json, args.compare)
    for m in mismatches:
        print(m)
    if mismatches:
        sys.exit(1)


def _only_hotspots(
    results: dict[str, float], path: Path, as_of: date, args: argparse.Namespace
) -> None:
    results |= _hotspots(path, as_of, args.repeat)
    results |= _versus_baseline(path, as_of, 2_000 if args.quick else 20_000)
    mismatches: list[str] = []
    if args.scale or args.quick:
        figures, mismatches = peers.run(path, as_of, args.repeat)
        results |= figures | {f"{m} (count)": 1.0 for m in mismatches}
    _print(results, args.json, args.compare)
    for m in mismatches:
        print(m)
    if mismatches:
        sys.exit(1)


def _imports(tmp: Path, quick: bool) -> dict[str, float]:
    rows_csv, rows_xlsx = (10_000, 5_000) if quick else (100_000, 50_000)
    fuyang = city_mod.load_city(PROJECT_ROOT / "data" / "city.toml")
    return imports.run(fuyang, tmp, rows_csv, rows_xlsx)


def _cpu_ticks() -> tuple[int, int] | None:
    """(ticks the hypervisor took from this machine's CPUs, all ticks) so far (Linux's
    /proc/stat): a virtual machine's neighbours slow the two-thread parts of a run the most."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return (ticks[7] if len(ticks) > 7 else 0), sum(ticks)


_AT_START = _cpu_ticks()


def _print(results: dict[str, float], to: Path | None, old: Path | None = None) -> None:
    now = _cpu_ticks()
    if now and _AT_START and now[1] > _AT_START[1]:
        stolen = (now[0] - _AT_START[0]) / (now[1] - _AT_START[1]) * 100
        results = results | {"CPU time the host took from this machine during the run (%)": stolen}
    if reference.AT_START in results:  # the machine's speed, again, to compare with the start
        results = results | {reference.AT_END: _median_ms(reference.workload, 3)}
    width = max(map(len, results))
    for k, v in results.items():  # ratios get more places: a peer may be 0.03 of us
        print(f"{k:<{width}}  {v:9.3f}" if k.endswith("(x)") else f"{k:<{width}}  {v:9.1f}")
    if to:
        to.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    if old:
        print(f"\n== compared with {old}")
        print("\n".join(compare.lines(compare.load(old), results)))


def _load_arguments(p: argparse.ArgumentParser) -> None:
    def numbers(text: str) -> list[int]:
        return [int(n) for n in text.split(",")]

    g = p.add_argument_group("load (bench/load.py)")
    g.add_argument("--load", action="store_true", help="only the load benchmark")
    g.add_argument("--load-quick", action="store_true", help="load: 5 and 10 users, 10 s each")
    g.add_argument("--load-users", type=numbers, default=[10, 25, 50], help="e.g. 10,25,50")
    g.add_argument("--load-seconds", type=float, default=60.0, help="each level's duration")
    g.add_argument("--processes", type=numbers, default=[1], help="app processes: 1, 2 or 1,2")
    g.add_argument(
        "--database-url",
        default=os.environ.get("HAZARDS_DATABASE_URL"),
        help="the shared database for 2 processes (default: HAZARDS_DATABASE_URL)",
    )
    g.add_argument(
        "--load-url",
        action="append",
        help="a running app to load instead of starting processes (repeat for several)",
    )
    g.add_argument("--load-seed", type=int, default=2022)


def _load(args: argparse.Namespace) -> dict[str, float]:
    users, seconds = ([5, 10], 10.0) if args.load_quick else (args.load_users, args.load_seconds)
    return load.run(
        users, seconds, args.processes, args.database_url, args.load_url, args.load_seed
    )


if __name__ == "__main__":
    main()
