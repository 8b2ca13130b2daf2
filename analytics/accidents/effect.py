"""治理成效: did accidents fall where hazards were rectified?

For each closed hazard with a location, the accidents in its stretch (stake range widened by
the buffer at both ends, or within the buffer of its point when it has coordinates only) in the
N months before its listing day and the N months after its closing day, against the whole
city's accidents over the same days:

    ratio of ratios = (after ÷ before at the hazard) ÷ (after ÷ before in the whole city)

Below 1 the hazard's accidents fell more (or rose less) than the city's. The total adds the
counts of the hazards whose after-period is over (closed_date + N months ≤ as_of) and takes the
same ratio of the sums; the others are listed as 观察期未满. Counts are shown beside every
ratio; a hazard with fewer than SMALL_SAMPLE accidents before is flagged 样本较少.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics import access, geo
from analytics.accounts.auth import User
from analytics.store.db import read_sql

SMALL_SAMPLE = 5  # fewer accidents than this before listing: 样本较少
OBSERVING, NO_BASE, SMALL, VALID = "观察期未满", "无法计算", "样本较少", "有效"
COUNTS = ("before", "after", "before_deaths", "after_deaths")


@dataclass(frozen=True)
class Effect:
    as_of: date
    months: int
    buffer_m: int
    hazards: pd.DataFrame  # one row per closed hazard with a location, see evaluate()
    total: dict[str, float | int | None]


def evaluate(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    months: int,
    buffer_m: int,
    unit: str | None = None,
    viewer: User | None = None,
) -> Effect:
    """Before/after accidents per closed hazard and in total (a brigade: its own hazards; the
    comparison is always the whole city)."""
    if months < 1 or buffer_m < 0:
        raise ValueError("观察月数须至少为 1，缓冲距离不能为负数")
    params = {"as_of": as_of, "months": months, "unit": access.row_scope(viewer, unit)}
    hazards = conn.execute(read_sql("effect_hazards"), params).df()
    counts = pd.concat(
        [_stake_counts(conn, params, buffer_m), _coord_counts(conn, params, buffer_m)]
    )
    hazards = hazards.merge(counts, on="hazard_id", how="left")
    hazards[list(COUNTS)] = hazards[list(COUNTS)].fillna(0).astype(int)
    city = _city_counter(conn, as_of)
    hazards["city_before"] = city(hazards.before_start, hazards.before_end)
    hazards["city_after"] = city(hazards.after_start, hazards.observed_end)
    hazards["full"] = hazards.after_end <= pd.Timestamp(as_of)
    _judge(hazards)
    hazards = hazards.sort_values(["full", "before", "hazard_id"], ascending=[False, False, True])
    return Effect(as_of, months, buffer_m, hazards.reset_index(drop=True), _total(hazards))


def judgeable_months(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    months: int,
    unit: str | None = None,
    viewer: User | None = None,
) -> int | None:
    """The longest observation period of at most ``months`` months over which at least one closed
    hazard with a location is judged (its after-period over by as_of): ``months`` itself when
    one is; None when no hazard closed a whole month before as_of."""
    params = {"as_of": as_of, "unit": access.row_scope(viewer, unit)}
    sql = f"WITH closed AS ({read_sql('effect_hazards')})\nSELECT count(*) FROM closed WHERE after_end <= $as_of"  # E501 - fixed SQL text
    for m in range(months, 0, -1):
        if conn.execute(sql, {**params, "months": m}).fetchone()[0]:
            return m
    return None


def _over_closed(name: str) -> str:
    """analytics/store/sql/<name>.sql run over the CTE "closed" (effect_hazards.sql); only fixed SQL
    text is joined here, every value is a bound parameter."""
    return f"WITH closed AS ({read_sql('effect_hazards')})\nSELECT * FROM ({read_sql(name)})"


def _stake_counts(conn: duckdb.DuckDBPyConnection, params: dict, buffer_m: int) -> pd.DataFrame:
    return conn.execute(_over_closed("effect_stake_counts"), {**params, "buffer": buffer_m}).df()


def _coord_counts(conn: duckdb.DuckDBPyConnection, params: dict, buffer_m: int) -> pd.DataFrame:
    """Candidates in a box from DuckDB, kept when within buffer_m great-circle metres."""
    c = conn.execute(_over_closed("effect_coord_candidates"), {**params, "buffer": buffer_m}).df()
    d = geo.haversine_m_array(
        c.hazard_lon.to_numpy(), c.hazard_lat.to_numpy(), c.lon.to_numpy(), c.lat.to_numpy()
    )
    c = c[d <= buffer_m]
    after = c.is_after.astype(bool)
    out = pd.DataFrame(
        {
            "hazard_id": c.hazard_id,
            "before": (~after).astype(int),
            "after": after.astype(int),
            "before_deaths": c.deaths.where(~after, 0),
            "after_deaths": c.deaths.where(after, 0),
        }
    )
    return out.groupby("hazard_id", as_index=False).sum()


def _city_counter(conn: duckdb.DuckDBPyConnection, as_of: date):  # a closure
    """count(starts, ends): the city's accidents on each [start, end] (days, both included)."""
    f = conn.execute(
        "SELECT CAST(occurred_at AS DATE) AS day, count(*) AS n FROM accidents"
        " WHERE occurred_at < CAST($end AS TIMESTAMP) + INTERVAL 1 DAY GROUP BY 1 ORDER BY 1",
        {"end": as_of},
    ).fetchnumpy()
    days = np.asarray(f["day"], dtype="datetime64[D]")
    cum = np.concatenate([[0], np.cumsum(np.asarray(f["n"], dtype=np.int64))])

    def count(starts: pd.Series, ends: pd.Series) -> np.ndarray:
        lo = np.searchsorted(days, starts.to_numpy().astype("datetime64[D]"), side="left")
        hi = np.searchsorted(days, ends.to_numpy().astype("datetime64[D]"), side="right")
        return np.where(hi > lo, cum[hi] - cum[lo], 0)

    return count


