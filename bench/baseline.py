"""The baseline: the same jobs written the way a typical analyst would, with pandas only —
openpyxl to read workbooks, groupby for rates, Python loops over accidents for windows.

Each function does no more than its product counterpart (usually less: no validation, no
events, no transaction), so the ratios printed by the benchmark are, if anything, flattering to
the baseline.
"""

from __future__ import annotations

import io
import math
from datetime import date

import numpy as np
import pandas as pd

EARTH_RADIUS_M = 6371008.8


def read_ledger(data: bytes, name: str) -> pd.DataFrame:
    """Read a ledger file and clean the columns the figures need."""
    if name.endswith(".xlsx"):
        frame = pd.read_excel(io.BytesIO(data), engine="openpyxl")
    else:
        frame = pd.read_csv(io.BytesIO(data))
    for col in ("排查日期", "入单日期", "完成时限", "销号日期"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col], errors="coerce")
    stake = frame["起点桩号"].astype(str).str.extract(r"K(\d+)\+(\d+)").astype(float)
    frame["start_m"] = stake[0] * 1000 + stake[1]
    return frame


def unit_ranking(hazards: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Listed, closed, 整改率 and rank per unit from the hazards table held in a DataFrame."""
    day = pd.Timestamp(as_of)
    listed_on = hazards["listed_date"].fillna(hazards["found_date"])
    on_list = (
        (hazards["state"] != "待认定")
        & (listed_on <= day)
        & ~(hazards["voided_date"].notna() & (hazards["voided_date"] <= day))
    )
    h = hazards[on_list].assign(
        closed=lambda f: f["closed_date"].notna() & (f["closed_date"] <= day)
    )
    out = h.groupby("unit_adcode").agg(listed=("hazard_id", "size"), closed=("closed", "sum"))
    out["rate"] = out["closed"] / out["listed"]
    out["rank"] = out["rate"].rank(method="min", ascending=False)
    return out.sort_values("rank")


def stake_sites(accidents: pd.DataFrame, window_m: int, threshold: float) -> list[tuple]:
    """(route, start, end) sites: for every fatal accident a window [s, s + L] selected by a
    boolean mask over its route, merged in a Python loop."""
    sites = []
    for route, g in accidents.groupby("route_code"):
        g = g.sort_values("stake_m")
        windows = []
        for s in g.loc[g["deaths"] > 0, "stake_m"]:
            w = g[(g["stake_m"] >= s) & (g["stake_m"] <= s + window_m)]
            fatal = w[w["deaths"] > 0]
            if len(fatal) >= threshold:
                windows.append((s, s + window_m, fatal["stake_m"].max()))
        current = None
        for s, e, last in sorted(windows):
            if current and s <= current[1]:
                current = [current[0], max(current[1], e), max(current[2], last)]
            else:
                if current:
                    sites.append((route, current[0], current[2]))
                current = [s, e, last]
        if current:
            sites.append((route, current[0], current[2]))
    return sites


def coord_sites(
    lon: np.ndarray, lat: np.ndarray, counts: np.ndarray, threshold: float, radius_m: float
) -> int:
    """Number of coordinate clusters: each accident's distance to every other (numpy row by
    row), then a Python flood fill over the qualifying ones."""
    n = len(lon)
    p = np.radians(lat)
    near = []
    for i in range(n):
        h = (
            np.sin((p - p[i]) / 2) ** 2
            + math.cos(p[i]) * np.cos(p) * np.sin(np.radians(lon - lon[i]) / 2) ** 2
        )
        near.append(np.flatnonzero(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h)) <= radius_m))
    qualifies = [counts[nb].sum() >= threshold for nb in near]
    seen: set[int] = set()
    sites = 0
    for i in range(n):
        if qualifies[i] and i not in seen:
            sites += 1
            todo = [i]
            while todo:
                k = todo.pop()
                if k not in seen:
                    seen.add(k)
                    todo += [int(j) for j in near[k] if qualifies[j] and j not in seen]
    return sites
