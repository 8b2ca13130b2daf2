"""Importing road segments: route, stakes, path ("lon,lat;lon,lat;…"), unit. Segments are matched
by 路段编号 and never deleted; a route code seen for the first time becomes a route."""

from __future__ import annotations

import json
import re
from datetime import datetime

import duckdb

from analytics import auth, geo
from analytics.city import City, boundaries
from analytics.db import transaction
from analytics.ingest import common, headers, values
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
    return common.run(
        conn, "roads", headers.ROAD_HEADERS, "segment_id",
        lambda raw, names, row: _record(city, user, features, raw, names, row),
        lambda result, records: _write(conn, user, result, records, now),
        file_name, data, common.Options(**{"today": now.date(), **options}),
    )  # fmt: skip


def _record(city, user, features, raw, names, row):  # noqa: ANN001, ANN202, PLR0913
    out: dict = {}
    problems: list[Problem] = []

    def problem(f: str, message: str) -> None:
        problems.append(Problem(row, names.get(f, f), str(values.text(raw.get(f)) or ""), message))

    out["segment_id"] = values.text(raw.get("segment_id"))
    if not out["segment_id"]:
        problem("segment_id", "缺少路段编号")
    out["route_code"] = values.text(raw.get("route_code"))
    if not out["route_code"]:
        problem("route_code", "缺少路线编码")
    out["route_name"] = values.text(raw.get("route_name"))
    out["road_class"] = values.text(raw.get("road_class"))
    if values.text(raw.get("stakes")):
        pair = geo.parse_stake_range(values.text(raw["stakes"]))
        start, end = pair if pair else (None, None)
    else:
        start = geo.parse_stake(values.text(raw.get("start_stake")) or "")
        end = geo.parse_stake(values.text(raw.get("end_stake")) or "")
    if start is None or end is None:
        problem("start_stake" if "start_stake" in names else "stakes", "缺少或无法识别起止桩号")
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
    unit = city.resolve_unit(values.text(raw.get("unit")))
    if unit is None and out["path"]:
        middle = out["path"][len(out["path"]) // 2]
        unit = city.resolve_unit(geo.locate_unit(*middle, features, key="unit_code"))
    if unit is None:
        problem("unit", "所属区县为空或不是本市的单位，且路径不在本市任何区县内")
    elif not auth.can(user, "import", unit.adcode):
        problem("unit", f"区县大队账号只能导入本单位（{city.unit(user.unit_adcode).name}）的数据")
    out["unit_adcode"] = unit.adcode if unit else None
    out["name"] = values.text(raw.get("name")) or (
        f"{out['route_name'] or out['route_code']} {geo.format_stake(start)}—{geo.format_stake(end)}"
        if start is not None and end is not None else None
    )  # fmt: skip
    if out["path"] is None and not problems:
        problem("path", "缺少路径（地图上画出路段需要坐标）")
    return out, problems, []


def _write(conn, user: auth.User, result: ImportResult, records: list[dict], now: datetime) -> None:  # noqa: ANN001
    with transaction(conn):
        import_id = conn.execute(
            "INSERT INTO imports (file_name, sha256, kind, unit_adcode, imported_by, imported_at,"
            " rows_read, rows_rejected) VALUES (?, ?, 'roads', ?, ?, ?, ?, ?) RETURNING import_id",
            [result.file, result.sha256, user.unit_adcode, user.actor, now, result.rows,
             result.rejected],
        ).fetchone()[0]  # fmt: skip
        for rec in records:
            old = conn.execute(
                f"SELECT {', '.join(STORED)} FROM road_segments WHERE segment_id = ?",  # noqa: S608 - fixed names
                [rec["segment_id"]],
            ).fetchone()
            values_ = [rec[c] for c in STORED]
            if old is None:
                conn.execute(
                    f"INSERT INTO road_segments (segment_id, {', '.join(STORED)}, import_id)"  # noqa: S608
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [rec["segment_id"], *values_, import_id],
                )
                result.inserted += 1
            elif json.dumps(list(old), default=str) != json.dumps(values_, default=str):
                conn.execute(
                    f"UPDATE road_segments SET {', '.join(f'{c} = ?' for c in STORED)},"  # noqa: S608
                    " import_id = ? WHERE segment_id = ?",
                    [*values_, import_id, rec["segment_id"]],
                )
                result.updated += 1
            else:
                result.unchanged += 1
            conn.execute(
                "INSERT INTO routes (route_code, name, road_class, start_m, end_m, provenance)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (route_code) DO UPDATE SET"
                " start_m = least(routes.start_m, excluded.start_m),"
                " end_m = greatest(routes.end_m, excluded.end_m)",
                [rec["route_code"], rec["route_name"] or rec["route_code"],
                 rec["road_class"] or "未注明", rec["start_m"], rec["end_m"],
                 f"导入：{result.file}"],
            )  # fmt: skip
        conn.execute(
            "UPDATE imports SET rows_added = ?, rows_updated = ? WHERE import_id = ?",
            [result.inserted, result.updated, import_id],
        )
    result.written = True
