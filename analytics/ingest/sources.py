"""Importing the list of one 人·车·企 indicator as of a date (a snapshot): the same reading,
limits, row checks, previews and permissions as the ledger's imports.

The list names the subjects (vehicles, drivers, enterprises) that meet the indicator on its date
in the units it covers (a brigade: its own unit; the detachment: one unit, or the whole city). A
named subject without an open case opens one; an open case whose subject the list no longer names,
or names with a clearing word (已检验 …), is cleared on the list's date (analytics.sources.cases).
A list is whole or nothing: a row with a problem refuses the list (a refused row would otherwise
read as a cleared case). Lists of a unit and indicator come in date order."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from analytics import access
from analytics.accounts import auth
from analytics.city import City
from analytics.ingest import checks, common, plan, read, rules, values
from analytics.ingest.common import ImportResult
from analytics.ingest.rules import Column, RowCheck
from analytics.sources import cases, pii
from analytics.sources import config as sources_config
from analytics.sources.config import AB_CLASSES, Indicator, SourceConfig

_COMMON = {
    "unit": ("所属区县", "区县", "辖区", "管辖单位", "所属单位", "单位"),
    "status": ("处理状态", "清零情况", "清零状态", "整改情况", "状态"),
    "sighted_at": ("抓拍时间", "发现时间", "过车时间", "违法时间"),
    "sighted_place": ("抓拍地点", "发现地点", "过车地点", "违法地点"),
    "due": ("检验有效期止", "强制报废期止", "审验有效期止", "有效期止", "应换证日期"),
    "count": ("违法未处理数", "未处理违法数", "未处理违法"),
    "points": ("累积记分", "记分"),
    "phone": ("联系电话", "手机号码", "电话"),
    "row_number": ("序号",),
}
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "vehicle": {
        "plate": ("号牌号码", "车牌号码", "车牌号", "号牌"),
        "plate_kind": ("号牌种类", "号牌类型", "车牌种类"),
        "vehicle_kind": ("重点车辆类别", "重点车辆类型", "车辆类别"),
        "vehicle_type": ("车辆类型",),
        "use_nature": ("使用性质",),
        "seats": ("核定载客", "核定载客数", "座位数"),
        "vehicle_state": ("车辆状态", "机动车状态"),
        "enterprise": ("所属企业", "运输企业", "企业名称"),
        "owner": ("所有人", "车辆所有人", "机动车所有人"),
        **_COMMON,
    },
    "driver": {
        "name": ("姓名", "驾驶人姓名", "驾驶人"),
        "id_number": ("身份证明号码", "身份证号码", "身份证号", "驾驶证号", "证件号码"),
        "licence_class": ("准驾车型",),
        "licence_state": ("驾驶证状态",),
        "enterprise": ("所属企业", "从业单位", "企业名称"),
        **_COMMON,
    },
    "enterprise": {
        "name": ("企业名称", "业户名称", "单位名称"),
        "licence_no": ("经营许可证号", "道路运输经营许可证号", "许可证号"),
        "enterprise_kind": ("企业类型", "经营类别", "经营范围"),
        **_COMMON,
    },
}
KEY_FIELD = {"vehicle": "plate", "driver": "id_number", "enterprise": "name"}
SUBJECT_FIELDS = (
    "plate",
    "plate_kind",
    "vehicle_kind",
    "vehicle_type",
    "use_nature",
    "seats",
    "name",
    "id_number",
    "licence_class",
    "ab_class",
    "phone",
    "enterprise",
    "licence_no",
    "enterprise_kind",
)
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][A-Z0-9]{4,6}[挂学警领]?"
)
_ORGANISATION = re.compile(r"公司|有限|集团|合作社|车队|运输|客运|学校|幼儿园|站$|中心$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
MAX_COUNT = 100_000


class SnapshotError(read.ReadError):
    """The list cannot be taken as a snapshot (its date, its units); nothing was written."""


@dataclass(frozen=True)
class Context(checks.Context):
    """What one list is checked for: the indicator, the configuration, the units it covers."""

    indicator: Indicator | None = None
    config: SourceConfig = sources_config.EMPTY
    scope: tuple[str, ...] = ()
    as_of: date = date.max  # the list's date: nothing it proves happened after it


@dataclass
class SnapshotPlan(plan.Plan):
    """The cases a list opens (inserts) and clears (updates), and what is written with them."""

    subjects: dict[str, dict] = field(default_factory=dict)  # subject key → its fields
    rows: dict[str, dict] = field(default_factory=dict)  # subject key → status, detail, unit
    reappeared: set[str] = field(default_factory=set)
    always_write: bool = True  # an unchanged list is still a list of its date


def import_snapshot(
    conn: duckdb.DuckDBPyConnection,
    city: City,
    user: auth.User,
    file_name: str,
    data: bytes,
    *,
    now: datetime,
    indicator: str,
    as_of: date,
    unit: str | None = None,
    config: SourceConfig | None = None,
    **options: object,
) -> ImportResult:
    """Check every row of the list of ``indicator`` as of ``as_of`` for ``unit`` (None: every unit
    of the city, the detachment only) and write it as one snapshot per unit, in one transaction.
    Options: see analytics.ingest.common.Options (accept_valid is ignored: a list is whole)."""
    cfg = config or sources_config.load(city)
    try:
        ind = cfg.indicator(indicator)
    except KeyError:
        raise SnapshotError(f"没有代码为“{indicator}”的指标") from None
    scope = _scope(city, user, unit)
    _check_date(conn, ind, scope, as_of, now.date(), city)
    ctx = Context(city, user, [], ind, cfg, scope, as_of)
    spec = _spec(ind)
    options = {k: v for k, v in options.items() if k not in ("accept_valid", "coord_system")}
    return common.run(
        conn,
        kind(ind.code, as_of, scope),
        spec,
        "row_key",
        lambda raw, names, row: rules.check_row(DECLARATIONS[ind.subject], raw, names, row, ctx),
        lambda records: _plan(conn, ctx, as_of, records),
        lambda result, p: _write(conn, ctx, result, p, as_of, now),
        file_name,
        data,
        common.Options(**{"today": now.date(), **options}),
        example_field=KEY_FIELD[ind.subject],
    )


def kind(indicator: str, as_of: date, scope: tuple[str, ...]) -> str:
    """The imports kind of a list: its indicator, date and units, so that an unchanged export of
    the next month, or another unit's identical list (an empty one: all cleared), is a list of
    its own, not a file imported twice."""
    return f"source:{indicator}@{as_of.isoformat()}:{','.join(scope)}"


def _scope(city: City, user: auth.User, unit: str | None) -> tuple[str, ...]:
    if unit is None:
        access.check(user, "import", access.home_unit(user))  # a leader imports nothing
        if access.home_unit(user) is not None:
            return (user.unit_adcode,)
        return tuple(u.adcode for u in city.units)
    found = city.resolve_unit(unit)
    if found is None:
        raise SnapshotError(f"“{unit}”不是本市的单位")
    access.check(user, "import", found.adcode, found.name)
    return (found.adcode,)


def _check_date(
    conn: duckdb.DuckDBPyConnection,
    ind: Indicator,
    scope: tuple[str, ...],
    as_of: date,
    today: date,
    city: City,
) -> None:
    if as_of > today:
        raise SnapshotError(f"清单日期 {as_of} 晚于今天，请核对")
    if as_of.year < 2000:
        raise SnapshotError(f"清单日期 {as_of} 早于 2000 年，请核对")
    row = conn.execute(
        "SELECT unit_adcode, max(as_of) AS last FROM source_snapshots WHERE indicator = ?"
        " AND unit_adcode IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL HAVING last >= ?"
        " ORDER BY last DESC LIMIT 1",
        [ind.code, list(scope), as_of],
    ).fetchone()
    if row is not None:
        raise SnapshotError(
            f"{city.unit(row[0]).name}已导入 {row[1]} 的“{ind.name}”清单；"
            f"新清单的日期须晚于该日（本次为 {as_of}）"
        )


def _spec(ind: Indicator) -> dict[str, tuple[str, ...]]:
    spec = dict(HEADERS[ind.subject])
    if ind.count_label:
        spec["count"] = (ind.count_label, *(h for h in spec["count"] if h != ind.count_label))
    return spec


# Row checks


def _plate(cell: object) -> str | None:
    t = values.text(cell)
    if t is None:
        return None
    p = re.sub(r"[\s·.\-]", "", unicodedata.normalize("NFKC", t)).upper()
    if not _PLATE.fullmatch(p):
        raise values.ValueProblem(f"号牌号码“{t}”格式有误（如 皖K12345）")
    return p


def _id_number(cell: object) -> str | None:
    t = values.text(cell)
    if t is None:
        return None
    n = unicodedata.normalize("NFKC", t).replace(" ", "").upper()
    ok = re.fullmatch(r"\d{17}[\dX]", n) is not None
    if ok:
        check = "10X98765432"[sum(int(d) * w for d, w in zip(n, _ID_WEIGHTS, strict=False)) % 11]
        ok = n[-1] == check
    if not ok:
        raise values.ValueProblem("身份证明号码格式有误（应为 18 位，末位校验码须正确）")
    return n


def _seats(cell: object) -> int | None:
    return values.count(cell, "核定载客", 200)


def _owner(row: RowCheck) -> None:
    """所有人: an organisation is the enterprise (when 所属企业 is empty); a person is a name."""
    owner = row.text("owner")
    row.out.setdefault("name", None)
    if owner is None:
        return
    if _ORGANISATION.search(owner):
        if row.out.get("enterprise") is None:
            row.out["enterprise"] = owner
    else:
        row.out["name"] = owner


def _vehicle_kind(row: RowCheck) -> None:
    ctx: Context = row.env
    kinds = [k.name for k in ctx.config.vehicle_kinds]
    given = row.out.get("vehicle_kind")
    if given is not None:
        if given not in kinds:
            row.problem("vehicle_kind", f"重点车辆类别须为：{'、'.join(kinds)}")
        return
    found = ctx.indicator.vehicle_kind or ctx.config.kind_of(
        row.out.get("use_nature"), row.out.get("vehicle_type")
    )
    if found is None:
        row.problem(
            "vehicle_kind",
            "无法确定重点车辆类别：请增加“重点车辆类别”列（可选："
            f"{'、'.join(kinds)}），或在“使用性质”“车辆类型”中注明",
        )
    row.out["vehicle_kind"] = found


def _licence(row: RowCheck) -> None:
    ctx: Context = row.env
    cls = row.out.get("licence_class")
    ab = cls is not None and any(c in cls.upper() for c in AB_CLASSES)
    row.out["ab_class"] = ab if cls is not None else None
    if ctx.indicator.ab_only and not ab:
        row.problem("licence_class", "本指标只统计 A、B 类驾驶人（准驾车型含 A1/A2/A3/B1/B2）")


def _unit(row: RowCheck) -> None:
    ctx: Context = row.env
    if row.text("unit") is None and len(ctx.scope) == 1:
        row.out["unit_adcode"] = ctx.scope[0]
        return
    checks.unit(row, "所属区县为空或不是本市的单位", None, if_new=False)
    found = row.out.get("unit_adcode")
    if found is not None and found not in ctx.scope and "unit" not in row.failed:
        row.problem(
            "unit", f"本次导入的是{ctx.city.unit(ctx.scope[0]).name}的清单，该行属于其他单位"
        )


# a status saying the work is done, and words saying it is not (yet), or only ordered or possible
_DONE = ("已", "完毕", "完成", "办结")
_NOT_DONE = ("未", "逾期", "待", "不", "没有", "无", "中", "限期", "责令", "达到", "可")


def _nearly_cleared(status: str | None, words: tuple[str, ...]) -> bool:
    """A status saying a clearing word's work is done without being that word (检验完毕, 已 检验
    for 已检验). Statuses of work not done, under way, ordered or possible (未检验, 处理中, 责令整改,
    达到报废标准, 注销可恢复) are a hazard's statuses, not near misses."""
    if not status or status in words or any(n in status for n in _NOT_DONE):
        return False
    if not any(d in status for d in _DONE):
        return False
    squeezed = "".join(status.split())
    return any(squeezed == w or w.removeprefix("已") in squeezed for w in words)


