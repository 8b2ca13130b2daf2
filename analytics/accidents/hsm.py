"""Network screening by the US Highway Safety Manual (HSM, Part B, chapter 4): the sliding window
and peak searching. Pure functions over a window-value callback, so the Manual's worked example
can be checked directly (tests/accidents/test_hsm.py).

Windows along [start, end] of length w advance by `step`; the last window is aligned to the end
(a 0.47 mi segment with 0.2 mi windows: 0–0.2, 0.1–0.3, 0.2–0.4, 0.27–0.47).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

_EPS = 1e-9


def windows(start: float, end: float, length: float, step: float) -> list[tuple[float, float]]:
    """The windows of one length over [start, end]; one window when the length covers it all."""
    if length >= end - start - _EPS:
        return [(start, end)]
    out = []
    k = 0
    while start + k * step + length <= end + _EPS:
        s = start + k * step
        out.append((s, s + length))
        k += 1
    if out[-1][1] < end - _EPS:
        out.append((end - length, end))
    return out


def window_bounds(start: float, end: float, length: float, step: float) -> np.ndarray:
    """windows() as an array of shape (n, 2), the same numbers in the same order."""
    if length >= end - start - _EPS:
        return np.array([[start, end]])
    k = np.arange(max(int((end - start - length) // step), 0) + 2)
    s = start + k * step
    s = s[s + length <= end + _EPS]  # the loop's test, on the same numbers
    out = np.column_stack((s, s + length))
    if out[-1, 1] < end - _EPS:
        out = np.vstack((out, [[end - length, end]]))
    return out


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    value: float
    cv: float | None  # coefficient of variation; None when the value is zero


@dataclass(frozen=True)
class PeakResult:
    """The window a segment is ranked on, whether it met the CV limit, and every iteration."""

    window: Window
    passed: bool
    iterations: list[list[Window]] = field(default_factory=list)


def sliding_window(
    start: float, end: float, length: float, step: float, value: Callable[[float, float], float]
) -> Window:
    """The worst (highest-value) window; the first of equals."""
    best = None
    for s, e in windows(start, end, length, step):
        v = value(s, e)
        if best is None or v > best.value:
            best = Window(s, e, v, None)
    assert best is not None
    return best


def peak_search(
    start: float,
    end: float,
    stats: Callable[[float, float], tuple[float, float | None]],
    *,
    first: float,
    growth: float,
    cv_limit: float = 0.25,
) -> PeakResult:
    """Windows of length `first` (step `first`), growing by `growth` each iteration, until some
    window's CV is below the limit: the segment is ranked on the highest value among those.
    When even the whole segment does not pass, it is ranked on its whole value (passed=False)."""
    length = first
    iterations: list[list[Window]] = []
    while True:
        found = [Window(s, e, *stats(s, e)) for s, e in windows(start, end, length, first)]
        iterations.append(found)
        passing = [w for w in found if w.cv is not None and w.cv < cv_limit]
        if passing:
            return PeakResult(max(passing, key=lambda w: w.value), True, iterations)
        if length >= end - start - _EPS:
            return PeakResult(found[0], False, iterations)
        length = min(length + growth, end - start)
