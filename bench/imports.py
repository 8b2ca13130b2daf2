"""Import timings: a 100,000-row CSV ledger and a 50,000-row xlsx ledger into an empty store."""

from __future__ import annotations

import io
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from analytics.accounts import auth
from analytics.city import City
from analytics.ingest import hazards as ingest
from analytics.store import db
from bench import baseline


def ledger_frame(city: City, n: int) -> pd.DataFrame:
    """n hazards in the canonical layout, spread over the city's units (deterministic)."""
    units = [u.name for u in city.units if u.kind != "zone"]
    start = date(2016, 1, 1)
    found = [start + timedelta(days=(i * 37) % 3000) for i in range(n)]
    return pd.DataFrame(
        {
            "隐患编号": [f"B{i:07d}" for i in range(n)],
            "所属区县": [units[i % len(units)] for i in range(n)],
            "道路名称": [f"G{105 + i % 50}" for i in range(n)],
            "起点桩号": [f"K{i % 900}+{(i * 7) % 1000:03d}" for i in range(n)],
            "隐患类型": ["急弯陡坡"] * n,
            "风险等级": [("重大", "较大", "一般")[i % 3] for i in range(n)],
            "挂牌督办": [("市", "县", "无")[i % 3] for i in range(n)],
            "排查日期": [d.isoformat() for d in found],
            "完成时限": [(d + timedelta(days=90)).isoformat() for d in found],
            "工作目标": ["消除隐患"] * n,
            "牵头领导": ["某领导"] * n,
            "责任单位": ["某单位"] * n,
            "完成标准": ["达标"] * n,
        }
    )


def run(city: City, folder: Path, rows_csv: int, rows_xlsx: int) -> dict[str, float]:
    frame = ledger_frame(city, rows_csv)
    csv_bytes = frame.to_csv(index=False).encode("utf-8")
    buf = io.BytesIO()
    ledger_frame(city, rows_xlsx).to_excel(buf, index=False)
    xlsx_bytes = buf.getvalue()
    admin = auth.User("bench", "基准", "admin", None)
    out = {}
    for label, name, data in (
        (f"import a {rows_csv:,}-row CSV ledger (ms)", "ledger.csv", csv_bytes),
        (f"import a {rows_xlsx:,}-row xlsx ledger (ms)", "ledger.xlsx", xlsx_bytes),
    ):
        path = folder / f"import-{name}.duckdb"
        path.unlink(missing_ok=True)
        conn = db.open_store(path, city)
        t = time.perf_counter()
        result = ingest.import_hazards(conn, city, admin, name, data, now=datetime(2026, 1, 1))
        out[label] = (time.perf_counter() - t) * 1000
        assert result.written and not result.problems, result.problems[:3]
        conn.close()
        t = time.perf_counter()
        frame = baseline.read_ledger(data, name)
        slow = (time.perf_counter() - t) * 1000
        assert len(frame) == result.inserted  # the same rows on both sides
        what = label.removesuffix(" (ms)")
        out[f"{what}, baseline: pandas/openpyxl read + clean only (ms)"] = slow
        out[f"{what}: product (whole import) is faster by (x)"] = slow / out[label]
    return out
