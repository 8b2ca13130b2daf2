"""Importing a hazard ledger: every row checked, every problem reported, one transaction.

Hazards are matched by 隐患编号: new ones are inserted, changed ones updated with an event that
records each changed field, unchanged ones left alone; nothing is ever deleted. What an import may
change of an existing hazard is decided in analytics.ingest.hazard_plan (一单四制).
"""

from __future__ import annotations

import json
from datetime import datetime
from operator import itemgetter

import duckdb
import numpy as np
import pyarrow as pa

from analytics import access, geo
from analytics.accounts import auth
from analytics.city import City
from analytics.ingest import batch, checks, common, hazard_plan, headers, rules, values
from analytics.ingest.batch import Batch
from analytics.ingest.common import ImportResult
from analytics.ingest.plan import Plan
from analytics.ingest.rules import Column, RowCheck
from analytics.ledger import vocabulary as ledger

TEXT_FIELDS = (
    "township",
    "road_name",
    "route_code",
    "hazard_type",
    "description",
    "source",
    "goal",
    "lead_leader",
    "responsible_unit",
    "completion_standard",
    "reward_penalty",
    "measures",
    "temporary_controls",
    "progress",
    "accept_unit",
    "accepted_by",
)
DATE_FIELDS = ("found_date", "listed_date", "deadline", "closed_date", "accepted_date")
STORED = (
    *TEXT_FIELDS,
    *DATE_FIELDS,
    "unit_adcode",
    "start_m",
    "end_m",
    "lon",
    "lat",
    "coord_source",
    "risk_grade",
    "supervision_level",
    "state",
    "funds_wan",
)


