"""Rectification rates, overdue counts and accident totals as of a date (DuckDB does the work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from analytics.db import read_sql


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None when whole is 0 (shown as "—")."""
    return part / whole if whole else None


def same_day_last_year(d: date) -> date:
    """The same calendar day a year earlier (29 February maps to 28 February)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def hazard_status(conn: duckdb.DuckDBPyConnection, as_of: date, due_soon_days: int) -> pd.DataFrame:
    """One row per configured unit: listed, closed, open, overdue, due soon, rates."""
    frame = conn.execute(
        read_sql("hazard_status_by_unit"), {"as_of": as_of, "horizon": due_soon_days}
    ).df()
    frame["rectification_rate"] = [
        rate(c, n) for c, n in zip(frame.closed, frame.listed, strict=True)
    ]
    frame["on_time_rate"] = [
        rate(c, n) for c, n in zip(frame.closed_on_time, frame.due, strict=True)
    ]
    return frame


def accident_totals(conn: duckdb.DuckDBPyConnection, start: date, end: date) -> pd.DataFrame:
    """One row per configured unit (plus one for accidents of no known unit, if any)."""
    return conn.execute(read_sql("accident_totals_by_unit"), {"start": start, "end": end}).df()


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
    accidents_ytd: int
    accidents_ytd_last_year: int
    deaths_ytd: int
    deaths_ytd_last_year: int
    period: tuple[date, date]
    period_last_year: tuple[date, date]
    by_unit: pd.DataFrame

    @property
    def accidents_change(self) -> float | None:
        """Year-on-year relative change of accidents (同比), None without a base."""
        return change(self.accidents_ytd, self.accidents_ytd_last_year)

    @property
    def deaths_change(self) -> float | None:
        return change(self.deaths_ytd, self.deaths_ytd_last_year)


def change(now: int, before: int) -> float | None:
    return (now - before) / before if before else None


def overview(conn: duckdb.DuckDBPyConnection, as_of: date, due_soon_days: int) -> Overview:
    """The overview page's figures: ledger status and this year's accidents vs last year's."""
    status = hazard_status(conn, as_of, due_soon_days)
    period = (date(as_of.year, 1, 1), as_of)
    last = (date(as_of.year - 1, 1, 1), same_day_last_year(as_of))
    now_acc = accident_totals(conn, *period)
    last_acc = accident_totals(conn, *last)
    by_unit = status.merge(
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
    listed, closed = int(status.listed.sum()), int(status.closed.sum())
    return Overview(
        as_of=as_of,
        due_soon_days=due_soon_days,
        listed=listed,
        closed=closed,
        open=listed - closed,
        overdue=int(status.overdue.sum()),
        due_soon=int(status.due_soon.sum()),
        rectification_rate=rate(closed, listed),
        accidents_ytd=int(now_acc.accidents.sum()),
        accidents_ytd_last_year=int(last_acc.accidents.sum()),
        deaths_ytd=int(now_acc.deaths.sum()),
        deaths_ytd_last_year=int(last_acc.deaths.sum()),
        period=period,
        period_last_year=last,
        by_unit=by_unit,
    )


def latest_date(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The latest day anything happened in the data (hazard events, accidents), or None."""
    row = conn.execute(
        "SELECT max(d) FROM ("
        " SELECT max(CAST(event_at AS DATE)) AS d FROM hazard_events"
        " UNION ALL SELECT max(CAST(occurred_at AS DATE)) FROM accidents)"
    ).fetchone()
    return row[0]


def data_span(conn: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """The first and last day of the data, for bounding date pickers."""
    row = conn.execute(
        "SELECT min(lo), max(hi) FROM ("
        " SELECT min(CAST(event_at AS DATE)) AS lo, max(CAST(event_at AS DATE)) AS hi FROM hazard_events"
        " UNION ALL SELECT min(CAST(occurred_at AS DATE)), max(CAST(occurred_at AS DATE))"
        " FROM accidents)"
    ).fetchone()
    return row[0], row[1]


def upgrade_totals(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Rural safety-upgrade projects per unit: count, km, 万元 (DECIMALs kept exact)."""
    return conn.execute(
        "SELECT u.name AS unit_name, count(p.project_id) AS projects,"
        " coalesce(sum(p.km), 0) AS km, coalesce(sum(p.funds_wan), 0) AS funds_wan,"
        " min(p.year) AS first_year, max(p.year) AS last_year"
        " FROM units u LEFT JOIN upgrade_projects p ON p.unit_adcode = u.adcode"
        " GROUP BY u.name, u.sort_order ORDER BY u.sort_order"
    ).df()