def _judge(h: pd.DataFrame) -> None:
    """ratio, city_ratio, ratio_of_ratios (NaN when there is nothing to divide by), status
    and a note saying why."""
    with np.errstate(divide="ignore", invalid="ignore"):
        h["ratio"] = np.where(h.before > 0, h.after / h.before, np.nan)
        h["city_ratio"] = np.where(h.city_before > 0, h.city_after / h.city_before, np.nan)
        rr = h.ratio / h.city_ratio.where(h.city_ratio > 0)
    no_base = h.full & (h.before == 0)
    no_city = h.full & ~no_base & ~(h.city_ratio > 0)
    small = h.full & ~no_base & ~no_city & (h.before < SMALL_SAMPLE)
    h["ratio_of_ratios"] = rr.where(h.full & ~no_base & ~no_city)
    h["status"] = np.select(
        [~h.full, no_base, no_city, small], [OBSERVING, NO_BASE, NO_BASE, SMALL], VALID
    )
    day = "%Y-%m-%d"
    h["note"] = np.select(
        [~h.full, no_base, no_city, small],
        [
            "销号后满 "
            + h.after_end.dt.strftime(day)
            + " 方可评价（已观察至 "
            + h.observed_end.dt.strftime(day)
            + "）",
            "入单前该处无事故，无法计算比值",
            "全市同期无事故，无法比较",
            "入单前仅 " + h.before.astype(str) + " 起，比值易受偶然因素影响",
        ],
        "",
    )


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _total(h: pd.DataFrame) -> dict[str, float | int | None]:
    """Sums over the hazards with a full after-period, and the ratio of ratios of the sums."""
    full = h[h.full]
    t: dict[str, float | int | None] = {
        "hazards": len(h),
        "full": len(full),
        "observing": int((~h.full).sum()),
        "no_base": int((full.status == NO_BASE).sum()),
        "small": int((full.status == SMALL).sum()),
        **{k: int(full[k].sum()) for k in (*COUNTS, "city_before", "city_after")},
    }
    t["ratio"] = _ratio(t["after"], t["before"])
    t["city_ratio"] = _ratio(t["city_after"], t["city_before"])
    t["ratio_of_ratios"] = (
        t["ratio"] / t["city_ratio"] if t["ratio"] is not None and t["city_ratio"] else None
    )
    return t


def window_text(months: int, buffer_m: int) -> str:
    """The rule in one line, shown with every figure."""
    return f"入单前 {months} 个月对比销号后 {months} 个月 · 路段两端各外延 {buffer_m} 米（无桩号按半径）"
