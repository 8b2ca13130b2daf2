"""Importing road segments: route, stakes, path ("lon,lat;lon,lat;…"), unit. Segments are matched
by 路段编号 and never deleted; a route code seen for the first time becomes a route."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb

from analytics import access, geo
from analytics.accounts import auth
from analytics.city import City, boundaries
from analytics.ingest import checks, common, headers, plan, rules
from analytics.ingest.common import ImportResult
from analytics.ingest.rules import Column, RowCheck

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
    context = checks.Context(city, user, features)
    return common.run(
        conn,
        "roads",
        headers.ROAD_HEADERS,
        "segment_id",
        lambda raw, names, row: rules.check_row(ROWS, raw, names, row, context),
        lambda records: plan.simple_plan(
            conn,
            user,
            records,
            table="road_segments",
            key="segment_id",
            id_label="路段编号",
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
    "route_code": "路线编码",
    "name": "路段名称",
    "start_m": "起点桩号（米）",
    "end_m": "止点桩号（米）",
    "unit_adcode": "所属区县",
    "path": "路径",
}


def _merge(before: dict, rec: dict) -> dict:
    """An update: the stored values where the row gives none (a segment keeps its name)."""
    merged = {**rec, **{c: before[c] for c in STORED if c not in rec["_given"]}}
    if merged["end_m"] < merged["start_m"]:  # one end given, beyond the stored other end
        merged["_given"] = rec["_given"] - {"start_m", "end_m"}
    return merged


def _stakes(row: RowCheck) -> None:
    """start_m, end_m from 起止桩号, or 起点桩号 and 止点桩号: both needed, the end not before
    the start."""
    texts = [row.text(f) for f in ("stakes", "start_stake", "end_stake")]
    if texts[0]:
        pair = geo.parse_stake_range(texts[0])
        start, end = pair if pair else (None, None)
    else:
        start = geo.parse_stake(texts[1] or "")
        end = geo.parse_stake(texts[2] or "")
    if start is None or end is None:
        row.problem(
            "start_stake" if "start_stake" in row.names else "stakes",
            "缺少或无法识别起止桩号",
            if_new=not any(texts),
        )
    elif end < start:
        row.problem("end_stake" if "end_stake" in row.names else "stakes", "止点桩号小于起点桩号")
    row.out["start_m"], row.out["end_m"] = start, end


def _path(row: RowCheck) -> None:
    """路径: at least two "lon,lat" points near the city, stored in WGS-84."""
    row.out["path"] = None
    path_text = row.text("path")
    if not path_text:
        return
    points = [_POINT.fullmatch(p) for p in re.split(r"[;；|]", path_text) if p.strip()]
    if len(points) < 2 or not all(points):
        row.problem("path", "路径须为至少两个“经度,纬度”点，用分号分隔")
        return
    system = checks.coord_system(row)
    if system is None:
        return
    pairs = [(float(m.group(1)), float(m.group(2))) for m in points]
    city = row.env.city
    far = next(filter(None, (checks.far_from_city(x, y, city) for x, y in pairs)), None)
    if far:
        row.problem("path", far)
    else:
        row.out["path"] = [[round(c, 6) for c in geo.to_wgs84(x, y, system)] for x, y in pairs]


def _unit(row: RowCheck) -> None:
    path = row.out["path"]
    checks.unit(
        row,
        "所属区县为空或不是本市的单位，且路径不在本市任何区县内",
        tuple(path[len(path) // 2]) if path else None,
        if_new=row.text("unit") is None and not path,
    )


def _name(row: RowCheck) -> None:
    """路段名称, else made up from the route and stakes (a new segment's only: never given)."""
    out = row.out
    out["name"] = row.text("name")
    start, end = out["start_m"], out["end_m"]
    if out["name"] is None and start is not None and end is not None:
        route = out["route_name"] or out["route_code"]
        out["name"] = f"{route} {geo.format_stake(start)}—{geo.format_stake(end)}"
        row.derived.add("name")


def _path_given(row: RowCheck) -> None:
    """A new segment needs a path (said only when nothing else is wrong with the row)."""
    if row.out["path"] is None and not row.problems and not row.text("path"):
        row.problem("path", "缺少路径（地图上画出路段需要坐标）", if_new=True)


# One road-segment row: the problems of a row are reported in this order.
ROWS = rules.Declaration(
    steps=(
        Column("segment_id", required="缺少路段编号"),
        Column("route_code", required="缺少路线编码", if_new=True),
        Column("route_name"),
        Column("road_class"),
        _stakes,
        _path,
        _unit,
        _name,
        _path_given,
    ),
    stored=STORED,
)


def _record(city, user, features, raw, names, row):  # ANN202, PLR0913
    """One row as segment columns, with its problems (what import_roads does)."""
    return rules.check_row(ROWS, raw, names, row, checks.Context(city, user, features))


def _write(conn, user: auth.User, result: ImportResult, p: plan.Plan, now: datetime) -> None:
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
            f"UPDATE road_segments SET {', '.join(f'{c} = ?' for c in u.diff)}, import_id = ?"  # STORED names  # noqa: S608
            " WHERE segment_id = ?",
            [*(v[1] for v in u.diff.values()), import_id, u.record["segment_id"]],
        )
    for rec in [*p.inserts, *(u.record for u in p.updates)]:
        conn.execute(
            "INSERT INTO routes (route_code, name, road_class, start_m, end_m, provenance)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (route_code) DO UPDATE SET"
            " start_m = least(routes.start_m, excluded.start_m),"
            " end_m = greatest(routes.end_m, excluded.end_m)",
            [
                rec["route_code"],
                rec.get("route_name") or rec["route_code"],
                rec.get("road_class") or "未注明",
                rec["start_m"],
                rec["end_m"],
                f"导入：{result.file}",
            ],
        )
    conn.execute(
        "UPDATE imports SET rows_added = ?, rows_updated = ? WHERE import_id = ?",
        [result.inserted, result.updated, import_id],
    )
