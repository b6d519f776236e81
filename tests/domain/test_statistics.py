"""Period arithmetic, per-cent change (also from zero) and chart buckets, by hand."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from orderwatch.domain.errors import InvalidInputError
from orderwatch.domain.statistics import (
    Change,
    Period,
    Preset,
    chart_buckets,
    custom_comparison,
    describe_change,
    median,
    months_back,
    percent_change,
    preset_comparison,
    signed,
    utc_boundaries,
)


def test_months_back_clamps_to_the_end_of_shorter_months() -> None:
    assert months_back(date(2025, 8, 31), 6) == date(2025, 2, 28)
    assert months_back(date(2024, 8, 31), 6) == date(2024, 2, 29)
    assert months_back(date(2025, 1, 15), 1) == date(2024, 12, 15)
    assert months_back(date(2025, 1, 15), -2) == date(2025, 3, 15)


def test_six_months_against_the_six_before_meet_without_gap_or_overlap() -> None:
    comparison = preset_comparison(Preset.SIX_MONTHS, date(2025, 3, 15))
    assert comparison.current == Period(date(2024, 9, 16), date(2025, 3, 15))
    assert comparison.previous == Period(date(2024, 3, 16), date(2024, 9, 15))
    assert comparison.current.days == 181 and comparison.previous.days == 184


def test_financial_year_presets() -> None:
    to_date = preset_comparison(Preset.FINANCIAL_YEAR_TO_DATE, date(2025, 6, 30))
    assert to_date.current == Period(date(2025, 4, 1), date(2025, 6, 30))
    assert to_date.previous == Period(date(2024, 4, 1), date(2024, 6, 30))
    last = preset_comparison(Preset.LAST_FINANCIAL_YEAR, date(2025, 2, 1))
    assert last.current == Period(date(2023, 4, 1), date(2024, 3, 31))
    assert last.previous == Period(date(2022, 4, 1), date(2023, 3, 31))


def test_custom_dates_compare_with_as_many_days_before() -> None:
    comparison = custom_comparison(date(2025, 1, 1), date(2025, 3, 31), date(2025, 4, 2))
    assert comparison.current.days == 90
    assert comparison.previous == Period(date(2024, 10, 3), date(2024, 12, 31))


@pytest.mark.parametrize(
    ("start", "end", "field", "words"),
    [
        (date(2025, 3, 1), date(2025, 2, 1), "end", "before it starts"),
        (date(2025, 3, 1), date(2025, 5, 1), "end", "in the future"),
        (None, date(2025, 2, 1), "start", "first day"),
        (date(2000, 1, 1), date(2025, 2, 1), "start", "ten years"),
    ],
)
def test_bad_custom_dates_name_the_field(
    start: date | None, end: date, field: str, words: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        custom_comparison(start, end, date(2025, 4, 1))
    assert caught.value.source == field
    assert words in str(caught.value)


def test_per_cent_change_including_from_zero() -> None:
    assert percent_change(18, 13) == pytest.approx(38.46, abs=0.01)
    assert percent_change(6, 8) == -25.0
    assert percent_change(0, 0) == 0.0
    assert percent_change(4, 0) is None
    assert describe_change(18, 13) == "+38%"
    assert describe_change(6, 8) == "-25%"
    assert describe_change(4, 0) == "new (none before)"
    assert describe_change(0, 0) == "no change"
    assert describe_change(0, 5) == "-100%"
    assert describe_change(1001, 1000) == "+0.1%"
    assert Change(3, 5).delta == -2 and signed(-2) == "-2" and signed(3) == "+3"
    assert signed(0) == "0" and signed(1.5) == "+1.5"


def test_chart_buckets_are_months_clipped_to_each_period() -> None:
    comparison = preset_comparison(Preset.SIX_MONTHS, date(2025, 3, 15))
    buckets = chart_buckets(comparison)
    assert [b.label for b in buckets][:2] == ["Mar 2024", "Apr 2024"]
    assert buckets[0].start == date(2024, 3, 16) and buckets[0].end_exclusive == date(2024, 4, 1)
    assert buckets[-1].label == "Mar 2025" and buckets[-1].end_exclusive == date(2025, 3, 16)
    assert sum(1 for b in buckets if b.current) == 7  # Sep (from 16th) .. Mar (to 15th)
    # consecutive, non-overlapping, covering both periods exactly
    for a, b in itertools.pairwise(buckets):
        assert a.end_exclusive == b.start
    days = sum((b.end_exclusive - b.start).days for b in buckets)
    assert days == comparison.current.days + comparison.previous.days


def test_short_periods_use_weeks_and_long_ones_quarters() -> None:
    short = chart_buckets(custom_comparison(date(2025, 3, 1), date(2025, 3, 31), date(2025, 4, 1)))
    assert len(short) <= 26 and short[0].end_exclusive == date(2025, 2, 3)  # a Monday
    two_years = chart_buckets(
        custom_comparison(date(2023, 1, 1), date(2024, 12, 31), date(2025, 1, 1))
    )
    assert [b.label for b in two_years][:2] == ["Q4 2020", "Q1 2021"] and len(two_years) == 17
    five_years = custom_comparison(date(2020, 1, 1), date(2024, 12, 31), date(2025, 1, 1))
    assert five_years.previous.start == date(2014, 12, 31)  # 1,827 days before
    assert [b.label for b in chart_buckets(five_years)][:3] == ["2014", "2015", "2016"]


def test_local_midnight_in_utc_follows_summer_time() -> None:
    winter, summer = utc_boundaries([date(2025, 1, 10), date(2025, 7, 10)])
    assert winter == datetime(2025, 1, 10, 0, 0, tzinfo=UTC)
    assert summer == datetime(2025, 7, 9, 23, 0, tzinfo=UTC)


def test_median() -> None:
    assert median([]) is None
    assert median([5, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == 2.5
