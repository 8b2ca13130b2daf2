"""Figures of source hazards (docs/methods.md §八): per unit and indicator, over a period
(start, end]: 存量 (open on start), 新增 (opened after start, by end), 已清零 (cleared after start,
by end), 清零率 = 已清零 ÷ (存量 + 新增), 余量 (open on end) = 存量 + 新增 − 已清零, and the days
since the oldest case open on end. Units ranked; enterprises by open cases; 清零 forecasts."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from analytics.ledger import trends
from analytics.sources.config import SourceConfig

FORECAST_WEEKS = 13  # lists come monthly: the closing rate is measured over a quarter
COUNTS = ("stock", "new", "cleared", "remaining")

_FIGURES = """
SELECT unit_adcode, indicator,
    count(*) FILTER (opened_on <= $start AND (cleared_on IS NULL OR cleared_on > $start)) AS stock,
    count(*) FILTER (opened_on > $start AND opened_on <= $end) AS new,
    count(*) FILTER (cleared_on > $start AND cleared_on <= $end) AS cleared,
    count(*) FILTER (opened_on <= $end AND (cleared_on IS NULL OR cleared_on > $end)) AS remaining,
    min(opened_on) FILTER (opened_on <= $end AND (cleared_on IS NULL OR cleared_on > $end))
        AS oldest_open
FROM source_cases
WHERE opened_on <= $end AND ($unit IS NULL OR unit_adcode = $unit)
GROUP BY ALL
"""


def latest_list(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The date of the latest list imported (None: none yet)."""
    return conn.execute("SELECT max(as_of) FROM source_snapshots").fetchone()[0]


def figures(
    conn: duckdb.DuckDBPyConnection,
    config: SourceConfig,
    start: date,
    end: date,
    unit: str | None = None,
) -> pd.DataFrame:
    """unit_adcode, indicator, stock, new, cleared, remaining, oldest_open, oldest_days, rate: one
    row for every configured indicator in every unit with a case of it (aggregate figures: every
    role may see them)."""
    df = conn.execute(_FIGURES, {"start": start, "end": end, "unit": unit}).df()
    df = df[df.indicator.isin([i.code for i in config.indicators])].reset_index(drop=True)
    return _finish(df, end)


def _finish(df: pd.DataFrame, end: date) -> pd.DataFrame:
    for c in COUNTS:
        df[c] = df[c].astype("int64")
    df["oldest_days"] = [
        None if pd.isna(d) else (end - pd.Timestamp(d).date()).days for d in df.oldest_open
    ]
    whole = df.stock + df.new
    df["rate"] = [None if w == 0 else c / w for c, w in zip(df.cleared, whole, strict=True)]
    return df


def totals(df: pd.DataFrame, by: str, end: date) -> pd.DataFrame:
    """The figures summed by ``by`` (unit_adcode or indicator), with their rate and oldest case."""
    if df.empty:
        out = pd.DataFrame(columns=[by, *COUNTS, "oldest_open"])
    else:
        out = df.groupby(by, as_index=False).agg(
            **{c: (c, "sum") for c in COUNTS}, oldest_open=("oldest_open", "min")
        )
    return _finish(out, end)


def rank_units(df: pd.DataFrame) -> pd.DataFrame:
    """Units' totals ranked: higher 清零率 first, then fewer 余量; a unit with nothing to clear
    (no rate) last. rank 1 is best; ties share a rank."""
    out = df.copy()
    # no rate (nothing to clear) sorts after every rate: -rate lies in [-1, 0]
    key = list(zip(out.rate.map(lambda r: 1.0 if pd.isna(r) else -r), out.remaining, strict=True))
    order = sorted(set(key))
    out["rank"] = [order.index(k) + 1 for k in key]
    return out.sort_values(["rank", "unit_adcode"]).reset_index(drop=True)


def enterprises(
    conn: duckdb.DuckDBPyConnection, config: SourceConfig, as_of: date, unit: str | None = None
) -> pd.DataFrame:
    """enterprise, unit_adcode (where most of its cases are), open_cases, vehicles, drivers,
    oldest_open, summons (count recorded), last_summons, for_summons (open_cases ≥ the threshold):
    every enterprise with an open case on as_of, most open cases first."""
    df = conn.execute(
        """
        WITH open_cases AS (
            SELECT c.case_id, c.unit_adcode, c.opened_on, s.subject,
                coalesce(s.enterprise, CASE WHEN s.subject = 'enterprise' THEN s.name END) AS ent
            FROM source_cases c JOIN source_subjects s USING (subject_key)
            WHERE c.opened_on <= $d AND (c.cleared_on IS NULL OR c.cleared_on > $d)
              AND ($unit IS NULL OR c.unit_adcode = $unit)
        ), summons AS (
            SELECT enterprise AS ent, count(*) AS summons, max(summoned_on) AS last_summons
            FROM source_summons WHERE summoned_on <= $d GROUP BY ALL
        )
        SELECT ent AS enterprise, mode(unit_adcode) AS unit_adcode, count(*) AS open_cases,
            count(*) FILTER (subject = 'vehicle') AS vehicles,
            count(*) FILTER (subject = 'driver') AS drivers,
            min(opened_on) AS oldest_open,
            coalesce(any_value(s.summons), 0) AS summons, any_value(s.last_summons) AS last_summons
        FROM open_cases LEFT JOIN summons s USING (ent)
        WHERE ent IS NOT NULL
        GROUP BY ent ORDER BY open_cases DESC, enterprise
        """,
        {"d": as_of, "unit": unit},
    ).df()
    df["for_summons"] = df.open_cases >= config.summons_threshold
    return df


