"""The SQLite record format, read from raw bytes: varints, serial types, and a record carved
around a URL found in free space (see `sqlite_recovery`).

A record is a header (its length, then one serial type per column, as varints) and a body. The
URL column is the first with a body (after the rowid alias's NULL, or one integer such as Firefox's
url_hash), so the header ends where the body starts and its varints are cut apart walking
backwards: a varint's last byte is below 0x80, the others are not.
"""

from __future__ import annotations

import mmap
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

try:
    from orderwatch.forensics.parsers import _sqlitecarve
except ImportError:  # pragma: no cover (the module is built with the package)
    _sqlitecarve = None  # type: ignore[assignment]

_URL_START = re.compile(rb"https?://")
_URL_TEXT = re.compile(r"https?://[^\s\x00-\x1f\x7f]+")
_URL_BYTES = re.compile(rb"[!-~]+")
_OVERFLOW_EVIDENCE = 200  # URL bytes up to the page end that make an overflowing record credible
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_MAX_COLUMNS = 2000  # SQLite's default SQLITE_MAX_COLUMN: the C module's limit
_KIND_LETTERS = {"INTEGER": "I", "TEXT": "T"}  # other affinities take any serial type


@dataclass(frozen=True)
class RecordShape:
    """A table (or an index of it) whose deleted records are wanted: columns and the URL column.

    An index record holds the indexed columns then the table's rowid; short as it is, it is only
    accepted with its whole header.
    """

    table: str
    columns: tuple[str, ...]
    affinities: tuple[str, ...]  # INTEGER | TEXT | REAL | NUMERIC | BLOB, per column
    url_column: int
    rowid_alias: int | None = None  # the INTEGER PRIMARY KEY column, stored as NULL
    index: str | None = None  # set when the records are those of this index on `table`
    not_null: tuple[bool, ...] = ()  # per column: declared NOT NULL (empty: no such knowledge)
    # Fewest columns a record must hold (older rows of an ALTERed table hold fewer); index
    # records and records whose header lost its first bytes must hold them all.
    min_columns: int = 0


