"""The 一单四制 actions on a hazard: each checks permission, state and input, then writes the
hazard and appends one event (with its evidence) in one transaction.

Every action takes the ``version`` the user saw: if the hazard changed since, ConflictError is
raised and nothing is written, so the page can keep what the user typed and ask them to reload.

Every action and report also takes the form's submission ``token``: it is stored (UNIQUE) with the
write it caused, so the same submission arriving twice (double click, two tabs) writes once and
the second raises DuplicateSubmission naming the hazard already written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from analytics import access, geo
from analytics.accounts.auth import User
from analytics.ledger import evidence, place
from analytics.ledger import vocabulary as ledger
from analytics.store.db import transaction

# columns an action may change (never built from user input)
EDITABLE = (
    *ledger.FIVE_ELEMENTS,
    "reward_penalty",
    "measures",
    "temporary_controls",
    "progress",
    "risk_grade",
    "supervision_level",
    "listed_date",
    "closed_date",
    "accept_unit",
    "accepted_by",
    "accepted_date",
    "acceptance_evidence",
    "voided_date",
    "void_reason",
    "funds_wan",
)


class WorkflowError(ValueError):
    """The input or the hazard's state does not allow the action; Chinese messages."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("；".join(self.problems))


class ConflictError(RuntimeError):
    """Someone else changed the hazard after the user loaded it."""


class DuplicateSubmission(RuntimeError):
    """The same form submission was already written; nothing more was written."""

    def __init__(self, hazard_id: str, event_id: int | None, at: datetime) -> None:
        self.hazard_id, self.event_id, self.at = hazard_id, event_id, at
        super().__init__(
            f"已提交，勿重复提交：本次提交已于{at:%Y-%m-%d %H:%M}办理（隐患 {hazard_id}），"
            "未重复记录。"
        )


def _already(conn: duckdb.DuckDBPyConnection, token: str | None) -> None:
    """Raise DuplicateSubmission when ``token`` was already written."""
    if not token:
        return
    row = conn.execute(
        "SELECT hazard_id, event_id, submitted_at FROM submissions WHERE token = ?", [token]
    ).fetchone()
    if row:
        raise DuplicateSubmission(*row)


def _record_submission(
    conn,
    token: str | None,
    action: str,
    hazard_id: str,
    event_id: int | None,
    actor: str,
    now: datetime,
) -> None:
    if token:
        conn.execute(
            "INSERT INTO submissions (token, action, hazard_id, event_id, actor, submitted_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [token, action, hazard_id, event_id, actor, now],
        )


@dataclass(frozen=True)
class Upload:
    """An evidence file as uploaded: its name and bytes."""

    name: str
    data: bytes


def hazard(conn: duckdb.DuckDBPyConnection, hazard_id: str) -> dict | None:
    cur = conn.execute("SELECT * FROM hazards WHERE hazard_id = ?", [hazard_id])
    row = cur.fetchone()
    return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


def _apply(
    conn: duckdb.DuckDBPyConnection,
    user: User,
    permission: str,
    hazard_id: str,
    version: int,
    action: str,
    changes: dict[str, object],
    now: datetime,
    note: str | None = None,
    files: Sequence[Upload] = (),
    evidence_dir: Path | None = None,
    max_bytes: int = evidence.DEFAULT_MAX_BYTES,
    token: str | None = None,
) -> int:
    """Check, then write the hazard, its event and its evidence; return the event id."""
    try:
        return _write(
            conn,
            user,
            permission,
            hazard_id,
            version,
            action,
            changes,
            now,
            note,
            files,
            evidence_dir,
            max_bytes,
            token,
        )
    except (duckdb.TransactionException, duckdb.ConstraintException):
        # another session wrote the same row (or the same submission) at the same time
        _already(conn, token)
        raise ConflictError(
            f"隐患 {hazard_id} 正被他人同时办理，本次提交未保存。请刷新页面后重新提交"
            "（您填写的内容已保留在表单中）。"
        ) from None


