"""Importing accident extracts: 事故编号, time, place (route + 公里数/米数 or 桩号, or
coordinates), casualties and loss. Rows without a usable date or place are reported, never
dropped in silence; accidents are matched by 事故编号 and never deleted."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from analytics import access, geo
from analytics.accounts import auth
from analytics.city import City, boundaries
from analytics.ingest import checks, common, headers, plan, plausible, rules, values
from analytics.ingest.common import ImportResult
from analytics.ingest.rules import Column, RowCheck
from analytics.ingest.values import ValueProblem

SEVERITIES = ("财产损失事故", "伤人事故", "死亡事故")
PROCEDURES = ("简易程序", "一般程序")
STORED = (
    "occurred_at",
    "unit_adcode",
    "road_name",
    "route_code",
    "stake_m",
    "lon",
    "lat",
    "coord_source",
    "deaths",
    "injuries",
    "loss_yuan",
    "collision_type",
    "weather",
    "severity",
    "procedure",
    "legacy_grade",
)
_SCHEMA = pa.schema(
    [
        ("accident_id", pa.string()),
        ("occurred_at", pa.timestamp("us")),
        ("unit_adcode", pa.string()),
        ("road_name", pa.string()),
        ("route_code", pa.string()),
        ("stake_m", pa.int64()),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
        ("coord_source", pa.string()),
        ("deaths", pa.int64()),
        ("injuries", pa.int64()),
        ("loss_yuan", pa.float64()),
        ("collision_type", pa.string()),
        ("weather", pa.string()),
        ("severity", pa.string()),
        ("procedure", pa.string()),
        ("legacy_grade", pa.string()),
        ("import_id", pa.int64()),
    ]
)


def import_accidents(
    conn: duckdb.DuckDBPyConnection,
    city: City,
    user: auth.User,
    file_name: str,
    data: bytes,
    *,
    now: datetime,
    **options: object,
) -> ImportResult:
    """Check every row; insert new accidents and update changed ones in one transaction.
    Options: see analytics.ingest.common.Options."""
    features = boundaries(city)["features"]
    access.check(user, "import", access.home_unit(user))  # a leader imports nothing
    context = checks.Context(city, user, features)
    return common.run(
        conn,
        "accidents",
        headers.ACCIDENT_HEADERS,
        "accident_id",
        lambda raw, names, row: rules.check_row(ROWS, raw, names, row, context),
        lambda records: plan.simple_plan(
            conn,
            user,
            records,
            table="accidents",
            key="accident_id",
            id_label="事故编号",
            columns=STORED,
            labels=LABELS,
            merge=_merge,
        ),
        lambda result, p: _write(conn, user, result, p, now),
        file_name,
        data,
        common.Options(**{"today": now.date(), **options}),
    )


LABELS = {
    "occurred_at": "事故时间",
    "unit_adcode": "所属区县",
    "road_name": "道路名称",
    "route_code": "路线编码",
    "stake_m": "桩号（米）",
    "lon": "经度",
    "lat": "纬度",
    "coord_source": "坐标系",
    "deaths": "死亡人数",
    "injuries": "受伤人数",
    "loss_yuan": "直接财产损失(元)",
    "collision_type": "事故形态",
    "weather": "天气",
    "severity": "事故严重程度",
    "procedure": "处理程序",
    "legacy_grade": "事故等级",
}


def _severity(deaths: int, injuries: int) -> str:
    return "死亡事故" if deaths else "伤人事故" if injuries else "财产损失事故"


def _merge(before: dict, rec: dict) -> dict:
    """An update: the stored values where the row gives none, the severity from the result."""
    merged = {**rec, **{c: before[c] for c in STORED if c not in rec["_given"]}}
    merged["severity"] = _severity(merged["deaths"] or 0, merged["injuries"] or 0)
    return {**merged, "_given": rec["_given"] | {"severity"}}


def _occurred_at(row: RowCheck) -> None:
    """事故时间, or 事故日期 with 时间 (a time that cannot be read is the date column's problem)."""
    when = "occurred_at" if row.raw.get("occurred_at") is not None else "occurred_date"
    try:
        row.out["occurred_at"] = values.parse_datetime(
            row.raw.get(when), row.raw.get("occurred_time")
        )
    except ValueProblem as e:
        row.out["occurred_at"] = None
        row.problem(when, str(e))
    else:
        if row.out["occurred_at"] is None:
            row.problem(when, "缺少事故时间", if_new=True)


def _stake(row: RowCheck) -> None:
    """stake_m from 公里数 and 米数, or from 桩号."""
    s = None
    if row.text("km") is not None:
        s = geo.stake_from_km_m(row.raw.get("km"), row.raw.get("m"))
        if s is None:
            row.problem("km", "无法识别的公里数/米数")
    elif row.text("stake") is not None:
        s = geo.parse_stake(row.text("stake"))
        if s is None:
            row.problem("stake", "无法识别的桩号（例：K12+300）")
    row.out["stake_m"] = s


def _unit(row: RowCheck) -> None:
    out = row.out
    checks.unit(
        row,
        "所属区县为空或不是本市的单位，且坐标不在本市任何区县内",
        None if out["lon"] is None else (out["lon"], out["lat"]),
        if_new=row.text("unit") is None,
    )


_PLACE_CELLS = ("km", "stake", "lon", "coord_system")


def _place(row: RowCheck) -> None:
    """A stake or a point (an unreadable one is its own problem, said once)."""
    if row.out["stake_m"] is None and row.out["lon"] is None and not row.any_failed(_PLACE_CELLS):
        row.problem(
            "lon", "没有可用的位置：请填写路线编码和桩号（或公里数、米数），或经纬度", if_new=True
        )


def _severity_matches(row: RowCheck) -> None:
    """事故严重程度 follows from the casualties (a stated one must agree); given only with them."""
    out = row.out
    derived = _severity(out["deaths"], out["injuries"])
    stated = out["severity"]
    if stated and stated != derived:  # an unknown word is its own problem (stated is None)
        row.problem(
            "severity",
            f"与伤亡人数不符：死亡 {out['deaths']} 人、受伤 {out['injuries']} 人应为{derived}",
        )
    out["severity"] = derived
    if not (row.given("deaths") or row.given("injuries")):
        row.derived.add("severity")


def _procedure_fits(row: RowCheck) -> None:
    if row.out["deaths"] and row.out["procedure"] == "简易程序":
        row.problem("procedure", "死亡事故不能适用简易程序")


def _casualties(field: str, label: str) -> Column:
    limit = plausible.MAX_CASUALTIES
    return Column(field, lambda cell: values.count(cell, label, limit), default=0)


# One accident row: the problems of a row are reported in this order.
ROWS = rules.Declaration(
    steps=(
        Column("accident_id", required="缺少事故编号"),
        _occurred_at,
        *(
            Column(f)
            for f in ("road_name", "route_code", "collision_type", "weather", "legacy_grade")
        ),
        _casualties("deaths", "死亡人数"),
        _casualties("injuries", "受伤人数"),
        Column("loss_yuan", lambda cell: values.number(cell, "直接财产损失")),
        _stake,
        checks.coordinates,
        _unit,
        _place,
        Column(
            "severity",
            check=rules.one_of(SEVERITIES, f"事故严重程度须为{'、'.join(SEVERITIES)}之一"),
        ),
        _severity_matches,
        Column("procedure", check=rules.one_of(PROCEDURES, "处理程序须为简易程序或一般程序")),
        _procedure_fits,
    ),
    stored=STORED,
)


def _record(city, user, features, raw, names, row):  # ANN202, PLR0913
    """One row as accident columns, with its problems and warnings (what import_accidents does)."""
    return rules.check_row(ROWS, raw, names, row, checks.Context(city, user, features))


def _write(conn, user: auth.User, result: ImportResult, p: plan.Plan, now: datetime) -> None:
    """Apply the plan inside the caller's transaction; the updates' changes go to imports.note."""
    import_id = plan.record_import(conn, "accidents", user, result, p, now)
    for u in p.updates:
        conn.execute(
            f"UPDATE accidents SET {', '.join(f'{c} = ?' for c in u.diff)}, import_id = ?"  # STORED names  # noqa: S608
            " WHERE accident_id = ?",
            [*(v[1] for v in u.diff.values()), import_id, u.record["accident_id"]],
        )
    if p.inserts:
        rows = [{**r, "import_id": import_id} for r in p.inserts]
        conn.register("upload_rows", pa.Table.from_pylist(rows, schema=_SCHEMA))
        try:
            conn.execute("INSERT INTO accidents BY NAME SELECT * FROM upload_rows")
        finally:
            conn.unregister("upload_rows")
    conn.execute(
        "UPDATE imports SET rows_added = ?, rows_updated = ? WHERE import_id = ?",
        [result.inserted, result.updated, import_id],
    )
