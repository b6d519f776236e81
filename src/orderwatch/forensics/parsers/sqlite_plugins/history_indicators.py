"""Signs that browsing history was deleted, read from what a history database still holds.

Pure functions over figures a plugin gathers (visit ids, oldest/newest visit, the AUTOINCREMENT
counter, profile creation and last use). They state facts with numbers; whether a fact breaches
an order is for `domain.rules` and the officer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from orderwatch.domain.observations import format_time

# A history is "much younger" than its profile when this much kept time is missing.
YOUNGER_THAN_PROFILE_SLACK = timedelta(days=7)
# A profile is "old" when used over this span; an empty history in it is then reported.
OLD_PROFILE_SPAN = timedelta(days=7)


@dataclass(frozen=True)
class HistoryFigures:
    """What one history database says about itself, gathered by its plugin."""

    label: str  # e.g. "chrome profile 'Default'"
    first_id: int | None  # the lowest visit id (None: no visits)
    last_id: int | None  # the highest
    gaps: Sequence[tuple[int, int]]  # ids either side of each run of missing ids, ascending
    oldest: datetime | None
    newest: datetime | None
    sequence: int | None  # sqlite_sequence value of the visits table (AUTOINCREMENT), if any
    retention: timedelta | None  # how long the browser keeps visits by itself, if it expires them
    created: datetime | None = None  # profile creation
    last_used: datetime | None = None  # profile last use
    visit_times: dict[int, datetime | None] | None = (
        None  # visit id -> time: the largest gap's edges
    )


@dataclass(frozen=True)
class Indicator:
    name: str
    detail: str
    time: datetime | None
    record: str


def history_indicators(figures: HistoryFigures) -> list[Indicator]:
    """Every deletion indicator the figures show (empty when none)."""
    found = [
        _gaps(figures),
        _deleted_after_last(figures),
        _younger_than_profile(figures),
        _empty_in_old_profile(figures),
    ]
    return [indicator for indicator in found if indicator is not None]


def _gaps(figures: HistoryFigures) -> Indicator | None:
    gaps = figures.gaps
    if not gaps:
        return None
    missing = sum(after - before - 1 for before, after in gaps)
    before, after = max(gaps, key=lambda gap: gap[1] - gap[0])
    times = figures.visit_times or {}
    start, end = times.get(before), times.get(after)
    when = f", between {_day(start)} and {_day(end)}" if start and end else ""
    return Indicator(
        "visit_id_gaps",
        f"{figures.label}: {missing} visit id(s) missing inside the kept range "
        f"{figures.first_id}-{figures.last_id} ({len(gaps)} gap(s); largest: ids "
        f"{before + 1}-{after - 1}{when})",
        start,
        f"visit ids {before}..{after}",
    )


def _deleted_after_last(figures: HistoryFigures) -> Indicator | None:
    if figures.sequence is None:
        return None
    highest = figures.last_id if figures.last_id is not None else 0
    if figures.sequence <= highest:
        return None
    count = figures.sequence - highest
    return Indicator(
        "visits_deleted_after_last",
        f"{figures.label}: visit ids {highest + 1}-{figures.sequence} were issued but are gone "
        f"({count} of the most recent visits deleted)",
        figures.newest,
        f"sqlite_sequence {figures.sequence}, highest visit id {highest}",
    )


def _younger_than_profile(figures: HistoryFigures) -> Indicator | None:
    if figures.created is None or figures.oldest is None:
        return None
    reference = max(t for t in (figures.newest, figures.last_used) if t is not None)
    expected = figures.created
    if figures.retention is not None:
        expected = max(expected, reference - figures.retention)
    missing = figures.oldest - expected
    if missing <= YOUNGER_THAN_PROFILE_SLACK:
        return None
    kept = f" and keeps {figures.retention.days} days" if figures.retention else ""
    return Indicator(
        "history_younger_than_profile",
        f"{figures.label}: the oldest visit is {_day(figures.oldest)} but the profile was created "
        f"{_day(figures.created)}{kept}: about {missing.days} days of history are missing",
        figures.oldest,
        f"oldest visit {format_time(figures.oldest)}, "
        f"profile created {format_time(figures.created)}",
    )


def _empty_in_old_profile(figures: HistoryFigures) -> Indicator | None:
    if figures.last_id is not None or figures.created is None or figures.last_used is None:
        return None
    span = figures.last_used - figures.created
    if span <= OLD_PROFILE_SPAN:
        return None
    return Indicator(
        "empty_history",
        f"{figures.label}: no visits at all, in a profile created {_day(figures.created)} "
        f"and last used {_day(figures.last_used)} ({span.days} days of use)",
        figures.last_used,
        "visits table empty",
    )


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "an unknown date"
