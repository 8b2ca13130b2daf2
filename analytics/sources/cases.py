"""Cases of source hazards: what a snapshot does to them, clearing by hand (a brigade asks with
evidence, the detachment accepts), 约谈 of enterprises, and reading cases and their history.

A case is one subject (vehicle, driver, enterprise) under one indicator from the day a list names
it until the day it is cleared: by a later list that no longer names it or names it with a
clearing word (已检验 …), or by hand. A subject named again after that is a new case. Every change
of a case appends an event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb
import pandas as pd

from analytics import access
from analytics.sources import pii

OPEN, REQUESTED, CLEARED = "未清零", "待验收", "已清零"
OPEN_STATES = (OPEN, REQUESTED)
ABSENT = "未再列入清单"  # how a case ends when the next list no longer names its subject
BY_HAND = "人工清零"


class CaseError(ValueError):
    """A refused change of a case; the message is Chinese and safe to show."""


@dataclass
class Outcome:
    """What one snapshot does to the cases of its indicator and units."""

    opened: list[str] = field(default_factory=list)  # subject keys
    reappeared: set[str] = field(default_factory=set)  # of those, named again after a clearing
    cleared: list[tuple[int, str, str]] = field(default_factory=list)  # case id, subject, how
    still_open: list[int] = field(default_factory=list)  # case ids
    cleared_without_case: int = 0  # rows with a clearing word and no open case


def outcome(
    open_cases: dict[str, int], listed: dict[str, str | None], cleared_before: set[str]
) -> Outcome:
    """The snapshot's outcome. open_cases: subject → its open case id (of the indicator, in the
    snapshot's units); listed: subject → the clearing word its row gives (None: still a hazard);
    cleared_before: subjects with a cleared case of the indicator."""
    out = Outcome()
    for s in sorted(listed):
        word = listed[s]
        if s in open_cases:
            if word is None:
                out.still_open.append(open_cases[s])
            else:
                out.cleared.append((open_cases[s], s, word))
        elif word is None:
            out.opened.append(s)
            if s in cleared_before:
                out.reappeared.add(s)
        else:
            out.cleared_without_case += 1
    out.cleared += [(c, s, ABSENT) for s, c in sorted(open_cases.items()) if s not in listed]
    return out


def open_cases(
    conn: duckdb.DuckDBPyConnection, indicator: str, units: list[str]
) -> dict[str, tuple[int, str]]:
    """subject → (case id, unit) of every open case of the indicator in these units."""
    rows = conn.execute(
        "SELECT subject_key, case_id, unit_adcode FROM source_cases WHERE indicator = ?"
        " AND state IN (?, ?) AND unit_adcode IN (SELECT unnest(?::VARCHAR[]))",
        [indicator, *OPEN_STATES, units],
    ).fetchall()
    return {s: (c, u) for s, c, u in rows}


def event(
    conn: duckdb.DuckDBPyConnection,
    case_id: int,
    actor: str,
    action: str,
    before: str | None,
    after: str,
    now: datetime,
    *,
    snapshot_id: int | None = None,
    note: str | None = None,
) -> int:
    """Append an event of a case; its id."""
    return conn.execute(
        "INSERT INTO source_case_events (case_id, event_at, actor, action, from_state, to_state,"
        " snapshot_id, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING event_id",
        [case_id, now, actor, action, before, after, snapshot_id, note],
    ).fetchone()[0]


def open_case(
    conn: duckdb.DuckDBPyConnection,
    indicator: str,
    subject_key: str,
    unit: str,
    on: date,
    actor: str,
    now: datetime,
    *,
    snapshot_id: int | None = None,
    note: str | None = None,
) -> int:
    """A new case, open from ``on``, with its 新增 event; its id."""
    case_id = conn.execute(
        "INSERT INTO source_cases (indicator, subject_key, unit_adcode, opened_on,"
        " opened_snapshot, state) VALUES (?, ?, ?, ?, ?, ?) RETURNING case_id",
        [indicator, subject_key, unit, on, snapshot_id, OPEN],
    ).fetchone()[0]
    event(conn, case_id, actor, "新增", None, OPEN, now, snapshot_id=snapshot_id, note=note)
    return case_id


def clear_case(
    conn: duckdb.DuckDBPyConnection,
    case_id: int,
    on: date,
    how: str,
    actor: str,
    now: datetime,
    *,
    snapshot_id: int | None = None,
    action: str = "清零",
    note: str | None = None,
) -> None:
    """Clear an open case on ``on`` (a snapshot's date, or the day a hand clearing is accepted)."""
    before = conn.execute("SELECT state FROM source_cases WHERE case_id = ?", [case_id]).fetchone()
    if before is None or before[0] not in OPEN_STATES:
        raise CaseError(f"案件 {case_id} 已清零或不存在")
    conn.execute(
        "UPDATE source_cases SET state = ?, cleared_on = ?, cleared_how = ?, cleared_snapshot = ?,"
        " version = version + 1 WHERE case_id = ?",
        [CLEARED, on, how, snapshot_id, case_id],
    )
    event(conn, case_id, actor, action, before[0], CLEARED, now, snapshot_id=snapshot_id, note=note)


# Clearing by hand: the brigade asks with evidence; the detachment accepts or sends it back.


def _case(conn: duckdb.DuckDBPyConnection, case_id: int) -> dict:
    cur = conn.execute("SELECT * FROM source_cases WHERE case_id = ?", [case_id])
    row = cur.fetchone()
    if row is None:
        raise CaseError(f"找不到案件 {case_id}")
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def _move(
    conn: duckdb.DuckDBPyConnection, case: dict, version: int, before: str, after: str
) -> None:
    if case["version"] != version:
        raise CaseError("该案件已被他人更新，请刷新页面后重试。")
    if case["state"] != before:
        raise CaseError(f"案件 {case['case_id']} 当前状态为“{case['state']}”，不能执行此操作。")
    done = conn.execute(
        "UPDATE source_cases SET state = ?, version = version + 1"
        " WHERE case_id = ? AND version = ? RETURNING case_id",
        [after, case["case_id"], version],
    ).fetchone()
    if done is None:
        raise CaseError("该案件已被他人更新，请刷新页面后重试。")


def request_clear(
    conn: duckdb.DuckDBPyConnection,
    user: access.UserLike,
    case_id: int,
    version: int,
    note: str,
    evidence: list[tuple[str, str]],
    now: datetime,
) -> int:
    """A brigade asks to clear its case by hand: a note and at least one evidence file (already
    stored: (sha256, file name)). The event's id."""
    case = _case(conn, case_id)
    access.check(user, "request_clear", case["unit_adcode"])
    if not note.strip():
        raise CaseError("请填写清零情况说明。")
    if not evidence:
        raise CaseError("人工清零须上传证明材料（照片或 PDF）。")
    _move(conn, case, version, OPEN, REQUESTED)
    event_id = event(conn, case_id, user.actor, "申请清零", OPEN, REQUESTED, now, note=note.strip())
    for sha256, name in evidence:
        conn.execute(
            "INSERT INTO source_event_attachments (event_id, sha256, file_name) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [event_id, sha256, name],
        )
    return event_id


def accept_clear(
    conn: duckdb.DuckDBPyConnection,
    user: access.UserLike,
    case_id: int,
    version: int,
    note: str,
    now: datetime,
) -> None:
    """The detachment accepts a hand clearing: the case is cleared today."""
    access.check(user, "accept_clear")
    case = _case(conn, case_id)
    if case["version"] != version:
        raise CaseError("该案件已被他人更新，请刷新页面后重试。")
    if case["state"] != REQUESTED:
        raise CaseError(f"案件 {case_id} 当前状态为“{case['state']}”，没有待验收的清零申请。")
    clear_case(
        conn, case_id, now.date(), BY_HAND, user.actor, now, action="验收清零", note=note or None
    )


def reject_clear(
    conn: duckdb.DuckDBPyConnection,
    user: access.UserLike,
    case_id: int,
    version: int,
    reason: str,
    now: datetime,
) -> None:
    """The detachment sends a hand clearing back: the case is open again."""
    access.check(user, "reject_clear")
    if not reason.strip():
        raise CaseError("请填写退回理由。")
    case = _case(conn, case_id)
    _move(conn, case, version, REQUESTED, OPEN)
    event(conn, case_id, user.actor, "退回", REQUESTED, OPEN, now, note=reason.strip())


def record_summons(
    conn: duckdb.DuckDBPyConnection,
    user: access.UserLike,
    enterprise: str,
    unit: str | None,
    summoned_on: date,
    note: str,
    now: datetime,
) -> int:
    """Record a 约谈 of an enterprise (with its open cases at the time); its id."""
    access.check(user, "record_summons")
    if summoned_on > now.date():
        raise CaseError("约谈日期不能晚于今天。")
    n = conn.execute(
        "SELECT count(*) FROM source_cases c JOIN source_subjects s USING (subject_key)"
        " WHERE c.state IN (?, ?) AND coalesce(s.enterprise, CASE WHEN s.subject = 'enterprise'"
        " THEN s.name END) = ?",
        [*OPEN_STATES, enterprise],
    ).fetchone()[0]
    return conn.execute(
        "INSERT INTO source_summons (enterprise, unit_adcode, summoned_on, open_cases, note,"
        " recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING summons_id",
        [enterprise, unit, summoned_on, n, note.strip() or None, user.actor, now],
    ).fetchone()[0]


# Reading


def case_list(
    conn: duckdb.DuckDBPyConnection,
    viewer: access.UserLike | None,
    *,
    indicator: str | None = None,
    unit: str | None = None,
    state: str | None = None,
    enterprise: str | None = None,
) -> pd.DataFrame:
    """Cases with their subjects, newest first; personal fields always masked (a list never shows
    them in full). A brigade gets its own unit's cases only."""
    df = _cases(conn, access.row_scope(viewer, unit), indicator, state, enterprise)
    for f in pii.PERSONAL:
        people = df.subject != "enterprise" if f == "name" else slice(None)
        df.loc[people, f] = df.loc[people, f].map(pii.MASKS[f])
    return df


def case_export(
    conn: duckdb.DuckDBPyConnection,
    viewer: access.UserLike,
    now: datetime,
    *,
    full: bool = False,
    indicator: str | None = None,
    unit: str | None = None,
    state: str | None = None,
    enterprise: str | None = None,
    case_ids: list[int] | None = None,
) -> pd.DataFrame:
    """The cases of case_list to download (only ``case_ids`` when given: the ones a page lists):
    masked, or with personal fields in full (``full``: the viewer must be entitled for every unit
    in it; the download is recorded in pii_views with the number of subjects whose personal data
    it shows)."""
    if not full:
        return case_list(
            conn, viewer, indicator=indicator, unit=unit, state=state, enterprise=enterprise
        )
    df = _cases(conn, access.row_scope(viewer, unit), indicator, state, enterprise)
    if case_ids is not None:
        df = df[df.case_id.isin(case_ids)].reset_index(drop=True)
    for u in sorted(set(df.unit_adcode)):
        access.check(viewer, "view_pii", u)
    personal = df[list(pii.PERSONAL)].notna().any(axis=1) & (df.subject != "enterprise")
    people = df.loc[personal, "subject_key"].nunique()  # subjects named by personal data
    pii.log_view(conn, viewer.actor, "下载", now, subjects=int(people))
    return df


def _cases(
    conn: duckdb.DuckDBPyConnection,
    scope: str | None,
    indicator: str | None,
    state: str | None,
    enterprise: str | None,
) -> pd.DataFrame:
    return conn.execute(
        "SELECT c.case_id, c.indicator, c.unit_adcode, c.state, c.opened_on, c.cleared_on,"
        " c.cleared_how, c.version, s.subject, s.subject_key, s.plate, s.vehicle_kind,"
        " s.use_nature, s.name, s.id_number, s.licence_class, s.ab_class, s.phone, s.enterprise"
        " FROM source_cases c JOIN source_subjects s USING (subject_key)"
        " WHERE ($unit IS NULL OR c.unit_adcode = $unit)"
        " AND ($indicator IS NULL OR c.indicator = $indicator)"
        " AND ($state IS NULL OR c.state = $state)"
        " AND ($enterprise IS NULL OR s.enterprise = $enterprise"
        "      OR (s.subject = 'enterprise' AND s.name = $enterprise))"
        " ORDER BY c.opened_on DESC, c.case_id DESC",
        {"unit": scope, "indicator": indicator, "state": state, "enterprise": enterprise},
    ).df()


def summons_list(conn: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The recorded 约谈, latest first (enterprises are organisations: nothing personal)."""
    return conn.execute(
        "SELECT summons_id, enterprise, unit_adcode, summoned_on, open_cases, note, recorded_by,"
        " recorded_at FROM source_summons ORDER BY summoned_on DESC, summons_id DESC"
    ).df()


def case_detail(
    conn: duckdb.DuckDBPyConnection,
    viewer: access.UserLike,
    case_id: int,
    now: datetime,
    *,
    reveal: bool = False,
) -> dict:
    """One case: its fields, its subject (personal fields in full only when ``reveal`` and the
    viewer is entitled — that view is recorded), its events with evidence, the subject's other
    cases and the lists that named it. ``reveal`` by a viewer not entitled is refused."""
    case = _case(conn, case_id)
    access.check(viewer, "view_detail", case["unit_adcode"])
    if reveal:
        access.check(viewer, "view_pii", case["unit_adcode"])
    cur = conn.execute("SELECT * FROM source_subjects WHERE subject_key = ?", [case["subject_key"]])
    subject = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    full = reveal
    if full:
        pii.log_view(
            conn, viewer.actor, "案件详情", now, case_id=case_id, subject_key=subject["subject_key"]
        )
    else:
        subject = pii.masked(subject["subject"], subject)
    events = conn.execute(
        "SELECT event_id, event_at, actor, action, from_state, to_state, note FROM"
        " source_case_events WHERE case_id = ? ORDER BY event_id",
        [case_id],
    ).df()
    files = conn.execute(
        "SELECT a.event_id, a.sha256, a.file_name, t.mime FROM source_event_attachments a"
        " JOIN attachments t USING (sha256) WHERE a.event_id IN"
        " (SELECT event_id FROM source_case_events WHERE case_id = ?) ORDER BY a.event_id",
        [case_id],
    ).fetchall()
    own = access.home_unit(viewer)  # a brigade sees the subject's history in its own unit only
    others = conn.execute(
        "SELECT case_id, indicator, state, opened_on, cleared_on, cleared_how FROM source_cases"
        " WHERE subject_key = ? AND case_id <> ? AND (? IS NULL OR unit_adcode = ?)"
        " ORDER BY opened_on, case_id",
        [case["subject_key"], case_id, own, own],
    ).df()
    lists = conn.execute(
        "SELECT n.as_of, n.indicator, r.status, r.detail FROM source_snapshot_rows r"
        " JOIN source_snapshots n USING (snapshot_id) WHERE r.subject_key = ?"
        " AND (? IS NULL OR n.unit_adcode = ?) ORDER BY n.as_of, n.indicator",
        [case["subject_key"], own, own],
    ).df()
    return {
        "case": case,
        "subject": subject,
        "full": full,
        "entitled": pii.entitled(viewer, case["unit_adcode"]),
        "events": events,
        "evidence": [
            dict(zip(("event_id", "sha256", "file_name", "mime"), f, strict=True)) for f in files
        ],
        "other_cases": others,
        "lists": lists,
    }
