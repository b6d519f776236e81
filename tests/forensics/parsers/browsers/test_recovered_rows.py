"""Recovered records as plain tuples (`recover_kept`): the same records, dedupe and visit rows as
the RecoveredRecord objects gave (references written here as the code was before)."""

from __future__ import annotations

import itertools
import math
import random
import re
import shutil
import sqlite3
import struct
from collections.abc import Iterable
from pathlib import Path

import pytest
from browser_fixtures import (
    PRTIME_2025,
    add_then_delete,
    default_profile,
    firefox_profile,
    run_parsers,
)
from browser_fixtures import add_firefox_visit as _visit

from orderwatch.forensics.parsers import sqlite_recovery
from orderwatch.forensics.parsers.sqlite_plugins import browser_database
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import (
    BrowserDatabasePlugin,
    RecoveryTarget,
    VisitRow,
)
from orderwatch.forensics.parsers.sqlite_plugins.interface import SQLiteContext
from orderwatch.forensics.parsers.sqlite_recovery import (
    RecordShape,
    column_places,
    column_value,
    recover_records,
)

_NAN = float("nan")
_NEGATIVE_NAN = struct.unpack(">d", bytes.fromhex("fff8000000000001"))[0]
# Values whose reprs and == disagree, or that look alike: ints, floats, bools, text and blobs.
AWKWARD: list[object] = [
    None, 0, 1, -1, 2**63 - 1, -(2**63), 1.0, 0.0, -0.0, 1e16, 10000000000000000, _NAN,
    float("nan"), _NEGATIVE_NAN, math.inf, -math.inf, True, False, "1", "1.0", "None", "nan",
    "", "'", '"', "'\"", "a, 'b'", "a', 'b", "\\", "\ufffd", "é", "\x00", b"", b"1", b"'",
    "https://x.test/", b"https://x.test/",
]  # fmt: skip


def _value_tuples(rng: random.Random) -> list[tuple[object, ...]]:
    tuples: list[tuple[object, ...]] = [(value,) for value in AWKWARD]
    tuples += [(a, b) for a, b in itertools.product(AWKWARD[:18], repeat=2)]
    tuples += [tuple(rng.choice(AWKWARD) for _ in range(rng.randrange(1, 5))) for _ in range(300)]
    return tuples + [tuple(copy) for copy in tuples[::7]]  # equal tuples, other tuple objects


def _carved(which: int, values: tuple[object, ...]) -> sqlite_recovery.Carved:
    return (0, 0, which, 0, True, values, False)


SHAPES = [
    RecordShape("urls", ("id", "url"), ("INTEGER", "TEXT"), 1),
    RecordShape("urls", ("url", "rowid"), ("TEXT", "INTEGER"), 0, index="urls_url_index"),
    RecordShape("other", ("id", "url"), ("INTEGER", "TEXT"), 1),
]


def test_records_are_kept_once_as_by_the_repr_of_their_values() -> None:
    """A record is dropped when one of the same table and index had the same repr of its
    values (the key the records were deduplicated by before): 1, 1.0 and True are three, all
    NaNs one, 0.0 and -0.0 two, "1" and b"1" two."""
    rng = random.Random(7)
    tuples = _value_tuples(rng)
    carved = [_carved(rng.randrange(len(SHAPES)), values) for values in tuples * 2]
    rng.shuffle(carved)
    found: list[sqlite_recovery.Kept] = []
    sqlite_recovery._keep(carved, lambda area: ("freeblock", 3), "wal", SHAPES, found, set())
    seen: set[object] = set()
    expected = []
    for _, _, which, offset, complete, values, damaged in carved:
        key = (SHAPES[which].table, SHAPES[which].index, repr(values))
        if key not in seen:
            seen.add(key)
            expected.append((which, "wal", "freeblock", 3, offset, complete, values, damaged))
    assert found == expected
    assert [record[6] for record in found] == [record[6] for record in expected]  # same objects
    assert len(expected) < len(carved) * 2 // 3  # copies were dropped
    # Each pair on its own: one record kept exactly when the reprs are equal.
    for a, b in itertools.product(tuples[:80], repeat=2):
        pair: list[sqlite_recovery.Kept] = []
        sqlite_recovery._keep(
            [_carved(0, a), _carved(0, b)], lambda area: ("", None), "wal", SHAPES, pair, set()
        )
        assert len(pair) == (1 if repr(a) == repr(b) else 2), (a, b)


