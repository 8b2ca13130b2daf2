"""The demo's source-hazard lists as stored snapshots, cases and events: exactly what importing
each list (analytics.ingest.sources.import_snapshot, one unit at a time, in date order, the
indicators in configuration order) would write, decided by the same analytics.sources.cases.outcome
(tests/demo/test_demo_sources.py replays the lists through the importer and compares). Written as
frames in one pass: the whole source part of the demo takes a fraction of a second."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pandas as pd

from analytics.demo.sources import LIST_DATES, UNIT_PACE, Row, SourceLists
from analytics.sources import cases
from analytics.sources.config import SourceConfig

IMPORTED_AT = time(9, 30)  # a list is imported the morning after its date


def imported_at(as_of: date) -> datetime:
    return datetime.combine(as_of + timedelta(days=1), IMPORTED_AT)


def detail(row: Row) -> dict:
    """The snapshot row's detail as the importer builds it."""
    out: dict = {}
    if row.sightings:
        out["sightings"] = [[at.isoformat(sep=" "), place] for at, place in row.sightings]
    if row.count is not None:
        out["count"] = row.count
    if row.due is not None:
        out["due"] = row.due.isoformat()
    if row.points is not None:
        out["points"] = row.points
    return out


def frames(
    data: SourceLists, config: SourceConfig, actors: dict[str, str], admin: str
) -> dict[str, pd.DataFrame]:
    """Table name → its rows (source_subjects, source_snapshots, source_snapshot_rows,
    source_cases, source_case_events, source_summons)."""
    snapshots: list[dict] = []
    rows: list[dict] = []
    events: list[dict] = []
    case_rows: dict[int, dict] = {}
    open_of: dict[tuple[str, str, str], int] = {}  # (indicator, unit, subject) → open case
    cleared_before: dict[str, set[str]] = {}
    subjects: dict[str, dict] = {}
    for as_of in LIST_DATES:
        now = imported_at(as_of)
        for ind in config.indicators:
            for unit in UNIT_PACE:
                listed_rows = data.lists.get((as_of, ind.code, unit))
                if listed_rows is None:
                    continue
                actor = actors[unit]
                snapshot_id = len(snapshots) + 1
                here = {s: c for (i, u, s), c in open_of.items() if i == ind.code and u == unit}
                before = cleared_before.setdefault(ind.code, set())
                out = cases.outcome(here, {r.subject_key: r.word for r in listed_rows}, before)
                snapshots.append(
                    {
                        "snapshot_id": snapshot_id,
                        "indicator": ind.code,
                        "unit_adcode": unit,
                        "as_of": as_of,
                        "import_id": None,
                        "listed": len(listed_rows),
                        "cleared": len(out.cleared),
                        "opened": len(out.opened),
                    }
                )
                for r in listed_rows:
                    rows.append(
                        {
                            "snapshot_id": snapshot_id,
                            "subject_key": r.subject_key,
                            "status": r.status,
                            "detail": json.dumps(detail(r), ensure_ascii=False),
                        }
                    )
                    fields = {k: v for k, v in data.subjects[r.subject_key].items()}
                    subjects[r.subject_key] = {**fields, "unit_adcode": unit, "updated_at": now}
                for s in out.opened:
                    case_id = len(case_rows) + 1
                    case_rows[case_id] = {
                        "case_id": case_id,
                        "indicator": ind.code,
                        "subject_key": s,
                        "unit_adcode": unit,
                        "opened_on": as_of,
                        "opened_snapshot": snapshot_id,
                        "state": cases.OPEN,
                        "cleared_on": None,
                        "cleared_how": None,
                        "cleared_snapshot": None,
                        "version": 1,
                    }
                    open_of[(ind.code, unit, s)] = case_id
                    note = "清零后再次列入清单" if s in out.reappeared else None
                    events.append(
                        _event(events, case_id, now, actor, "新增", None, snapshot_id, note)
                    )
                for case_id, s, how in out.cleared:
                    c = case_rows[case_id]
                    c.update(
                        state=cases.CLEARED,
                        cleared_on=as_of,
                        cleared_how=how,
                        cleared_snapshot=snapshot_id,
                        version=c["version"] + 1,
                    )
                    del open_of[(ind.code, unit, s)]
                    before.add(s)
                    events.append(
                        _event(events, case_id, now, actor, "清零", cases.OPEN, snapshot_id, None)
                    )
    summons = [
        {
            "summons_id": i + 1,
            **s,
            "recorded_by": admin,
            "recorded_at": datetime.combine(s["summoned_on"], time(16, 0)),
        }
        for i, s in enumerate(data.summons)
    ]
    return {
        "source_subjects": pd.DataFrame(
            [{"subject_key": k, **v} for k, v in sorted(subjects.items())]
        ),
        "source_snapshots": pd.DataFrame(snapshots),
        "source_snapshot_rows": pd.DataFrame(rows),
        "source_cases": pd.DataFrame(list(case_rows.values())),
        "source_case_events": pd.DataFrame(events),
        "source_summons": pd.DataFrame(summons),
    }


def _event(
    events: list[dict],
    case_id: int,
    now: datetime,
    actor: str,
    action: str,
    before: str | None,
    snapshot_id: int,
    note: str | None,
) -> dict:
    return {
        "event_id": len(events) + 1,
        "case_id": case_id,
        "event_at": now,
        "actor": actor,
        "action": action,
        "from_state": before,
        "to_state": cases.CLEARED if action == "清零" else cases.OPEN,
        "snapshot_id": snapshot_id,
        "note": note,
    }
