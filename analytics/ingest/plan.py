"""The plan of one import, worked out before anything is written: which records are new, which
change (field by field, before → after), which changes only the workflow may make, and which rows
are refused. The page previews it, the command line prints it, and the write applies the same plan
inside one transaction after checking that it still holds (its fingerprint)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import duckdb

from analytics import access
from analytics.accounts import auth
from analytics.ingest.common import EXAMPLE_PREFIX, PlanChanged, Problem

__all__ = ["EXAMPLE_PREFIX", "PlanChanged", "Change", "Plan", "Update"]


@dataclass(frozen=True)
class Change:
    record_id: str
    field: str  # the stored column
    label: str  # its Chinese name
    before: object
    after: object
    protected: bool = False  # only the workflow (or an administrator's confirmed override) may


@dataclass
class Update:
    record: dict
    before: dict
    diff: dict[str, list]  # column → [before, after]
    protected: tuple[str, ...] = ()


@dataclass
class Plan:
    inserts: list[dict] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rejected: set[int] = field(default_factory=set)  # row numbers refused by the plan
    changes: list[Change] = field(default_factory=list)
    not_in_upload: list[str] = field(default_factory=list)
    always_write: bool = False  # written even with nothing inserted or updated (a snapshot)

    def refuse(self, row: int, column: str, value: object, message: str) -> None:
        self.problems.append(Problem(row, column, "" if value is None else str(value), message))
        self.rejected.add(row)

    def fingerprint(self, key: str) -> str:
        """What the confirmation agrees to: the same ids inserted, the same changes from the
        same stored values (and versions), the same rows refused."""
        shape = {
            "insert": sorted(r[key] for r in self.inserts),
            "update": [[u.record[key], u.before.get("version"), u.diff] for u in self.updates],
            "refused": sorted(self.rejected),
        }
        text = json.dumps(shape, ensure_ascii=False, default=str, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def existing(
    conn: duckdb.DuckDBPyConnection, table: str, key: str, ids: Iterable[str]
) -> dict[str, dict]:
    """The stored rows (all columns) of these ids, by id. ``table`` and ``key`` are fixed names."""
    cur = conn.execute(
        f"SELECT t.* FROM {table} t SEMI JOIN (SELECT unnest(?::VARCHAR[]) AS k) u"  # noqa: S608
        f" ON t.{key} = u.k",
        [list(ids)],
    )
    names = [d[0] for d in cur.description]
    return {r[names.index(key)]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def same(a: object, b: object) -> bool:
    """Equal as stored values: numbers to 4 decimals, datetimes as dates when compared to one."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, int | float | Decimal) and isinstance(b, int | float | Decimal):
        return round(float(a), 4) == round(float(b), 4)
    if isinstance(a, datetime) and type(b) is date:
        a = a.date()
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def diff(before: dict, record: dict, columns: Iterable[str]) -> dict[str, list]:
    """The given columns whose value differs from the stored one: column → [before, after]."""
    return {c: [before[c], record[c]] for c in columns if not same(before[c], record[c])}


def unit_names(conn: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(conn.execute("SELECT adcode, name FROM units").fetchall())


def owned(
    plan: Plan,
    user: auth.User,
    row: int,
    rid: str,
    unit: str | None,
    id_label: str,
    names: dict[str, str],
) -> bool:
    """Whether the user may change a stored record of ``unit``; the row is refused otherwise."""
    if access.can(user, "import", unit):
        return True
    plan.refuse(
        row,
        id_label,
        rid,
        f"{id_label} {rid} 属于{names.get(unit, unit or '未注明单位')}，"
        "区县大队账号不能修改其他单位的记录",
    )
    return False


def simple_plan(
    conn: duckdb.DuckDBPyConnection,
    user: auth.User,
    records: list[dict],
    *,
    table: str,
    key: str,
    id_label: str,
    columns: tuple[str, ...],
    labels: dict[str, str],
    merge: Callable[[dict, dict], dict] | None = None,
) -> Plan:
    """The plan of a kind without a workflow (accidents, road segments): a county changes only its
    own unit's records; only the columns the file gives (non-empty) are compared and written;
    rows that would be new must carry everything a new record needs (record["_if_new"])."""
    plan = Plan()
    old = existing(conn, table, key, (r[key] for r in records))
    names = unit_names(conn)
    for rec in records:
        before = old.get(rec[key])
        if before is None:
            if rec["_if_new"]:
                for p in rec["_if_new"]:
                    plan.refuse(p.row, p.column, p.value, p.problem)
                continue
            plan.inserts.append(rec)
            continue
        if not owned(plan, user, rec["_row"], rec[key], before.get("unit_adcode"), id_label, names):
            continue
        merged = merge(before, rec) if merge else rec
        d = diff(before, merged, [c for c in columns if c in merged["_given"]])
        if not d:
            plan.unchanged += 1
            continue
        plan.updates.append(Update(merged, before, d))
        plan.changes += [Change(rec[key], c, labels.get(c, c), b, a) for c, (b, a) in d.items()]
    return plan


def change_log(plan: Plan) -> str | None:
    """The updates of a kind without an event table, for imports.note: {"changes": {id: diff}}."""
    if not plan.updates:
        return None
    changes: dict[str, dict] = {}
    for c in plan.changes:
        changes.setdefault(c.record_id, {})[c.field] = [c.before, c.after]
    return json.dumps({"changes": changes}, ensure_ascii=False, default=str)


def record_import(
    conn: duckdb.DuckDBPyConnection,
    kind: str,
    user: auth.User,
    result: object,
    plan: Plan,
    now: datetime,
) -> int:
    """The imports row of an accident or road import (its updates' changes in note); its id."""
    return conn.execute(
        "INSERT INTO imports (file_name, sha256, kind, unit_adcode, imported_by, imported_at,"
        " rows_read, rows_rejected, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING import_id",
        [
            result.file,
            result.sha256,
            kind,
            user.unit_adcode,
            user.actor,
            now,
            result.rows,
            result.rejected,
            change_log(plan),
        ],
    ).fetchone()[0]