def _status(row: RowCheck) -> None:
    """The row's clearing word (None: the subject is a hazard on the list's date)."""
    ctx: Context = row.env
    ind = ctx.indicator
    status = row.text("status")
    word = status if status in ind.clear_words else None
    detail: dict = {}
    if ind.min_count is not None:
        n = row.read("count", values.count, ind.count_label, MAX_COUNT)
        if n is None and "count" not in row.failed:
            row.problem("count", f"缺少{ind.count_label}")
        elif n is not None:
            detail["count"] = n
            if n < ind.min_count and word is None:
                word = ind.clear_words[0] if ind.clear_words else "已处理"
    if word is None and _nearly_cleared(status, ind.clear_words):  # (after the count's rule)
        row.warn(
            "status",
            status,
            f"“{status}”不是本指标的清零用语（{'、'.join(ind.clear_words)}），按仍存在隐患计；"
            "已清零的请改为清零用语后重新导入",
        )
    for f in ("due",):
        if (d := row.read(f, values.parse_date)) is not None:
            detail[f] = d.isoformat()
    if (p := row.read("points", values.count, "累积记分", 1000)) is not None:
        detail["points"] = p
    if ind.sightings:
        at = row.read("sighted_at", values.parse_datetime)
        if at is None and "sighted_at" not in row.failed:
            row.problem("sighted_at", "缺少抓拍时间（已注销或报废车辆上路须有抓拍记录为证）")
        elif at is not None and at.date() > ctx.as_of:
            row.problem("sighted_at", f"抓拍时间晚于清单日期 {ctx.as_of}，请核对")
            at = None
        detail["sighting"] = [at.isoformat(sep=" ") if at else None, row.text("sighted_place")]
    row.out["status"], row.out["word"], row.out["detail"] = status, word, detail


