"""Accident-prone sites as people read them: records for the command line's JSON and CSV, the
place in words, and the table every page and export shows (analytics/accidents/sites.py finds them)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from analytics import geo
from analytics.accidents.rules import MEASURES, STAKE_LIKE, Params


def records(sites: pd.DataFrame) -> list[dict[str, object]]:
    """Sites as plain JSON-ready records: the location fields of their mode and the figures."""
    out = []
    for s in sites.itertuples():
        place = (
            {"route": s.route_code, "start_m": int(s.start_m), "end_m": int(s.end_m)}
            if s.mode in STAKE_LIKE
            else {
                "lon": round(float(s.lon), 6),
                "lat": round(float(s.lat), 6),
                "radius_m": float(s.radius_m),
            }
        )
        out.append(
            {
                "site_key": s.site_key,
                **place,
                "road_name": s.road_name,
                "unit": s.unit_name,
                "accidents": int(s.accidents),
                "fatal_accidents": int(s.fatal_accidents),
                "deaths": int(s.deaths),
                "injuries": int(s.injuries),
                "score": float(s.score),
                "measure": float(s.measure),
                "rank": int(s.rank),
                "top_collision_type": s.top_collision_type,
                "covered_by": list(s.covered_by),
            }
        )
    return out


def place(site: Mapping[str, object]) -> str:
    """Where a site is, in words: G105 K869+539—K870+034, or the centre and radius."""
    if site["mode"] == "coords":
        return f"({site['lon']:.5f}, {site['lat']:.5f}) 半径{float(site['radius_m']):g}米"
    return f"{site['route_code']} {geo.format_stake_range(site['start_m'], site['end_m'])}"


def table(sites: pd.DataFrame, params: Params | None = None) -> pd.DataFrame:
    """Sites as every page and export shows them (Chinese headers, leaders' columns first)."""
    measure = {}
    if params is not None:
        name, unit = MEASURES[params.rank_measure]
        measure = {f"排名指标·{name}" + (f"({unit})" if unit else ""): sites["measure"]}
    return pd.DataFrame(
        {
            "排名": sites["rank"].astype(int),
            "位置": [place(r) for _, r in sites.iterrows()],
            "道路": sites["road_name"].fillna(""),
            "单位": sites["unit_name"].fillna(""),
            **measure,
            "事故(起)": sites["accidents"].astype(int),
            "死亡事故(起)": sites["fatal_accidents"].astype(int),
            "死亡(人)": sites["deaths"].astype(int),
            "受伤(人)": sites["injuries"].astype(int),
            "直接损失(万元)": (sites["loss_yuan"].astype(float) / 10_000).round(2),
            "主要事故形态": sites["top_collision_type"].fillna(""),
            "高发时段": [f"{int(h)}时" if pd.notna(h) else "" for h in sites["peak_hour"]],
            "高发月份": [f"{int(m)}月" if pd.notna(m) else "" for m in sites["peak_month"]],
            "已覆盖隐患": ["、".join(c) if len(c) else "未入单" for c in sites["covered_by"]],
        }
    )


def accident_table(accidents: pd.DataFrame) -> pd.DataFrame:
    """A site's accidents (hotspots.site_accident_list) with Chinese headers."""

    def where(r: pd.Series) -> str:
        if pd.notna(r["route_code"]) and pd.notna(r["stake_m"]):
            return f"{r['route_code']} {geo.format_stake(int(r['stake_m']))}"
        return f"({r['lon']:.5f}, {r['lat']:.5f})" if pd.notna(r["lon"]) else "—"

    return pd.DataFrame(
        {
            "事故编号": accidents["accident_id"],
            "事故时间": pd.to_datetime(accidents["occurred_at"]).dt.strftime("%Y-%m-%d %H:%M"),
            "位置": [where(r) for _, r in accidents.iterrows()],
            "死亡(人)": accidents["deaths"].astype(int),
            "受伤(人)": accidents["injuries"].astype(int),
            "事故形态": accidents["collision_type"].fillna(""),
            "天气": accidents["weather"].fillna(""),
            "严重程度": accidents["severity"].fillna(""),
            "处理程序": accidents["procedure"].fillna(""),
        }
    )