def test_a_column_is_found_where_the_values_dict_finds_it() -> None:
    """column_places and column_value (and the values[last] shortcut) against
    dict(zip(columns, values)).get, with names given twice and records too short."""
    rng = random.Random(3)
    for _ in range(2000):
        columns = tuple(rng.choice("abcd") for _ in range(rng.randrange(0, 6)))
        values = tuple(range(100, 100 + rng.randrange(0, len(columns) + 1)))
        for name in "abcde":
            last, places = column_places(columns, name)
            expected = dict(zip(columns, values, strict=False)).get(name)
            assert column_value(values, places) == expected
            assert (values[last] if last < len(values) else column_value(values, places)) == (
                expected
            )
    assert column_places(("a", "b"), "c") == sqlite_recovery.NOWHERE


def _reference_rows(plugin: BrowserDatabasePlugin, context: SQLiteContext) -> list[VisitRow]:
    """The visit rows recover_deleted gave from RecoveredRecord objects (the code before
    `recover_kept`), for the same context."""
    targets: dict[str, RecoveryTarget] = {}
    shapes = []
    for target in plugin.RECOVERY:
        needed = tuple(c for c in (target.title, target.time, *target.reaches) if c)
        shape = context.schema.shape(target.table, target.url, needed)
        if shape is None:
            continue
        targets[shape.table] = target
        shapes += [shape, *context.schema.index_shapes(target.table, target.url)]
    files = context.files
    records = recover_records(files.main, shapes, files.wal, files.journal)
    found_urls = []
    for found in sorted(records, key=lambda record: record.index is not None):
        url = found.values.get(targets[found.table].url.lower())
        if isinstance(url, str):
            found_urls.append((found, url))
    columns = {(t.table, t.url) for t in targets.values()}
    live = browser_database._held(context, {url for _, url in found_urls}, columns)
    from_tables = {url for found, url in found_urls if found.index is None}
    only_indexed = {url for found, url in found_urls if found.index is not None}
    indexed = browser_database._held(
        context, only_indexed - from_tables - live, browser_database._indexed_columns(context)
    )
    produced: set[str] = set()
    visits: list[VisitRow] = []
    for found, url in found_urls:
        target = targets[found.table]
        if url in live:
            continue
        if found.index is not None:
            if url in produced or url in indexed:
                continue
            title = stored = None
            what = f"{found.table}.{target.url} index {found.index} record (rowid "
            what += f"{found.values.get('rowid')})"
        else:
            title = found.values.get(target.title.lower()) if target.title else None
            stored = found.values.get(target.time.lower()) if target.time else None
            what = f"{found.table} record"
        produced.add(url)
        note = "" if found.complete else ", record header partly overwritten"
        note += ", columns after the URL overwritten" if found.damaged else ""
        visits.append(
            (
                ("recovered", found.source, found.offset),
                url,
                title if isinstance(title, str) else None,
                stored,
                f"deleted {what} recovered from {found.location}{note}",
            )
        )
    return visits


def _compared_rows(monkeypatch: pytest.MonkeyPatch, database: Path, root: Path) -> list[VisitRow]:
    """The recovered visit rows the plugins give for `database`, checked against the reference."""
    given: list[VisitRow] = []
    expected: list[VisitRow] = []
    recover = BrowserDatabasePlugin.recover_deleted
    produce = BrowserDatabasePlugin.produce_visits

    def recover_both(plugin: BrowserDatabasePlugin, context: SQLiteContext) -> None:
        expected.extend(_reference_rows(plugin, context))
        recover(plugin, context)

    def produce_kept(
        plugin: BrowserDatabasePlugin,
        context: SQLiteContext,
        rows: Iterable[VisitRow],
        recovered: bool = False,
    ) -> None:
        if recovered:
            rows = list(rows)
            given.extend(rows)
        produce(plugin, context, rows, recovered)

    monkeypatch.setattr(BrowserDatabasePlugin, "recover_deleted", recover_both)
    monkeypatch.setattr(BrowserDatabasePlugin, "produce_visits", produce_kept)
    run_parsers(database, root)
    monkeypatch.undo()
    assert given == expected
    assert [type(row[3]) for row in given] == [type(row[3]) for row in expected]
    return given


