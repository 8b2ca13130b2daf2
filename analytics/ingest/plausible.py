"""Values that parse yet cannot be true: dates before 2000 or in the future, deadlines beyond a
horizon, stakes of absurd length, money beyond any project, overlong cells. Each is a row problem
in Chinese (never a traceback from the database, never a silent rounding)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

EARLIEST = date(2000, 1, 1)
MAX_STAKE_M = 10_000_000  # 10,000 km: longer than any route in China
MAX_FUNDS_WAN = 1_000_000  # 100 亿元 for one hazard
MAX_LOSS_YUAN = 1_000_000_000  # 10 亿元 for one accident
MAX_CASUALTIES = 500  # deaths or injuries in one accident
MAX_CELL_CHARS = 5_000  # one cell's text
FAR_KM = 50  # a point this far beyond the city's box is a mistake, not a neighbour

DATES = {
    "hazards": ("found_date", "listed_date", "closed_date", "accepted_date"),
    "accidents": ("occurred_at",),
}
DEADLINES = {"hazards": ("deadline",)}
STAKES = {"hazards": ("start_m", "end_m"), "accidents": ("stake_m",), "roads": ("start_m", "end_m")}
STAKE_COLUMNS = {
    "start_m": ("start_stake", "stakes"),
    "end_m": ("end_stake", "stakes"),
    "stake_m": ("stake", "km"),
}
MONEY = {
    "hazards": {"funds_wan": (MAX_FUNDS_WAN, "投入资金", "万元")},
    "accidents": {"loss_yuan": (MAX_LOSS_YUAN, "直接财产损失", "元")},
}
DATE_COLUMNS = {"occurred_at": ("occurred_at", "occurred_date")}


@dataclass(frozen=True)
class Bounds:
    today: date
    deadline_years: int = 5

    @cached_property  # (asked once per row of an import)
    def latest_deadline(self) -> date:
        try:
            return self.today.replace(year=self.today.year + self.deadline_years)
        except ValueError:  # 29 February
            return self.today.replace(year=self.today.year + self.deadline_years, day=28)


def problems(kind: str, rec: dict, bounds: Bounds) -> list[tuple[str, str]]:
    """(field, Chinese message) for each implausible value of one checked record."""
    out: list[tuple[str, str]] = []
    for f in DATES.get(kind, ()):
        if (d := rec.get(f)) is None:  # most dates of a row are empty
            continue
        d = _day(d)
        if d is not None and d < EARLIEST:
            out.append((f, f"日期 {d} 早于 {EARLIEST.year} 年，请核对"))
        elif d is not None and d > bounds.today:
            out.append((f, f"日期 {d} 晚于今天（{bounds.today}），请核对"))
    for f in DEADLINES.get(kind, ()):
        if (d := rec.get(f)) is None:
            continue
        d = _day(d)
        if d is not None and d < EARLIEST:
            out.append((f, f"日期 {d} 早于 {EARLIEST.year} 年，请核对"))
        elif d is not None and d > bounds.latest_deadline:
            out.append(
                (
                    f,
                    f"完成时限 {d} 晚于今天起 {bounds.deadline_years} 年"
                    f"（{bounds.latest_deadline}），请核对",
                )
            )
    seen = set()  # a single stake stands for both ends: reported once
    for f in STAKES.get(kind, ()):
        m = rec.get(f)
        if m in seen:
            continue
        seen.add(m)
        if m is not None and not 0 <= m <= MAX_STAKE_M:
            out.append((f, f"桩号超出合理范围（0 至 K{MAX_STAKE_M // 1000}），请核对"))
    for f, (limit, label, unit) in MONEY.get(kind, {}).items():
        x = rec.get(f)
        if x is not None and x < 0:
            out.append((f, f"{label}不能为负数"))
        elif x is not None and x > limit:
            out.append((f, f"{label}超过 {limit:,} {unit}，请核对单位和数值"))
    return out


def suspects(kind: str, records: list[dict | None], bounds: Bounds) -> set[int]:
    """The positions of the records problems() may find something in, a field at a time: a
    value not of the plain type or out of the plain range (a superset of the problems)."""
    plain = {
        **{f: ((date,), EARLIEST, bounds.today) for f in DATES.get(kind, ())},
        **{f: ((date,), EARLIEST, bounds.latest_deadline) for f in DEADLINES.get(kind, ())},
        **{f: ((int, float), 0, MAX_STAKE_M) for f in STAKES.get(kind, ())},
        **{f: ((int, float), 0, limit) for f, (limit, _, _) in MONEY.get(kind, {}).items()},
    }
    present = [(i, r) for i, r in enumerate(records) if r is not None]
    found: set[int] = set()
    for f, (kinds, lo, hi) in plain.items():
        found.update(
            i
            for i, r in present
            if (v := r.get(f)) is not None and (type(v) not in kinds or not lo <= v <= hi)
        )
    return found


def column(f: str, names: dict[str, str]) -> str:
    """The header the user sees for a record field."""
    for candidate in (f, *STAKE_COLUMNS.get(f, ()), *DATE_COLUMNS.get(f, ())):
        if candidate in names:
            return names[candidate]
    return f


def raw_field(f: str, raw: dict) -> object:
    for candidate in (f, *STAKE_COLUMNS.get(f, ()), *DATE_COLUMNS.get(f, ())):
        if raw.get(candidate) is not None:
            return raw[candidate]
    return None


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None
