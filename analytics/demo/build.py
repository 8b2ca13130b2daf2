"""The deterministic demo city (Fuyang): roads, the 2022 hazard ledger, accidents, projects.

Same seed, same database content. The story it tells (docs/methods.md):
- the ledger starts in June 2022; as of 2022-09-15 exactly 172 hazards are listed and 85 closed,
  spread over the 8 units with clearly different performance; it keeps moving to 2022-12-31;
- accidents 2017–2022 cluster at hazard sites until their rectification and thin out after;
  G105 K867–K877 has exactly 48 accidents and 14 deaths in 2017;
- rural safety-upgrade projects total 547.795 km and 7,854 万元.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analytics import city as city_mod
from analytics.accounts import auth
from analytics.city import City
from analytics.demo import accidents as demo_accidents
from analytics.demo import hazards as demo_hazards
from analytics.demo import roads as demo_roads
from analytics.demo import snapshots as demo_snapshots
from analytics.demo import sources as demo_sources
from analytics.sources import config as sources_config
from analytics.store import db

DEMO_CITY_ADCODE = "341200"
DEMO_PASSWORD = auth.DEMO_PASSWORD  # every demo account; listed in the README
# username, display name, role, unit
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str | None], ...] = (
    ("admin", "支队秩序科（演示）", "admin", None),
    ("leader", "支队领导（演示）", "leader", None),
    ("yingzhou", "颍州区大队（演示）", "county", "341202"),
    ("yingdong", "颍东区大队（演示）", "county", "341203"),
    ("yingquan", "颍泉区大队（演示）", "county", "341204"),
    ("linquan", "临泉县大队（演示）", "county", "341221"),
    ("taihe", "太和县大队（演示）", "county", "341222"),
    ("funan", "阜南县大队（演示）", "county", "341225"),
    ("yingshang", "颍上县大队（演示）", "county", "341226"),
    ("jieshou", "界首市大队（演示）", "county", "341282"),
)


@dataclass
class DemoData:
    routes: pd.DataFrame
    segments: pd.DataFrame
    hazards: pd.DataFrame
    events: pd.DataFrame
    accidents: pd.DataFrame
    projects: pd.DataFrame
    facts: dict[str, str] = field(default_factory=dict)
    sources: dict[str, pd.DataFrame] = field(default_factory=dict)  # table → rows (人·车·企)


class DemoNotAvailable(RuntimeError):
    """The demo city exists for Fuyang only."""


def supports(city: City) -> bool:
    return city.adcode == DEMO_CITY_ADCODE


def generate(city: City, seed: int = 2022) -> DemoData:
    """Build the whole demo city in memory (pure: nothing is written)."""
    if not supports(city):
        raise DemoNotAvailable(
            f"演示数据只适用于阜阳市（{DEMO_CITY_ADCODE}），当前城市为{city.name}"
        )
    rng = random.Random(seed)
    features = city_mod.boundaries(city)["features"]
    routes = demo_roads.build_routes()
    segments = [s for r in routes for s in demo_roads.cut_segments(r, features)]
    hazards, events = demo_hazards.build(rng, city, routes, segments, features)
    accidents = demo_accidents.accidents(seed, routes, segments, hazards)
    projects = demo_accidents.projects(rng, city)
    return DemoData(
        sources=_sources(seed, city, routes, segments),
        routes=pd.DataFrame(
            [
                {
                    "route_code": r.spec.code,
                    "name": r.spec.name,
                    "road_class": r.spec.road_class,
                    "start_m": r.start_m,
                    "end_m": r.end_m,
                    "provenance": r.spec.provenance,
                }
                for r in routes
            ]
        ),
        segments=pd.DataFrame([s.__dict__ for s in segments]),
        hazards=pd.DataFrame(hazards),
        events=pd.DataFrame(events),
        accidents=accidents,
        projects=projects,
        facts={
            "is_demo": "1",
            "demo_seed": str(seed),
            "clock_date": demo_hazards.DATA_END.isoformat(),
        },
    )


def _actor(username: str) -> str:
    """How a demo account is named in histories (auth.User.actor)."""
    name = next(a[1] for a in DEMO_ACCOUNTS if a[0] == username)
    return f"{name}·{username}"


def source_lists(
    city: City, seed: int = 2022, routes=None, segments=None
) -> demo_sources.SourceLists | None:
    """The demo's source-hazard lists, as the counties' platforms export them (None when the
    city configures no indicators); sightings are on the demo's roads."""
    config = sources_config.load(city)
    if not config.indicators:
        return None
    if routes is None:
        features = city_mod.boundaries(city)["features"]
        routes = demo_roads.build_routes()
        segments = [s for r in routes for s in demo_roads.cut_segments(r, features)]
    names = {r.spec.code: r.spec.name for r in routes}
    places: dict[str, list[str]] = {}
    for s in (s for s in segments if s.unit_adcode):
        stake = (s.start_m + s.end_m) // 2 // 100 * 100
        places.setdefault(s.unit_adcode, []).append(
            f"{names[s.route_code]}K{stake // 1000}+{stake % 1000:03d}"
        )
    return demo_sources.generate(seed, city, config, places)


def _sources(seed: int, city: City, routes, segments) -> dict[str, pd.DataFrame]:
    """The source-hazard snapshots and cases as table rows."""
    lists = source_lists(city, seed, routes, segments)
    if lists is None:
        return {}
    actors = {unit: _actor(username) for username, _n, _r, unit in DEMO_ACCOUNTS if unit}
    config = sources_config.load(city)
    return demo_snapshots.frames(lists, config, actors, _actor("admin"))


def write(  # a DuckDB connection
    conn, data: DemoData, progress: Callable[[str], None] = lambda step: None
) -> None:
    """Replace the database's content with the demo city, in one transaction."""
    progress("写入数据库")
    frames = {
        "routes": data.routes,
        "road_segments": data.segments,
        "hazards": data.hazards,
        "hazard_events": data.events,
        "accidents": data.accidents,
        "upgrade_projects": data.projects,
        **data.sources,
    }
    with db.transaction(conn):
        for table, frame in frames.items():
            conn.execute(f"DELETE FROM {table}")  # fixed table names  # noqa: S608
            conn.register("demo_frame", frame)
            conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM demo_frame")  # noqa: S608
            conn.unregister("demo_frame")
        for key, value in data.facts.items():
            conn.execute("INSERT OR REPLACE INTO dataset (key, value) VALUES (?, ?)", [key, value])
        db.advance_sequences(conn)  # the source tables' ids were given: later ids follow them
        progress("创建演示账号")
        conn.execute("DELETE FROM accounts WHERE is_demo")
        for username, name, role, unit in DEMO_ACCOUNTS:
            auth.add_user(
                conn, "演示数据生成", username, name, role, unit, DEMO_PASSWORD, is_demo=True
            )


def create_database(
    path: str | Path,
    city: City,
    seed: int = 2022,
    progress: Callable[[str], None] = lambda step: None,
) -> Path:
    """Write a new demo database file at ``path`` atomically (built aside, then renamed)."""
    path = Path(path)
    progress("生成演示城市：道路、隐患、事故")
    data = generate(city, seed)
    tmp = path.with_name(path.name + f".building-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    conn = db.open_store(tmp, city)
    try:
        write(conn, data, progress)
    finally:
        conn.close()
    os.replace(tmp, path)
    return path
