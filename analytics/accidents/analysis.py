"""事故分析: filtered accident figures, by month and year with 同比, hour x weekday, 事故形态,
route and unit, and the filtered accidents themselves (bounded) for export.

Every function aggregates in DuckDB (analytics/store/sql/accident_*.sql over accidents_filtered.sql)
and returns small frames. A county brigade sees only its own unit's accidents (hazard_list.scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from analytics import access
from analytics.accidents.vocabulary import ACCIDENT_CHOICES
from analytics.accounts.auth import User
from analytics.ledger.metrics import change
from analytics.ledger.periods import Period, shift_months
from analytics.store.db import read_sql

FILTERS = ("unit", "route", "severity", "collision_type", "weather", "procedure")
SEVERITIES: tuple[str, ...] = ACCIDENT_CHOICES["事故严重程度"]
PROCEDURES: tuple[str, ...] = ACCIDENT_CHOICES["处理程序"]
COLLISION_TYPES: tuple[str, ...] = ACCIDENT_CHOICES["事故形态"]
WEATHERS: tuple[str, ...] = ACCIDENT_CHOICES["天气"]
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")  # ISO 1 … 7
FIGURES = ("accidents", "fatal", "deaths", "injuries", "loss_wan")
EXPORT_MAX_ROWS = 20_000  # the newest this many go into the download (about 4 s to write)
EARLIEST = date(1900, 1, 1)


def _params(viewer: User | None, filters: dict[str, str | None]) -> dict[str, str | None]:
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise ValueError(f"unknown accident filters: {sorted(unknown)}")
    params = {k: (filters.get(k) or None) for k in FILTERS}
    params["unit"] = access.row_scope(viewer, params["unit"])  # a brigade: its own unit only
    return params


def _filtered(body: str, subquery: bool = False) -> str:
    """``body`` run over the CTE "filtered" (accidents_filtered.sql); only fixed SQL text is
    joined here, every value is a bound parameter."""
    if subquery:  # a query file with its own WITH clause
        body = f"SELECT * FROM ({body})"  # noqa: S608
    return f"WITH filtered AS ({read_sql('accidents_filtered')})\n{body}"


def _query(
    conn: duckdb.DuckDBPyConnection, name: str, start: date, end: date, params: dict
) -> pd.DataFrame:
    sql = _filtered(read_sql(name), subquery=True)
    return conn.execute(sql, {"start": start, "end": end, **params}).df()


def totals(
    conn: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    viewer: User | None = None,
    **filters: str | None,
) -> dict[str, float]:
    """accidents, fatal (accidents with a death), deaths, injuries, loss_wan over [start, end]."""
    sql = _filtered(
        "SELECT count(*), count(*) FILTER (deaths > 0), coalesce(sum(deaths), 0),"
        " coalesce(sum(injuries), 0), coalesce(sum(loss_yuan), 0) / 10000 FROM filtered"
    )
    row = conn.execute(sql, {"start": start, "end": end, **_params(viewer, filters)}).fetchone()
    return {
        "accidents": int(row[0]),
        "fatal": int(row[1]),
        "deaths": int(row[2]),
        "injuries": int(row[3]),
        "loss_wan": float(row[4]),
    }


@dataclass(frozen=True)
class Summary:
    """The filtered figures in a period and in the same window a year earlier (同比)."""

    window: tuple[date, date]
    year_ago_window: tuple[date, date]
    now: dict[str, float]
    year_ago: dict[str, float]

    def yoy(self, key: str) -> float | None:
        return change(self.now[key], self.year_ago[key])


def summary(
    conn: duckdb.DuckDBPyConnection,
    period: Period,
    viewer: User | None = None,
    **filters: str | None,
) -> Summary:
    w, y = period.window, period.year_ago_window
    now = totals(conn, *w, viewer=viewer, **filters)
    return Summary(w, y, now, totals(conn, *y, viewer=viewer, **filters))


def by_month(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    months: int = 12,
    viewer: User | None = None,
    **filters: str | None,
) -> pd.DataFrame:
    """The ``months`` calendar months up to as_of's month, each with the same month a year
    earlier. The as-of month counts up to as_of and is compared with its days 1 … as_of.day
    a year earlier (partial = True)."""
    first = shift_months(as_of.replace(day=1), -(months + 11))
    f = _query(
        conn, "accident_by_month", first, as_of, {"day": as_of.day, **_params(viewer, filters)}
    )
    f = f.set_index(f["month"].map(lambda m: pd.Timestamp(m).date()))
    rows = []
    for i in range(months - 1, -1, -1):
        m = shift_months(as_of.replace(day=1), -i)
        ago = shift_months(m, -12)
        partial = i == 0 and as_of != shift_months(m, 1) - timedelta(days=1)
        base = "_to_day" if partial else ""
        now_a, now_d = _get(f, m, "accidents"), _get(f, m, "deaths")
        ago_a, ago_d = _get(f, ago, "accidents" + base), _get(f, ago, "deaths" + base)
        rows.append(
            {
                "month": m,
                "label": f"{m.year}-{m.month:02d}",
                "partial": partial,
                "accidents": now_a,
                "deaths": now_d,
                "accidents_last_year": ago_a,
                "deaths_last_year": ago_d,
                "yoy": change(now_a, ago_a),
            }
        )
    return pd.DataFrame(rows)


def by_year(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    viewer: User | None = None,
    **filters: str | None,
) -> pd.DataFrame:
    """Every year from the first with an accident to as_of's year (which counts up to as_of and
    is compared with 1 January … the same day of the year before: partial = True)."""
    mmdd = f"{as_of.month:02d}-{as_of.day:02d}"
    f = _query(
        conn, "accident_by_year", EARLIEST, as_of, {"mmdd": mmdd, **_params(viewer, filters)}
    )
    if f.empty:
        return pd.DataFrame(columns=["year", "partial", "accidents", "deaths", "base", "yoy"])
    f = f.set_index(f["year"].astype(int))
    rows = []
    for year in range(int(f.index.min()), as_of.year + 1):
        partial = year == as_of.year and (as_of.month, as_of.day) != (12, 31)
        base = "_to_date" if partial else ""
        now_a, now_d = _get(f, year, "accidents"), _get(f, year, "deaths")
        rows.append(
            {
                "year": year,
                "partial": partial,
                "accidents": now_a,
                "deaths": now_d,
                "base": _get(f, year - 1, "accidents" + base),
                "base_deaths": _get(f, year - 1, "deaths" + base),
            }
        )
        rows[-1]["yoy"] = change(now_a, rows[-1]["base"]) if year > f.index.min() else None
    return pd.DataFrame(rows)


def _get(f: pd.DataFrame, key: object, col: str) -> int:
    return int(f.at[key, col]) if key in f.index else 0


def breakdown(
    conn: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    viewer: User | None = None,
    **filters: str | None,
) -> dict[str, pd.DataFrame]:
    """Accidents in [start, end] by hour x weekday ("heat": all 168 cells), 事故形态
    ("collision"), route ("route", most accidents first) and unit ("unit")."""
    f = _query(conn, "accident_breakdown", start, end, _params(viewer, filters))
    figures = ["accidents", "fatal", "deaths", "injuries", "loss_yuan"]
    heat = f[f.dim == "heat"].assign(hour=lambda x: x.key.astype(int), weekday=lambda x: x.key2)
    grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour"])
    heat = (
        heat.set_index(["weekday", "hour"])[["accidents", "deaths"]]
        .reindex(grid, fill_value=0)
        .reset_index()
    )
    order = {c: i for i, c in enumerate(COLLISION_TYPES)}
    collision = f[f.dim == "collision"].rename(columns={"key": "collision_type"})
    collision = collision.sort_values(
        ["accidents", "collision_type"],
        ascending=[False, True],
        key=lambda s: s if s.name == "accidents" else s.map(lambda c: order.get(c, 99)),
    )[["collision_type", *figures]]
    route = f[f.dim == "route"].rename(columns={"key": "route_code", "name": "road_name"})
    route = route.sort_values(["accidents", "deaths", "route_code"], ascending=[False, False, True])
    unit = f[f.dim == "unit"].rename(columns={"key": "unit_adcode", "name": "unit_name"})
    unit = unit.sort_values(["accidents", "sort_order"], ascending=[False, True])
    return {
        "heat": heat.astype({"accidents": int, "deaths": int}),
        "collision": collision.reset_index(drop=True),
        "route": route[["route_code", "road_name", *figures]].reset_index(drop=True),
        "unit": unit[["unit_adcode", "unit_name", *figures]].reset_index(drop=True),
    }


def accidents(
    conn: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    limit: int = EXPORT_MAX_ROWS,
    viewer: User | None = None,
    **filters: str | None,
) -> pd.DataFrame:
    """The filtered accidents in [start, end], newest first, at most ``limit`` of them."""
    sql = _filtered(
        "SELECT f.accident_id, f.occurred_at, u.name AS unit_name, f.road_name, f.route_code,"
        " f.stake_m, f.lon, f.lat, f.deaths, f.injuries, f.loss_yuan, f.collision_type,"
        " f.weather, f.severity, f.procedure FROM filtered AS f"
        " LEFT JOIN units AS u ON u.adcode = f.unit_adcode"
        " ORDER BY f.occurred_at DESC, f.accident_id LIMIT $limit"
    )
    params = {"start": start, "end": end, "limit": limit, **_params(viewer, filters)}
    return conn.execute(sql, params).df()


def export_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of accidents() with the headers of the accident extract (事故编号, 事故时间, …)."""
    stake = [
        None if pd.isna(s) else f"K{int(s) // 1000}+{int(s) % 1000:03d}" for s in frame.stake_m
    ]
    return pd.DataFrame(
        {
            "事故编号": frame.accident_id,
            "事故时间": frame.occurred_at.dt.strftime("%Y-%m-%d %H:%M"),
            "所属区县": frame.unit_name,
            "道路名称": frame.road_name,
            "路线编码": frame.route_code,
            "桩号": stake,
            "经度": frame.lon,
            "纬度": frame.lat,
            "死亡人数": frame.deaths,
            "受伤人数": frame.injuries,
            "直接财产损失(元)": frame.loss_yuan.astype(float),
            "事故形态": frame.collision_type,
            "天气": frame.weather,
            "事故严重程度": frame.severity,
            "处理程序": frame.procedure,
        }
    )


def options(conn: duckdb.DuckDBPyConnection, viewer: User | None = None) -> dict[str, list]:
    """Choices for the filters from the accidents a viewer may see: routes (code, name) by
    number of accidents, and the weather values recorded (known ones first)."""
    unit = access.row_scope(viewer, None)
    routes = conn.execute(
        "SELECT a.route_code, coalesce(any_value(r.name), any_value(a.road_name), '') AS name"
        " FROM accidents AS a LEFT JOIN routes AS r ON r.route_code = a.route_code"
        " WHERE a.route_code IS NOT NULL AND ($unit IS NULL OR a.unit_adcode = $unit)"
        " GROUP BY a.route_code ORDER BY count(*) DESC, a.route_code",
        {"unit": unit},
    ).fetchall()
    weather = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT weather FROM accidents WHERE weather IS NOT NULL"
            " AND ($unit IS NULL OR unit_adcode = $unit)",
            {"unit": unit},
        ).fetchall()
    ]
    known = [w for w in WEATHERS if w in weather]
    return {
        "routes": [(code, name) for code, name in routes],
        "weather": known + sorted(set(weather) - set(known)),
    }
