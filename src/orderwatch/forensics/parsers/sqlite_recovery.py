"""Recover deleted URL-bearing records from the raw bytes of a SQLite database and its WAL/journal.

Deleted rows linger in free-list pages, in freeblocks and unallocated space of live b-tree pages,
in old page images in the WAL and the rollback journal. Every "http(s)://" in those places is
tried as a column of a record of a known table shape (the live schema): the record header before it
is decoded (varints and serial types, as in the SQLite file format) and must agree with the
table's column count, types and the URL's place. Records whose first bytes were overwritten when
the cell was freed (payload length, rowid, header length) are decoded from their serial types
alone and marked incomplete. Free space also keeps stale copies of rows that are still live
(left behind when pages split or were rewritten): the caller drops records whose URL a live row
holds. Only bytes are read: nothing in the data is followed or run.
"""

from __future__ import annotations

import mmap
import re
import struct
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from orderwatch.forensics.parsers.sqlite_records import (
    Carved,
    RecordShape,
    affinity,
    carve_regions,
    native_specs,
)

try:
    from orderwatch.forensics.parsers import _sqlitecarve
except ImportError:  # pragma: no cover (the module is built with the package)
    _sqlitecarve = None  # type: ignore[assignment]

__all__ = [
    "NOWHERE",
    "ColumnPlace",
    "Kept",
    "RecordShape",
    "RecoveredRecord",
    "affinity",
    "column_places",
    "column_value",
    "record_location",
    "recover_kept",
    "recover_records",
]

_URL_START = re.compile(rb"https?://")
_MAGIC = b"SQLite format 3\x00"
_WAL_MAGICS = (0x377F0682, 0x377F0683)
_JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
_BTREE_TYPES = {2: 12, 5: 12, 10: 8, 13: 8}  # page type -> b-tree page header size
_HEADER = struct.Struct(">HHH")  # a b-tree page's first freeblock, cell count, content start
# The kinds of area _sqlitecarve.page_regions numbers 0-3.
_AREA_KINDS = ("freelist page", "page superseded by the WAL", "unallocated space", "freeblock")


@dataclass(frozen=True)
class RecoveredRecord:
    """One record decoded from space SQLite no longer uses (or from an old page image)."""

    table: str
    values: dict[str, object]  # decoded columns by name (a record may hold fewer than the table)
    source: str  # "database" | "wal" | "journal"
    region: str  # freelist page | freeblock | unallocated space | superseded page | ...
    page: int | None  # database page number the bytes belong to, when known
    offset: int  # byte offset of the record (its header, or the URL when incomplete) in the file
    complete: bool  # the record header's length byte was still there
    index: str | None = None  # the index the record belonged to, for index records
    # Text after the URL was overwritten (control bytes, broken UTF-8): only the URL and the
    # columns before it are kept, the rest is not trusted.
    damaged: bool = False

    @property
    def location(self) -> str:
        """Where an examiner finds the bytes, e.g. "wal: wal frame 3 (page 7) @ 12345"."""
        return record_location(self.source, self.region, self.page, self.offset)


# A record kept, as `recover_kept` gives it: the index of its shape, its source ("database",
# "wal" or "journal"), area kind and page, offset, header intact, values in column order (shorter
# than the shape's columns when the record holds fewer), text after the URL overwritten.
Kept = tuple[int, str, str, int | None, int, bool, tuple[object, ...], bool]


def recover_records(
    database: Path,
    shapes: Sequence[RecordShape],
    wal: Path | None = None,
    journal: Path | None = None,
) -> list[RecoveredRecord]:
    """Every record of `shapes` found in free space of `database` and in its WAL and journal.

    Found in this order: the database file, the WAL, the journal; a record seen twice is kept once.
    """
    return [
        RecoveredRecord(
            shape.table,
            dict(zip(shape.columns, values, strict=False)),
            source,
            kind,
            page,
            offset,
            complete,
            shape.index,
            damaged,
        )
        for which, source, kind, page, offset, complete, values, damaged in recover_kept(
            database, shapes, wal, journal
        )
        for shape in (shapes[which],)
    ]


