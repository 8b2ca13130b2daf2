"""Reporting periods: trailing windows ending on an as-of date, and their comparisons.

A period of a kind ending on D is the trailing window (D − length, D]: a week is D−6 … D,
a month runs from the day after the same day a month earlier (ending on a month's last day: that
whole month), and so on. The previous period
is the window just before it; the year-ago period is the same window a year earlier (同比).

``Period.ending(as_of, kind)`` computes all of them once; callers build one and pass it down.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

PERIODS: dict[str, str] = {"week": "周", "month": "月", "quarter": "季度", "year": "年"}
PERIOD_LABELS: dict[str, str] = {
    "week": "近一周",
    "month": "近一月",
    "quarter": "近一季度",
    "year": "近一年",
}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def shift_months(d: date, months: int) -> date:
    """The same day ``months`` later (negative: earlier), clamped to the month's last day."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def same_day_last_year(d: date) -> date:
    """The same calendar day a year earlier (29 February maps to 28 February)."""
    return shift_months(d, -12)


def previous_as_of(as_of: date, period: str) -> date:
    """The last day of the previous period. A month's (quarter's, year's) last day steps back to
    the last day of the earlier month, so a period ending on 30 September is September itself
    (1–30 September, after 31 August), not 31 August – 30 September."""
    _check(period)
    if period == "week":
        return as_of - timedelta(days=7)
    earlier = shift_months(as_of, -_MONTHS[period])
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        return earlier.replace(day=calendar.monthrange(earlier.year, earlier.month)[1])
    return earlier


def window(as_of: date, period: str) -> tuple[date, date]:
    """The period ending on as_of, both ends included."""
    return previous_as_of(as_of, period) + timedelta(days=1), as_of


def previous_window(as_of: date, period: str) -> tuple[date, date]:
    return window(previous_as_of(as_of, period), period)


def year_ago_window(as_of: date, period: str) -> tuple[date, date]:
    """The same window a year earlier (for 同比)."""
    start, end = window(as_of, period)
    return same_day_last_year(start), same_day_last_year(end)


@dataclass(frozen=True)
class Period:
    """A reporting period of a kind ending on as_of, with its comparison windows (ends included).

    previous_as_of: the last day of the previous period (环比 compares with the ledger then);
    previous_window: that period; year_ago_window: the same window a year earlier (同比).
    """

    kind: str
    as_of: date
    window: tuple[date, date]
    previous_as_of: date
    previous_window: tuple[date, date]
    year_ago_window: tuple[date, date]

    @classmethod
    def ending(cls, as_of: date, kind: str) -> Period:
        """The period of ``kind`` ('week', 'month', 'quarter', 'year') ending on as_of."""
        return cls(
            kind=kind,
            as_of=as_of,
            window=window(as_of, kind),
            previous_as_of=previous_as_of(as_of, kind),
            previous_window=previous_window(as_of, kind),
            year_ago_window=year_ago_window(as_of, kind),
        )

    @property
    def start(self) -> date:
        return self.window[0]

    @property
    def end(self) -> date:
        return self.window[1]

    @property
    def label(self) -> str:
        """How the period reads (近一月 …)."""
        return PERIOD_LABELS[self.kind]


def _check(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"无效的统计周期“{period}”（可用：week、month、quarter、year）")
