"""Plotly figures shared by pages, in the product's one colour language (docs/architecture.md)."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit  # noqa: F401  (first: it sets plotly's default template on import)

RED = "#d64541"  # overdue / worst
AMBER = "#f0a202"  # due soon
BLUE = "#2f6fbf"  # in progress
GREEN = "#2e9e5b"  # closed / best
GREY = "#9e9e9e"  # voided / no data
FONT = "WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif"
# Every light chart's template: plotly's default, which plotly puts on each new figure already
# checked. Naming it on each figure made plotly validate the whole template every time, 15–18 ms
# a chart, a third of 领导驾驶舱's warm run. Streamlit sets its own default when it is first
# imported (above), so ours is set after it. The big screen names plotly_dark itself.
pio.templates.default = "plotly_white"


def plotly_text(values: list) -> list[str]:
    """Category labels for plotly, which reads <a href>, <b>, <br> ... in labels and hover text:
    names that came from users or files are escaped so they read literally (no live link)."""
    return [html.escape(str(v), quote=False) for v in values]


def unit_status_bar(frame: pd.DataFrame, title: str) -> go.Figure:
    """Stacked bars per unit (best rate on top): closed, in progress, overdue hazards."""
    f = frame[frame["listed"] > 0].sort_values("rate")
    return _status_stack(f, f["unit_name"].tolist(), "单位", title)


def breakdown_bar(frame: pd.DataFrame, label: str, title: str) -> go.Figure:
    """The same stack per group of a breakdown (type, grade, ...), largest on top."""
    f = frame[frame["listed"] > 0].sort_values("listed")
    return _status_stack(f, f["group_key"].tolist(), label, title)


def _status_stack(f: pd.DataFrame, names: list[str], label: str, title: str) -> go.Figure:
    """Bars of closed, open-not-overdue and overdue counts; f has listed, closed, open, overdue,
    rate."""
    rate_text = [f"{r * 100:.1f}%" for r in f["rate"]]
    fig = go.Figure()
    for name, values, colour in (
        ("已销号", f["closed"], GREEN),
        ("在办（未逾期）", f["open"] - f["overdue"], BLUE),
        ("逾期", f["overdue"], RED),
    ):
        fig.add_bar(
            y=plotly_text(names),
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
    layout(fig, title, "隐患数（处）", label, height=90 + 34 * max(len(f), 1), dark=False)
    fig.update_layout(barmode="stack")
    count_axis(fig, "x", f["listed"].max() if len(f) else 1)
    return fig


def layout(
    fig: go.Figure, title: str, x_title: str, y_title: str, *, height: int, dark: bool
) -> None:
    # The legend sits above the plot, under the title: below it (y < 0) it overlapped the date
    # ticks and the axis title, worst on the big screen's larger font.
    fig.update_layout(
        title={
            "text": title,
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": 10},
        },
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": 1.0,
            "yanchor": "bottom",
            "title": None,
        },
        font={"family": FONT, "size": 18 if dark else 13},
        margin={"l": 10, "r": 10, "t": 100 if dark else 80, "b": 10},
        height=height,
        hoverlabel={"font": {"family": FONT}},
    )
    if dark:
        fig.update_layout(
            template="plotly_dark", paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)"
        )


def count_axis(fig: go.Figure, axis: str, largest: float) -> None:
    """Whole-number ticks for counts of hazards (no 0.5 处)."""
    step = max(1, -(-int(largest) // 8))
    getattr(fig, f"update_{axis}axes")(tick0=0, dtick=step, rangemode="tozero")


def _date_axis(fig: go.Figure) -> None:
    """Dates as 2022-09-15 (plotly's default ticks would name months in English)."""
    fig.update_xaxes(tickformat="%Y-%m-%d", hoverformat="%Y-%m-%d")


def ranking_bar(ranking: pd.DataFrame, title: str, dark: bool = False) -> go.Figure:
    """整改率 per ranked unit, best on top; the first is green, the last red, labels say so.

    ``ranking`` comes from metrics.unit_ranking; customdata[0] is the unit code (for clicks).
    """
    f = ranking[ranking["rank"].notna()].sort_values("rank", ascending=False)
    last = f["rank"].max()
    colours = [GREEN if r == 1 else RED if r == last else BLUE for r in f["rank"]]
    arrows = [rank_arrow(c) for c in f["rank_change"]]
    labels = [
        f"{r * 100:.1f}%  第{int(k)}名 {a}"
        for r, k, a in zip(f["rate"], f["rank"], arrows, strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            y=plotly_text(f["unit_name"].tolist()),
            x=[round(r * 100, 1) for r in f["rate"]],
            orientation="h",
            marker_color=colours,
            text=labels,
            textposition="auto",
            customdata=[
                [u, int(n), int(c), int(o), a]
                for u, n, c, o, a in zip(
                    f["unit_adcode"], f["listed"], f["closed"], f["overdue"], arrows, strict=True
                )
            ],
            hovertemplate=(
                "%{y}<br>整改率：%{x:.1f}%<br>入单：%{customdata[1]} 处"
                "<br>已销号：%{customdata[2]} 处<br>逾期：%{customdata[3]} 处"
                "<br>排名变化：%{customdata[4]}<extra>点击查看该单位</extra>"
            ),
        )
    )
    height = 90 + (34 if dark else 40) * max(len(f), 1)
    layout(fig, title, "整改率（%）", "单位", height=height, dark=dark)
    fig.update_xaxes(range=[0, 105])
    return fig


def rank_arrow(change: object) -> str:
    if change is None or pd.isna(change):
        return "—"
    change = int(change)
    return f"↑{change}" if change > 0 else f"↓{-change}" if change < 0 else "—"


def flow_chart(flow: pd.DataFrame, freq_label: str, title: str, dark: bool = False) -> go.Figure:
    """New listings and closures per week or month, side by side."""
    fig = go.Figure()
    x = [b.strftime("%Y-%m-%d") for b in flow["bucket"]]
    for name, col, colour in (("新增入单", "new", BLUE), ("销号", "closed", GREEN)):
        fig.add_bar(
            x=x,
            y=[int(v) for v in flow[col]],
            name=name,
            marker_color=colour,
            hovertemplate=f"{freq_label}起始：%{{x}}<br>{name}：%{{y}} 处<extra></extra>",
        )
    layout(fig, title, f"{freq_label}（起始日期）", "隐患数（处）", height=360, dark=dark)
    fig.update_layout(barmode="group")
    _date_axis(fig)
    count_axis(fig, "y", max(flow["new"].max(), flow["closed"].max()) if len(flow) else 1)
    return fig


def backlog_chart(backlog: pd.DataFrame, forecast, title: str, dark: bool = False) -> go.Figure:
    """Open hazards per day, and the 清零 projection with its 80% range when there is one."""
    fig = go.Figure()
    days = [d.strftime("%Y-%m-%d") for d in backlog["day"]]
    fig.add_scatter(
        x=days,
        y=[int(v) for v in backlog["open"]],
        name="在办隐患",
        mode="lines",
        line={"color": BLUE, "width": 3 if dark else 2},
        hovertemplate="%{x}<br>在办：%{y} 处<extra></extra>",
    )
    if forecast is not None and forecast.expected is not None:
        start = forecast.as_of.isoformat()
        if forecast.earliest and forecast.latest:
            fig.add_scatter(
                x=[start, forecast.earliest.isoformat(), forecast.latest.isoformat(), start],
                y=[forecast.open_now, 0, 0, forecast.open_now],
                fill="toself",
                fillcolor="rgba(240,162,2,0.25)",
                line={"width": 0},
                name="80% 区间",
                hoverinfo="skip",
            )
        fig.add_scatter(
            x=[start, forecast.expected.isoformat()],
            y=[forecast.open_now, 0],
            name=f"清零预计 {forecast.expected.isoformat()}",
            mode="lines+markers",
            line={"color": AMBER, "dash": "dash", "width": 2},
            hovertemplate="%{x}<br>预计在办：%{y} 处<extra>按近8周销号速度</extra>",
        )
    layout(fig, title, "日期", "在办隐患（处）", height=400 if dark else 380, dark=dark)
    # inside the plot's top right corner (the projection runs down to zero at the right): above
    # the plot the three entries wrap in the big screen's narrow column and cover the title
    fig.update_layout(
        legend={
            "x": 1,
            "xanchor": "right",
            "y": 1,
            "yanchor": "top",
            "orientation": "v",
            "bgcolor": "rgba(12,20,35,0.6)" if dark else "rgba(255,255,255,0.8)",
        },
        margin={"t": 60 if dark else 50},
    )
    _date_axis(fig)
    return fig


def bulletin_chart(chart) -> go.Figure:  # an analytics.bulletin.Chart
    """A bulletin's chart drawn in the browser for the page's preview: the same data and colours
    as the PNG the documents carry (analytics/bulletin/charts.py), without drawing it on the
    server until a document is made."""
    fig = go.Figure()
    if chart.kind == "bar_h":
        ((name, values),) = chart.series.items()
        labels, values = plotly_text(chart.categories[::-1]), values[::-1]  # the best at the top
        colours = [
            RED if i == 0 else GREEN if i == len(values) - 1 else BLUE for i in range(len(values))
        ]
        fig.add_bar(
            y=labels,
            x=values,
            orientation="h",
            marker_color=colours,
            name=name,
            text=[f"{v:.1f}%" for v in values],
            textposition="outside",
            hovertemplate="%{y}：%{x:.1f}%<extra></extra>",
        )
        layout(fig, chart.title, chart.x_label, "", height=90 + 30 * len(values), dark=False)
        fig.update_xaxes(range=[0, 110])
        return fig
    style = {"新增入单": BLUE, "整改销号": GREEN}  # closed is green everywhere
    for name, values in chart.series.items():
        fig.add_scatter(
            x=chart.categories,
            y=values,
            mode="lines+markers",
            name=name,
            line_color=style.get(name, GREY),
            hovertemplate=f"{name}：%{{y}}<extra>%{{x}}</extra>",
        )
    layout(fig, chart.title, chart.x_label, chart.y_label, height=360, dark=False)
    fig.update_xaxes(type="category")  # labels such as 10-17 are weeks, not dates to parse
    fig.update_yaxes(rangemode="tozero")
    return fig