def _damage(path: Path, seed: int) -> None:
    """Bytes written over records around their URLs: before (the record header: its length,
    rowid, serial types) and after (text after the URL), as reuse of freed space leaves them."""
    rng = random.Random(seed)
    data = bytearray(path.read_bytes())
    for match in re.finditer(rb"https?://", bytes(data)):
        at = match.start()
        choice = rng.randrange(3)
        if choice == 0:
            for back in range(1, rng.randrange(2, 5)):
                data[at - back] = rng.randrange(256)
        elif choice == 1:
            data[min(at + rng.randrange(30, 60), len(data) - 1)] = 0x01
    path.write_bytes(bytes(data))


def _firefox_with_deletions(root: Path, journal_mode: str = "delete") -> sqlite3.Connection:
    places = firefox_profile(root) / "places.sqlite"
    connection = sqlite3.connect(places)
    connection.execute("PRAGMA secure_delete = OFF")
    connection.execute(f"PRAGMA journal_mode = {journal_mode}")
    connection.execute("PRAGMA wal_autocheckpoint = 0")
    with connection:
        for number in range(150):
            when = PRTIME_2025 + (200 + number) * 1_000_000
            title = None if number % 11 == 0 else f"Hidden {number} 'q'"
            _visit(connection, f"https://hidden{number}.example.test/?n={number}", title, when)
    with connection:
        connection.execute("DELETE FROM moz_historyvisits WHERE id BETWEEN 4 AND 140")
        connection.execute("DELETE FROM moz_places WHERE url LIKE 'https://hidden%' AND id < 120")
    return connection


@pytest.mark.parametrize("damage", [0, 1, 2])
def test_firefox_recovered_rows_are_as_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, damage: int
) -> None:
    """moz_places records and moz_places_url_hashindex records (url_hash, url, rowid), whole
    and with bytes overwritten (headers partly gone, text after the URL broken)."""
    _firefox_with_deletions(tmp_path).close()
    places = tmp_path / "home/sam/.mozilla/firefox/abcd1234.default-release/places.sqlite"
    if damage:
        _damage(places, damage)
    rows = _compared_rows(monkeypatch, places, tmp_path)
    records = [row[4] for row in rows]
    assert len(rows) > 40
    assert any("index moz_places_url_hashindex record (rowid " in r for r in records)
    assert any(
        row[2] is None and "moz_places record" in r for row, r in zip(rows, records, strict=True)
    )
    if damage:
        assert any("record header partly overwritten" in r for r in records)
        assert any("columns after the URL overwritten" in r for r in records)


def test_firefox_rows_from_wal_and_journal_are_as_before(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Records from WAL frames (pages named) and a persisted journal's page images."""
    seized = tmp_path / "seized" / "home/sam/.mozilla/firefox/abcd1234.default-release"
    seized.mkdir(parents=True)
    wal_root = tmp_path / "wal"
    connection = _firefox_with_deletions(wal_root, "wal")
    profile = wal_root / "home/sam/.mozilla/firefox/abcd1234.default-release"
    shutil.copy(profile / "places.sqlite", seized / "places.sqlite")
    shutil.copy(profile / "places.sqlite-wal", seized / "places.sqlite-wal")
    connection.close()
    rows = _compared_rows(monkeypatch, seized / "places.sqlite", tmp_path / "seized")
    assert any(row[0][1] == "wal" and "(page " in row[4] for row in rows)  # type: ignore[index]

    journal_root = tmp_path / "journal"
    connection = _firefox_with_deletions(journal_root, "persist")
    connection.close()
    places = journal_root / "home/sam/.mozilla/firefox/abcd1234.default-release/places.sqlite"
    assert Path(f"{places}-journal").stat().st_size > 0
    rows = _compared_rows(monkeypatch, places, journal_root)
    assert rows


@pytest.mark.slow
@pytest.mark.parametrize("damage", [0, 1])
def test_chromium_recovered_rows_are_as_before(
    monkeypatch: pytest.MonkeyPatch, chromium_copy: Path, damage: int
) -> None:
    """urls records (the rowid alias first) and urls_url_index records of a real profile."""
    history = default_profile(chromium_copy) / "History"
    add_then_delete(history, rows=300, keep_every=6)
    if damage:
        _damage(history, damage)
    rows = _compared_rows(monkeypatch, history, chromium_copy)
    assert len(rows) > 150
    if damage:
        assert any("record header partly overwritten" in row[4] for row in rows)
        assert any("columns after the URL overwritten" in row[4] for row in rows)
