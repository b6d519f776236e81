"""Browser timestamp formats converted to UTC datetimes (values outside 1970-2100 give None)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from time import gmtime, strftime

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


# Per format whose values are integers: (units a second, the 1970 epoch in those units).
_INTEGER_UNITS = {
    TimeFormat.WEBKIT: (1_000_000, (_EPOCH_1970 - _EPOCH_1601) // timedelta(microseconds=1)),
    TimeFormat.PRTIME: (1_000_000, 0),
    TimeFormat.POSIX: (1, 0),
    TimeFormat.POSIX_MS: (1_000, 0),
}


def integer_time_format(time_format: TimeFormat) -> tuple[int, int, int, int] | None:
    """For a format whose values are integers: (units a second, the 1970 epoch in those units,
    the earliest and the first too-late value to_datetime accepts), so a loop over many stored
    integers converts them without a datetime each; None for formats stored as REAL (COCOA)."""
    if time_format not in _INTEGER_UNITS:
        return None
    per_second, epoch = _INTEGER_UNITS[time_format]
    earliest = epoch + int((_EARLIEST - _EPOCH_1970).total_seconds()) * per_second
    latest = epoch + int((_LATEST - _EPOCH_1970).total_seconds()) * per_second
    return per_second, epoch, earliest, latest


def integer_time_text(stored: int, units: tuple[int, int, int, int]) -> str | None:
    """format_time(to_datetime(stored)) for an integer of a format `integer_time_format` gave
    `units` for, without a datetime (a loop over many stored times); None out of range."""
    per_second, epoch, earliest, latest = units
    if not earliest <= stored < latest:
        return None
    seconds, fraction = divmod(stored - epoch, per_second)
    text = strftime("%Y-%m-%dT%H:%M:%S", gmtime(seconds))  # years 1970-2099 here
    micro = fraction * (1_000_000 // per_second)
    return f"{text}.{micro:06d}Z" if micro else text + "Z"
