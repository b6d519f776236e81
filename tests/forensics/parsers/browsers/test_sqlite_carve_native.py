"""The C loop of deleted-record carving (`_sqlitecarve`) finds the same records as its pure-Python
fallback (sqlite_records.python_carve_regions): on real databases with deleted rows (table and
index records, an integer column before the URL), on the same files with bytes overwritten at
random, on generated headers around URLs of every awkward kind (non-ASCII, Unicode spaces, broken
UTF-8, URLs running past the region) and on bad arguments."""

from __future__ import annotations

import random
import sqlite3
from itertools import pairwise
from pathlib import Path

import pytest

from orderwatch.forensics.parsers import _sqlitecarve, sqlite_records, sqlite_recovery
from orderwatch.forensics.parsers.sqlite_plugins.interface import _read_schema
from orderwatch.forensics.parsers.sqlite_records import (
    RecordShape,
    _spec,
    carve_regions,
    python_carve_regions,
)

URLS = (
    "CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,"
    "visit_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL)"
)
PLACES = (
    "CREATE TABLE places(url_hash INTEGER, url TEXT, title TEXT, frecency REAL, guid BLOB, "
    "note NUMERIC)"
)
ODD_TEXT = ("caf\u00e9", "\u00a0", "\u2028", "\U0001f600", "\x00", "\x1f", "\x7f", " ", "\t", "%")


def _both(data: bytes, regions: list[tuple[int, int, int]], shapes: list[RecordShape]) -> list:
    specs = tuple(_spec(shape) for shape in shapes)
    native = _sqlitecarve.carve_regions(data, regions, specs)
    # repr: the same types and values (a REAL column may hold a NaN, unequal to itself)
    assert repr(native) == repr(python_carve_regions(data, regions, shapes))
    assert repr(carve_regions(data, regions, shapes)) == repr(native)
    return native


def _url(rng: random.Random, number: int) -> str:
    tail = "".join(rng.choice(("x", "/", "?q=", *ODD_TEXT)) for _ in range(rng.randrange(4)))
    if rng.random() < 0.05:
        tail += "&pad=" + "p" * rng.randrange(200, 3000)  # spills onto overflow pages
    return f"http{'s' if number % 2 else ''}://site{number}.example.test/{number}{tail}"


def _database(path: Path, seed: int) -> list[RecordShape]:
    rng = random.Random(seed)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA secure_delete = OFF")
        connection.execute(URLS)
        connection.execute("CREATE INDEX urls_url_index ON urls (url)")
        connection.execute(PLACES)
        connection.execute("CREATE INDEX places_hash_url ON places (url_hash, url)")
        for number in range(400):
            url = _url(rng, number)
            connection.execute(
                "INSERT INTO urls (url, title, visit_count, last_visit_time) VALUES (?, ?, ?, ?)",
                (url, rng.choice((None, f"Page {number}", "\u00e9\x01")), number, number << 40),
            )
            connection.execute(
                "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?)",
                (rng.randrange(-(2**63), 2**63), url, "t", 0.5, b"\x80\x81", rng.random()),
            )
        connection.execute("DELETE FROM urls WHERE id % 3 = 0")
        connection.execute("DELETE FROM places WHERE rowid % 4 = 0")
    connection.close()
    with sqlite3.connect(f"{path.as_uri()}?immutable=1", uri=True) as connection:
        schema = _read_schema(connection, str(path))
    connection.close()
    shapes = []
    for table, needed in (("urls", ("title", "last_visit_time")), ("places", ("title",))):
        shape = schema.shape(table, "url", needed)
        assert shape is not None
        shapes += [shape, *schema.index_shapes(table, "url")]
    return shapes


def _pages(data: bytes, size: int = 4096) -> list[tuple[int, int, int]]:
    return [(start, start, min(start + size, len(data))) for start in range(0, len(data), size)]


@pytest.mark.parametrize("seed", [1, 2])
def test_real_databases_give_the_same_records(tmp_path: Path, seed: int) -> None:
    database = tmp_path / "History"
    shapes = _database(database, seed)
    data = database.read_bytes()
    found = _both(data, _pages(data), shapes)
    assert {which for _, _, which, *_ in found} >= {0, 1, 2}  # table, index, hash-before-URL
    assert any(not complete for _, _, _, _, complete, _, _ in found)
    assert {type(v) for *_, values, _ in found for v in values} >= {str, int, float, bytes}
    # the whole file as one region, and regions starting mid-page (headers cut off)
    _both(data, [(0, 0, len(data))], shapes)
    _both(data, [(low + 1000, low + 1500, end) for low, _, end in _pages(data)], shapes)


