"""Demo accidents 2017–2022 and rural safety-upgrade projects (see analytics/demo/build.py)."""

from __future__ import annotations

import bisect
import calendar
import random
from datetime import datetime

import numpy as np
import pandas as pd

from analytics.accidents.vocabulary import ACCIDENT_CHOICES
from analytics.city import City

YEARS = range(2017, 2023)
YEAR_FACTOR = {2017: 1.00, 2018: 1.04, 2019: 1.08, 2020: 0.86, 2021: 1.02, 2022: 0.95}
# Accidents per km of route per year in police records (simple procedure included).
RATE_PER_KM = {"高速公路": 0.35, "国道": 1.6, "省道": 1.0, "县道": 0.7}
MONTH_W = np.array([1.25, 1.20, 0.95, 0.90, 0.92, 0.88, 0.90, 0.92, 0.95, 1.05, 1.08, 1.15])
HOUR_W = np.array(
    [
        2,
        1.5,
        1.2,
        1.2,
        1.5,
        2.5,
        4,
        6.5,
        7,
        5.5,
        5,
        5.5,
        5.5,
        5,
        5,
        5.5,
        6.5,
        7.5,
        7,
        5.5,
        4.5,
        4,
        3.5,
        2.5,
    ]
)
COLLISIONS = ACCIDENT_CHOICES["事故形态"]  # the closed list the template offers
COLLISION_W = {
    "高速公路": (1, 4, 30, 2, 18, 1, 6, 1, 1, 18, 12, 1, 5),
    "other": (12, 24, 14, 10, 10, 2, 4, 1, 0.5, 5, 4, 10, 3.5),
}
WEATHER = ("晴", "阴", "雨", "雾", "雪")
HAZARD_RATE = (2.0, 4.0)  # extra accidents a year at an unrectified hazard site
AFTER_CLOSE_FACTOR = 0.15  # what is left of that once the hazard is closed
G105_2017_DEATHS = (2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1)  # 11 fatal accidents, 14 deaths
G105_2017_COUNT = 48
G105_STRETCH = (867_000, 877_000)
PROJECT_KM_M = 547_795  # 547.795 km in metres
PROJECT_FUNDS_FEN_WAN = 785_400  # 7,854 万元 in hundredths of 万元


def accidents(seed: int, routes, segments, hazards: list[dict]) -> pd.DataFrame:
    """All demo accidents with stake, coordinates on the route's path, and unit."""
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    for r in routes:
        km = (r.end_m - r.start_m) / 1000
        for year in YEARS:
            n = rng.poisson(RATE_PER_KM[r.spec.road_class] * km * YEAR_FACTOR[year])
            for stake, when in zip(
                rng.integers(r.start_m, r.end_m + 1, n), _times(rng, year, n), strict=True
            ):
                rows.append(_row(rng, r, int(stake), when, hot=False))
    for h in hazards:  # clusters at hazard sites: before rectification, then thinning out
        if h["route_code"] is None:
            continue
        r = next(x for x in routes if x.spec.code == h["route_code"])
        rate = rng.uniform(*HAZARD_RATE)
        closed = h["closed_date"]
        for year in YEARS:
            for when in _times(rng, year, rng.poisson(rate)):
                if closed and when.date() > closed and rng.random() > AFTER_CLOSE_FACTOR:
                    continue
                stake = int(np.clip(h["start_m"] + rng.normal(0, 120), r.start_m, r.end_m))
                rows.append(_row(rng, r, stake, when, hot=True))
    frame = pd.DataFrame(rows)
    g105 = next(r for r in routes if r.spec.code == "G105")
    in_story = (
        (frame["route_code"] == "G105")
        & (frame["occurred_at"].dt.year == 2017)
        & frame["stake_m"].between(*G105_STRETCH)
    )
    story = [_g105_story_row(rng, g105, i) for i in range(G105_2017_COUNT)]
    frame = pd.concat([frame[~in_story], pd.DataFrame(story)], ignore_index=True)
    frame = frame.sort_values(["occurred_at", "route_code", "stake_m"], kind="stable")
    frame = frame.reset_index(drop=True)
    _locate(frame, routes, segments)
    return frame


def _times(rng: np.random.Generator, year: int, n: int) -> list[datetime]:
    months = rng.choice(12, size=n, p=MONTH_W / MONTH_W.sum()) + 1
    hours = rng.choice(24, size=n, p=HOUR_W / HOUR_W.sum())
    out = []
    for m, h in zip(months, hours, strict=True):
        days = calendar.monthrange(year, int(m))[1]
        out.append(
            datetime(year, int(m), int(rng.integers(1, days + 1)), int(h), int(rng.integers(0, 60)))
        )
    return out


