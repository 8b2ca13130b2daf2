"""python -m bench ... --compare OLD.json: every figure of this run beside a saved run's.

Each line: the figure, its old and new value and new / old. A figure in milliseconds is marked
"SLOWER" when it grew by more than SLOWER (10 %) beyond the machine's own change: both runs time
one fixed workload (bench/reference.py), and the first line says how much slower or faster the
machine ran. Figures present on one side only are listed as such. Nothing fails: the machine is
shared and timings are noisy (docs/performance.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import reference

SLOWER = 1.10


def load(path: Path) -> dict[str, float]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def lines(old: dict[str, float], new: dict[str, float]) -> list[str]:
    both = [k for k in new if k in old]
    width = max(map(len, [*old, *new, "figure"]))
    machine = reference.machine_ratio(old, new)
    out = [
        f"the machine ran the fixed reference workload in {machine:.2f}x the old run's time"
        if machine
        else "the fixed reference workload is not in both runs: no allowance for the machine's speed"
    ]
    out.append(f"{'figure':<{width}}  {'old':>10}  {'new':>10}  {'new/old':>7}")
    for k in both:
        o, n = old[k], new[k]
        ratio = f"{n / o:6.2f}x" if o else "    n/a"
        slower = o > 0 and n > o * SLOWER * (machine or 1.0)
        mark = "  SLOWER" if k.endswith("(ms)") and slower else ""
        out.append(f"{k:<{width}}  {o:10.1f}  {n:10.1f}  {ratio}{mark}")
    out += [
        f"{k:<{width}}  {'':>10}  {new[k]:10.1f}  only in this run" for k in new if k not in old
    ]
    out += [
        f"{k:<{width}}  {old[k]:10.1f}  {'':>10}  only in the old run" for k in old if k not in new
    ]
    return out