def recover_kept(
    database: Path,
    shapes: Sequence[RecordShape],
    wal: Path | None = None,
    journal: Path | None = None,
) -> list[Kept]:
    """What `recover_records` finds, as plain tuples (no dict or object per record: callers
    that read a few columns of thousands of records take these)."""
    if not shapes:
        return []
    found: list[Kept] = []
    seen: set[tuple[object, ...]] = set()
    wal_layout: _WalLayout | None = None
    page_size = 0
    with ExitStack() as stack:
        if wal is not None and wal.is_file() and wal.stat().st_size > 32:
            wal_layout = _WalLayout(stack.enter_context(_mapped(wal)))
        if database.is_file() and database.stat().st_size >= 512:
            data = stack.enter_context(_mapped(database))
            pages = wal_layout.superseded if wal_layout is not None else set()
            layout = _DatabaseLayout(data, pages)
            page_size = layout.page_size
            if layout.valid:
                _database_records(layout, shapes, found, seen)
        if wal_layout is not None and wal_layout.valid:
            _collect(wal_layout.data, "wal", wal_layout.regions(), shapes, found, seen)
        if journal is not None and journal.is_file() and journal.stat().st_size > 0:
            journal_layout = _JournalLayout(stack.enter_context(_mapped(journal)), page_size)
            _collect(journal_layout.data, "journal", journal_layout.regions(), shapes, found, seen)
    return found


def record_location(source: str, region: str, page: int | None, offset: int) -> str:
    """Where an examiner finds a record's bytes, e.g. "wal: wal frame 3 (page 7) @ 12345"."""
    return f"{source}: {region}{'' if page is None else f' (page {page})'} @ {offset}"


# Where records of a shape hold a column: `column_places`.
ColumnPlace = tuple[int, tuple[int, ...]]


def column_places(columns: Sequence[str], name: str) -> ColumnPlace:
    """Where a record of these columns holds the column `name`, as RecoveredRecord.values.get
    (a dict(zip(columns, values))) finds it: its last place (sys.maxsize when there is none),
    and all its places, last first, for `column_value` (a name given twice in an index's
    columns, a record too short to reach the last place)."""
    places = tuple(place for place in range(len(columns) - 1, -1, -1) if columns[place] == name)
    return (places[0] if places else sys.maxsize), places


NOWHERE: ColumnPlace = (sys.maxsize, ())  # `column_places` of a column no record holds


def column_value(values: tuple[object, ...], places: tuple[int, ...]) -> object:
    """A kept record's value of the column at `places` (`column_places`), or None when the
    record does not hold it: what RecoveredRecord.values.get(name) gives, without the dict.
    Callers may take values[last] themselves when last < len(values)."""
    for place in places:
        if place < len(values):
            return values[place]
    return None


@contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap]:
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        yield data