def affinity(declared_type: str) -> str:
    """SQLite's column affinity for a declared type (its documented rules, in order)."""
    upper = declared_type.upper()
    if "INT" in upper:
        return "INTEGER"
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in upper or not upper:
        return "BLOB"
    if any(word in upper for word in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


class _Overflow(Exception):
    """A record whose body runs past the page with URL text up to there: its URL continues on
    overflow pages, which are not followed. Nothing else is tried at that place (a shorter
    reading of its header would give a URL cut short)."""


# A record found: (index of its region, offset of the URL, index of its shape, offset of the
# record, header intact, its values in column order (`record_values`), text after the URL
# overwritten).
Carved = tuple[int, int, int, int, bool, tuple[object, ...], bool]


def carve_regions(
    data: mmap.mmap, regions: Sequence[tuple[int, int, int]], shapes: Sequence[RecordShape]
) -> list[Carved]:
    """Every "http(s)://" in data[start:end] of each region (low, start, end) tried as the URL
    column of each shape in turn (the first that fits wins), headers read back to `low`: the C
    module `_sqlitecarve` when built and the shapes fit it, else the same loop in Python."""
    specs = native_specs(shapes)
    if specs is not None:
        return _sqlitecarve.carve_regions(data, list(regions), specs)
    return python_carve_regions(data, regions, shapes)


def native_specs(shapes: Sequence[RecordShape]) -> tuple[tuple[object, ...], ...] | None:
    """The shapes as the C module `_sqlitecarve` takes them; None when it is not built or
    cannot take one of them."""
    specs = []
    for shape in shapes:
        spec = _spec(shape)
        if spec is None:
            return None
        specs.append(spec)
    return tuple(specs) if _sqlitecarve is not None else None


def python_carve_regions(
    data: mmap.mmap, regions: Sequence[tuple[int, int, int]], shapes: Sequence[RecordShape]
) -> list[Carved]:
    """What `_sqlitecarve.carve_regions` does, in Python (its fallback; the tests compare them)."""
    found: list[Carved] = []
    for number, (low, start, end) in enumerate(regions):
        for match in _URL_START.finditer(data, start, end):
            at = match.start()
            for which, shape in enumerate(shapes):
                carved = carve_record(data, at, low, end, shape)
                if carved is not None:
                    offset, complete, body, serials = carved
                    values, damaged = record_values(data, serials, body, shape)
                    found.append((number, at, which, offset, complete, values, damaged))
                    break
    return found


def _spec(shape: RecordShape) -> tuple[object, ...] | None:
    """A shape as the C module takes it, or None when it cannot (more columns than SQLite's
    default limit)."""
    if not 1 <= len(shape.columns) <= _MAX_COLUMNS:
        return None
    kinds = bytes(ord(_KIND_LETTERS.get(kind, "O")) for kind in shape.affinities)
    return (
        len(shape.columns),
        shape.url_column,
        -1 if shape.rowid_alias is None else shape.rowid_alias,
        shape.index is not None,
        shape.min_columns,
        kinds,
        bytes(shape.not_null),
    )


def carve_record(
    data: mmap.mmap, at: int, low: int, end: int, shape: RecordShape
) -> tuple[int, bool, int, tuple[int, ...]] | None:
    """The record of `shape` whose URL column starts at `at`, in the region [low, end), as
    (offset of the record, header intact, offset of its body, serial types), or None.

    The header ends where the body starts: at the URL, or just before it when one integer
    column precedes it (an index on (hash, url)). Varints are cut apart walking backwards (a
    varint's last byte is below 0x80, the others are not).
    """
    try:
        for before in _bytes_before_url(shape):
            carved = _carve_at(data, at, at - before, low, end, shape)
            if carved is not None:
                return carved
    except _Overflow:
        return None
    return None


def record_values(
    data: mmap.mmap, serials: tuple[int, ...], body: int, shape: RecordShape
) -> tuple[tuple[object, ...], bool]:
    """A carved record's values in column order, and whether text in it was overwritten
    (control or replacement characters): then only the columns up to the URL's are kept, those
    from the damaged one on as None."""
    values: list[object] = []
    position = body
    for serial in serials:
        value = _decode(data, position, serial)
        position += _size(serial)
        if isinstance(value, str) and _CONTROL.search(value):
            kept = values[: shape.url_column + 1]
            return (*kept, *[None] * (shape.url_column + 1 - len(kept))), True
        values.append(value)
    return tuple(values), False


def _bytes_before_url(shape: RecordShape) -> tuple[int, ...]:
    """How many body bytes may precede the URL: none when only the rowid alias comes first."""
    if shape.url_column == 0 or (shape.url_column == 1 and shape.rowid_alias == 0):
        return (0,)
    if shape.url_column == 1 and shape.affinities[0] == "INTEGER":
        return (0, 1, 2, 3, 4, 6, 8)
    return ()


def _carve_at(
    data: mmap.mmap, at: int, body: int, low: int, end: int, shape: RecordShape
) -> tuple[int, bool, int, tuple[int, ...]] | None:
    columns = len(shape.columns)
    chain = _varints_before(data, body, low, columns + 1)
    for count in range(min(columns, len(chain) - 1), shape.url_column, -1):
        serials = tuple(value for value, _ in reversed(chain[:count]))
        for header_length, header_start in _readings(data, chain, count, body):
            if header_length != body - header_start:
                continue
            if _fits(data, serials, body, at, end, shape):
                return header_start, True, body, serials
    if shape.index is not None or body != at:
        return None
    # The header's first bytes were overwritten (freeblock link, or reuse): the serial types
    # must then name every column of the table. When even the rowid alias's NULL serial type
    # (always first, never any body) is gone, it is put back.
    implicit_null = shape.rowid_alias == 0 and shape.url_column == 1
    for count, prefix in ((columns, []), (columns - 1, [0] if implicit_null else None)):
        if prefix is None or len(chain) < count or count < 1:
            continue
        nearer = [value for value, _ in reversed(chain[: count - 1])]
        for first, start in _readings(data, chain, count - 1, at):
            serials = (*prefix, first, *nearer)
            if _fits(data, serials, at, at, end, shape):
                return start, False, at, serials
    return None


def _readings(
    data: mmap.mmap, chain: list[tuple[int, int]], index: int, at: int
) -> list[tuple[int, int]]:
    """The varint chain[index] as read, and as its last byte alone: a byte before the record
    (overwritten, or another cell's) may have looked like a continuation byte."""
    value, start = chain[index]
    end = chain[index - 1][1] if index else at
    readings = [(value, start)]
    if end - start > 1:
        readings.append((data[end - 1], end - 1))
    return readings


def _varints_before(data: mmap.mmap, end: int, low: int, limit: int) -> list[tuple[int, int]]:
    """Up to `limit` varints ending at `end`, nearest first, as (value, start offset)."""
    found: list[tuple[int, int]] = []
    while len(found) < limit and end > low and data[end - 1] < 0x80:
        start = end - 1
        while start > low and end - start < 9 and data[start - 1] >= 0x80:
            start -= 1
        parsed = _varint(data, start, end)
        if parsed is None or parsed[1] != end - start:
            break
        found.append((parsed[0], start))
        end = start
    return found


def _varint(data: mmap.mmap, at: int, limit: int) -> tuple[int, int] | None:
    """A SQLite varint at `at` (big-endian, 7 bits a byte, the 9th byte whole): (value, length)."""
    value = 0
    for index in range(9):
        if at + index >= limit:
            return None
        byte = data[at + index]
        if index == 0 and byte == 0x80:  # SQLite writes varints minimally: no leading zero group
            return None
        if index == 8:
            return (value << 8) | byte, 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, index + 1
    return None


def _size(serial: int) -> int:
    if serial < 12:
        return (0, 1, 2, 3, 4, 6, 8, 8, 0, 0)[serial]
    return (serial - 12) // 2


def _allowed(serial: int, column: int, shape: RecordShape) -> bool:
    """Whether a column of this affinity can hold a value of this serial type."""
    if serial in (10, 11):  # reserved, never written
        return False
    if column == shape.rowid_alias:
        return serial == 0
    if serial == 0:
        return not (shape.not_null and shape.not_null[column])
    kind = shape.affinities[column]
    if kind == "INTEGER":
        return serial <= 9
    if kind == "TEXT":  # browsers store text here; a blob would be another table's bytes
        return serial >= 13 and serial % 2 == 1
    return True


def _fits(
    data: mmap.mmap, serials: tuple[int, ...], body: int, at: int, end: int, shape: RecordShape
) -> bool:
    """Whether the serial types fit the shape and put a whole URL at `at` (raises _Overflow for
    one that runs past the page)."""
    url_column = shape.url_column
    fewest = len(shape.columns) if shape.index is not None else shape.min_columns
    if not max(url_column + 1, fewest) <= len(serials) <= len(shape.columns):
        return False
    if not all(_allowed(serial, index, shape) for index, serial in enumerate(serials)):
        return False
    url_serial = serials[url_column]
    if url_serial < 33 or url_serial % 2 == 0:  # text of at least ten bytes
        return False
    position = body
    for index, serial in enumerate(serials):
        if index == url_column and position != at:
            return False
        position += _size(serial)
    if position > end:
        length = min(_size(url_serial), end - at, _OVERFLOW_EVIDENCE)
        run = _URL_BYTES.match(data, at, at + length)
        if run is not None and run.end() - at == length:
            raise _Overflow
        return False
    try:
        url = bytes(data[at : at + _size(url_serial)]).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _URL_TEXT.fullmatch(url) is not None


def _decode(data: mmap.mmap, at: int, serial: int) -> object:
    if serial == 0:
        return None
    if serial in (8, 9):
        return serial - 8
    if serial <= 6:
        return int.from_bytes(data[at : at + _size(serial)], "big", signed=True)
    if serial == 7:
        return struct.unpack(">d", data[at : at + 8])[0]
    raw = bytes(data[at : at + _size(serial)])
    return raw.decode("utf-8", errors="replace") if serial % 2 else raw