def _key(row: RowCheck) -> None:
    ctx: Context = row.env
    subject = ctx.indicator.subject
    value = row.out.get(KEY_FIELD[subject])
    key = None if value is None else f"{subject[0].upper()}:{value}"
    row.out["subject_key"] = key
    sighting = row.out["detail"].get("sighting") if ctx.indicator.sightings else None
    row.out["row_key"] = f"{value} {sighting[0]}" if value and sighting else value


DECLARATIONS = {
    "vehicle": rules.Declaration(
        steps=(
            Column("plate", parse=_plate, required="缺少号牌号码"),
            Column("plate_kind"),
            Column("vehicle_kind"),
            Column("vehicle_type"),
            Column("use_nature"),
            Column("seats", parse=_seats),
            Column("enterprise"),
            Column("phone"),
            _owner,
            _vehicle_kind,
            _unit,
            _status,
            _key,
        ),
        stored=SUBJECT_FIELDS,
    ),
    "driver": rules.Declaration(
        steps=(
            Column("name", required="缺少姓名"),
            Column("id_number", parse=_id_number, required="缺少身份证明号码"),
            Column("licence_class", required="缺少准驾车型"),
            Column("enterprise"),
            Column("phone"),
            _licence,
            _unit,
            _status,
            _key,
        ),
        stored=SUBJECT_FIELDS,
    ),
    "enterprise": rules.Declaration(
        steps=(
            Column("name", required="缺少企业名称"),
            Column("licence_no"),
            Column("enterprise_kind"),
            Column("phone"),
            _unit,
            _status,
            _key,
        ),
        stored=SUBJECT_FIELDS,
    ),
}


