"""What happened to source-hazard cases and personal information, for the 操作日志 page and the
command line: case events (who, when, what, before → after), the record of full views and
unmasked downloads of personal information (pii_views), the latest list date."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from analytics.sources import pii

CASE_ACTIONS = ("新增", "清零", "申请清零", "验收清零", "退回")


def case_events(
    conn: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    actor: str | None = None,
    unit: str | None = None,
    action: str | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Events of source cases in [start, end], newest first: event_at, actor, action, case_id,
    indicator, subject (plate or enterprise as is; a person masked), unit_adcode, unit_name,
    from_state, to_state, note, as_of (the list's date when a list made the event)."""
    df = conn.execute(
        "SELECT e.event_at, e.actor, e.action, e.case_id, c.indicator, s.subject, c.subject_key,"
        " s.name, c.unit_adcode, u.name AS unit_name, e.from_state, e.to_state, e.note,"
        " n.as_of FROM source_case_events e JOIN source_cases c USING (case_id)"
        " LEFT JOIN source_subjects s ON s.subject_key = c.subject_key"
        " LEFT JOIN units u ON u.adcode = c.unit_adcode"
        " LEFT JOIN source_snapshots n ON n.snapshot_id = e.snapshot_id"
        " WHERE on_days(e.event_at, $start, $end)"
        "   AND ($actor IS NULL OR e.actor = $actor) AND ($unit IS NULL OR c.unit_adcode = $unit)"
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
    df["subject_shown"] = [
        shown(k, n, s) for k, n, s in zip(df.subject_key, df.name, df.subject, strict=True)
    ]
    return df.drop(columns=["name"])


def shown(subject_key: str, name: object, subject: object) -> str:
    """How a log names a subject: a plate or an enterprise as it is, a driver masked
    (张*明 3412**********0017)."""
    kind, value = subject_key.split(":", 1)
    if kind != "D":
        return value
    masked_name = pii.mask_name(name) if isinstance(name, str) else ""
    return f"{masked_name} {pii.mask_number(value)}".strip()


def pii_views(
    conn: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    actor: str | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """Full views and unmasked downloads of personal information in [start, end], newest first:
    viewed_at, actor, what (案件详情 | 下载), case_id, indicator, unit_name, subject (masked:
    the log itself shows no personal information), subjects (how many were shown in full)."""
    df = conn.execute(
        "SELECT v.viewed_at, v.actor, v.what, v.case_id, c.indicator, u.name AS unit_name,"
        " v.subject_key, s.subject, s.name, v.subjects FROM pii_views v"
        " LEFT JOIN source_cases c ON c.case_id = v.case_id"
        " LEFT JOIN source_subjects s ON s.subject_key = v.subject_key"
        " LEFT JOIN units u ON u.adcode = c.unit_adcode"
        " WHERE on_days(v.viewed_at, $start, $end) AND ($actor IS NULL OR v.actor = $actor)"
        " ORDER BY v.viewed_at DESC, v.view_id DESC LIMIT $limit",
        {"start": start, "end": end, "actor": actor, "limit": limit},
    ).df()
    df["subject_shown"] = [
        shown(k, n, s) if isinstance(k, str) else ""
        for k, n, s in zip(df.subject_key, df.name, df.subject, strict=True)
    ]
    return df.drop(columns=["name"])


def actors(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Everyone who changed a case or viewed personal information, by name."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT actor FROM source_case_events UNION SELECT actor FROM pii_views ORDER BY 1"
        ).fetchall()
    ]


def latest_list(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The date of the latest list imported (None: none yet)."""
    return conn.execute("SELECT max(as_of) FROM source_snapshots").fetchone()[0]


def imports(conn: duckdb.DuckDBPyConnection, unit: str | None, limit: int = 200) -> pd.DataFrame:
    """The lists imported (newest first), for the upload page's history: imported_at,
    imported_by, file_name, indicator, as_of, units (how many units' snapshots), listed, opened,
    cleared, rows_read. ``unit``: only that unit's snapshots of the lists (None: every unit's)."""
    return conn.execute(
        "SELECT i.imported_at, i.imported_by, i.file_name, n.indicator, max(n.as_of) AS as_of,"
        " count(*) AS units, sum(n.listed) AS listed, sum(n.opened) AS opened,"
        " sum(n.cleared) AS cleared, i.rows_read FROM imports i"
        " JOIN source_snapshots n ON n.import_id = i.import_id"
        " WHERE $unit IS NULL OR n.unit_adcode = $unit"
        " GROUP BY i.import_id, i.imported_at, i.imported_by, i.file_name, n.indicator,"
        " i.rows_read ORDER BY i.imported_at DESC, i.import_id DESC LIMIT $limit",
        {"unit": unit, "limit": limit},
    ).df()
