"""Importing road segments: route, stakes, path ("lon,lat;lon,lat;…"), unit. Segments are matched
by 路段编号 and never deleted; a route code seen for the first time becomes a route."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb

from analytics import access, geo
from analytics.accounts import auth
from analytics.city import City, boundaries
from analytics.ingest import common, headers, plan, values
from analytics.ingest.common import ImportResult, Problem

STORED = ("route_code", "name", "start_m", "end_m", "unit_adcode", "path")
_POINT = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)\s*")


def import_roads(
    conn: duckdb.DuckDBPyConnection,
    city: City,
    user: auth.User,
    file_name: str,
    data: bytes,
    *,
    now: datetime,
    **options: object,
) -> ImportResult:
    """Check every row; insert new segments and update changed ones in one transaction.
    Options: see analytics.ingest.common.Options."""
    features = boundaries(city)["features"]
    access.check(user, "import", access.home_unit(user))  # a leader imports nothing
    return common.run(
        conn, "roads", headers.ROAD_HEADERS, "segment_id",
        lambda raw, names, row: _record(city, user, features, raw, names, row),
        lambda records: plan.simple_plan(conn, user, records, table="road_segments",
                                         key="segment_id", id_label="路段编号", columns=STORED,
                                         labels=LABELS, merge=_merge),
        lambda result, p: _write(conn, user, result, p, now),
        file_name, data, common.Options(**{"today": now.date(), **options}),
    )  # fmt: skip


LABELS = {"route_code": "路线编码", "name": "路段名称", "start_m": "起点桩号（米）",
          "end_m": "止点桩号（米）", "unit_adcode": "所属区县", "path": "路径"}  # fmt: skip


def _merge(before: dict, rec: dict) -> dict:
    """An update: the stored values where the row gives none (a segment keeps its name)."""
    merged = {**rec, **{c: before[c] for c in STORED if c not in rec["_given"]}}
    if merged["end_m"] < merged["start_m"]:  # one end given, beyond the stored other end
        merged["_given"] = rec["_given"] - {"start_m", "end_m"}
    return merged


def _record(city, user, features, raw, names, row):  # noqa: ANN001, ANN202, PLR0913
    out: dict = {}
    problems: list[Problem] = []
    if_new: list[Problem] = []  # refuse the row only when its id is not in the store

    def problem(f: str, message: str, to: list[Problem] = problems) -> None:
        to.append(Problem(row, names.get(f, f), str(values.text(raw.get(f)) or ""), message))

    out["segment_id"] = values.text(raw.get("segment_id"))
    if not out["segment_id"]:
        problem("segment_id", "缺少路段编号")
    out["route_code"] = values.text(raw.get("route_code"))
    if not out["route_code"]:
        problem("route_code", "缺少路线编码", if_new)
    out["route_name"] = values.text(raw.get("route_name"))
    out["road_class"] = values.text(raw.get("road_class"))
    texts = [values.text(raw.get(f)) for f in ("stakes", "start_stake", "end_stake")]
    if texts[0]:
        pair = geo.parse_stake_range(texts[0])
        start, end = pair if pair else (None, None)
    else:
        start = geo.parse_stake(texts[1] or "")
        end = geo.parse_stake(texts[2] or "")
    if start is None or end is None:
        problem("start_stake" if "start_stake" in names else "stakes", "缺少或无法识别起止桩号",
                problems if any(texts) else if_new)  # fmt: skip
    elif end < start:
        problem("end_stake" if "end_stake" in names else "stakes", "止点桩号小于起点桩号")
    out["start_m"], out["end_m"] = start, end
    path_text = values.text(raw.get("path"))
    out["path"] = None
    if path_text:
        points = [_POINT.fullmatch(p) for p in re.split(r"[;；|]", path_text) if p.strip()]
        if len(points) < 2 or not all(points):
            problem("path", "路径须为至少两个“经度,纬度”点，用分号分隔")
        else:
            try:
                system = geo.normalize_coord_system(
                    values.text(raw.get("coord_system")) or raw.get("_file_coord_system") or "WGS84"
                )
            except ValueError as e:
                problem("coord_system", str(e))
            else:
                pairs = [(float(m.group(1)), float(m.group(2))) for m in points]
                far = next(filter(None, (common.far_from_city(x, y, city) for x, y in pairs)), None)
                if far:
                    problem("path", far)
                else:
                    out["path"] = [
                        [round(c, 6) for c in geo.to_wgs84(x, y, system)] for x, y in pairs
                    ]
    unit_text = values.text(raw.get("unit"))
    unit = city.resolve_unit(unit_text)
    if unit is None and unit_text is None and out["path"]:
        middle = out["path"][len(out["path"]) // 2]
        unit = city.resolve_unit(geo.locate_unit(*middle, features, key="unit_code"))
    if unit is None:
        problem("unit", "所属区县为空或不是本市的单位，且路径不在本市任何区县内",
                problems if unit_text or out["path"] else if_new)  # fmt: skip
    elif not access.can(user, "import", unit.adcode):
        problem("unit", f"区县大队账号只能导入本单位（{city.unit(user.unit_adcode).name}）的数据")
    out["unit_adcode"] = unit.adcode if unit else None
    out["name"] = values.text(raw.get("name")) or (
        f"{out['route_name'] or out['route_code']} {geo.format_stake(start)}—{geo.format_stake(end)}"
        if start is not None and end is not None else None
    )  # fmt: skip
    if out["path"] is None and not problems and not values.text(raw.get("path")):
        problem("path", "缺少路径（地图上画出路段需要坐标）", if_new)
    given = {c for c in STORED if out[c] is not None}
    if not values.text(raw.get("name")):
        given.discard("name")  # made up from the route and stakes: a new segment's only
    out["_given"], out["_if_new"] = frozenset(given), if_new
    return out, problems, []


def _write(conn, user: auth.User, result: ImportResult, p: plan.Plan, now: datetime) -> None:  # noqa: ANN001
    """Apply the plan inside the caller's transaction; the updates' changes go to imports.note.
    A route seen for the first time becomes a route; a known one's stake range may grow."""
    import_id = plan.record_import(conn, "roads", user, result, p, now)
    for rec in p.inserts:
        conn.execute(
            f"INSERT INTO road_segments (segment_id, {', '.join(STORED)}, import_id)"  # noqa: S608
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [rec["segment_id"], *(rec[c] for c in STORED), import_id],
        )
    for u in p.updates:
        conn.execute(
            f"UPDATE road_segments SET {', '.join(f'{c} = ?' for c in u.diff)}, import_id = ?"  # noqa: S608 - STORED names
            " WHERE segment_id = ?",
            [*(v[1] for v in u.diff.values()), import_id, u.record["segment_id"]],
        )
    for rec in [*p.inserts, *(u.record for u in p.updates)]:
        conn.execute(
            "INSERT INTO routes (route_code, name, road_class, start_m, end_m, provenance)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (route_code) DO UPDATE SET"
            " start_m = least(routes.start_m, excluded.start_m),"
            " end_m = greatest(routes.end_m, excluded.end_m)",
            [rec["route_code"], rec.get("route_name") or rec["route_code"],
             rec.get("road_class") or "未注明", rec["start_m"], rec["end_m"],
             f"导入：{result.file}"],
        )  # fmt: skip
    conn.execute(
        "UPDATE imports SET rows_added = ?, rows_updated = ? WHERE import_id = ?",
        [result.inserted, result.updated, import_id],
    )
