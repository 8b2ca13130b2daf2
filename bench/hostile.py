"""Refusing hostile spreadsheets (bench/bombs.py): time and peak memory of each refusal.

Each file is read in its own child process (python -m bench.hostile FILE), so its peak memory
(VmHWM, the high-water mark of that process image) is the reader's alone; the first line is
the same child reading an empty CSV, the interpreter and its imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from analytics.config import PROJECT_ROOT
from bench import bombs


def run(folder: Path) -> dict[str, float]:
    folder.mkdir(parents=True, exist_ok=True)
    empty = folder / "empty.csv"
    empty.write_bytes(b"a\n")
    out = _child(empty, "baseline: read a one-cell CSV")
    for shape, build in bombs.BOMBS.items():
        name, data = build()
        path = folder / name
        path.write_bytes(data)
        out |= _child(path, f"refuse {shape} ({len(data) / 1024:,.0f} KB)")
    return out


def _child(path: Path, label: str) -> dict[str, float]:
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.hostile", str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    wall = (time.perf_counter() - t) * 1000
    if done.returncode:
        raise RuntimeError(f"{label}: the reader died (exit {done.returncode})\n{done.stderr}")
    got = json.loads(done.stdout.strip().splitlines()[-1])
    if label.startswith("refuse") and not got["refused"]:
        raise RuntimeError(f"{label}: was read, not refused")
    return {
        f"{label}: read (ms)": got["ms"],
        f"{label}: child process (ms)": wall,
        f"{label}: peak memory (MB)": got["peak_mb"],
    }


def _measure(path: Path) -> None:
    from analytics.ingest import read  # imported before the clock starts

    data = path.read_bytes()
    t = time.perf_counter()
    try:
        read.read(path.name, data)
        refused = ""
    except read.ReadError as e:
        refused = str(e)
    ms = (time.perf_counter() - t) * 1000
    with open("/proc/self/status", encoding="ascii") as f:
        peak_kb = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
    print(json.dumps({"ms": ms, "peak_mb": peak_kb / 1024, "refused": refused}))


if __name__ == "__main__":
    _measure(Path(sys.argv[1]))
