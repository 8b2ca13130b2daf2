"""Plotly figures shared by pages, in the product's one colour language (DESIGN.md)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

RED = "#d64541"  # overdue / worst
AMBER = "#f0a202"  # due soon
BLUE = "#2f6fbf"  # in progress
GREEN = "#2e9e5b"  # closed / best
GREY = "#9e9e9e"  # voided / no data
FONT = "WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif"


def unit_status_bar(frame: pd.DataFrame, title: str) -> go.Figure:
    """Stacked bars per unit: closed, open and not overdue, overdue (counts of hazards).

    ``frame`` has unit_name, closed, open, overdue, listed, rate.
    """
    f = frame[frame["listed"] > 0].sort_values("rate")
    in_progress = f["open"] - f["overdue"]
    rate_text = [f"{r * 100:.1f}%" for r in f["rate"]]
    fig = go.Figure()
    for name, values, colour in (
        ("已销号", f["closed"], GREEN),
        ("整改中（未逾期）", in_progress, BLUE),
        ("逾期", f["overdue"], RED),
    ):
        fig.add_bar(
            y=f["unit_name"].tolist(),
            x=[int(v) for v in values],
            name=name,
            orientation="h",
            marker_color=colour,
            customdata=[[int(n), t] for n, t in zip(f["listed"], rate_text, strict=True)],
            hovertemplate=(
                "%{y}<br>" + name + "：%{x} 处<br>入单：%{customdata[0]} 处"
                "<br>整改率：%{customdata[1]}<extra></extra>"
            ),
        )
    fig.update_layout(
        barmode="stack",
        title={"text": title, "x": 0, "xanchor": "left"},
        xaxis_title="隐患数（处）",
        yaxis_title="单位",
        legend={"orientation": "h", "y": -0.2, "title": None},
        font={"family": FONT},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        height=80 + 38 * max(len(f), 1),
    )
    return fig