@pytest.mark.parametrize("seed", range(6))
def test_overwritten_bytes_give_the_same_records(tmp_path: Path, seed: int) -> None:
    database = tmp_path / "History"
    shapes = _database(database, seed)
    rng = random.Random(seed)
    data = bytearray(database.read_bytes())
    for _ in range(len(data) // 50):
        at = rng.randrange(len(data))
        data[at] = rng.choice((0x00, 0x7F, 0x80, 0x81, 0xFF, 0x0D, 0x21, rng.randrange(256)))
    _both(bytes(data), _pages(bytes(data)), shapes)


def _varint(value: int) -> bytes:
    if value > 0x00FFFFFFFFFFFFFF:
        groups = [value & 0xFF]
        value >>= 8
        for _ in range(8):
            groups.append(value & 0x7F | 0x80)
            value >>= 7
        return bytes(reversed(groups))
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(reversed(out))


SHAPES = [
    RecordShape("t", ("id", "url", "title", "n"), ("INTEGER", "TEXT", "TEXT", "INTEGER"), 1, 0,
                not_null=(False, False, False, True), min_columns=2),
    RecordShape("h", ("hash", "url", "rowid"), ("INTEGER", "TEXT", "INTEGER"), 1, index="i"),
    RecordShape("u", ("url", "r", "b"), ("TEXT", "REAL", "BLOB"), 0),
    RecordShape("x", ("a", "b", "url"), ("TEXT", "TEXT", "TEXT"), 2),  # never carved
]  # fmt: skip


def _size(serial: int) -> int:
    return (0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0)[serial] if serial < 12 else (serial - 12) // 2


def _generated(rng: random.Random) -> bytes:
    """Records of SHAPES' kinds around URLs, most of them well formed, with damage mixed in."""
    pieces = []
    for _ in range(80):
        scheme = rng.choice(("https://", "http://", "https://", "httpx://", "http:/"))
        odd = rng.choice(ODD_TEXT) if rng.random() < 0.3 else ""
        body = scheme + "".join(rng.choice("a./=?") for _ in range(12)) + odd
        text = body.encode("utf-8", "surrogatepass")
        if rng.random() < 0.1:
            text = text[:-1] + rng.choice((b"\xc3", b"\xed\xa0\x80", b"\xf8", b"\xc0\xaf"))
        url = len(text) * 2 + 13 + rng.choice((0,) * 8 + (2, -2, 1, 2000))
        kind = rng.randrange(3)
        if kind == 0:  # t: NULL rowid alias, url, title, n
            serials = [rng.choice((0,) * 6 + (1, 13)), url, rng.choice((0, 13, 21, 12)), 1]
            serials = serials[: rng.choice((2, 3, 4, 4, 4))]
        elif kind == 1:  # h: hash, url, rowid (an index record: all columns)
            serials = [rng.choice((1, 2, 3, 4, 6, 8, 0)), url, rng.choice((1, 2, 9))]
        else:  # u: url, a REAL, a BLOB
            serials = [url, rng.choice((7, 0, 1)), rng.choice((12, 14, 0))]
        if rng.random() < 0.1:
            serials.append(rng.choice((10, 2**64 - 1, 1)))
        header = b"".join(_varint(serial) for serial in serials)
        length = len(header) + 1 + rng.choice((0,) * 8 + (1, -1))
        url_at = 1 if kind == 0 else 0
        before = bytes(rng.randrange(256) for _ in range(_size(serials[0]))) if url_at else b""
        after = min(sum(_size(serial) for serial in serials[url_at + 1 :]), 64)
        lead = rng.choice((b"", b"\x00" * 4, bytes([0x80] * 9), b"\x81"))
        if rng.random() < 0.2:  # the record's first bytes overwritten
            lead, length = b"\x00\x00\x00", -1
        pieces.append(
            lead
            + (_varint(length) if length >= 0 else b"")
            + header
            + before
            + text
            + bytes(rng.randrange(256) for _ in range(after + rng.choice((0, 0, 3, -1))))
        )
    return b"".join(pieces)


@pytest.mark.parametrize("seed", range(20))
def test_generated_headers_give_the_same_records(seed: int) -> None:
    rng = random.Random(seed)
    data = _generated(rng)
    cuts = sorted(rng.randrange(len(data)) for _ in range(8))
    regions = [(0, 0, len(data))] + [(a, a, b) for a, b in pairwise([0, *cuts, len(data)])]
    found = _both(data, regions, SHAPES)
    assert len({(which, complete) for _, _, which, _, complete, _, _ in found}) >= 3
    _both(data, regions, SHAPES[::-1])


def test_overwritten_text_after_the_url_keeps_the_columns_up_to_it() -> None:
    found = []
    for seed in range(20):
        data = _generated(random.Random(seed))
        found += _both(data, [(0, 0, len(data))], SHAPES)
    damaged = [(which, values) for _, _, which, _, _, values, bad in found if bad]
    assert damaged and len(damaged) < len(found)
    assert all(len(values) == SHAPES[which].url_column + 1 for which, values in damaged)


def _areas(data: bytes, wal_pages: set[int], native: bool) -> list[object]:
    """The areas found, then what stopped the walk (a last page cut short can)."""
    layout = sqlite_recovery._DatabaseLayout(data, wal_pages)  # type: ignore[arg-type]
    saved = sqlite_recovery._sqlitecarve
    sqlite_recovery._sqlitecarve = saved if native else None  # type: ignore[assignment]
    found: list[object] = []
    try:
        found.extend(layout.regions() if layout.valid else [])
    except Exception as error:  # both paths must stop the same way
        found.append(repr(error))
    finally:
        sqlite_recovery._sqlitecarve = saved
    return found


@pytest.mark.parametrize("seed", range(6))
def test_free_space_is_found_in_the_same_places(tmp_path: Path, seed: int) -> None:
    """Free-list pages, superseded pages, unallocated space and freeblock chains, on a real
    database, the same with bytes overwritten (damaged headers and chains) and cut short."""
    database = tmp_path / "History"
    _database(database, seed)
    rng = random.Random(seed)
    data = bytearray(database.read_bytes())
    pages = len(data) // 4096
    wal_pages = set(rng.sample(range(1, pages + 1), 3))
    variants = [bytes(data), bytes(data[: len(data) - 1000])]
    for _ in range(len(data) // 40):
        at = rng.randrange(100, len(data))
        data[at] = rng.choice((0x00, 0x02, 0x05, 0x0A, 0x0D, 0xFF, rng.randrange(256)))
    variants.append(bytes(data))
    for variant in variants:
        native = _areas(variant, wal_pages, True)
        assert native == _areas(variant, wal_pages, False)
    assert {area[0] for area in _areas(variants[0], wal_pages, True)} == {  # type: ignore[index]
        "freelist page", "page superseded by the WAL", "unallocated space", "freeblock"
    }  # fmt: skip


def _recovered(database: Path, shapes: list[RecordShape], native: bool) -> str:
    saved = (sqlite_recovery._sqlitecarve, sqlite_records._sqlitecarve)
    if not native:
        sqlite_recovery._sqlitecarve = sqlite_records._sqlitecarve = None  # type: ignore[assignment]
    try:
        return repr(sqlite_recovery.recover_records(database, shapes))
    except Exception as error:  # both paths must stop the same way
        return repr(error)
    finally:
        sqlite_recovery._sqlitecarve, sqlite_records._sqlitecarve = saved


@pytest.mark.parametrize("seed", range(4))
def test_pages_carved_in_one_call_give_the_same_records(tmp_path: Path, seed: int) -> None:
    """recover_records with the whole pages walked and carved in C (carve_pages) and with
    the Python walk and carving: the same records, in the same order, on a real database,
    the same with bytes overwritten, and cut mid-page."""
    database = tmp_path / "History"
    shapes = _database(database, seed)
    rng = random.Random(seed)
    whole = database.read_bytes()
    damaged = bytearray(whole)
    for _ in range(len(damaged) // 60):
        damaged[rng.randrange(100, len(damaged))] = rng.randrange(256)
    for number, variant in enumerate((whole, bytes(damaged), whole[: len(whole) - 1500])):
        database.write_bytes(variant)
        native = _recovered(database, shapes, True)
        assert native == _recovered(database, shapes, False)
        assert number == 2 or native.count("RecoveredRecord(") > 20


def test_bad_arguments_are_refused() -> None:
    spec = _spec(SHAPES[0])
    with pytest.raises(ValueError):
        _sqlitecarve.carve_regions(b"https://x.test/", [(0, 0, 99)], (spec,))
    with pytest.raises(ValueError):
        _sqlitecarve.carve_regions(b"https://x.test/", [(5, 2, 9)], (spec,))
    with pytest.raises(TypeError):
        _sqlitecarve.carve_regions(b"https://x.test/", [(0, 9)], (spec,))
    with pytest.raises(ValueError):
        _sqlitecarve.carve_regions(b"", [], ((4, 9, -1, False, 0, b"ITTI", b""),))
    with pytest.raises(ValueError):
        _sqlitecarve.carve_regions(b"", [], ((4, 1, 0, False, 0, b"IT", b""),))
    with pytest.raises(TypeError):
        _sqlitecarve.carve_regions(b"", [], ((4, 1, 0),))
    assert _sqlitecarve.carve_regions(b"", [], ()) == []
    with pytest.raises(ValueError, match="geometry"):
        _sqlitecarve.page_regions(b"\0" * 4096, 4096, 4096, 2, {}, set())
    with pytest.raises(ValueError, match="geometry"):
        _sqlitecarve.page_regions(b"\0" * 4096, 300, 300, 1, {}, set())
    with pytest.raises(ValueError, match="geometry"):
        _sqlitecarve.carve_pages(b"\0" * 4096, 4096, 4096, 2, {}, set(), (spec,))
    with pytest.raises(TypeError):
        _sqlitecarve.carve_pages(b"\0" * 4096, 4096, 4096, 1, {}, set(), ((1, 2),))
    assert _spec(RecordShape("w", tuple(f"c{n}" for n in range(2001)), ("TEXT",) * 2001, 0)) is None
