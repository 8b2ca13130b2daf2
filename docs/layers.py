"""Draws docs/layers.png, the picture of the layers in docs/architecture.md.

Run from the project root: python docs/layers.py (matplotlib, already a runtime dependency).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

OUT = Path(__file__).with_name("layers.png")

# (row, x, width, title, lines, colour); rows from the top, x and width in a 0..10 frame
BOXES = [
    (0, 0.0, 10.0, "app.py", "router: page config, sign-in, menu by role, run the page", "#dbe4f3"),
    (1, 0.0, 6.2, "pages/", "one file a page: widgets -> call -> render", "#dbe4f3"),
    (
        1,
        6.4,
        3.6,
        "ui/  (used by pages/)",
        "Streamlit glue: context, gate,\nsession, widgets, charts, maps",
        "#dbe4f3",
    ),
    (2, 0.0, 2.4, "bulletin/", "model, content, wording,\ndocx, xlsx, charts, archive", "#e3f0dc"),
    (
        2,
        2.6,
        2.6,
        "accidents/",
        "analysis, sites, rules, search,\nhsm, road_map, effect",
        "#e3f0dc",
    ),
    (
        2,
        5.4,
        2.3,
        "ingest/",
        "read, headers, values, rules,\nplan, hazards, accidents, roads",
        "#e3f0dc",
    ),
    (2, 7.9, 2.1, "demo/", "build, roads,\nhazards, accidents", "#e3f0dc"),
    (
        3,
        0.0,
        10.0,
        "ledger/",
        "一单四制: vocabulary, workflow, hazard_list, metrics, trends, periods,"
        " export, place, evidence",
        "#e3f0dc",
    ),
    (4, 0.0, 3.6, "accounts/", "auth, sessions", "#fbecd0"),
    (
        4,
        3.8,
        6.2,
        "store/",
        "db (the only DuckDB connection), migrations, sql/*.sql,\n"
        "Store (revision, cache), definition macros, backup, manifest",
        "#fbecd0",
    ),
    (
        5,
        0.0,
        10.0,
        "analytics/*.py (base)",
        "config  city  geo  fmt  access  textsafe  inert",
        "#ececec",
    ),
]
ROW_H, GAP = 1.0, 0.45


def _y(row: int) -> float:
    return -(row * (ROW_H + GAP))


def main() -> None:
    mpl.rcParams["font.family"] = ["DejaVu Sans", "WenQuanYi Micro Hei"]
    fig = Figure(figsize=(11, 8.2), dpi=110)
    ax = fig.add_subplot()
    for row, x, w, title, lines, colour in BOXES:
        y = _y(row)
        ax.add_patch(
            FancyBboxPatch(
                (x, y),
                w,
                ROW_H,
                boxstyle="round,pad=0.02,rounding_size=0.08",
                facecolor=colour,
                edgecolor="#5a6b85",
                linewidth=1.2,
            )
        )
        ax.text(
            x + w / 2,
            y + ROW_H * 0.72,
            title,
            ha="center",
            va="center",
            fontsize=12,
            fontweight="bold",
            family="DejaVu Sans Mono",
        )
        ax.text(x + w / 2, y + ROW_H * 0.32, lines, ha="center", va="center", fontsize=9)
    # the brackets: what Streamlit may touch, what analytics/ is
    ax.text(
        -0.35,
        _y(1) + ROW_H / 2 + 0.5,
        "Streamlit",
        rotation=90,
        ha="center",
        va="center",
        fontsize=10,
        color="#1f5fbf",
    )
    ax.text(
        -0.35,
        _y(3.5) + ROW_H / 2,
        "analytics/  (no streamlit, no pydeck)",
        rotation=90,
        ha="center",
        va="center",
        fontsize=10,
        color="#2e7d32",
    )
    # imports point down only
    arrow = FancyArrowPatch(
        (10.45, _y(0) + ROW_H),
        (10.45, _y(5)),
        arrowstyle="-|>",
        mutation_scale=18,
        color="#5a6b85",
        linewidth=1.5,
    )
    ax.add_patch(arrow)
    ax.text(
        10.65,
        _y(2.5),
        "imports point down",
        rotation=270,
        ha="center",
        va="center",
        fontsize=10,
        color="#5a6b85",
    )
    # the database below the store
    y_db = _y(6) + 0.35
    ax.add_patch(
        FancyBboxPatch(
            (3.8, y_db),
            6.2,
            0.65,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor="white",
            edgecolor="#b26a00",
            linewidth=1.2,
            linestyle="--",
        )
    )
    ax.text(
        6.9,
        y_db + 0.33,
        "data/hazards.duckdb: opened by store/ only",
        ha="center",
        va="center",
        fontsize=9,
        family="monospace",
    )
    ax.set_xlim(-0.7, 11.0)
    ax.set_ylim(y_db - 0.2, ROW_H + 0.2)
    ax.axis("off")
    ax.set_title("Layers of the road-safety hazard ledger", fontsize=14, pad=8)
    fig.tight_layout()
    fig.savefig(OUT)


if __name__ == "__main__":
    main()
