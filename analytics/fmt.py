"""How figures read on screen and in documents (docs/architecture.md); pure functions."""

from __future__ import annotations

import math
from datetime import date

DASH = "—"
MINUS = "−"  # U+2212, the typographic minus used in changes


def count(n: int | float | None, unit: str = "") -> str:
    """12345 → "12,345 处"; None → "—"."""
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return DASH
    text = f"{n:,.0f}" if float(n).is_integer() else f"{n:,}"
    return f"{text} {unit}".strip()


def decimal(x: float | None, places: int, unit: str = "") -> str:
    """547.795 → "547.795 公里" with a thousands separator."""
    if x is None:
        return DASH
    return f"{float(x):,.{places}f} {unit}".strip()


def percent(r: float | None) -> str:
    """0.494186 → "49.4%"; None (nothing to divide by) → "—"."""
    if r is None or (isinstance(r, float) and math.isnan(r)):
        return DASH
    return f"{r * 100:.1f}%"


def signed(x: float, places: int = 1) -> str:
    """A signed number with a real minus: +3.2, −12.5, 0.0."""
    text = f"{abs(x):.{places}f}"
    if round(x, places) > 0:
        return "+" + text
    if round(x, places) < 0:
        return MINUS + text
    return text


def relative_change(change: float | None, label: str = "同比") -> str:
    """−0.125 → "同比 −12.5%"; None or NaN (no base) → "同比 —"."""
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return f"{label} {DASH}"
    return f"{label} {signed(change * 100)}%"


def points_change(before: float | None, after: float | None) -> str:
    """A change of rate in percentage points with an arrow: "↑3.2 个百分点"."""
    if before is None or after is None:
        return DASH
    d = (after - before) * 100
    if round(d, 1) == 0:
        return "持平"
    return f"{'↑' if d > 0 else '↓'}{abs(d):.1f} 个百分点"


def date_cn(d: date) -> str:
    """2022-09-15 → "2022年9月15日" (prose and documents)."""
    return f"{d.year}年{d.month}月{d.day}日"


def signed_points(before: float, after: float) -> str:
    """A change of rate in signed percentage points, for places that draw their own arrow."""
    return f"{signed((after - before) * 100)} 个百分点"
