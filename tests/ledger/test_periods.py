from datetime import date

import pytest

from analytics.ledger import periods as p

D = date(2022, 9, 15)


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("week", date(2022, 9, 9)),
        ("month", date(2022, 8, 16)),
        ("quarter", date(2022, 6, 16)),
        ("year", date(2021, 9, 16)),
    ],
)
def test_windows_end_on_the_as_of_date(period, start) -> None:
    assert p.window(D, period) == (start, D)


def test_previous_and_year_ago_windows() -> None:
    assert p.previous_window(D, "month") == (date(2022, 7, 16), date(2022, 8, 15))
    assert p.previous_window(D, "week") == (date(2022, 9, 2), date(2022, 9, 8))
    assert p.year_ago_window(D, "month") == (date(2021, 8, 16), date(2021, 9, 15))


def test_month_ends_and_leap_days() -> None:
    assert p.shift_months(date(2022, 3, 31), -1) == date(2022, 2, 28)
    assert p.shift_months(date(2022, 1, 15), -1) == date(2021, 12, 15)
    assert p.same_day_last_year(date(2024, 2, 29)) == date(2023, 2, 28)
    assert p.window(date(2024, 3, 29), "month") == (date(2024, 3, 1), date(2024, 3, 29))


def test_unknown_period() -> None:
    with pytest.raises(ValueError, match="无效的统计周期“day”"):
        p.window(D, "day")


def test_a_period_ending_on_a_months_last_day_is_whole_months() -> None:
    # 30 September: September, after August (was 31 Aug – 30 Sep, after 31 Jul – 30 Aug)
    assert p.window(date(2022, 9, 30), "month") == (date(2022, 9, 1), date(2022, 9, 30))
    assert p.previous_window(date(2022, 9, 30), "month") == (date(2022, 8, 1), date(2022, 8, 31))
    assert p.year_ago_window(date(2022, 9, 30), "month") == (date(2021, 9, 1), date(2021, 9, 30))
    assert p.previous_window(date(2022, 12, 31), "month") == (date(2022, 11, 1), date(2022, 11, 30))
    assert p.window(date(2022, 6, 30), "quarter") == (date(2022, 4, 1), date(2022, 6, 30))
    assert p.previous_window(date(2022, 6, 30), "quarter") == (date(2022, 1, 1), date(2022, 3, 31))
    assert p.window(date(2024, 2, 29), "year") == (date(2023, 3, 1), date(2024, 2, 29))
    assert p.window(date(2022, 9, 29), "month") == (
        date(2022, 8, 30),
        date(2022, 9, 29),
    )  # as before


def test_a_period_is_computed_once_with_its_comparison_windows() -> None:
    month = p.Period.ending(date(2022, 9, 30), "month")
    assert month == p.Period(
        kind="month",
        as_of=date(2022, 9, 30),
        window=(date(2022, 9, 1), date(2022, 9, 30)),
        previous_as_of=date(2022, 8, 31),
        previous_window=(date(2022, 8, 1), date(2022, 8, 31)),
        year_ago_window=(date(2021, 9, 1), date(2021, 9, 30)),
    )
    assert (month.start, month.end, month.label) == (date(2022, 9, 1), date(2022, 9, 30), "近一月")
    week = p.Period.ending(D, "week")
    assert (week.window, week.previous_window) == (
        (date(2022, 9, 9), D),
        (date(2022, 9, 2), date(2022, 9, 8)),
    )
    assert hash(week) == hash(p.Period.ending(D, "week"))  # a cache key for the pages
    with pytest.raises(ValueError, match="无效的统计周期"):
        p.Period.ending(D, "day")
