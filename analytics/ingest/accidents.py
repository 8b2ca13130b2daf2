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
from analytics.ingest import common, headers, plan, plausible, values
from analytics.ingest.common import ImportResult, Problem
from analytics.ingest.values import ValueProblem

SEVERITIES = ("财产损失事故", "伤人事故", "死亡事故")
PROCEDURES = ("简易程序", "一般程序")
STORED = ("occurred_at", "unit_adcode", "road_name", "route_code", "stake_m", "lon", "lat",
          "coord_source", "deaths", "injuries", "loss_yuan", "collision_type", "weather",
          "severity", "procedure", "legacy_grade")  # fmt: skip
_SCHEMA = pa.schema(
    [("accident_id", pa.string()), ("occurred_at", pa.timestamp("us")), ("unit_adcode", pa.string()),
     ("road_name", pa.string()), ("route_code", pa.string()), ("stake_m", pa.int64()),
     ("lon", pa.float64()), ("lat", pa.float64()), ("coord_source", pa.string()),
     ("deaths", pa.int64()), ("injuries", pa.int64()), ("loss_yuan", pa.float64()),
     ("collision_type", pa.string()), ("weather", pa.string()), ("severity", pa.string()),
     ("procedure", pa.string()), ("legacy_grade", pa.string()), ("import_id", pa.int64())]
)  # fmt: skip


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
    return common.run(
        conn, "accidents", headers.ACCIDENT_HEADERS, "accident_id",
        lambda raw, names, row: _record(city, user, features, raw, names, row),
        lambda records: plan.simple_plan(conn, user, records, table="accidents",
                                         key="accident_id", id_label="事故编号", columns=STORED,
                                         labels=LABELS, merge=_merge),
        lambda result, p: _write(conn, user, result, p, now),
        file_name, data, common.Options(**{"today": now.date(), **options}),
    )  # fmt: skip


LABELS = {"occurred_at": "事故时间", "unit_adcode": "所属区县", "road_name": "道路名称",
          "route_code": "路线编码", "stake_m": "桩号（米）", "lon": "经度", "lat": "纬度",
          "coord_source": "坐标系", "deaths": "死亡人数", "injuries": "受伤人数",
          "loss_yuan": "直接财产损失(元)", "collision_type": "事故形态", "weather": "天气",
          "severity": "事故严重程度", "procedure": "处理程序", "legacy_grade": "事故等级"}  # fmt: skip


def _severity(deaths: int, injuries: int) -> str:
    return "死亡事故" if deaths else "伤人事故" if injuries else "财产损失事故"


def _merge(before: dict, rec: dict) -> dict:
    """An update: the stored values where the row gives none, the severity from the result."""
    merged = {**rec, **{c: before[c] for c in STORED if c not in rec["_given"]}}
    merged["severity"] = _severity(merged["deaths"] or 0, merged["injuries"] or 0)
    return {**merged, "_given": rec["_given"] | {"severity"}}


