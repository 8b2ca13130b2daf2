"""Deterministic scale data, generated inside DuckDB: a province-sized ledger and accident table.

Values come from hash() of the row number and a salt, so the same sizes give the same data.
The units form a made-up province (their city file is written next to the database).
"""

from __future__ import annotations

from pathlib import Path

from analytics import city as city_mod
from analytics.store import db

START = "2016-01-01"
DAYS = 3650  # ten years
ROUTES = 200  # each 100 km long, cut into 1 km segments: 20,000 road segments
HOT_PERCENT = 5  # accidents concentrated at ten places per route (so there are sites to find)


def _lon(r: str, stake: str) -> str:
    """SQL for the longitude of stake metres along route number r: a straight 100 km line."""
    return (
        f"(115.5 + ({r} % 20) * 0.15 + cos(radians(({r} * 37) % 180)) * ({stake})"
        f" / (111195.0 * cos(radians(30.0 + ({r} // 20) * 0.3))))"
    )


def _lat(r: str, stake: str) -> str:
    return f"(30.0 + ({r} // 20) * 0.3 + sin(radians(({r} * 37) % 180)) * ({stake}) / 111195.0)"


def city_file(folder: Path, units: int) -> Path:
    """A city file for ``units`` county-level units (no outlines: the map stays empty)."""
    lines = [
        "[city]",
        'name = "基准省"',
        'adcode = "990000"',
        "",
        "[map]",
        "center_lon = 117.0",
        "center_lat = 31.8",
        "zoom = 6",
        'boundary_file = ""',
        "",
    ]
    for i in range(units):
        lines += [
            "[[units]]",
            f'adcode = "99{i:04d}"',
            f'name = "基准{i // 7 + 1}市{i % 7 + 1}县"',
            f'short = "{i // 7 + 1}市{i % 7 + 1}县"',
            'kind = "county"',
            f"seat = [{116 + (i % 10) * 0.2:.2f}, {30 + (i // 10) * 0.3:.2f}]",
            "",
        ]
    path = folder / "scale_city.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def build(path: Path, hazards: int, accidents: int, units: int) -> Path:
    """Write the scale database at ``path`` (replacing it) and return its city file."""
    path.unlink(missing_ok=True)
    cfile = city_file(path.parent, units)
    conn = db.open_store(path, city_mod.load_city(cfile))
    params = {"n": hazards, "units": units, "start": START, "days": DAYS}
    with db.transaction(conn):
        conn.execute(
            """
            INSERT INTO hazards BY NAME
            WITH base AS (
                SELECT
                    i,
                    CAST($start AS DATE) + CAST(hash(i, 'listed') % $days AS INTEGER) AS listed,
                    hash(i, 'closed') % 100 AS closes,
                    CAST(hash(i, 'span') % 200 AS INTEGER) AS span,
                    CAST(hash(i, 'limit') % 150 AS INTEGER) AS limit_days
                FROM range($n) AS t(i)
            )
            SELECT
                printf('S%07d', i) AS hazard_id,
                printf('99%04d', i % $units) AS unit_adcode,
                ['急弯陡坡', '视距不良', '平交路口缺陷', '穿村过镇', '学校周边'][1 + i % 5]
                    AS hazard_type,
                ['重大', '较大', '一般'][CAST(1 + hash(i, 'grade') % 3 AS BIGINT)] AS risk_grade,
                ['部', '省', '市', '县', '无'][CAST(1 + hash(i, 'level') % 5 AS BIGINT)] AS supervision_level,
                ['日常排查', '事故分析', '上级交办'][CAST(1 + hash(i, 'source') % 3 AS BIGINT)] AS source,
                listed - 3 AS found_date,
                listed AS listed_date,
                '消除隐患' AS goal,
                '某领导' AS lead_leader,
                '某单位' AS responsible_unit,
                '达到规范' AS completion_standard,
                listed + 30 + limit_days AS deadline,
                CASE WHEN closes < 70 THEN '已销号' ELSE '整改中' END AS state,
                CASE WHEN closes < 70 THEN listed + 10 + span END AS closed_date,
                printf('G%03d', i % 200) AS route_code,
                CAST(hash(i, 'stake') % 100000 AS INTEGER) AS start_m
            FROM base
            """,
            params,
        )
        conn.execute(
            """
            INSERT INTO hazard_events (hazard_id, event_at, actor, action, from_state, to_state)
            SELECT hazard_id, CAST(found_date AS TIMESTAMP) + INTERVAL 9 HOUR, '基准', '发现',
                   NULL, '待认定' FROM hazards
            UNION ALL
            SELECT hazard_id, CAST(listed_date AS TIMESTAMP) + INTERVAL 10 HOUR, '基准', '入单',
                   '待认定', '已入单' FROM hazards
            """
        )
        conn.execute(
            f"""
            INSERT INTO accidents BY NAME
            WITH placed AS (
                SELECT
                    i,
                    i % {ROUTES} AS r,
                    CAST(CASE WHEN hash(i, 'hot') % 100 < {HOT_PERCENT}
                         THEN (hash(i, 'spot') % 10) * 10000 + 5000 + hash(i, 'off') % 150
                         ELSE hash(i, 'stake') % 100000 END AS INTEGER) AS stake_m
                FROM range($accidents) AS t(i)
            ),
            rows AS (
                SELECT
                    printf('A%08d', i) AS accident_id,
                    CAST($start AS TIMESTAMP)
                        + to_seconds(CAST(hash(i, 'time') % ($days * 86400) AS BIGINT)) AS occurred_at,
                    printf('99%04d', hash(i, 'unit') % $units) AS unit_adcode,
                    printf('G%03d', r) AS route_code,
                    '基准路' || r AS road_name,
                    stake_m,
                    {_lon("r", "stake_m")} + (CAST(hash(i, 'jx') % 41 AS BIGINT) - 20) * 1e-5 AS lon,
                    {_lat("r", "stake_m")} + (CAST(hash(i, 'jy') % 41 AS BIGINT) - 20) * 1e-5 AS lat,
                    'WGS84' AS coord_source,
                    CASE WHEN hash(i, 'dead') % 100 < 3 THEN 1 + hash(i, 'n') % 2 ELSE 0 END AS deaths,
                    CASE WHEN hash(i, 'hurt') % 100 < 25 THEN 1 + hash(i, 'm') % 3 ELSE 0 END
                        AS injuries,
                    CAST(hash(i, 'loss') % 50000 AS DECIMAL(14, 2)) AS loss_yuan,
                    ['正面相撞', '侧面相撞', '尾随相撞', '刮擦', '撞行人', '翻车', '其他']
                        [CAST(1 + hash(i, 'kind') % 7 AS BIGINT)] AS collision_type,
                    ['晴', '阴', '雨', '雾', '雪'][CAST(1 + hash(i, 'sky') % 5 AS BIGINT)] AS weather,
                    CASE WHEN hash(i, 'proc') % 100 < 20 THEN '一般程序' ELSE '简易程序' END
                        AS procedure
                FROM placed
            )
            SELECT
                *,
                CASE WHEN deaths > 0 THEN '死亡事故' WHEN injuries > 0 THEN '伤人事故'
                     ELSE '财产损失事故' END AS severity
            FROM rows
            """,  # fixed numbers and formulas, values bound  # noqa: S608
            {"accidents": accidents, "units": units, "start": START, "days": DAYS},
        )
        conn.execute(
            f"""
            INSERT INTO routes (route_code, name, road_class, start_m, end_m, provenance)
            SELECT printf('G%03d', r), '基准路' || r, '国道', 0, 100000, '基准测试生成'
            FROM range({ROUTES}) AS t(r)
            """  # fixed numbers  # noqa: S608
        )
        a, b = "k * 1000", "(k + 1) * 1000"
        conn.execute(
            f"""
            INSERT INTO road_segments (segment_id, route_code, name, start_m, end_m, unit_adcode, path)
            SELECT
                printf('G%03d-%03d', r, k), printf('G%03d', r), '基准路' || r, {a}, {b},
                printf('99%04d', (r * 7 + k // 20) % $units),
                [[{_lon("r", a)}, {_lat("r", a)}], [{_lon("r", b)}, {_lat("r", b)}]]
            FROM range({ROUTES}) AS t(r), range(100) AS s(k)
            """,  # fixed numbers and formulas, values bound  # noqa: S608
            {"units": units},
        )
    conn.close()
    return cfile
