"""A bulletin's charts as PNG images (matplotlib, no browser needed), in the product's colours."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: images only

from matplotlib import font_manager
from matplotlib.figure import Figure

from analytics.bulletin.model import Bulletin, Chart

log = logging.getLogger("hazards.bulletin")

CJK_FONTS = (  # the first one present draws the Chinese text
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("C:/Windows/Fonts/simhei.ttf"),
    Path("C:/Windows/Fonts/msyh.ttc"),
)
BLUE, GREEN, RED, GREY = "#2f6fbf", "#2e9e5b", "#d64541", "#9e9e9e"  # ui/charts.py colours
SERIES_STYLE = {"新增入单": (BLUE, "o"), "整改销号": (GREEN, "s")}  # closed is green everywhere
DPI = 200
WIDTH_IN, HEIGHT_IN = 6.3, 3.2  # fits the text width of an A4 page with official margins


def _font_family() -> str | None:
    """Register the first CJK font found; None when there is none (Chinese may show as boxes)."""
    for path in CJK_FONTS:
        if path.is_file():
            try:
                font_manager.fontManager.addfont(str(path))
                return font_manager.FontProperties(fname=str(path)).get_name()
            except (OSError, RuntimeError, ValueError):
                continue
    log.warning("no Chinese font found for bulletin charts; text may not render")
    return None


_FAMILY = _font_family()


def png(chart: Chart) -> bytes:
    """One chart as PNG bytes (same content, same bytes: no timestamps in the file)."""
    rc = {
        "font.family": [_FAMILY, "DejaVu Sans"] if _FAMILY else ["DejaVu Sans"],
        "axes.unicode_minus": False,
        "font.size": 9,
    }
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        ax = fig.subplots()
        if not chart.categories:
            ax.text(0.5, 0.5, "暂无数据", ha="center", va="center", color=GREY, fontsize=12)
            ax.set_axis_off()
        elif chart.kind == "bar_h":
            _bar_h(ax, chart)
        else:
            _lines(ax, chart)
        ax.set_title(chart.title, fontsize=11)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _bar_h(ax, chart: Chart) -> None:  # a matplotlib Axes
    ((name, values),) = chart.series.items()
    labels, values = chart.categories[::-1], values[::-1]  # the best at the top
    colours = [
        RED if i == 0 else GREEN if i == len(values) - 1 else BLUE for i in range(len(values))
    ]
    bars = ax.barh(labels, values, color=colours, height=0.6)
    ax.bar_label(bars, labels=[f"{v:.1f}%" for v in values], padding=3, fontsize=8)
    ax.set_xlim(0, 100 if max(values, default=0) <= 90 else 110)
    ax.set_xlabel(chart.x_label)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _lines(ax, chart: Chart) -> None:  # a matplotlib Axes
    x = range(len(chart.categories))
    for name, values in chart.series.items():
        colour, marker = SERIES_STYLE.get(name, (GREY, "^"))
        ax.plot(x, values, color=colour, marker=marker, markersize=4, linewidth=1.6, label=name)
    ax.set_xticks(list(x), chart.categories, rotation=45, ha="right", fontsize=8)
    ax.set_xlabel(chart.x_label)
    ax.set_ylabel(chart.y_label)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.legend(frameon=False, fontsize=8)


def render_all(content: Bulletin) -> dict[str, bytes]:
    """Every chart of the bulletin as PNG, by key."""
    return {key: png(chart) for key, chart in content.charts.items()}
