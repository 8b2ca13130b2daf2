"""The hazard list (一单) as of a date, each hazard with its standing: 逾期, 临期, 在办, 已销号."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from analytics.db import read_sql

STANDINGS = ("逾期", "临期", "在办", "已销号")


def hazards_as_of(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    horizon: int,
    unit: str | None = None,
    only_overdue: bool = False,
) -> pd.DataFrame:
    """Listed hazards on ``as_of``, overdue first (longest overdue first), then due soon."""
    return conn.execute(
        read_sql("hazard_list"),
        {"as_of": as_of, "horizon": horizon, "unit": unit, "only_overdue": only_overdue},
    ).df()


def overdue(conn: duckdb.DuckDBPyConnection, as_of: date, unit: str | None = None) -> pd.DataFrame:
    """Overdue hazards on ``as_of``, longest overdue first."""
    return hazards_as_of(conn, as_of, 0, unit=unit, only_overdue=True)
