"""A fixed reference workload, timed at the start and at the end of every bench run.

Its code never changes, so its time says how fast the machine itself ran: on this shared 2-core
machine the same unchanged code (the xlsx baseline) took 7.6 s in one run and 12.1 s in another
an hour apart, with no CPU taken by the host (docs/performance.md). --compare divides by it, so a
figure is marked slower only when it grew more than the machine slowed.

The work is the product's kind: Python tuples sorted and summed into a dict, a NumPy sort, and a
DuckDB group-by on its two threads. bench/__main__.py times it (median of three, after one untimed).
"""

from __future__ import annotations

import duckdb
import numpy as np

AT_START = "machine speed: a fixed reference workload at the start of the run (ms)"
AT_END = "machine speed: the same workload at the end of the run (ms)"


def workload() -> int:
    """The fixed work; returns a checksum so none of it can be skipped."""
    rows = [
        (f"K{i % 997}+{i * 7 % 1000:03d}", i * 2_654_435_761 % 1_000_003) for i in range(100_000)
    ]
    rows.sort(key=lambda r: (r[1], r[0]))
    sums: dict[str, int] = {}
    for stake, n in rows:
        sums[stake] = sums.get(stake, 0) + n
    values = np.arange(1_000_000, dtype=np.float64) * 0.618_033_988_7 % 1.0
    order = np.argsort(values, kind="stable")
    conn = duckdb.connect()
    try:
        groups = conn.execute(
            "SELECT i % 1000 AS k, sum(i) FROM range(3000000) t(i) GROUP BY k"
        ).fetchall()
    finally:
        conn.close()
    return len(sums) + int(order[0]) + len(groups)


def machine_ratio(old: dict[str, float], new: dict[str, float]) -> float | None:
    """How much slower (> 1) or faster the machine ran in new than in old: the mean of the
    workload's two times, new over old; None when either run lacks them."""
    keys = (AT_START, AT_END)
    if not all(k in old and k in new and old[k] > 0 for k in keys):
        return None
    return sum(new[k] for k in keys) / sum(old[k] for k in keys)
