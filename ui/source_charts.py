"""The chart of 重点车辆与驾驶人: open (余量) and cleared (已清零) cases by indicator or by unit."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.charts import BLUE, GREEN, count_axis, layout, plotly_text


def remaining_bar(frame: pd.DataFrame, names: list[str], label: str, title: str) -> go.Figure:
    """Stacked bars per group (most open on top): 余量 (open, blue: in progress) and 已清零
    (green); frame has remaining, cleared, stock, new, rate."""
    order = list(range(len(frame)))[::-1]  # the frame comes most open first: plotly draws up
    f = frame.iloc[order]
    shown = [names[i] for i in order]
    rates = ["—" if r is None or pd.isna(r) else f"{r * 100:.1f}%" for r in f["rate"]]
    fig = go.Figure()
    for name, values, colour in (("余量", f["remaining"], BLUE), ("已清零", f["cleared"], GREEN)):
        fig.add_bar(
            y=plotly_text(shown),
            x=[int(v) for v in values],
            name=name,
            orientation="h",
            marker_color=colour,
            customdata=[
                [int(s) + int(n), r] for s, n, r in zip(f["stock"], f["new"], rates, strict=True)
            ],
            hovertemplate=(
                "%{y}<br>" + name + "：%{x} 件<br>存量＋新增：%{customdata[0]} 件"
                "<br>清零率：%{customdata[1]}<extra></extra>"
            ),
        )
    largest = int((f["remaining"] + f["cleared"]).max()) if len(f) else 1
    layout(fig, title, "案件数（件）", label, height=110 + 34 * max(len(f), 1), dark=False)
    fig.update_layout(barmode="stack")
    count_axis(fig, "x", largest)
    return fig
