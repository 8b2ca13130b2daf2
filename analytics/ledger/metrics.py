"""Ledger figures as of a date: rates, overdue, rankings, breakdowns (DuckDB does the counting).

The definitions (listed, closed, open, overdue, due soon as of a date; docs/methods.md §一) are the macros of
migration 0009, counted per group by analytics/store/sql/hazard_status_by_group.sql; this module
adds the rates, the ranking and the comparison with the previous period.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics.ledger.periods import Period, same_day_last_year
from analytics.store.db import read_sql

GROUPINGS: dict[str, str] = {
    "unit": "单位",
    "type": "隐患类型",
    "grade": "风险等级",
    "supervision": "挂牌督办",
    "source": "隐患来源",
}
COUNTS = ("listed", "closed", "open", "due", "on_time", "overdue", "due_soon", "five_complete")


def rate(part: float, whole: float) -> float | None:
    """part / whole, or None when whole is 0 (shown as "—")."""
    return part / whole if whole else None


def change(now: float, before: float) -> float | None:
    """Relative change (now − before) / before; None without a base."""
    return (now - before) / before if before else None


def status(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    horizon: int,
    by: str = "unit",
    unit: str | None = None,
) -> pd.DataFrame:
    """One row per group with counts and rates; for units, every configured unit and a rank.

    by: 'unit', 'type', 'grade', 'supervision', 'source' or 'all' (a single row).
    """
    return statuses(conn, (as_of,), horizon, by, unit)[0]


def statuses(
    conn: duckdb.DuckDBPyConnection,
    dates: tuple[date, ...],
    horizon: int,
    by: str = "unit",
    unit: str | None = None,
) -> list[pd.DataFrame]:
    """status() as of each of the dates (one or more). The query counts, once per date, all in
    one statement (UNION ALL: planned once, the dates counted side by side); the finishing
    (units, rates, ranks) is plain Python over its few rows."""
    if by not in (*GROUPINGS, "all"):
        raise ValueError(f"无法按“{by}”分组（可用：{'、'.join(GROUPINGS)}）")
    if not dates:
        raise ValueError("statuses needs one or more dates")
    one = read_sql("hazard_status_by_group")
    sql = "\nUNION ALL\n".join(
        f"SELECT {i} AS which, * FROM (\n{_AS_OF.sub(f'$as_of_{i}', one)}\n)"  # fixed text  # noqa: S608
        for i in range(len(dates))
    )
    rows = conn.execute(
        f"{sql}\nORDER BY which, group_key",
        {f"as_of_{i}": d for i, d in enumerate(dates)}
        | {"horizon": horizon, "by": by, "unit": unit},
    ).fetchall()  # (which, group_key, *COUNTS, avg_days_to_close, max_days_overdue)
    units = None
    if by == "unit":
        units = conn.execute(
            "SELECT adcode, name, kind, sort_order FROM units WHERE $unit IS NULL OR adcode = $unit"
            " ORDER BY sort_order, adcode",
            {"unit": unit},
        ).fetchall()
    return [_finish([r[1:] for r in rows if r[0] == i], by, units) for i in range(len(dates))]


_AS_OF = re.compile(r"\$as_of\b")  # the one-date query's parameter, renamed per date


def _finish(rows: list[tuple], by: str, units: list[tuple] | None) -> pd.DataFrame:
    if units is not None:
        return _by_unit(rows, units)
    if by == "all" and not rows:
        rows = [("all", *(0 for _ in COUNTS), None, None)]
    keys = ["未填写" if r[0] is None else r[0] for r in rows]
    return pd.DataFrame({"group_key": pd.array(keys, dtype="str")} | _columns(rows))


def _by_unit(rows: list[tuple], units: list[tuple]) -> pd.DataFrame:
    """Every configured unit (adcode, name, kind, sort order; zeros when nothing is listed) in
    the city's order, then the codes of hazards not in the city file (未归属单位, never ranked);
    each ranked unit's rank."""
    counted = {r[0]: r[1:] for r in rows}  # unit code → its counts
    empty = (0,) * len(COUNTS) + (None, None)
    out = [(*u, *counted.pop(u[0], empty)) for u in units]
    out += [
        (code, f"未归属单位（{code}）", "unknown", 10**6, *counted[code])
        for code in sorted(counted)
    ]
    cols = _columns([r[3:] for r in out])
    known = [r[2] != "unknown" for r in out]
    ranks = rank_units(
        [n if k else 0 for n, k in zip(cols["listed"], known, strict=True)],
        cols["rate"],
        cols["on_time_rate"],
        cols["overdue"],
    )
    return pd.DataFrame(
        {
            "unit_adcode": [r[0] for r in out],
            "unit_name": [r[1] for r in out],
            "unit_kind": [r[2] for r in out],
            "sort_order": np.array([r[3] for r in out], dtype=np.int32),
        }
        | cols
        | {"rank": pd.array(ranks, dtype="Int64")}
    )


