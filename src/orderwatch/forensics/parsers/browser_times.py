"""Browser timestamp formats converted to UTC datetimes (values outside 1970-2100 give None)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

_EPOCH_1601 = datetime(1601, 1, 1, tzinfo=UTC)
_EPOCH_1970 = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_2001 = datetime(2001, 1, 1, tzinfo=UTC)
_EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


class TimeFormat(StrEnum):
    """How a browser stores a point in time."""

    WEBKIT = "webkit"  # Chrome: microseconds since 1601-01-01
    PRTIME = "prtime"  # Firefox: microseconds since 1970-01-01
    COCOA = "cocoa"  # Safari: seconds (float) since 2001-01-01
    POSIX = "posix"  # seconds since 1970-01-01
    POSIX_MS = "posix_ms"  # milliseconds since 1970-01-01 (Firefox times.json)


def to_datetime(value: object, time_format: TimeFormat) -> datetime | None:
    """The UTC time a stored value means; None for NULL, 0, text that is no number, or nonsense."""
    number = value if type(value) is int else _number(value)  # most stored times are ints
    if number is None:
        return None
    if number == 0:
        return None
    try:
        if time_format is TimeFormat.WEBKIT:
            moment = _EPOCH_1601 + timedelta(microseconds=number)
        elif time_format is TimeFormat.PRTIME:
            moment = _EPOCH_1970 + timedelta(microseconds=number)
        elif time_format is TimeFormat.COCOA:
            moment = _EPOCH_2001 + timedelta(seconds=number)
        elif time_format is TimeFormat.POSIX_MS:
            moment = _EPOCH_1970 + timedelta(milliseconds=number)
        else:
            moment = _EPOCH_1970 + timedelta(seconds=number)
    except (OverflowError, ValueError):
        return None
    if not _EARLIEST <= moment < _LATEST:
        return None
    return moment


def _number(value: object) -> int | float | None:
    """A stored value as a number (digit strings stay exact integers), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            return None
    return None