def _write(
    conn,
    user,
    permission,
    hazard_id,
    version,
    action,
    changes,
    now,
    note,
    files,  # PLR0913
    evidence_dir,
    max_bytes,
    token,
) -> int:
    with transaction(conn):
        _already(conn, token)
        h = hazard(conn, hazard_id)
        if h is None:
            raise WorkflowError([f"隐患 {hazard_id} 不存在"])
        unit_name = conn.execute("SELECT name FROM units WHERE adcode = ?", [h["unit_adcode"]])
        access.check(user, permission, h["unit_adcode"], (unit_name.fetchone() or [None])[0])
        if h["version"] != version:
            last = conn.execute(
                "SELECT actor, event_at FROM hazard_events WHERE hazard_id = ?"
                " ORDER BY event_at DESC, event_id DESC LIMIT 1",
                [hazard_id],
            ).fetchone()
            who = f"{last[0]}于{last[1]:%Y-%m-%d %H:%M}" if last else "他人"
            raise ConflictError(
                f"隐患 {hazard_id} 已被{who}修改，您看到的是旧版本。请刷新页面后重新提交"
                "（您填写的内容已保留在表单中）。"
            )
        try:
            after = ledger.next_state(action, h["state"])
        except ValueError as e:
            raise WorkflowError([str(e)]) from None
        diff = {k: [h[k], v] for k, v in changes.items() if h[k] != v}
        if action == "进展" and not diff and not files:
            raise WorkflowError(
                ["整改进展与上次记录相同，未重复记录；如有新进展，请修改内容或上传证明材料"]
            )
        if after != h["state"]:
            diff["state"] = [h["state"], after]
        editable = BASIC_FIELDS if action == "更正" else EDITABLE
        sets = ", ".join(f"{col} = ?" for col in changes if col in editable)
        assert len(changes) == sets.count("?"), "only EDITABLE columns"
        conn.execute(
            f"UPDATE hazards SET {sets + ', ' if sets else ''}state = ?, version = version + 1,"  # EDITABLE names  # noqa: S608
            " updated_at = ? WHERE hazard_id = ? AND version = ?",
            [*changes.values(), after, now, hazard_id, version],
        )
        event_id = conn.execute(
            "INSERT INTO hazard_events (hazard_id, event_at, actor, action, from_state, to_state,"
            " changes, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING event_id",
            [
                hazard_id,
                now,
                user.actor,
                action,
                h["state"],
                after,
                json.dumps(diff, ensure_ascii=False, default=str) if diff else None,
                note,
            ],
        ).fetchone()[0]
        for f in files:
            if evidence_dir is None:
                raise WorkflowError(["未配置证明材料存放目录"])
            sha = evidence.store(conn, evidence_dir, f.name, f.data, max_bytes)
            evidence.attach(conn, event_id, sha, f.name)
        _record_submission(conn, token, permission, hazard_id, event_id, user.actor, now)
    return event_id


def _may(conn: duckdb.DuckDBPyConnection, user: User, permission: str, hazard_id: str) -> dict:
    """The hazard, after checking the user may act on it (before any input is judged)."""
    h = hazard(conn, hazard_id)
    if h is None:
        raise WorkflowError([f"隐患 {hazard_id} 不存在"])
    name = conn.execute("SELECT name FROM units WHERE adcode = ?", [h["unit_adcode"]]).fetchone()
    access.check(user, permission, h["unit_adcode"], name[0] if name else None)
    return h


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def list_hazard(
    conn,
    user: User,
    hazard_id: str,
    version: int,
    *,
    risk_grade: str,
    supervision_level: str,
    listed_date: date,
    now: datetime,
    token: str | None = None,
) -> int:
    """认定入单: confirm a reported hazard and put it on the list with its grade and level."""
    h = _may(conn, user, "list", hazard_id)
    problems = []
    if h["found_date"] and listed_date < h["found_date"]:
        problems.append(f"入单日期不能早于排查日期（{h['found_date']}）")
    if risk_grade not in ledger.RISK_GRADES:
        problems.append(f"风险等级须为{'、'.join(ledger.RISK_GRADES)}之一")
    if supervision_level not in ledger.SUPERVISION_LEVELS:
        problems.append(f"挂牌督办须为{'、'.join(ledger.SUPERVISION_LEVELS)}之一")
    if listed_date > now.date():
        problems.append("入单日期不能晚于今天")
    if problems:
        raise WorkflowError(problems)
    changes = {
        "risk_grade": risk_grade,
        "supervision_level": supervision_level,
        "listed_date": listed_date,
    }
    return _apply(conn, user, "list", hazard_id, version, "入单", changes, now, token=token)