def _columns(rows: list[tuple]) -> dict[str, np.ndarray | pd.api.extensions.ExtensionArray]:
    """The counted columns of rows (each row: group key, *COUNTS, average days to close, most
    days overdue) and the rates, as typed arrays (a rate with nothing to divide by: NaN)."""
    n = len(COUNTS)
    cols = {c: np.array([r[1 + i] for r in rows], dtype=np.int64) for i, c in enumerate(COUNTS)}
    cols["avg_days_to_close"] = np.array([r[n + 1] for r in rows], dtype=np.float64)
    cols["max_days_overdue"] = pd.array([r[n + 2] for r in rows], dtype="Int64")
    for name, part, whole in (
        ("rate", "closed", "listed"),
        ("on_time_rate", "on_time", "due"),
        ("assigned_complete_rate", "five_complete", "listed"),
    ):
        cols[name] = np.array(
            [rate(p, w) for p, w in zip(cols[part].tolist(), cols[whole].tolist(), strict=True)],
            dtype=np.float64,
        )
    return cols


def total(
    conn: duckdb.DuckDBPyConnection, as_of: date, horizon: int, unit: str | None = None
) -> dict:
    """The city's (or one unit's) figures as one record (a rate with nothing to divide by: None)."""
    return _record(status(conn, as_of, horizon, by="all", unit=unit))


def _record(frame: pd.DataFrame) -> dict:
    """The first row as plain Python values, NaN as None."""
    return {k: _plain(v) for k, v in frame.iloc[0].to_dict().items()}


def rank_units(
    listed: Sequence[int],
    rates: Sequence[float],
    on_time_rates: Sequence[float | None],
    overdue: Sequence[int],
) -> list[int | None]:
    """Competition ranks (1, 2, 2, 4) of units given as columns: 整改率 desc, then 按期整改率 desc,
    then overdue asc. A unit with no on-time rate (nothing due yet) ranks after those with one on
    that key. Units with nothing listed get no rank (None)."""
    keys = []
    for n, r, on_time, late in zip(listed, rates, on_time_rates, overdue, strict=True):
        if not n:
            keys.append(None)
            continue
        on_time_key = -on_time if on_time is not None and not _nan(on_time) else math.inf
        keys.append((-r, on_time_key, late))
    ranked = sorted(k for k in keys if k is not None)
    return [None if k is None else 1 + bisect.bisect_left(ranked, k) for k in keys]