def _row(rng: np.random.Generator, route, stake: int, when: datetime, hot: bool) -> dict:
    night = when.hour >= 20 or when.hour < 6
    expressway = route.spec.road_class == "高速公路"
    p_fatal = 0.02 * (2.2 if night else 1.0) * (1.4 if expressway else 1.0) * (1.6 if hot else 1.0)
    u = rng.random()
    if u < p_fatal:
        deaths = int(rng.choice((1, 1, 1, 1, 1, 1, 1, 2, 2, 3)))
        return _record(rng, route, stake, when, deaths, int(rng.integers(0, 3)))
    if u < p_fatal + 0.27:
        return _record(rng, route, stake, when, 0, int(rng.choice((1, 1, 1, 1, 2, 2, 3))))
    return _record(rng, route, stake, when, 0, 0)


def _record(rng, route, stake: int, when: datetime, deaths: int, injuries: int) -> dict:
    if deaths:
        severity, procedure, loss = "死亡事故", "一般程序", rng.lognormal(10.3, 0.6)
    elif injuries:
        severity = "伤人事故"
        procedure = "一般程序" if rng.random() < 0.45 else "简易程序"
        loss = rng.lognormal(8.8, 0.7)
    else:
        severity = "财产损失事故"
        procedure = "简易程序" if rng.random() < 0.96 else "一般程序"
        loss = rng.lognormal(7.9, 0.8)
    kind = "高速公路" if route.spec.road_class == "高速公路" else "other"
    w = np.array(COLLISION_W[kind])
    winter = when.month in (12, 1, 2)
    ww = np.array((62, 16, 13, 7 if winter else 4, 4 if winter else 0))
    lon, lat = route.point_at_stake(stake)
    return {
        "occurred_at": when,
        "road_name": route.spec.name,
        "route_code": route.spec.code,
        "stake_m": stake,
        "lon": round(lon, 6),
        "lat": round(lat, 6),
        "coord_source": "WGS84",
        "deaths": deaths,
        "injuries": injuries,
        "loss_yuan": round(float(loss), -1),
        "collision_type": COLLISIONS[int(rng.choice(len(COLLISIONS), p=w / w.sum()))],
        "weather": WEATHER[int(rng.choice(len(WEATHER), p=ww / ww.sum()))],
        "severity": severity,
        "procedure": procedure,
        "legacy_grade": None,
    }


def _g105_story_row(rng: np.random.Generator, g105, i: int) -> dict:
    """The 48 accidents of G105 K867–K877 in 2017: 11 fatal with 14 deaths, around 3 sites."""
    sites = (869_500, 872_300, 875_800)
    stake = int(np.clip(sites[i % 3] + rng.normal(0, 250), *G105_STRETCH))
    when = _times(rng, 2017, 1)[0]
    if i < len(G105_2017_DEATHS):
        return _record(rng, g105, stake, when, G105_2017_DEATHS[i], int(rng.integers(0, 3)))
    injuries = int(rng.choice((0, 0, 1, 1, 2)))
    return _record(rng, g105, stake, when, 0, injuries)


def _locate(frame: pd.DataFrame, routes, segments) -> None:
    """Give each accident the unit of its segment and an id: <adcode><year><serial>."""
    starts: dict[str, list[int]] = {}
    units: dict[str, list[str | None]] = {}
    for s in sorted(segments, key=lambda s: (s.route_code, s.start_m)):
        starts.setdefault(s.route_code, []).append(s.start_m)
        units.setdefault(s.route_code, []).append(s.unit_adcode)
    frame["unit_adcode"] = [
        units[code][max(0, bisect.bisect_right(starts[code], stake) - 1)]
        for code, stake in zip(frame["route_code"], frame["stake_m"], strict=True)
    ]
    serial = frame.groupby([frame["unit_adcode"], frame["occurred_at"].dt.year]).cumcount() + 1
    frame["accident_id"] = [
        f"{unit}{t.year}{n:05d}"
        for unit, t, n in zip(frame["unit_adcode"], frame["occurred_at"], serial, strict=True)
    ]


def projects(rng: random.Random, city: City) -> pd.DataFrame:
    """公路安全生命防护工程 projects 2019–2022 summing to exactly 547.795 km and 7,854 万元."""
    plan = []
    for u in city.units:
        if u.kind == "zone":
            continue
        for year in range(2019, 2023):
            for batch in range(1, rng.choice((1, 1, 2)) + 1):
                plan.append((u, year, batch, rng.uniform(4, 30), rng.uniform(11, 18)))
    metres = _split(PROJECT_KM_M, [p[3] for p in plan])
    funds = _split(PROJECT_FUNDS_FEN_WAN, [p[3] * p[4] for p in plan])
    rows = []
    for (u, year, batch, _, _), m, f in zip(plan, metres, funds, strict=True):
        rows.append(
            {
                "project_id": f"{u.adcode}-SF-{year}-{batch}",
                "unit_adcode": u.adcode,
                "year": year,
                "name": f"{year}年{u.short}公路安全生命防护工程（第{batch}批）",
                "road_name": f"{u.short}辖区县乡道路{rng.randint(3, 12)}条",
                "km": m / 1000,
                "funds_wan": f / 100,
            }
        )
    return pd.DataFrame(rows)


def _split(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to weights that add up to total exactly (largest remainder)."""
    raw = [total * w / sum(weights) for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out
