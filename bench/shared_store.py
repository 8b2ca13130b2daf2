"""The PostgreSQL store's own costs (python -m bench --store): moving a database file in, a
process loading its mirror, a workflow write (lock, catch-up, capture, send) against the same
write on the DuckDB file, and another process catching up with it.

A throwaway PostgreSQL 15 on loopback (bench/pg_server.py) holds the data; nothing is asserted.
"""

from __future__ import annotations

import shutil
import statistics
import time
import uuid
from datetime import datetime
from pathlib import Path

from analytics import city as city_mod
from analytics.accounts.auth import User
from analytics.ledger import workflow
from analytics.store import db, mirror
from bench import pg_server


def _ms(t: float) -> float:
    return (time.perf_counter() - t) * 1000


def _progress(conn, hazard_id: str, i: int) -> None:
    """整改进展 by the hazard's own brigade (the role that records progress)."""
    version, unit = conn.execute(
        "SELECT version, unit_adcode FROM hazards WHERE hazard_id = ?", [hazard_id]
    ).fetchone()
    workflow.record_progress(
        conn,
        User("bench", "大队", "county", unit),
        hazard_id,
        version,
        text=f"第{i}次整改进展",
        measures=None,
        temporary_controls=None,
        now=datetime(2025, 6, 30, 9, 0, i % 60),
    )


def run(path: Path, city_file: Path, tmp: Path, repeat: int = 5) -> dict[str, float]:
    if not pg_server.available():
        print("(PostgreSQL 15 not installed: the shared-store section is skipped)")
        return {}
    city = city_mod.load_city(city_file)
    server, folder = pg_server.start()  # its own folder under /tmp: postgres must reach it
    out: dict[str, float] = {}
    try:
        url = mirror.create_database(server, "bench_" + uuid.uuid4().hex[:8])
        t = time.perf_counter()
        mirror.copy_from_file(path, url)
        out["shared store: migrate-store (copy in, load back, hash every table) (ms)"] = _ms(t)

        loads = []
        for _ in range(repeat):
            t = time.perf_counter()
            conn = mirror.open_store(url, city)
            loads.append(_ms(t))
            conn.close()
        out["shared store: a process opens it (load the mirror) (ms)"] = statistics.median(loads)

        a = mirror.open_store(url, city)
        b = mirror.open_store(url, city)
        hazard_id = a.execute(
            "SELECT hazard_id FROM hazards WHERE state = '整改中' ORDER BY hazard_id LIMIT 1"
        ).fetchone()[0]
        writes, syncs, idle = [], [], []
        for i in range(repeat + 1):
            t = time.perf_counter()
            _progress(a, hazard_id, i)
            writes.append(_ms(t))
            t = time.perf_counter()
            b.sync()
            syncs.append(_ms(t))
            t = time.perf_counter()
            b.sync()
            idle.append(_ms(t))
        out["shared store: a workflow write (进展) (ms)"] = statistics.median(writes[1:])
        out["shared store: another process catches up with it (ms)"] = statistics.median(syncs[1:])
        out["shared store: the per-run check when nothing changed (ms)"] = statistics.median(idle)
        a.close()
        b.close()

        copy = tmp / "file-write.duckdb"
        shutil.copy(path, copy)
        conn = db.open_store(copy, city)
        file_writes = []
        for i in range(repeat + 1):
            t = time.perf_counter()
            _progress(conn, hazard_id, i)
            file_writes.append(_ms(t))
        conn.close()
        out["file store: the same workflow write (ms)"] = statistics.median(file_writes[1:])
    finally:
        pg_server.stop(folder)
    return out