def assign(
    conn,
    user: User,
    hazard_id: str,
    version: int,
    *,
    elements: dict[str, object],
    reward_penalty: str | None,
    now: datetime,
    token: str | None = None,
) -> int:
    """交办 with the five elements; refused while any is missing."""
    h = _may(conn, user, "assign", hazard_id)
    missing = [label for col, label in ledger.FIVE_ELEMENTS.items() if _blank(elements.get(col))]
    problems = [f"五要件缺少“{label}”" for label in missing]
    deadline = elements.get("deadline")
    start = h and (h["listed_date"] or h["found_date"])
    if isinstance(deadline, date) and start and deadline < start:
        problems.append(f"完成时限（{deadline}）不能早于入单日期（{start}）")
    if problems:
        raise WorkflowError(problems)
    changes = {col: elements[col] for col in ledger.FIVE_ELEMENTS} | {
        "reward_penalty": reward_penalty
    }
    return _apply(conn, user, "assign", hazard_id, version, "交办", changes, now, token=token)


def record_progress(
    conn,
    user: User,
    hazard_id: str,
    version: int,
    *,
    text: str,
    measures: str | None,
    temporary_controls: str | None,
    now: datetime,
    files: Sequence[Upload] = (),
    evidence_dir: Path | None = None,
    max_bytes: int = evidence.DEFAULT_MAX_BYTES,
    token: str | None = None,
) -> int:
    """整改进展, with optional photos or documents."""
    _may(conn, user, "progress", hazard_id)
    if _blank(text):
        raise WorkflowError(["请填写整改进展"])
    changes: dict[str, object] = {"progress": text.strip()}
    if not _blank(measures):
        changes["measures"] = measures
    if not _blank(temporary_controls):
        changes["temporary_controls"] = temporary_controls
    return _apply(
        conn,
        user,
        "progress",
        hazard_id,
        version,
        "进展",
        changes,
        now,
        files=files,
        evidence_dir=evidence_dir,
        max_bytes=max_bytes,
        token=token,
    )


def request_signoff(
    conn,
    user: User,
    hazard_id: str,
    version: int,
    *,
    note: str,
    now: datetime,
    files: Sequence[Upload] = (),
    evidence_dir: Path | None = None,
    max_bytes: int = evidence.DEFAULT_MAX_BYTES,
    token: str | None = None,
) -> int:
    """申请销号 with the evidence of rectification (a note and at least one file)."""
    _may(conn, user, "request_signoff", hazard_id)
    problems = []
    if _blank(note):
        problems.append("请说明整改完成情况")
    if not files:
        problems.append("申请销号须上传整改后的照片或验收材料")
    if problems:
        raise WorkflowError(problems)
    return _apply(
        conn,
        user,
        "request_signoff",
        hazard_id,
        version,
        "申请销号",
        {},
        now,
        note=note.strip(),
        files=files,
        evidence_dir=evidence_dir,
        max_bytes=max_bytes,
        token=token,
    )


def accept(
    conn,
    user: User,
    hazard_id: str,
    version: int,
    *,
    accepted_by: str,
    accept_unit: str,
    accepted_date: date,
    conclusion: str,
    now: datetime,
    token: str | None = None,
) -> int:
    """验收销号: closed only with who accepted it, when, and on what evidence."""
    h = _may(conn, user, "accept", hazard_id)
    problems = []
    if _blank(accepted_by):
        problems.append("请填写验收人")
    if _blank(accept_unit):
        problems.append("请填写验收单位")
    if _blank(conclusion):
        problems.append("请填写验收结论及依据")
    if accepted_date > now.date():
        problems.append("验收日期不能晚于今天")
    requested = conn.execute(
        "SELECT max(CAST(event_at AS DATE)) FROM hazard_events"
        " WHERE hazard_id = ? AND action = '申请销号'",
        [hazard_id],
    ).fetchone()[0]
    if requested and accepted_date < requested:  # figures already published stay as they were
        problems.append(f"验收日期不能早于申请销号日期（{requested}）")
    elif h["listed_date"] and accepted_date < h["listed_date"]:
        problems.append(f"验收日期不能早于入单日期（{h['listed_date']}）")
    if problems:
        raise WorkflowError(problems)
    changes = {
        "accepted_by": accepted_by.strip(),
        "accept_unit": accept_unit.strip(),
        "accepted_date": accepted_date,
        "closed_date": accepted_date,
        "acceptance_evidence": conclusion.strip(),
    }
    return _apply(
        conn,
        user,
        "accept",
        hazard_id,
        version,
        "销号",
        changes,
        now,
        note=f"验收通过：{conclusion.strip()}",
        token=token,
    )


