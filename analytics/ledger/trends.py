"""Trends of the ledger: new vs closed per week or month, the open backlog, 清零 forecasts."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from analytics.store.db import read_sql

FREQS = {"week": "周", "month": "月"}
FORECAST_WEEKS = 8  # the recent closing rate is measured over this many 7-day windows
Z_80 = 1.2816  # two-sided 80% interval of the mean weekly closures (normal approximation)


def flow(
    conn: duckdb.DuckDBPyConnection, as_of: date, freq: str, unit: str | None = None
) -> pd.DataFrame:
    """bucket (first day of the week/month), new listings, closures."""
    if freq not in FREQS:
        raise ValueError(f"无效的时间粒度“{freq}”（可用：week、month）")
    return conn.execute(read_sql("hazard_flow"), {"as_of": as_of, "freq": freq, "unit": unit}).df()


def backlog(conn: duckdb.DuckDBPyConnection, as_of: date, unit: str | None = None) -> pd.DataFrame:
    """day, open: the hazards open on each day up to as_of."""
    return conn.execute(read_sql("hazard_backlog"), {"as_of": as_of, "unit": unit}).df()


@dataclass(frozen=True)
class Forecast:
    """When the hazards open now are all closed if the recent weekly closing rate continues.

    It assumes no new listings: it forecasts clearing the list as it stands (清零见底).
    """

    as_of: date
    open_now: int
    weekly_closed: tuple[int, ...]  # closures per 7-day window, latest first
    mean: float | None
    expected: date | None
    earliest: date | None
    latest: date | None  # None with an expected date: the slow end cannot be bounded

    @property
    def status(self) -> str:
        if self.open_now == 0:
            return "已清零"
        if self.mean is None:
            return "数据不足"
        if self.mean <= 0:
            return "近期无销号，无法预计"
        return "预计清零"


def clearance_forecast(
    as_of: date, open_now: int, weekly_closed: list[int], first_listed: date | None = None
) -> Forecast:
    """Expected date = as_of + open / mean weekly closures; the 80% range uses its std. error.

    Only windows that end after the first listing count (a young ledger has fewer weeks).
    """
    if first_listed is not None:
        weekly_closed = weekly_closed[: max(1, -(-((as_of - first_listed).days + 1) // 7))]
    net = tuple(int(x) for x in weekly_closed)
    if open_now == 0 or len(net) < 2:
        return Forecast(as_of, open_now, net, None, None, None, None)
    mean = statistics.fmean(net)
    if mean <= 0:
        return Forecast(as_of, open_now, net, mean, None, None, None)
    spread = Z_80 * statistics.stdev(net) / math.sqrt(len(net))

    def at(rate: float) -> date:
        return as_of + timedelta(days=math.ceil(open_now / rate * 7))

    slow = mean - spread
    return Forecast(
        as_of, open_now, net, mean, at(mean), at(mean + spread), at(slow) if slow > 0 else None
    )


def forecasts(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    open_by_unit: dict[str, int],
    weeks: int = FORECAST_WEEKS,
) -> dict[str | None, Forecast]:
    """A forecast for each unit in open_by_unit, and for the city under the key None."""
    windows = conn.execute(read_sql("clearance_windows"), {"as_of": as_of, "weeks": weeks}).df()
    first = _first_listed(conn, as_of)
    closed = {u: [0] * weeks for u in open_by_unit}
    city = [0] * weeks
    for unit, k, _new, n in windows.itertuples(index=False):
        if unit in closed:
            closed[unit][k] += n
        city[k] += n
    out: dict[str | None, Forecast] = {
        u: clearance_forecast(as_of, n, closed[u], first.get(u)) for u, n in open_by_unit.items()
    }
    city_first = min(first.values(), default=None)
    out[None] = clearance_forecast(as_of, sum(open_by_unit.values()), city, city_first)
    return out


def _first_listed(conn: duckdb.DuckDBPyConnection, as_of: date) -> dict[str, date]:
    """Each unit's first listing day up to as_of."""
    rows = conn.execute(
        "SELECT unit_adcode, min(listed_on) FROM hazard_listing WHERE listed_on <= ?"
        " GROUP BY unit_adcode",
        [as_of],
    ).fetchall()
    return {u: d for u, d in rows}


def forecast(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    open_now: int,
    unit: str | None = None,
    weeks: int = FORECAST_WEEKS,
) -> Forecast:
    """The 清零 forecast of one unit, or of the whole city when unit is None."""
    windows = conn.execute(read_sql("clearance_windows"), {"as_of": as_of, "weeks": weeks}).df()
    if unit is not None:
        windows = windows[windows.unit_adcode == unit]
    closed = [0] * weeks
    for k, n in zip(windows.k, windows.closed, strict=True):
        closed[int(k)] += int(n)
    first = _first_listed(conn, as_of)
    start = first.get(unit) if unit is not None else min(first.values(), default=None)
    return clearance_forecast(as_of, open_now, closed, start)
