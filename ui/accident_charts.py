"""Plotly figures of 事故分析 and 治理成效, in the colours and conventions of ui/charts.py."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from analytics import fmt
from analytics.accidents.analysis import WEEKDAYS
from ui.charts import BLUE, GREEN, GREY, RED, count_axis, layout, plotly_text


def _yoy(change: float | None) -> str:
    return fmt.relative_change(None if change is None or pd.isna(change) else change)


def month_chart(m: pd.DataFrame, day: int, title: str) -> go.Figure:
    """Accidents per month beside the same month a year earlier (the running month: days
    1 … ``day`` of both)."""
    x = [f"{r.label}（1—{day}日）" if r.partial else r.label for r in m.itertuples()]
    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=[int(v) for v in m.accidents_last_year],
        name="上年同月",
        marker_color=GREY,
        hovertemplate="%{x}<br>上年同月：%{y} 起<extra></extra>",
    )
    fig.add_bar(
        x=x,
        y=[int(v) for v in m.accidents],
        name="近12个月",
        marker_color=BLUE,
        customdata=[[int(d), _yoy(c)] for d, c in zip(m.deaths, m.yoy, strict=True)],
        hovertemplate="%{x}<br>事故：%{y} 起<br>死亡：%{customdata[0]} 人"
        "<br>%{customdata[1]}<extra></extra>",
    )
    layout(fig, title, "月份", "事故数（起）", height=380, dark=False)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")  # "2022-09" is a month's name, not a date to reformat
    count_axis(fig, "y", max([*m.accidents, *m.accidents_last_year, 1]))
    return fig


def year_chart(y: pd.DataFrame, as_of_text: str, title: str) -> go.Figure:
    """Accidents per year; the running year is compared with the same part of the year before."""
    x = [f"{r.year}年（至{as_of_text}）" if r.partial else f"{r.year}年" for r in y.itertuples()]
    fig = go.Figure()
    fig.add_bar(
        x=x,
        y=[int(v) for v in y.accidents],
        name="事故",
        marker_color=BLUE,
        text=[_yoy(c) if i else "" for i, c in enumerate(y.yoy)],
        textposition="outside",
        customdata=[
            [int(d), int(b), _yoy(c)] for d, b, c in zip(y.deaths, y.base, y.yoy, strict=True)
        ],
        hovertemplate="%{x}<br>事故：%{y} 起<br>死亡：%{customdata[0]} 人"
        "<br>上年同期：%{customdata[1]} 起<br>%{customdata[2]}<extra></extra>",
    )
    layout(fig, title, "年份", "事故数（起）", height=380, dark=False)
    fig.update_xaxes(type="category")
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(showlegend=False)
    return fig


def heat_chart(heat: pd.DataFrame, title: str) -> go.Figure:
    """Accidents by hour of day (columns) and weekday (rows)."""
    z = [
        [int(heat[(heat.weekday == w) & (heat.hour == h)].accidents.iloc[0]) for h in range(24)]
        for w in range(1, 8)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{h}时" for h in range(24)],
            y=list(WEEKDAYS),
            colorscale=[[0, "#ffffff"], [0.5, "#f4a582"], [1, RED]],
            colorbar={"title": {"text": "起"}, "dtick": max(1, -(-max(map(max, z)) // 5))},
            hovertemplate="%{y} %{x}：%{z} 起<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    layout(fig, title, "时段（时）", "星期", height=360, dark=False)
    fig.update_yaxes(autorange="reversed")
    return fig


def count_bar(names: list[str], f: pd.DataFrame, label: str, title: str) -> go.Figure:
    """Horizontal bars of accidents per group, most on top (f: accidents, deaths, injuries)."""
    fig = go.Figure(
        go.Bar(
            y=plotly_text(names[::-1]),
            x=[int(v) for v in f.accidents][::-1],
            orientation="h",
            marker_color=BLUE,
            text=[f"{int(v)} 起" for v in f.accidents][::-1],
            textposition="auto",
            customdata=[[int(d), int(i)] for d, i in zip(f.deaths, f.injuries, strict=True)][::-1],
            hovertemplate="%{y}<br>事故：%{x} 起<br>死亡：%{customdata[0]} 人"
            "<br>受伤：%{customdata[1]} 人<extra></extra>",
        )
    )
    layout(fig, title, "事故数（起）", label, height=90 + 30 * max(len(f), 1), dark=False)
    count_axis(fig, "x", f.accidents.max() if len(f) else 1)
    return fig


def effect_chart(h: pd.DataFrame, months: int, title: str) -> go.Figure:
    """Before (red) and after (green) accidents per hazard, joined by a line (a dumbbell)."""
    f = h.iloc[::-1]
    names = plotly_text(f.hazard_id)
    fig = go.Figure()
    for x0, x1, y in zip(f.before, f.after, names, strict=True):
        fig.add_scatter(
            x=[int(x0), int(x1)],
            y=[y, y],
            mode="lines",
            showlegend=False,
            line={"color": GREY, "width": 2},
            hoverinfo="skip",
        )
    rr = [fmt.DASH if pd.isna(r) else f"{r:.2f}" for r in f.ratio_of_ratios]
    custom = [[r, s] for r, s in zip(rr, f.status, strict=True)]
    for name, col, colour in (
        (f"入单前{months}个月", "before", RED),
        (f"销号后{months}个月", "after", GREEN),
    ):
        fig.add_scatter(
            x=[int(v) for v in f[col]],
            y=names,
            mode="markers",
            name=name,
            marker={"color": colour, "size": 11, "line": {"color": "white", "width": 1}},
            customdata=custom,
            hovertemplate="%{y}<br>" + name + "：%{x} 起<br>比值比：%{customdata[0]}"
            "<br>%{customdata[1]}<extra></extra>",
        )
    layout(fig, title, "事故数（起）", "隐患编号", height=130 + 26 * max(len(f), 1), dark=False)
    largest = max([*f.before, *f.after, 1])
    count_axis(fig, "x", largest)
    fig.update_xaxes(range=[-0.4, largest + 0.6])  # a marker at 0 stays whole
    return fig
