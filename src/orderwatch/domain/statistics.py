"""Statistics arithmetic (pure): periods and their presets, the previous period to compare
with, per-cent change (including from zero), chart buckets and local-day boundaries in UTC.

Periods are whole local days, both ends included, in the unit's time zone (Europe/London by
default), so an alert raised at 00:30 BST on 1 April counts in April even though it is 23:30
UTC on 31 March.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from orderwatch.domain.investigations import invalid

UNIT_TIME_ZONE = "Europe/London"
MAX_PERIOD_DAYS = 10 * 366
MAX_BUCKETS = 26


@dataclass(frozen=True)
class Period:
    """Local days from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def label(self) -> str:
        return f"{_day(self.start)} to {_day(self.end)}"


def _day(value: date) -> str:
    return value.strftime("%d %b %Y").lstrip("0")


@dataclass(frozen=True)
class Comparison:
    """The period shown and the one it is compared with (immediately before it)."""

    current: Period
    previous: Period
    title: str

    @property
    def start(self) -> date:
        return self.previous.start

    @property
    def end_exclusive(self) -> date:
        return self.current.end_exclusive


class Preset(StrEnum):
    SIX_MONTHS = "six_months"
    TWELVE_MONTHS = "twelve_months"
    FINANCIAL_YEAR_TO_DATE = "financial_year_to_date"
    LAST_FINANCIAL_YEAR = "last_financial_year"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        return _PRESET_LABELS[self]


_PRESET_LABELS = {
    Preset.SIX_MONTHS: "Last six months vs the six before",
    Preset.TWELVE_MONTHS: "Last twelve months vs the twelve before",
    Preset.FINANCIAL_YEAR_TO_DATE: "Financial year to date vs the same days last year",
    Preset.LAST_FINANCIAL_YEAR: "Last financial year vs the one before",
    Preset.CUSTOM: "Chosen dates vs the same number of days before",
}


def months_back(day: date, months: int) -> date:
    """The same day of the month `months` earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _financial_year_start(day: date) -> date:
    """UK public-sector years run from 1 April."""
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def _same_length_before(current: Period) -> Period:
    end = current.start - timedelta(days=1)
    return Period(end - timedelta(days=current.days - 1), end)


def preset_comparison(preset: Preset, today: date) -> Comparison:
    """The periods of a preset, ending today (or with the last whole financial year)."""
    if preset is Preset.SIX_MONTHS or preset is Preset.TWELVE_MONTHS:
        months = 6 if preset is Preset.SIX_MONTHS else 12
        current = Period(months_back(today, months) + timedelta(days=1), today)
        previous = Period(
            months_back(today, 2 * months) + timedelta(days=1), months_back(today, months)
        )
        return Comparison(current, previous, preset.label)
    if preset is Preset.FINANCIAL_YEAR_TO_DATE:
        start = _financial_year_start(today)
        current = Period(start, today)
        last_start = date(start.year - 1, 4, 1)
        previous = Period(last_start, min(months_back(today, 12), start - timedelta(days=1)))
        return Comparison(current, previous, preset.label)
    if preset is Preset.LAST_FINANCIAL_YEAR:
        this_start = _financial_year_start(today)
        current = Period(date(this_start.year - 1, 4, 1), this_start - timedelta(days=1))
        previous = Period(date(this_start.year - 2, 4, 1), current.start - timedelta(days=1))
        return Comparison(current, previous, preset.label)
    raise ValueError("a custom comparison needs its dates: use custom_comparison")


def custom_comparison(start: date | None, end: date | None, today: date) -> Comparison:
    """Chosen dates compared with as many days just before; InvalidInputError names the field."""
    if start is None:
        raise invalid("start", "give the first day of the period")
    if end is None:
        raise invalid("end", "give the last day of the period")
    if end < start:
        raise invalid("end", f"the period ends ({end.isoformat()}) before it starts")
    if end > today:
        raise invalid("end", f"the period ends in the future ({end.isoformat()})")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise invalid("start", "a period is at most ten years")
    current = Period(start, end)
    return Comparison(current, _same_length_before(current), Preset.CUSTOM.label)


# --- change between the periods --------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """A figure in both periods: the absolute and per-cent change."""

    current: float
    previous: float

    @property
    def delta(self) -> float:
        return self.current - self.previous

    @property
    def percent(self) -> float | None:
        return percent_change(self.current, self.previous)

    @property
    def describe(self) -> str:
        """'+38%', '-12%', 'no change', or 'new (none before)' when the previous was zero."""
        return describe_change(self.current, self.previous)


def percent_change(current: float, previous: float) -> float | None:
    """Per-cent change from `previous`; None when previous is 0 (undefined), 0.0 if both are."""
    if previous == 0:
        return 0.0 if current == 0 else None
    return (current - previous) / previous * 100.0


def describe_change(current: float, previous: float) -> str:
    percent = percent_change(current, previous)
    if percent is None:
        return "new (none before)"
    if round(percent) == 0:
        return "no change" if current == previous else f"{percent:+.1f}%"
    return f"{percent:+.0f}%"


def signed(value: float) -> str:
    """+3, -2, 0 (absolute changes); one decimal for non-whole values."""
    if value == int(value):
        return f"{int(value):+d}" if value else "0"
    return f"{value:+.1f}"


# --- chart buckets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    """A slice of one of the two periods (a week, month, quarter or year, clipped)."""

    label: str
    start: date
    end_exclusive: date
    current: bool


def _next_boundary(day: date, unit: str) -> date:
    if unit == "week":
        return day + timedelta(days=7 - day.weekday())
    if unit == "month":
        return months_back(date(day.year, day.month, 1), -1)
    if unit == "quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return months_back(first, -3)
    return date(day.year + 1, 1, 1)


def _label(day: date, unit: str) -> str:
    if unit == "week":
        return day.strftime("%d %b").lstrip("0")
    if unit == "month":
        return day.strftime("%b %Y")
    if unit == "quarter":
        return f"Q{(day.month - 1) // 3 + 1} {day.year}"
    return str(day.year)


def _slices(period: Period, unit: str, current: bool) -> list[Bucket]:
    out = []
    day = period.start
    while day < period.end_exclusive:
        stop = min(_next_boundary(day, unit), period.end_exclusive)
        out.append(Bucket(_label(day, unit), day, stop, current))
        day = stop
    return out


def chart_buckets(comparison: Comparison) -> list[Bucket]:
    """Both periods cut into calendar weeks, months, quarters or years (the finest that gives
    at most MAX_BUCKETS slices), in time order; each bucket lies inside one period."""
    for unit in ("week", "month", "quarter", "year"):
        buckets = _slices(comparison.previous, unit, False) + _slices(
            comparison.current, unit, True
        )
        if len(buckets) <= MAX_BUCKETS:
            return buckets
    return buckets


def utc_boundaries(days: Sequence[date], zone: str = UNIT_TIME_ZONE) -> list[datetime]:
    """Local midnights of `days` as UTC instants (for timestamp columns)."""
    tz = ZoneInfo(zone)
    return [datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC) for d in days]


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
