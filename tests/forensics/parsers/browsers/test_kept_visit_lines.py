"""Visits kept only as lines (recovered and unusual rows): their times are written without a
datetime where the stored value is a plain integer, exactly as format_time(to_datetime()) does."""

from __future__ import annotations

import random

import pytest

from orderwatch.domain.observations import format_time
from orderwatch.forensics.parsers.browser_times import (
    TimeFormat,
    integer_time_format,
    to_datetime,
)
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import _KeptVisitLines


@pytest.mark.parametrize("time_format", list(TimeFormat))
def test_times_as_format_time_writes_them(time_format: TimeFormat) -> None:
    kept = object.__new__(_KeptVisitLines)  # only its time settings, no database
    kept.time_format = time_format
    kept.integers = integer_time_format(time_format)
    rng = random.Random(4)
    values: list[object] = [None, 0, -1, 1, 2**63 - 1, -(2**63), 1.5, "13350000000000000", b"1"]
    if kept.integers is not None:
        per_second, epoch, earliest, latest = kept.integers
        values += [earliest - 1, earliest, latest - 1, latest, epoch + 86_400 * per_second]
        values += [rng.randrange(earliest, latest) for _ in range(2000)]
        values += [rng.randrange(earliest, latest) // per_second * per_second for _ in range(200)]
    for value in values:
        assert kept.when(value) == format_time(to_datetime(value, time_format)), value