def reject(
    conn,
    user: User,
    hazard_id: str,
    version: int,
    *,
    reason: str,
    now: datetime,
    token: str | None = None,
) -> int:
    """退回: acceptance failed (隐患不消除不销号); back to rectification."""
    _may(conn, user, "reject", hazard_id)
    if _blank(reason):
        raise WorkflowError(["请填写退回原因"])
    return _apply(
        conn,
        user,
        "reject",
        hazard_id,
        version,
        "退回",
        {},
        now,
        note=f"验收未通过：{reason.strip()}",
        token=token,
    )


def void(
    conn,
    user: User,
    hazard_id: str,
    version: int,
    *,
    reason: str,
    now: datetime,
    token: str | None = None,
) -> int:
    """作废 a hazard found to be mistaken, with the reason."""
    _may(conn, user, "void", hazard_id)
    if _blank(reason):
        raise WorkflowError(["请填写作废原因"])
    changes = {"voided_date": now.date(), "void_reason": reason.strip()}
    return _apply(
        conn,
        user,
        "void",
        hazard_id,
        version,
        "作废",
        changes,
        now,
        note=reason.strip(),
        token=token,
    )


def change_supervision(
    conn,
    user: User,
    hazard_id: str,
    version: int,
    *,
    level: str,
    reason: str,
    now: datetime,
    token: str | None = None,
) -> int:
    """调整挂牌督办 level (部/省/市/县/无), independent of the workflow state."""
    _may(conn, user, "change_supervision", hazard_id)
    problems = []
    if level not in ledger.SUPERVISION_LEVELS:
        problems.append(f"挂牌督办须为{'、'.join(ledger.SUPERVISION_LEVELS)}之一")
    if _blank(reason):
        problems.append("请填写调整原因")
    if problems:
        raise WorkflowError(problems)
    return _apply(
        conn,
        user,
        "change_supervision",
        hazard_id,
        version,
        "调整督办",
        {"supervision_level": level},
        now,
        note=reason.strip(),
        token=token,
    )


def report(
    conn,
    user: User,
    *,
    unit_adcode: str,
    fields: dict[str, object],
    found_date: date,
    now: datetime,
    token: str | None = None,
) -> str:
    """上报 a new hazard (待认定); returns its id. fields: road_name, hazard_type, description,
    source, township, route_code, start_m, end_m, lon, lat, coord_source (the last seven
    optional; a point is WGS-84 with the system it was given in, see place.locate; without
    coord_source it is taken as given in WGS-84).

    The same ``token`` a second time raises DuplicateSubmission (one hazard, one event)."""
    name = conn.execute("SELECT name FROM units WHERE adcode = ?", [unit_adcode]).fetchone()
    if name is None:
        raise WorkflowError([f"单位代码 {unit_adcode} 不是本市的单位"])
    access.check(user, "report", unit_adcode, name[0])
    problems = [
        f"请填写{label}" for col, label in REPORT_REQUIRED.items() if _blank(fields.get(col))
    ]
    if fields.get("hazard_type") and fields["hazard_type"] not in ledger.ALL_HAZARD_TYPES:
        problems.append("隐患类型不在清单中")
    if found_date > now.date():
        problems.append("排查日期不能晚于今天")
    fields = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in fields.items()}
    if fields.get("lon") is not None and not fields.get("coord_source"):
        fields = {**fields, "coord_source": geo.WGS84}  # a point given without its system
    try:
        place.check(fields)
    except place.PlaceError as e:
        problems.extend(e.problems)
    if problems:
        raise WorkflowError(problems)
    allowed = {k: fields.get(k) for k in REPORT_FIELDS}
    for attempt in range(3):  # two reports at once may pick the same next number: retry
        try:
            return _insert_report(conn, user, unit_adcode, found_date, now, allowed, token)
        except (duckdb.ConstraintException, duckdb.TransactionException):
            if attempt == 2:
                raise ConflictError("同时上报的隐患较多，本次未保存，请重新提交。") from None
    raise AssertionError("unreachable")