def _nan(x: float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def unit_ranking(conn: duckdb.DuckDBPyConnection, period: Period, horizon: int) -> pd.DataFrame:
    """Units with their rank at the period's end and at the previous period's end, best first.

    rank_change = previous rank − rank (positive: moved up); None when either is missing.
    """
    now, before = statuses(conn, (period.as_of, period.previous_as_of), horizon)
    # (plain lists over the hundred-odd units: pandas' own steps cost more than the work)
    before_rank, before_rate = before["rank"].tolist(), before["rate"].tolist()
    previous = dict(
        zip(before["unit_adcode"].tolist(), zip(before_rank, before_rate, strict=True), strict=True)
    )
    prev = [previous.get(u, (pd.NA, math.nan)) for u in now["unit_adcode"].tolist()]
    prev_rank = [p[0] for p in prev]
    change = [
        pd.NA if was is pd.NA or is_ is pd.NA else was - is_
        for was, is_ in zip(prev_rank, now["rank"].tolist(), strict=True)
    ]
    now["prev_rank"] = pd.array(prev_rank, dtype="Int64")
    now["prev_rate"] = np.array([p[1] for p in prev], dtype=np.float64)
    now["rank_change"] = pd.array(change, dtype="Int64")
    unranked_last = now["rank"].fillna(10**6).to_numpy(dtype=np.int64)
    return now.take(np.lexsort((now["sort_order"].to_numpy(), unranked_last)))


@dataclass(frozen=True)
class KpiComparison:
    """A unit's or the city's figures now and at the end of the previous period."""

    as_of: date
    previous: date
    now: dict
    before: dict


def kpi_comparison(
    conn: duckdb.DuckDBPyConnection, period: Period, horizon: int, unit: str | None = None
) -> KpiComparison:
    as_of, prev = period.as_of, period.previous_as_of
    now, before = statuses(conn, (as_of, prev), horizon, by="all", unit=unit)
    return KpiComparison(as_of, prev, _record(now), _record(before))


# --- accidents ------------------------------------------------------------------------------


def accident_totals(conn: duckdb.DuckDBPyConnection, start: date, end: date) -> pd.DataFrame:
    """One row per configured unit (plus one for accidents of no known unit, if any)."""
    return conn.execute(read_sql("accident_totals_by_unit"), {"start": start, "end": end}).df()


ACCIDENT_FIGURES = (
    "accidents",
    "fatal",
    "deaths",
    "injuries",
    "loss_yuan",
    "general_procedure",
    "simple_procedure",
)


def accident_summary(
    conn: duckdb.DuckDBPyConnection, start: date, end: date, unit: str | None = None
) -> dict[str, float]:
    """Totals over [start, end] for the city or one unit."""
    t = accident_totals(conn, start, end)
    if unit is not None:
        t = t[t.unit_adcode == unit]
    return _sum_figures(t)


def _sum_figures(t: pd.DataFrame) -> dict[str, float]:
    return {k: float(t[k].sum()) if k == "loss_yuan" else int(t[k].sum()) for k in ACCIDENT_FIGURES}


@dataclass(frozen=True)
class AccidentComparison:
    """Accident figures in a period, the previous period (环比) and a year earlier (同比)."""

    window: tuple[date, date]
    previous_window: tuple[date, date]
    year_ago_window: tuple[date, date]
    now: dict[str, float]
    previous: dict[str, float]
    year_ago: dict[str, float]

    def yoy(self, key: str) -> float | None:
        return change(self.now[key], self.year_ago[key])

    def pop(self, key: str) -> float | None:
        return change(self.now[key], self.previous[key])


def accident_comparison(
    conn: duckdb.DuckDBPyConnection, period: Period, unit: str | None = None
) -> AccidentComparison:
    w, pw, yw = period.window, period.previous_window, period.year_ago_window
    return AccidentComparison(
        w,
        pw,
        yw,
        accident_summary(conn, *w, unit=unit),
        accident_summary(conn, *pw, unit=unit),
        accident_summary(conn, *yw, unit=unit),
    )


@dataclass(frozen=True)
class Overview:
    as_of: date
    due_soon_days: int
    listed: int
    closed: int
    open: int
    overdue: int
    due_soon: int
    rectification_rate: float | None
    period: tuple[date, date]
    period_last_year: tuple[date, date]
    accidents: dict[str, float]  # accident_summary over period
    accidents_last_year: dict[str, float]  # the same over period_last_year
    by_unit: pd.DataFrame

    def yoy(self, key: str) -> float | None:
        """Year-on-year relative change (同比) of an accident figure, None without a base."""
        return change(self.accidents[key], self.accidents_last_year[key])


def overview(conn: duckdb.DuckDBPyConnection, as_of: date, due_soon_days: int) -> Overview:
    """The overview page's figures: ledger status and this year's accidents vs last year's."""
    units = status(conn, as_of, due_soon_days)
    period = (date(as_of.year, 1, 1), as_of)
    last = (date(as_of.year - 1, 1, 1), same_day_last_year(as_of))
    now_acc = accident_totals(conn, *period)
    last_acc = accident_totals(conn, *last)
    by_unit = units.merge(
        now_acc[["unit_adcode", "accidents", "deaths"]], on="unit_adcode", how="left"
    ).merge(
        last_acc[["unit_adcode", "accidents", "deaths"]].rename(
            columns={"accidents": "accidents_last_year", "deaths": "deaths_last_year"}
        ),
        on="unit_adcode",
        how="left",
    )
    for col in ("accidents", "deaths", "accidents_last_year", "deaths_last_year"):
        by_unit[col] = by_unit[col].fillna(0).astype("int64")
    by_unit["accidents_change"] = [
        change(a, b) for a, b in zip(by_unit.accidents, by_unit.accidents_last_year, strict=True)
    ]
    t = total(conn, as_of, due_soon_days)
    return Overview(
        as_of=as_of,
        due_soon_days=due_soon_days,
        listed=t["listed"],
        closed=t["closed"],
        open=t["open"],
        overdue=t["overdue"],
        due_soon=t["due_soon"],
        rectification_rate=t["rate"],
        period=period,
        period_last_year=last,
        accidents=_sum_figures(now_acc),
        accidents_last_year=_sum_figures(last_acc),
        by_unit=by_unit,
    )


def latest_date(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The latest day anything happened in the data (hazard events, accidents), or None."""
    return data_span(conn)[1]


def default_as_of(last: date | None, today: date) -> date:
    """The as-of date figures default to: the latest day of the data, never after today (one
    record dated in the future must not move every page's figures into the future)."""
    return min(last, today) if last else today


def data_span(conn: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """The first and last day of the data, for bounding date pickers."""
    row = conn.execute(
        "SELECT min(lo), max(hi) FROM ("
        " SELECT min(CAST(event_at AS DATE)) AS lo, max(CAST(event_at AS DATE)) AS hi"
        " FROM hazard_events"
        " UNION ALL SELECT min(CAST(occurred_at AS DATE)), max(CAST(occurred_at AS DATE))"
        " FROM accidents)"
    ).fetchone()
    return row[0], row[1]


def upgrade_totals(conn: duckdb.DuckDBPyConnection, up_to_year: int) -> pd.DataFrame:
    """Rural safety-upgrade projects per unit up to a year: count, km, 万元 (exact DECIMALs)."""
    return conn.execute(
        "SELECT u.name AS unit_name, count(p.project_id) AS projects,"
        " coalesce(sum(p.km), 0) AS km, coalesce(sum(p.funds_wan), 0) AS funds_wan,"
        " min(p.year) AS first_year, max(p.year) AS last_year"
        " FROM units u LEFT JOIN upgrade_projects p"
        "   ON p.unit_adcode = u.adcode AND p.year <= $year"
        " GROUP BY u.name, u.sort_order ORDER BY u.sort_order",
        {"year": up_to_year},
    ).df()


REPORT_FIELDS = (
    "listed",
    "closed",
    "open",
    "rate",
    "due",
    "on_time",
    "on_time_rate",
    "overdue",
    "due_soon",
    "assigned_complete_rate",
    "avg_days_to_close",
)


def report(conn: duckdb.DuckDBPyConnection, as_of: date, horizon: int, by: str = "unit") -> dict:
    """The figures as one plain object (the CLI's JSON): rates are fractions, gaps are None."""

    def record(row: dict) -> dict:
        return {k: _plain(row[k]) for k in REPORT_FIELDS}

    groups = []
    for row in status(conn, as_of, horizon, by=by).to_dict("records"):
        if by == "unit":
            head = {
                "unit_code": row["unit_adcode"],
                "unit_name": row["unit_name"],
                "rank": _plain(row["rank"]),
            }
        else:
            head = {"group": row["group_key"]}
        groups.append(head | record(row))
    return {
        "as_of": as_of.isoformat(),
        "by": by,
        "settings": {"due_soon_days": horizon},
        "total": record(total(conn, as_of, horizon)),
        "groups": groups,
    }


def _plain(value: object) -> object:
    """numpy/pandas scalars to Python; NaN and NA to None."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value