def _database_records(
    layout: _DatabaseLayout,
    shapes: Sequence[RecordShape],
    found: list[Kept],
    seen: set[tuple[object, ...]],
) -> None:
    """The main file's records: its whole pages walked and carved in C in one call when the
    module is built (no Python object per area), then a last page cut short."""
    specs = native_specs(shapes)
    if _sqlitecarve is None or specs is None:
        _collect(layout.data, "database", layout.regions(), shapes, found, seen)
        return
    carved = _sqlitecarve.carve_pages(
        layout.data,
        layout.page_size,
        layout.usable,
        layout.pages,
        layout.free_pages,
        layout.wal_pages,
        specs,
    )
    _keep(carved, lambda area: (_AREA_KINDS[area % 4], area // 4), "database", shapes, found, seen)
    _collect(layout.data, "database", layout.tail_regions(), shapes, found, seen)


def _collect(
    data: mmap.mmap,
    source: str,
    regions: Iterable[_Area],
    shapes: Sequence[RecordShape],
    found: list[Kept],
    seen: set[tuple[object, ...]],
) -> None:
    """Carve a record around every URL start inside the recoverable regions (in file order; a
    byte two regions claim, as damaged freeblock lists can, belongs to the first)."""
    areas: list[tuple[str, int | None]] = []
    bounds: list[tuple[int, int, int]] = []
    covered = 0
    for kind, page, low, end in regions:
        start, covered = max(low, covered), max(end, covered)
        if start < end:
            areas.append((kind, page))
            bounds.append((low, start, end))
    _keep(carve_regions(data, bounds, shapes), areas.__getitem__, source, shapes, found, seen)


def _keep(
    carved: list[Carved],
    area_of: Callable[[int], tuple[str, int | None]],
    source: str,
    shapes: Sequence[RecordShape],
    found: list[Kept],
    seen: set[tuple[object, ...]],
) -> None:
    """The carved records not seen before (`area_of` names the kind and page of each record's
    area). A record is seen before when one of the same table and index had the same repr of
    its values (a record's stale copies; a shape's columns are in order).

    The repr is only made when a value is not None, an int or a str (see _PLAIN_TYPES): values
    are None, int, float, str or bytes (as `record_values` and _sqlitecarve decode them). A
    tuple's repr parses back into its items' reprs (each one literal, name or signed number), so
    equal reprs are item by item equal reprs. The reprs of None, an int and a str are told apart
    by their first character (N, digit or minus, quote), and each is one to one; so on tuples of
    only these, == (item by item: these types never equal each other) is the same relation as
    equal reprs, and the tuple is its own key. Any other value (a float: 1 == 1.0 with other
    reprs, NaNs share "nan" but are unequal, 0.0 == -0.0; bytes; a bool) keeps the repr as the
    key: a str, never equal to a tuple, as such a repr never equals that of plain values."""
    tables = [(shape.table, shape.index) for shape in shapes]
    plain = _PLAIN_TYPES.issuperset
    add = seen.add
    for area, _, which, offset, complete, values, damaged in carved:
        key = (tables[which], values if plain(map(type, values)) else repr(values))
        if key not in seen:
            add(key)
            kind, page = area_of(area)
            found.append((which, source, kind, page, offset, complete, values, damaged))


# Values of only these exact types are equal (==) exactly when their reprs are: see `_keep`.
_PLAIN_TYPES = frozenset({type(None), int, str})


# --- where free space is -------------------------------------------------------------------

# A recoverable area: its kind, database page, and [start, end) in the file.
_Area = tuple[str, int | None, int, int]


@dataclass
class _DatabaseLayout:
    """Page geometry, free-list pages and per-page free areas of the main database file."""

    data: mmap.mmap
    wal_pages: set[int]
    valid: bool = False
    page_size: int = 0
    usable: int = 0
    pages: int = 0
    free_pages: dict[int, int] = field(default_factory=dict)  # page -> first free byte in it

    def __post_init__(self) -> None:
        data = self.data
        if len(data) < 100 or data[:16] != _MAGIC:
            return
        size = struct.unpack(">H", data[16:18])[0]
        self.page_size = 65536 if size == 1 else size
        if self.page_size < 512 or self.page_size & (self.page_size - 1):
            return
        self.usable = self.page_size - data[20]
        self.pages = len(data) // self.page_size
        self._walk_freelist(struct.unpack(">I", data[32:36])[0])
        self.valid = True

    def _walk_freelist(self, trunk: int) -> None:
        visited: set[int] = set()
        per_trunk = self.usable // 4 - 2
        while 0 < trunk <= self.pages and trunk not in visited:
            visited.add(trunk)
            start = (trunk - 1) * self.page_size
            next_trunk, count = struct.unpack(">II", self.data[start : start + 8])
            count = min(count, per_trunk)
            self.free_pages[trunk] = 8 + 4 * count
            for index in range(count):
                leaf = struct.unpack(
                    ">I", self.data[start + 8 + 4 * index : start + 12 + 4 * index]
                )[0]
                if 0 < leaf <= self.pages:
                    self.free_pages.setdefault(leaf, 0)
            trunk = next_trunk

    def regions(self) -> Iterator[_Area]:
        """Free-list pages, pages the WAL supersedes, and the unallocated space and freeblocks
        of b-tree pages, in file order (the whole pages' found by the C module `_sqlitecarve`
        when built). A last, partial page is looked at only when a URL starts in it (its header
        may be cut short)."""
        if _sqlitecarve is not None:
            for kind, page, start, end in _sqlitecarve.page_regions(
                self.data, self.page_size, self.usable, self.pages, self.free_pages, self.wal_pages
            ):
                yield _AREA_KINDS[kind], page, start, end
        else:
            for page in range(1, self.pages + 1):
                yield from self._page_regions(page)
        yield from self.tail_regions()

    def tail_regions(self) -> Iterator[_Area]:
        """A last, partial page's areas, when a URL starts in it."""
        tail = self.pages * self.page_size
        if tail < len(self.data) and _URL_START.search(self.data, tail) is not None:
            yield from self._page_regions(self.pages + 1)

    def _page_regions(self, page: int) -> list[_Area]:
        start = (page - 1) * self.page_size
        end = start + self.usable
        if page in self.free_pages:
            return [("freelist page", page, start + self.free_pages[page], end)]
        if page in self.wal_pages:
            return [("page superseded by the WAL", page, start, end)]
        header = start + (100 if page == 1 else 0)
        header_size = _BTREE_TYPES.get(self.data[header])
        if header_size is None:
            return []
        first_free, cells, content = _HEADER.unpack(self.data[header + 1 : header + 7])
        content = content or 65536
        pointers_end = header + header_size + 2 * cells
        if not pointers_end <= start + content <= end:
            return []
        regions: list[_Area] = [("unallocated space", page, pointers_end, start + content)]
        block, hops = first_free, 0
        while block and hops < self.page_size // 4:
            hops += 1
            if not content <= block <= self.usable - 4:
                break
            next_block, size = struct.unpack(">HH", self.data[start + block : start + block + 4])
            if size < 4 or block + size > self.usable:
                break
            regions.append(("freeblock", page, start + block, start + block + size))
            if next_block and next_block <= block:
                break
            block = next_block
        return regions


@dataclass
class _WalLayout:
    """WAL frames: a 32-byte header, then (24-byte frame header, page image) pairs."""

    data: mmap.mmap
    valid: bool = False
    page_size: int = 0
    superseded: set[int] = field(default_factory=set)  # pages with an image in a current frame

    def __post_init__(self) -> None:
        if len(self.data) < 32 or struct.unpack(">I", self.data[:4])[0] not in _WAL_MAGICS:
            return
        self.page_size = struct.unpack(">I", self.data[8:12])[0]
        if self.page_size < 512 or self.page_size > 65536 or self.page_size & (self.page_size - 1):
            return
        self.valid = True
        salts = self.data[16:24]
        for frame in range(32, len(self.data) - 24 - self.page_size + 1, 24 + self.page_size):
            if self.data[frame + 8 : frame + 16] == salts:
                self.superseded.add(struct.unpack(">I", self.data[frame : frame + 4])[0])

    def regions(self) -> Iterator[_Area]:
        """Each frame's page image (the last may be cut short), in file order."""
        salts, size = self.data[16:24], len(self.data)
        for index, start in enumerate(range(32 + 24, size, 24 + self.page_size)):
            header = self.data[start - 24 : start]
            page = struct.unpack(">I", header[:4])[0]
            current = header[8:16] == salts
            kind = f"wal frame {index + 1}" + ("" if current else " (older WAL generation)")
            yield kind, page, start, min(start + self.page_size, size)


@dataclass
class _JournalLayout:
    """Page images in a rollback journal: segments of (header sector, then records of page
    number, page image, checksum). A journal kept by PERSIST mode has its first header zeroed:
    its records are then read at the default sector and the database's page size."""

    data: mmap.mmap
    page_size: int
    starts: list[int] = field(default_factory=list)  # where each page image starts

    def __post_init__(self) -> None:
        self.page_size = self.page_size or 4096
        sector, position, size = 512, 0, len(self.data)
        while position + 28 <= size and self.data[position : position + 8] == _JOURNAL_MAGIC:
            records, _, _, sector, page_size = struct.unpack(
                ">IIIII", self.data[position + 8 : position + 28]
            )
            if not (512 <= sector <= 65536 and 512 <= page_size <= 65536):
                break
            self.page_size = page_size
            position += sector
            if records in (0, 0xFFFFFFFF):  # "to the end of the file"
                records = (size - position) // (page_size + 8)
            for _ in range(records):
                if position + page_size + 8 > size:
                    break
                self.starts.append(position + 4)
                position += page_size + 8
            position = -(-position // sector) * sector
        if not self.starts and self.data[:8] != _JOURNAL_MAGIC:
            step = self.page_size + 8
            self.starts = list(range(sector + 4, size - step + 5, step))

    def regions(self) -> Iterator[_Area]:
        """Each page image, in file order."""
        for start in self.starts:
            page = struct.unpack(">I", self.data[start - 4 : start])[0]
            yield "journal page image", page, start, start + self.page_size