def _insert_report(
    conn,
    user: User,
    unit_adcode: str,
    found_date: date,
    now: datetime,
    allowed: dict[str, object],
    token: str | None,
) -> str:
    with transaction(conn):
        _already(conn, token)  # a retry after a concurrent twin committed finds it here
        prefix = f"{unit_adcode}-YH-{found_date.year}-"
        last = conn.execute(
            "SELECT max(CAST(substr(hazard_id, ?) AS INTEGER)) FROM hazards"
            " WHERE starts_with(hazard_id, ?) AND regexp_full_match(substr(hazard_id, ?), '\\d+')",
            [len(prefix) + 1, prefix, len(prefix) + 1],
        ).fetchone()[0]
        hazard_id = f"{prefix}{(last or 0) + 1:03d}"
        cols = [
            "hazard_id",
            "unit_adcode",
            "state",
            "found_date",
            "created_at",
            "updated_at",
            *allowed,
        ]
        conn.execute(
            f"INSERT INTO hazards ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",  # fixed names  # noqa: S608
            [hazard_id, unit_adcode, ledger.FOUND, found_date, now, now, *allowed.values()],
        )
        event_id = conn.execute(
            "INSERT INTO hazard_events (hazard_id, event_at, actor, action, from_state, to_state,"
            " changes) VALUES (?, ?, ?, '发现', NULL, ?, ?) RETURNING event_id",
            [
                hazard_id,
                now,
                user.actor,
                ledger.FOUND,
                json.dumps(
                    {k: [None, v] for k, v in allowed.items() if v is not None},
                    ensure_ascii=False,
                    default=str,
                ),
            ],
        ).fetchone()[0]
        _record_submission(conn, token, "report", hazard_id, event_id, user.actor, now)
    return hazard_id


REPORT_REQUIRED = {
    "road_name": "道路名称",
    "hazard_type": "隐患类型",
    "description": "隐患描述",
    "source": "隐患来源",
}
REPORT_FIELDS = (
    "township",
    "road_name",
    "route_code",
    "start_m",
    "end_m",
    "lon",
    "lat",
    "coord_source",
    "hazard_type",
    "description",
    "source",
)
# 更正基本信息: what a brigade (own unit) or the administrator may correct after reporting; the
# five elements, state and supervision stay with the workflow's own actions
BASIC_FIELDS = ("road_name", "township", "hazard_type", "description", *place.LOCATION_FIELDS)
BASIC_REQUIRED = {"road_name": "道路名称", "hazard_type": "隐患类型", "description": "隐患描述"}


def correct_basic(
    conn,
    user: User,
    hazard_id: str,
    version: int,
    *,
    fields: dict[str, object],
    reason: str,
    now: datetime,
    token: str | None = None,
) -> int | None:
    """更正基本信息: location (route, stakes, point), road name, township, type and description.
    ``fields`` holds every basic field as it should now be (a location's columns all together);
    one event lists each change before → after. None when nothing changed (nothing written)."""
    h = _may(conn, user, "edit_basic", hazard_id)
    unknown = set(fields) - set(BASIC_FIELDS)
    if unknown:
        raise ValueError(f"not basic fields: {sorted(unknown)}")
    problems = [
        f"请填写{label}"
        for col, label in BASIC_REQUIRED.items()
        if col in fields and _blank(fields[col])
    ]
    if fields.get("hazard_type") and fields["hazard_type"] not in ledger.ALL_HAZARD_TYPES:
        problems.append("隐患类型不在清单中")
    if _blank(reason):
        problems.append("请填写更正原因")
    try:
        place.check({k: fields.get(k, h[k]) for k in place.LOCATION_FIELDS})
    except place.PlaceError as e:
        problems.extend(e.problems)
    if problems:
        raise WorkflowError(problems)
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    clean = {k: (None if v == "" else v) for k, v in clean.items()}
    changes = {k: v for k, v in clean.items() if not _same(h[k], v)}
    if not changes:
        _already(conn, token)  # the same correction sent again finds nothing left to change
        return None
    return _apply(
        conn,
        user,
        "edit_basic",
        hazard_id,
        version,
        "更正",
        changes,
        now,
        note=reason.strip(),
        token=token,
    )


def _same(before: object, after: object) -> bool:
    if before is None or after is None:
        return before is after
    if isinstance(before, float | int) and isinstance(after, float | int):
        return abs(float(before) - float(after)) < 1e-9
    return before == after
