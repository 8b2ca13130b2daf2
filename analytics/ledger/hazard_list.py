"""The hazard list (一单) as of a date, each hazard with its standing: 逾期, 临期, 正常推进, 已销号."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from analytics import access
from analytics.accounts import auth
from analytics.store.db import read_sql

STANDINGS = ("逾期", "临期", "正常推进", "已销号")
# 在办 (docs/methods.md §一) is every listed hazard not closed: 逾期 + 临期 + 正常推进, never a standing.
OPEN_STANDINGS = ("逾期", "临期", "正常推进")


def hazards_as_of(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    horizon: int,
    unit: str | None = None,
    only_overdue: bool = False,
    viewer: auth.User | None = None,
    route: str | None = None,
    limit: int | None = None,
    active_since: date | None = None,
) -> pd.DataFrame:
    """Listed hazards on ``as_of``, overdue first (longest overdue first), then due soon; of a
    route only when one is given; the first ``limit`` only when a limit is given; with
    ``active_since`` only those overdue or due soon, or listed or closed on or after that day
    (what a bulletin of the period starting then lists, without loading every hazard)."""
    params = _list_params(as_of, horizon, unit, only_overdue, viewer, route)
    return conn.execute(
        read_sql("hazard_list"), {**params, "limit": limit, "active_since": active_since}
    ).df()


def count_as_of(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    horizon: int,
    unit: str | None = None,
    only_overdue: bool = False,
    viewer: auth.User | None = None,
    route: str | None = None,
) -> int:
    """How many rows hazards_as_of lists with the same arguments and no limit."""
    params = _list_params(as_of, horizon, unit, only_overdue, viewer, route)
    listed = conn.sql(
        read_sql("hazard_list"), params={**params, "limit": None, "active_since": None}
    )
    return int(listed.aggregate("count(*)").fetchall()[0][0])


def _list_params(
    as_of: date,
    horizon: int,
    unit: str | None,
    only_overdue: bool,
    viewer: auth.User | None,
    route: str | None,
) -> dict:
    return {
        "as_of": as_of,
        "horizon": horizon,
        "unit": access.row_scope(viewer, unit),
        "only_overdue": only_overdue,
        "route": route or None,
    }


def overdue(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    unit: str | None = None,
    viewer: auth.User | None = None,
) -> pd.DataFrame:
    """Overdue hazards on ``as_of``, longest overdue first."""
    return hazards_as_of(conn, as_of, 0, unit=unit, only_overdue=True, viewer=viewer)


LEDGER_FILTERS = ("unit", "state", "type", "grade", "level", "source", "standing", "text")


def ledger(
    conn: duckdb.DuckDBPyConnection,
    as_of: date,
    horizon: int,
    viewer: auth.User | None = None,
    **filters: str | None,
) -> pd.DataFrame:
    """Every hazard (listed or not) with its state and standing on as_of, filtered.

    filters: unit, state, type, grade, level, source, standing (逾期/临期/正常推进/已销号/未入单/已作废, or 在办 for the first three),
    text (a substring of id, road, township, description, responsible unit or lead leader).
    """
    unknown = set(filters) - set(LEDGER_FILTERS)
    if unknown:
        raise ValueError(f"unknown ledger filters: {sorted(unknown)}")
    params = {k: (filters.get(k) or None) for k in LEDGER_FILTERS}
    params["unit"] = access.row_scope(viewer, params["unit"])
    if params["text"] is not None:  # LIKE wildcards typed by the user are literal text
        params["text"] = params["text"].replace("%", "").replace("_", "").strip() or None
    return conn.execute(read_sql("ledger"), {"as_of": as_of, "horizon": horizon, **params}).df()


def events(
    conn: duckdb.DuckDBPyConnection, hazard_id: str, viewer: auth.User | None = None
) -> pd.DataFrame:
    """A hazard's history, oldest first."""
    if viewer is not None:
        unit = conn.execute("SELECT unit_adcode FROM hazards WHERE hazard_id = ?", [hazard_id])
        row = unit.fetchone()
        access.check(viewer, "view_detail", row[0] if row else None)
    return conn.execute(
        "SELECT event_id, event_at, actor, action, from_state, to_state, changes, note"
        " FROM hazard_events WHERE hazard_id = ? ORDER BY event_at, event_id",
        [hazard_id],
    ).df()