_ARROW_SCHEMA = pa.schema(
    [("hazard_id", pa.string())]
    + [(c, pa.string()) for c in TEXT_FIELDS]
    + [(c, pa.date32()) for c in DATE_FIELDS]
    + [
        ("unit_adcode", pa.string()),
        ("start_m", pa.int64()),
        ("end_m", pa.int64()),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
        ("coord_source", pa.string()),
        ("risk_grade", pa.string()),
        ("supervision_level", pa.string()),
        ("state", pa.string()),
        ("funds_wan", pa.float64()),
        ("import_id", pa.int64()),
        ("created_at", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
    ]
)


def import_hazards(
    conn: duckdb.DuckDBPyConnection,
    city: City,
    user: auth.User,
    file_name: str,
    data: bytes,
    *,
    now: datetime,
    **options: object,
) -> ImportResult:
    """Check every row and work out the plan (analytics.ingest.hazard_plan); write it in one
    transaction, or nothing when any row is rejected (unless accept_valid: then the valid rows),
    or when protected fields would change without an administrator's override_reason.
    dry_run=True stops at the plan. Options: see analytics.ingest.common.Options."""
    access.check(user, "import", access.home_unit(user))  # a leader imports nothing
    o = common.Options(**{"today": now.date(), **options})
    context = checks.Context(city, user)
    return common.run(
        conn,
        "hazards",
        headers.HAZARD_HEADERS,
        "hazard_id",
        lambda raw, names, row: rules.check_row(ROWS, raw, names, row, context),
        lambda records: hazard_plan.plan(conn, user, records),
        lambda result, plan: _write(conn, user, result, plan, now, o.override_reason),
        file_name,
        data,
        o,
        batch=lambda columns, n, names: batch.check_rows(ROWS, columns, n, names, context),
    )


@batch.twin(checks.unit_columns)
def _unit(row: RowCheck) -> None:
    checks.unit(row, "所属区县为空或不是本市的单位", if_new=row.text("unit") is None)


def _level(cell: object) -> str | None:
    """挂牌督办 of a non-empty cell (an empty one is 无, filled in: never given)."""
    return None if values.text(cell) is None else values.level(cell)


def _stakes_columns(b: Batch) -> None:
    start_texts, end_texts = b.texts("start_stake"), b.texts("end_stake")
    starts = batch.each(start_texts, geo.parse_stake)
    ends = batch.each(end_texts, geo.parse_stake)
    # each end parsed, or missing (an unreadable one refers the row); one stake is both ends
    bad = [
        i
        for i, (s, st, e, et) in enumerate(zip(starts, start_texts, ends, end_texts, strict=True))
        if (s is None and st) or (e is None and et)
    ]
    start_m = starts
    end_m = [s if e is None else e for s, e in zip(starts, ends, strict=True)]
    # 起止桩号, where a row gives it, says both ends (and that row's ends are not read)
    if b.present("stakes"):
        stakes = b.texts("stakes")
        ranges = batch.each(stakes, lambda t: geo.parse_stake_range(t) if t else None)
        start_m, given = list(starts), [i for i, t in enumerate(stakes) if t]
        bad = [i for i in bad if not stakes[i]] + [i for i in given if ranges[i] is None]
        for i in given:
            start_m[i], end_m[i] = ranges[i] or (None, None)
    b.refer(bad)
    b.out["start_m"], b.out["end_m"] = start_m, end_m


@batch.twin(_stakes_columns)
def _stakes(row: RowCheck) -> None:
    """start_m, end_m from 起止桩号, or 起点桩号 and 止点桩号 (one stake: both ends)."""
    s = e = None
    if row.text("stakes"):
        pair = geo.parse_stake_range(row.text("stakes"))
        if pair is None:
            row.problem("stakes", "无法识别的桩号（例：K12+300-K12+800）")
        else:
            s, e = pair
    else:
        start, end = row.text("start_stake"), row.text("end_stake")
        s = geo.parse_stake(start) if start else None
        e = geo.parse_stake(end) if end else None
        if start and s is None:
            row.problem("start_stake", "无法识别的起点桩号（例：K12+300）")
        if end and e is None:
            row.problem("end_stake", "无法识别的止点桩号（例：K12+800）")
        e = e if e is not None else s
    row.out["start_m"], row.out["end_m"] = s, e


_FIVE_ELEMENTS = itemgetter(*ledger.FIVE_ELEMENTS)  # the row's five elements


def _state_columns(b: Batch) -> None:
    out = b.out
    if b.present("closed"):  # (a 0 is a flag too: 否)
        states = batch.each(
            list(zip(b.cells("state"), b.cells("closed"), strict=True)),
            lambda pair: values.state(*pair),
        )
    else:
        states = batch.each(b.cells("state"), values.state)
    b.refer(batch.positions(states, batch.BAD))
    derived = [i for i, s in enumerate(states) if s is None or s is batch.BAD]
    closed, five = out["closed_date"], list(zip(*map(out.get, ledger.FIVE_ELEMENTS), strict=True))
    for i in derived:
        states[i] = (
            ledger.CLOSED
            if closed[i]
            else ledger.ASSIGNED
            if None not in five[i]
            else ledger.LISTED
        )
    b.derive("state", derived)
    out["state"] = states


@batch.twin(_state_columns)
def _state(row: RowCheck) -> None:
    """整改状态 / 是否销号 words; when neither says anything, what the row's data show (filled in,
    never given)."""
    out = row.out
    state = row.read("state", values.state, row.raw.get("closed"))
    if state is None:
        five = None not in _FIVE_ELEMENTS(out)  # (checked cells are None or not blank)
        state = ledger.CLOSED if out["closed_date"] else ledger.ASSIGNED if five else ledger.LISTED
        row.derived.add("state")
    out["state"] = state


def _found_date_columns(b: Batch) -> None:
    found, listed = b.out["found_date"], b.out["listed_date"]
    b.refer(i for i, (f, li) in enumerate(zip(found, listed, strict=True)) if not f and not li)


@batch.twin(_found_date_columns)
def _found_date(row: RowCheck) -> None:
    """排查日期 or 入单日期 (an unreadable one is its own problem, never 缺少 as well)."""
    out = row.out
    if (
        not out["found_date"]
        and not out["listed_date"]
        and not row.any_failed(("found_date", "listed_date"))
    ):
        row.problem("found_date", "缺少排查日期", if_new=True)


def _dates_in_order_columns(b: Batch) -> None:
    order = ("found_date", "listed_date", "deadline", "closed_date")
    dates = zip(*(b.out[f] for f in order), strict=True)
    b.refer(
        i
        for i, (f, li, dl, cl) in enumerate(dates)
        if (start := f or li) and ((dl and dl < start) or (cl and cl < start))
    )


@batch.twin(_dates_in_order_columns)
def _dates_in_order(row: RowCheck) -> None:
    """完成时限 and 销号日期 not before the hazard was found (or listed)."""
    out = row.out
    start = out["found_date"] or out["listed_date"]
    if start and out["deadline"] and out["deadline"] < start:
        row.problem("deadline", f"完成时限早于排查日期（{start}）")
    if start and out["closed_date"] and out["closed_date"] < start:
        row.problem("closed_date", f"销号日期早于排查日期（{start}）")


# One hazard row: the problems of a row are reported in this order. Text cells are only trimmed.
ROWS = rules.Declaration(
    steps=(
        Column("hazard_id", required="缺少隐患编号（“序号”只是行号，不能作为编号）"),
        _unit,
        *(
            Column(f, required="缺少道路名称", if_new=True) if f == "road_name" else Column(f)
            for f in TEXT_FIELDS
        ),
        *(Column(f, values.parse_date) for f in DATE_FIELDS),
        Column("risk_grade", values.grade),
        Column("supervision_level", _level, default="无"),
        Column("funds_wan", lambda cell: values.number(cell, "投入资金")),
        _stakes,
        checks.coordinates,
        _state,
        _found_date,
        _dates_in_order,
    ),
    stored=STORED,
)


def _record(city: City, user: auth.User, raw: dict, names: dict, row: int):
    """One row as hazard columns, with its problems and warnings (what import_hazards does)."""
    return rules.check_row(ROWS, raw, names, row, checks.Context(city, user))


def _write(
    conn,
    user: auth.User,
    result: ImportResult,
    plan: Plan,
    now: datetime,
    reason: str | None,
) -> None:
    """Apply the plan (inside the caller's transaction): insert the new hazards in bulk, update
    the changed ones (version + 1), one event each with every change before → after."""
    override = any(u.protected for u in plan.updates)
    import_id = conn.execute(
        "INSERT INTO imports (file_name, sha256, kind, unit_adcode, imported_by, imported_at,"
        " rows_read, rows_rejected, note) VALUES (?, ?, 'hazards', ?, ?, ?, ?, ?, ?)"
        " RETURNING import_id",
        [
            result.file,
            result.sha256,
            user.unit_adcode,
            user.actor,
            now,
            result.rows,
            result.rejected,
            f"管理员确认修改受保护字段，理由：{reason.strip()}" if override else None,
        ],
    ).fetchone()[0]
    events: list[dict] = []
    for u in plan.updates:
        hid, d = u.record["hazard_id"], u.diff
        conn.execute(
            f"UPDATE hazards SET {', '.join(f'{c} = ?' for c in d)}, version = version + 1,"  # STORED names  # noqa: S608
            " updated_at = ?, import_id = ? WHERE hazard_id = ?",
            [*(v[1] for v in d.values()), now, import_id, hid],
        )
        note = f"导入文件：{result.file}"
        if u.protected:
            labels = "、".join(ledger.FIELD_LABELS.get(c, c) for c in u.protected)
            note += f"；管理员确认修改受保护字段（{labels}），理由：{reason.strip()}"
        after = d["state"][1] if "state" in d else u.before["state"]
        events.append(_event_row(hid, now, user, u.before["state"], after, d, note))
    if events:
        _insert_events(conn, {c: [e[c] for e in events] for c in events[0]})
    if plan.inserts:  # an Arrow table, built column by column: DuckDB reads it so, fast
        n, stamp = len(plan.inserts), {"import_id": import_id, "created_at": now, "updated_at": now}
        given = [c.name for c in _ARROW_SCHEMA if c.name not in stamp]
        rows_as_tuples = map(itemgetter(*given), plan.inserts)
        columns = dict(zip(given, zip(*rows_as_tuples, strict=True), strict=True))
        rows = pa.Table.from_arrays(
            [
                _repeated(stamp[c.name], c.type, n)
                if c.name in stamp
                else pa.array(columns[c.name], type=c.type)
                for c in _ARROW_SCHEMA
            ],
            schema=_ARROW_SCHEMA,
        )
        conn.register("upload_rows", rows)
        try:
            conn.execute("INSERT INTO hazards BY NAME SELECT * FROM upload_rows")
        finally:
            conn.unregister("upload_rows")
        # one 导入 event each, the values being the new row's own (its import_id: the kept file)
        _insert_events(
            conn,
            {
                "hazard_id": columns["hazard_id"],
                "event_at": _repeated(now, pa.timestamp("us"), n),
                "actor": _repeated(user.actor, pa.string(), n),
                "action": _repeated("导入", pa.string(), n),
                "from_state": pa.nulls(n, pa.string()),
                "to_state": columns["state"],
                "changes": pa.nulls(n, pa.string()),
                "note": _repeated(f"导入文件：{result.file}", pa.string(), n),
            },
        )
    conn.execute(
        "UPDATE imports SET rows_added = ?, rows_updated = ? WHERE import_id = ?",
        [result.inserted, result.updated, import_id],
    )


def _repeated(value: object, type_: pa.DataType, n: int) -> pa.Array:
    """One value n times, converted once (100,000 datetimes in a list: 21 ms to convert here;
    one, then a take: under 1 ms)."""
    return pa.array([value], type=type_).take(np.zeros(n, dtype=np.int64))


def _event_row(
    hid: str,
    now: datetime,
    user: auth.User,
    before: str | None,
    after: str,
    changes: dict | None,
    note: str,
) -> dict:
    return {
        "hazard_id": hid,
        "event_at": now,
        "actor": user.actor,
        "action": "导入",
        "from_state": before,
        "to_state": after,
        "changes": json.dumps(changes, ensure_ascii=False, default=str) if changes else None,
        "note": note,
    }


def _insert_events(conn: duckdb.DuckDBPyConnection, columns: dict[str, object]) -> None:
    """Events given as columns (the names of _event_row's keys; lists or Arrow arrays)."""
    table = pa.Table.from_pydict(columns)
    conn.register("upload_events", table)
    try:
        conn.execute("INSERT INTO hazard_events BY NAME SELECT * FROM upload_events")
    finally:
        conn.unregister("upload_events")