def _record(city, user, features, raw, names, row):  # noqa: ANN001, ANN202, PLR0913, C901
    out: dict = {}
    problems: list[Problem] = []
    warnings: list[Problem] = []
    if_new: list[Problem] = []  # refuse the row only when its id is not in the store

    def problem(f: str, message: str, value: object = None, to: list = problems) -> None:
        shown = values.text(raw.get(f)) if value is None else value
        to.append(Problem(row, names.get(f, f), str(shown or ""), message))

    out["accident_id"] = values.text(raw.get("accident_id"))
    if not out["accident_id"]:
        problem("accident_id", "缺少事故编号")
    when_field = "occurred_at" if raw.get("occurred_at") is not None else "occurred_date"
    try:
        out["occurred_at"] = values.parse_datetime(raw.get(when_field), raw.get("occurred_time"))
    except ValueProblem as e:
        out["occurred_at"] = None
        problem(when_field, str(e))
    else:
        if out["occurred_at"] is None:
            problem(when_field, "缺少事故时间", to=if_new)
    for f in ("road_name", "route_code", "collision_type", "weather", "legacy_grade"):
        out[f] = values.text(raw.get(f))
    for f, label in (("deaths", "死亡人数"), ("injuries", "受伤人数")):
        try:
            out[f] = values.count(raw.get(f), label, plausible.MAX_CASUALTIES)
        except ValueProblem as e:
            problem(f, str(e))
            out[f] = None
    try:
        out["loss_yuan"] = values.number(raw.get("loss_yuan"), "直接财产损失")
    except ValueProblem as e:
        problem("loss_yuan", str(e))
        out["loss_yuan"] = None
    given = {c for c in ("deaths", "injuries") if out[c] is not None}
    out["deaths"] = int(out["deaths"] or 0)
    out["injuries"] = int(out["injuries"] or 0)
    before_place = len(problems)
    out["stake_m"] = _stake(raw, problem)
    out["lon"], out["lat"], out["coord_source"] = common.coordinates(
        raw, names, row, problem, warnings, city
    )
    place_reported = len(problems) > before_place  # an unreadable stake or point: said once
    unit_text = values.text(raw.get("unit"))
    unit = city.resolve_unit(unit_text)
    if unit is None and unit_text is None and out["lon"] is not None:
        code = geo.locate_unit(out["lon"], out["lat"], features, key="unit_code")
        unit = city.resolve_unit(code)
    if unit is None:
        problem("unit", "所属区县为空或不是本市的单位，且坐标不在本市任何区县内",
                to=problems if unit_text else if_new)  # fmt: skip
    elif not access.can(user, "import", unit.adcode):
        problem("unit", f"区县大队账号只能导入本单位（{city.unit(user.unit_adcode).name}）的数据")
    out["unit_adcode"] = unit.adcode if unit else None
    if out["stake_m"] is None and out["lon"] is None and not place_reported:
        problem(
            "lon", "没有可用的位置：请填写路线编码和桩号（或公里数、米数），或经纬度", to=if_new
        )
    derived = _severity(out["deaths"], out["injuries"])
    stated = values.text(raw.get("severity"))
    if stated and stated not in SEVERITIES:
        problem("severity", f"事故严重程度须为{'、'.join(SEVERITIES)}之一")
    elif stated and stated != derived:
        problem(
            "severity",
            f"与伤亡人数不符：死亡 {out['deaths']} 人、受伤 {out['injuries']} 人应为{derived}",
        )
    out["severity"] = derived
    out["procedure"] = values.text(raw.get("procedure"))
    if out["procedure"] and out["procedure"] not in PROCEDURES:
        problem("procedure", "处理程序须为简易程序或一般程序")
    if out["deaths"] and out["procedure"] == "简易程序":
        problem("procedure", "死亡事故不能适用简易程序")
    given |= {
        c for c in STORED if c not in ("deaths", "injuries", "severity") and out[c] is not None
    }
    if given & {"deaths", "injuries"}:
        given.add("severity")
    out["_given"], out["_if_new"] = frozenset(given), if_new
    return out, problems, warnings


def _stake(raw: dict, problem) -> int | None:  # noqa: ANN001
    if values.text(raw.get("km")) is not None:
        s = geo.stake_from_km_m(raw.get("km"), raw.get("m"))
        if s is None:
            problem("km", "无法识别的公里数/米数")
        return s
    if values.text(raw.get("stake")) is not None:
        s = geo.parse_stake(values.text(raw["stake"]))
        if s is None:
            problem("stake", "无法识别的桩号（例：K12+300）")
        return s
    return None


def _write(conn, user: auth.User, result: ImportResult, p: plan.Plan, now: datetime) -> None:  # noqa: ANN001
    """Apply the plan inside the caller's transaction; the updates' changes go to imports.note."""
    import_id = plan.record_import(conn, "accidents", user, result, p, now)
    for u in p.updates:
        conn.execute(
            f"UPDATE accidents SET {', '.join(f'{c} = ?' for c in u.diff)}, import_id = ?"  # noqa: S608 - STORED names
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
