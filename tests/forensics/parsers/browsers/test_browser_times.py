"""Browser timestamp formats to UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orderwatch.forensics.parsers.browser_times import TimeFormat, to_datetime


@pytest.mark.parametrize(
    ("value", "time_format", "expected"),
    [
        # plaso's first Chrome visit (MANIFEST 1.1): WebKit microseconds since 1601.
        (12946651391000000, TimeFormat.WEBKIT, datetime(2011, 4, 7, 12, 3, 11, tzinfo=UTC)),
        # Chromium keeps some times as digit strings in Preferences: read exactly, not as floats.
        (
            "13439841049221256",
            TimeFormat.WEBKIT,
            datetime(2026, 11, 22, 17, 10, 49, 221256, tzinfo=UTC),
        ),
        # Firefox PRTime (MANIFEST 1.4).
        (1309518981371935, TimeFormat.PRTIME, datetime(2011, 7, 1, 11, 16, 21, 371935, tzinfo=UTC)),
        # Safari: Mac absolute time, seconds since 2001 as a float (MANIFEST 1.7).
        (531955468.829571, TimeFormat.COCOA, datetime(2017, 11, 9, 21, 24, 28, 829571, tzinfo=UTC)),
        (1306139730, TimeFormat.POSIX, datetime(2011, 5, 23, 8, 35, 30, tzinfo=UTC)),
        (
            1700000000123,
            TimeFormat.POSIX_MS,
            datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC),
        ),
    ],
)
def test_stored_values_become_utc(
    value: object, time_format: TimeFormat, expected: datetime
) -> None:
    assert to_datetime(value, time_format) == expected


@pytest.mark.parametrize(
    "value",
    [None, 0, "", "soon", b"\x01\x02", True, -63114076800.0, 10**30, float("nan")],
)
def test_unset_or_nonsense_values_give_none(value: object) -> None:
    assert to_datetime(value, TimeFormat.COCOA) is None
    assert to_datetime(value, TimeFormat.WEBKIT) is None