def audit_log(
    conn: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    actor: str | None = None,
    unit: str | None = None,
    action: str | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Hazard events in [start, end], newest first, filtered by actor, unit and action."""
    return conn.execute(
        "SELECT e.event_at, e.actor, e.action, e.hazard_id, u.name AS unit_name, e.from_state,"
        " e.to_state, e.changes, e.note FROM hazard_events e"
        " JOIN hazards h ON h.hazard_id = e.hazard_id LEFT JOIN units u ON u.adcode = h.unit_adcode"
        " WHERE on_days(e.event_at, $start, $end)"
        "   AND ($actor IS NULL OR e.actor = $actor) AND ($unit IS NULL OR h.unit_adcode = $unit)"
        "   AND ($action IS NULL OR e.action = $action)"
        " ORDER BY e.event_at DESC, e.event_id DESC LIMIT $limit",
        {
            "start": start,
            "end": end,
            "actor": actor,
            "unit": unit,
            "action": action,
            "limit": limit,
        },
    ).df()


def tasks(
    conn: duckdb.DuckDBPyConnection, viewer: auth.User, as_of: date, horizon: int
) -> dict[str, pd.DataFrame]:
    """What waits for a user: for a county brigade its overdue, due-soon and returned hazards to
    act on, and (待验收) those it has asked to close, which wait for the detachment (they still
    count as overdue in the figures when past their deadline); for an administrator the sign-off
    requests, hazards to list and hazards to assign."""
    if access.home_unit(viewer) is not None:
        mine = ledger(conn, as_of, horizon, viewer=viewer)
        returned = conn.execute(
            "SELECT hazard_id FROM hazard_events e WHERE action = '退回' AND event_id = ("
            " SELECT max(event_id) FROM hazard_events x WHERE x.hazard_id = e.hazard_id"
            "   AND x.action IN ('退回', '申请销号', '销号'))"
        ).df()
        waiting = mine.state == "申请销号"  # the brigade's part is done: the detachment accepts
        return {
            "逾期": mine[(mine.standing == "逾期") & ~waiting],
            "临期": mine[(mine.standing == "临期") & ~waiting],
            "被退回": mine[mine.hazard_id.isin(returned.hazard_id) & (mine.state == "整改中")],
            "待验收": mine[waiting],
        }
    everything = ledger(conn, as_of, horizon)
    return {
        "待验收销号": everything[everything.state == "申请销号"],
        "待认定入单": everything[everything.state == "待认定"],
        "待交办": everything[everything.state == "已入单"],
    }


def actors(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Everyone who appears in the hazard histories, alphabetically."""
    return [
        r[0]
        for r in conn.execute("SELECT DISTINCT actor FROM hazard_events ORDER BY actor").fetchall()
    ]


SEARCH_LIMIT = 200


def search(
    conn: duckdb.DuckDBPyConnection, text: str, viewer: auth.User | None = None
) -> pd.DataFrame:
    """Hazards the viewer may see whose id, road, township, route or description contains every
    word of ``text`` (at most five, case-insensitive), newest first, at most SEARCH_LIMIT."""
    words = [w for w in str(text or "").split()][:5]
    if not words:
        return pd.DataFrame(columns=list(_SEARCH_COLUMNS))
    hay = "lower(concat_ws(' ', h.hazard_id, h.road_name, h.township, h.route_code, h.description))"
    where = " AND ".join(f"contains({hay}, lower(?))" for _ in words)
    unit = access.row_scope(viewer, None)
    return conn.execute(
        f"SELECT {', '.join(_SEARCH_COLUMNS.values())} FROM hazards h"  # fixed names  # noqa: S608
        " LEFT JOIN units u ON u.adcode = h.unit_adcode"
        f" WHERE ({where}) AND (? IS NULL OR h.unit_adcode = ?)"
        " ORDER BY h.found_date DESC, h.hazard_id LIMIT ?",
        [*words, unit, unit, SEARCH_LIMIT],
    ).df()


_SEARCH_COLUMNS = {
    "hazard_id": "h.hazard_id",
    "unit_name": "u.name AS unit_name",
    "state": "h.state",
    "road_name": "h.road_name",
    "hazard_type": "h.hazard_type",
    "found_date": "h.found_date",
    "description": "h.description",
}