# The plan and the write


def _plan(
    conn: duckdb.DuckDBPyConnection, ctx: Context, as_of: date, records: list[dict]
) -> SnapshotPlan:
    ind = ctx.indicator
    _check_date(conn, ind, ctx.scope, as_of, date.max, ctx.city)  # again, inside the transaction
    p = SnapshotPlan()
    listed: dict[str, str | None] = {}
    for rec in records:
        s = rec["subject_key"]
        row = p.rows.setdefault(
            s, {"unit": rec["unit_adcode"], "status": rec["status"], "detail": {}}
        )
        detail = dict(rec["detail"])
        if "sighting" in detail:
            row["detail"].setdefault("sightings", []).append(detail.pop("sighting"))
        row["detail"].update(detail)
        # a subject named both as a hazard and as cleared (sightings) is a hazard
        listed[s] = rec["word"] if listed.get(s, rec["word"]) is not None else None
        p.subjects[s] = {
            "subject": ind.subject,
            "unit_adcode": rec["unit_adcode"],
            **{f: rec.get(f) for f in SUBJECT_FIELDS if f in rec["_given"] or f == "ab_class"},
        }
    open_here = cases.open_cases(conn, ind.code, list(ctx.scope))
    elsewhere = _open_elsewhere(
        conn, ind.code, ctx.scope, [s for s in listed if s not in open_here]
    )
    for s, unit in elsewhere.items():
        row = next(r["_row"] for r in records if r["subject_key"] == s)
        p.refuse(
            row,
            "",
            s.split(":", 1)[1],
            f"该对象在{ctx.city.unit(unit).name}已有未清零的“{ind.name}”案件",
        )
        listed.pop(s)
    # a case cleared (by hand) after this list's date still covered the subject on that date
    for s, cleared_on in conn.execute(
        "SELECT subject_key, max(cleared_on) FROM source_cases WHERE indicator = ?"
        " AND cleared_on > ? AND subject_key IN (SELECT unnest(?::VARCHAR[])) GROUP BY ALL",
        [ind.code, as_of, [s for s in listed if s not in open_here and listed[s] is None]],
    ).fetchall():
        listed.pop(s)
        p.warnings.append(
            common.Problem(
                next(r["_row"] for r in records if r["subject_key"] == s),
                "",
                s.split(":", 1)[1] if not s.startswith("D:") else pii.mask_number(s[2:]),
                f"该对象的案件已于 {cleared_on} 清零，晚于本清单日期，不新增案件",
            )
        )
    cleared_before = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT subject_key FROM source_cases WHERE indicator = ? AND state = ?",
            [ind.code, cases.CLEARED],
        ).fetchall()
    }
    out = cases.outcome({s: c for s, (c, _u) in open_here.items()}, listed, cleared_before)
    versions = dict(
        conn.execute(
            "SELECT case_id, version FROM source_cases WHERE case_id IN (SELECT unnest(?::BIGINT[]))",
            [[c for c, _s, _h in out.cleared]],
        ).fetchall()
    )
    p.inserts = [{"row_key": s, "subject_key": s, "unit": p.rows[s]["unit"]} for s in out.opened]
    p.reappeared = out.reappeared
    for case_id, s, how in out.cleared:
        unit = open_here[s][1]
        p.updates.append(
            plan.Update(
                {"row_key": s, "case_id": case_id, "how": how, "unit": unit},
                {"version": versions[case_id]},
                {"state": [cases.OPEN, cases.CLEARED]},
            )
        )
        p.changes.append(
            plan.Change(_shown(s, conn), "state", "清零状态", "未清零", f"已清零（{how}）")
        )
    p.unchanged = len(out.still_open)
    if out.cleared_without_case:
        p.warnings.append(
            common.Problem(
                0,
                "",
                "",
                f"{out.cleared_without_case} 行标注已清零，但没有对应的未清零案件，未作处理",
            )
        )
    return p


