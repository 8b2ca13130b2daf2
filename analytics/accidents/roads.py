"""The road network: routes and their segments."""

from __future__ import annotations

import duckdb
import pandas as pd


def routes(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every route with its stake range (metres) and provenance, by route code."""
    return conn.execute(
        "SELECT route_code, name, road_class, start_m, end_m, provenance"
        " FROM routes ORDER BY route_code"
    ).df()