def weekly_cleared(
    conn: duckdb.DuckDBPyConnection, as_of: date, unit: str | None, weeks: int = FORECAST_WEEKS
) -> list[int]:
    """Cases cleared in each of the last ``weeks`` 7-day windows ending on as_of, latest first."""
    rows = conn.execute(
        "SELECT (datediff('day', cleared_on, ?::DATE) // 7)::INTEGER AS k, count(*)"
        " FROM source_cases WHERE cleared_on <= ? AND cleared_on > ? - INTERVAL (? * 7) DAY"
        " AND (? IS NULL OR unit_adcode = ?) GROUP BY k",
        [as_of, as_of, as_of, weeks, unit, unit],
    ).fetchall()
    out = [0] * weeks
    for k, n in rows:
        out[k] += n
    return out


def forecast(
    conn: duckdb.DuckDBPyConnection, as_of: date, unit: str | None = None
) -> trends.Forecast:
    """When the cases open on as_of are all cleared if the last quarter's clearing rate goes on
    (the ledger's 清零 forecast, over 13 weeks: lists come monthly)."""
    first, open_now = conn.execute(
        "SELECT min(opened_on), count(*) FILTER (opened_on <= $d AND (cleared_on IS NULL"
        " OR cleared_on > $d)) FROM source_cases WHERE opened_on <= $d"
        " AND ($unit IS NULL OR unit_adcode = $unit)",
        {"d": as_of, "unit": unit},
    ).fetchone()
    return trends.clearance_forecast(as_of, open_now, weekly_cleared(conn, as_of, unit), first)


def cards(conn: duckdb.DuckDBPyConnection, config: SourceConfig, as_of: date) -> dict:
    """The cockpit's and the big screen's figures on as_of since the campaign start: key vehicles'
    and drivers' open cases (余量), the 清零率, enterprises listed for 约谈."""
    start = min(config.start, as_of - timedelta(days=1))
    df = figures(conn, config, start, as_of)
    subject = {i.code: i.subject for i in config.indicators}
    df["subject"] = df.indicator.map(subject)
    by = {s: totals(df[df.subject == s], "subject", as_of) for s in ("vehicle", "driver")}
    whole = totals(df.assign(all="all"), "all", as_of)
    ents = enterprises(conn, config, as_of)
    return {
        "vehicles_remaining": int(by["vehicle"].remaining.sum()),
        "drivers_remaining": int(by["driver"].remaining.sum()),
        "remaining": int(whole.remaining.sum()),
        "cleared": int(whole.cleared.sum()),
        "rate": None if whole.empty else whole.rate.iloc[0],
        "for_summons": int(ents.for_summons.sum()),
        "start": start,
    }


def report(conn: duckdb.DuckDBPyConnection, config: SourceConfig, start: date, end: date) -> dict:
    """Every figure as plain data (the command line's JSON): by indicator, by unit with rank, each
    unit's forecast, enterprises listed for 约谈."""
    df = figures(conn, config, start, end)
    names = {i.code: i.label for i in config.indicators}
    units = rank_units(totals(df, "unit_adcode", end))
    ents = enterprises(conn, config, end)
    return {
        "campaign": config.campaign,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "by_indicator": [
            {"indicator": r["indicator"], "name": names[r["indicator"]], **_plain_counts(r)}
            for r in totals(df, "indicator", end).to_dict("records")
        ],
        "by_unit": [
            {
                "unit": r["unit_adcode"],
                "rank": int(r["rank"]),
                **_plain_counts(r),
                "forecast": _forecast(forecast(conn, end, r["unit_adcode"])),
            }
            for r in units.to_dict("records")
        ],
        "city": {**_plain_counts(totals(df.assign(all=1), "all", end).iloc[0].to_dict())}
        if not df.empty
        else None,
        "for_summons": [
            {"enterprise": r["enterprise"], "open_cases": int(r["open_cases"])}
            for r in ents[ents.for_summons].to_dict("records")
        ],
    }


def _plain_counts(r: dict) -> dict:
    rate = r["rate"]
    return {
        **{c: int(r[c]) for c in COUNTS},
        "rate": None if rate is None or pd.isna(rate) else round(float(rate), 4),
        "oldest_days": None
        if r["oldest_days"] is None or pd.isna(r["oldest_days"])
        else int(r["oldest_days"]),
    }


def _forecast(f: trends.Forecast) -> dict:
    return {
        "status": f.status,
        "expected": f.expected.isoformat() if f.expected else None,
        "earliest": f.earliest.isoformat() if f.earliest else None,
        "latest": f.latest.isoformat() if f.latest else None,
    }