def _open_elsewhere(
    conn: duckdb.DuckDBPyConnection, indicator: str, scope: tuple[str, ...], subjects: list[str]
) -> dict[str, str]:
    rows = conn.execute(
        "SELECT subject_key, unit_adcode FROM source_cases WHERE indicator = ? AND state IN (?, ?)"
        " AND subject_key IN (SELECT unnest(?::VARCHAR[]))"
        " AND unit_adcode NOT IN (SELECT unnest(?::VARCHAR[]))",
        [indicator, *cases.OPEN_STATES, subjects, list(scope)],
    ).fetchall()
    return dict(rows)


def _shown(subject_key: str, conn: duckdb.DuckDBPyConnection) -> str:
    """How a preview names a subject: a plate or an enterprise as it is, a person masked."""
    kind, value = subject_key.split(":", 1)
    if kind != "D":
        return value
    name = conn.execute(
        "SELECT name FROM source_subjects WHERE subject_key = ?", [subject_key]
    ).fetchone()
    return f"{pii.mask_name(name[0]) if name else ''} {pii.mask_number(value)}".strip()


def _write(
    conn: duckdb.DuckDBPyConnection,
    ctx: Context,
    result: ImportResult,
    p: SnapshotPlan,
    as_of: date,
    now: datetime,
) -> None:
    ind, actor = ctx.indicator, ctx.user.actor
    import_id = plan.record_import(conn, kind(ind.code, as_of, ctx.scope), ctx.user, result, p, now)
    _save_subjects(conn, p.subjects, now)
    snapshot = {}
    for unit in ctx.scope:
        here = [s for s, r in p.rows.items() if r["unit"] == unit]
        snapshot[unit] = conn.execute(
            "INSERT INTO source_snapshots (indicator, unit_adcode, as_of, import_id, listed,"
            " cleared, opened) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING snapshot_id",
            [
                ind.code,
                unit,
                as_of,
                import_id,
                len(here),
                sum(u.record["unit"] == unit for u in p.updates),
                sum(r["unit"] == unit for r in p.inserts),
            ],
        ).fetchone()[0]
    for s, r in p.rows.items():
        conn.execute(
            "INSERT INTO source_snapshot_rows (snapshot_id, subject_key, status, detail)"
            " VALUES (?, ?, ?, ?)",
            [snapshot[r["unit"]], s, r["status"], json.dumps(r["detail"], ensure_ascii=False)],
        )
    for rec in p.inserts:
        s = rec["subject_key"]
        cases.open_case(
            conn,
            ind.code,
            s,
            rec["unit"],
            as_of,
            actor,
            now,
            snapshot_id=snapshot[rec["unit"]],
            note="清零后再次列入清单" if s in p.reappeared else None,
        )
    for u in p.updates:
        cases.clear_case(
            conn,
            u.record["case_id"],
            as_of,
            u.record["how"],
            actor,
            now,
            snapshot_id=snapshot[u.record["unit"]],
        )
    conn.execute(
        "UPDATE imports SET rows_added = ?, rows_updated = ? WHERE import_id = ?",
        [result.inserted, result.updated, import_id],
    )


def _save_subjects(
    conn: duckdb.DuckDBPyConnection, subjects: dict[str, dict], now: datetime
) -> None:
    """Insert new subjects; a known one takes the fields this list gives (never erased)."""
    for key, fields in subjects.items():
        names = [f for f in fields if f != "subject"]
        conn.execute(
            f"INSERT INTO source_subjects (subject_key, subject, {', '.join(names)}, updated_at)"  # noqa: S608 - fixed names
            f" VALUES (?, ?, {', '.join('?' for _ in names)}, ?) ON CONFLICT (subject_key) DO UPDATE SET"
            f" {', '.join(f'{f} = excluded.{f}' for f in names)}, updated_at = excluded.updated_at",
            [key, fields["subject"], *(fields[f] for f in names), now],
        )
