"""Deleted records carved from SQLite free space, WAL and journal (databases built here)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from orderwatch.forensics.parsers.sqlite_recovery import (
    RecordShape,
    RecoveredRecord,
    affinity,
    recover_records,
)

URLS = (
    "CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT,url LONGVARCHAR,title LONGVARCHAR,"
    "visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,"
    "last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL)"
)
SHAPE = RecordShape(
    table="urls",
    columns=("id", "url", "title", "visit_count", "typed_count", "last_visit_time", "hidden"),
    affinities=("INTEGER", "TEXT", "TEXT", "INTEGER", "INTEGER", "INTEGER", "INTEGER"),
    url_column=1,
    rowid_alias=0,
    not_null=(False, False, False, True, True, True, True),
    min_columns=6,
)
INDEX_SHAPE = RecordShape(
    table="urls",
    columns=("url", "rowid"),
    affinities=("TEXT", "INTEGER"),
    url_column=0,
    index="urls_url_index",
    not_null=(False, True),
)
BASE_TIME = 13_300_000_000_000_000


def _row(number: int) -> tuple[str, str, int]:
    return (
        f"https://site{number}.example.test/page/{number}",
        f"Page number {number}",
        BASE_TIME + number,
    )


def _database(
    path: Path, rows: int, journal_mode: str = "delete", secure_delete: bool = False
) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA secure_delete = {'ON' if secure_delete else 'OFF'}")
    connection.execute(f"PRAGMA journal_mode = {journal_mode}")
    connection.execute(URLS)
    connection.execute("CREATE INDEX urls_url_index ON urls (url)")
    connection.executemany(
        "INSERT INTO urls (url, title, visit_count, last_visit_time) VALUES (?, ?, 1, ?)",
        [_row(n) for n in range(rows)],
    )
    connection.commit()
    return connection


def _table_records(records: list[RecoveredRecord]) -> dict[str, RecoveredRecord]:
    return {str(r.values["url"]): r for r in records if r.index is None}


def _live_urls(database: Path) -> set[str]:
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as connection:
        return {row[0] for row in connection.execute("SELECT url FROM urls")}


def _deleted(database: Path, records: list[RecoveredRecord]) -> dict[str, RecoveredRecord]:
    """Table records whose URL no live row holds (what the plugins report)."""
    live = _live_urls(database)
    return {url: r for url, r in _table_records(records).items() if url not in live}


def test_rows_deleted_into_free_pages_come_back_whole(tmp_path: Path) -> None:
    database = tmp_path / "History"
    connection = _database(database, 300)
    connection.execute("DELETE FROM urls WHERE id <= 200")
    connection.commit()
    assert connection.execute("PRAGMA freelist_count").fetchone()[0] > 0
    connection.close()

    found = _deleted(database, recover_records(database, [SHAPE]))
    # Rebalancing reuses some freed space; every deleted record whose bytes are still whole
    # in the file (URL then title, as SQLite lays out the body) is recovered, and nothing else.
    data = database.read_bytes()
    whole = {_row(n)[0] for n in range(200) if "".join(_row(n)[:2]).encode() in data}
    assert len(whole) > 100
    assert set(found) == whole
    record = found[_row(7)[0]]
    assert record.values == {
        "id": None,
        "url": "https://site7.example.test/page/7",
        "title": "Page number 7",
        "visit_count": 1,
        "typed_count": 0,
        "last_visit_time": BASE_TIME + 7,
        "hidden": 0,
    }
    assert record.source == "database"
    assert {r.region for r in found.values()} >= {"freelist page"}


def test_without_deletions_only_stale_copies_of_live_rows_are_found(tmp_path: Path) -> None:
    database = tmp_path / "History"
    _database(database, 300).close()
    records = recover_records(database, [SHAPE, INDEX_SHAPE])
    # Page splits while inserting leave copies of live cells in unallocated space.
    assert records
    assert {str(r.values["url"]) for r in records} <= _live_urls(database)
    assert {r.region for r in records} <= {"unallocated space", "freeblock"}


def test_a_row_deleted_inside_a_live_page_leaves_a_freeblock(tmp_path: Path) -> None:
    database = tmp_path / "History"
    connection = _database(database, 20)
    connection.execute("DELETE FROM urls WHERE id = 11")  # rowid 11 holds row number 10
    connection.commit()
    connection.close()

    records = _deleted(database, recover_records(database, [SHAPE]))
    assert list(records) == [_row(10)[0]]
    record = records[_row(10)[0]]
    assert record.region == "freeblock"
    assert record.page == 2
    # The freeblock link overwrote payload length, rowid and header length: decoded from the
    # serial types, the values are all there.
    assert not record.complete
    assert (record.values["url"], record.values["title"], record.values["last_visit_time"]) == _row(
        10
    )
    assert record.location.startswith("database: freeblock (page 2) @ ")


def test_index_records_give_urls_whose_table_records_are_gone(tmp_path: Path) -> None:
    database = tmp_path / "History"
    connection = _database(database, 300)
    connection.execute("DELETE FROM urls WHERE id <= 200")
    connection.commit()
    connection.close()

    records = recover_records(database, [INDEX_SHAPE])
    index_urls = {str(r.values["url"]) for r in records if r.index} - _live_urls(database)
    assert len(index_urls) > 100  # the freed index pages still hold (url, rowid) records
    assert index_urls <= {_row(n)[0] for n in range(200)}
    rowids = {str(r.values["url"]): r.values["rowid"] for r in records}
    assert rowids[_row(42)[0]] == 43


def test_secure_delete_leaves_nothing(tmp_path: Path) -> None:
    database = tmp_path / "History"
    connection = _database(database, 300, secure_delete=True)
    connection.execute("DELETE FROM urls WHERE id <= 200")
    connection.commit()
    connection.close()
    assert _deleted(database, recover_records(database, [SHAPE])) == {}


def test_old_page_images_in_the_wal_give_deleted_rows(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    connection = _database(live / "History", 20)  # one leaf page: no stale copies elsewhere
    connection.execute("PRAGMA journal_mode = wal")
    connection.execute("PRAGMA wal_autocheckpoint = 0")
    connection.execute("DELETE FROM urls WHERE id IN (5, 6, 7)")
    connection.commit()
    # Copied while the browser still has it open: the WAL is not yet checkpointed.
    seized = tmp_path / "seized"
    seized.mkdir()
    shutil.copy(live / "History", seized / "History")
    shutil.copy(live / "History-wal", seized / "History-wal")
    connection.close()

    records = recover_records(seized / "History", [SHAPE], wal=seized / "History-wal")
    with sqlite3.connect(f"{(seized / 'History').as_uri()}?mode=ro", uri=True) as reader:
        live = {row[0] for row in reader.execute("SELECT url FROM urls")}
    found = {url: r for url, r in _table_records(records).items() if url not in live}
    # The rows are gone from the database as SQLite reads it (main file + WAL), but the main
    # file's page that the WAL supersedes still holds them.
    assert set(found) == {_row(4)[0], _row(5)[0], _row(6)[0]}
    assert found[_row(5)[0]].values["title"] == "Page number 5"
    assert {r.region for r in found.values()} == {"page superseded by the WAL"}


def test_old_page_images_in_wal_frames_give_deleted_rows(tmp_path: Path) -> None:
    live = tmp_path / "live"
    live.mkdir()
    # In WAL mode from the start and never checkpointed: every page lives only in WAL frames.
    connection = _database(live / "History", 20, journal_mode="wal")
    connection.execute("PRAGMA wal_autocheckpoint = 0")
    connection.execute("DELETE FROM urls WHERE id IN (5, 6, 7)")
    connection.commit()
    seized = tmp_path / "seized"
    seized.mkdir()
    shutil.copy(live / "History", seized / "History")
    shutil.copy(live / "History-wal", seized / "History-wal")
    connection.close()

    records = recover_records(seized / "History", [SHAPE], wal=seized / "History-wal")
    with sqlite3.connect(f"{(seized / 'History').as_uri()}?mode=ro", uri=True) as reader:
        live_urls = {row[0] for row in reader.execute("SELECT url FROM urls")}
    found = {url: r for url, r in _table_records(records).items() if url not in live_urls}
    assert set(found) == {_row(4)[0], _row(5)[0], _row(6)[0]}
    assert {(r.source, r.page) for r in found.values()} == {("wal", 2)}
    assert all(r.region.startswith("wal frame ") for r in found.values())


def test_page_images_in_a_persisted_journal_are_carved(tmp_path: Path) -> None:
    database = tmp_path / "History"
    connection = _database(database, 20, journal_mode="persist")
    connection.execute("PRAGMA secure_delete = ON")  # the main file keeps nothing of them
    connection.execute("DELETE FROM urls WHERE id <= 5")
    connection.commit()
    connection.close()
    journal = tmp_path / "History-journal"
    # PERSIST mode zeroes the journal header at commit but leaves the old page images.
    assert journal.read_bytes()[:8] == bytes(8)

    assert _deleted(database, recover_records(database, [SHAPE])) == {}
    found = _deleted(database, recover_records(database, [SHAPE], journal=journal))
    assert set(found) == {_row(n)[0] for n in range(5)}
    assert {(r.source, r.region, r.page) for r in found.values()} == {
        ("journal", "journal page image", 2)
    }


@pytest.mark.parametrize(
    "content",
    [b"", b"SQLite format 3\x00" + b"\xff" * 200, b"\x00" * 4096 + b"https://example.org/x" * 10],
)
def test_damaged_or_foreign_bytes_give_nothing_and_do_not_fail(
    tmp_path: Path, content: bytes
) -> None:
    database = tmp_path / "History"
    database.write_bytes(content)
    (tmp_path / "History-wal").write_bytes(content)
    (tmp_path / "History-journal").write_bytes(content)
    records = recover_records(
        database, [SHAPE], wal=tmp_path / "History-wal", journal=tmp_path / "History-journal"
    )
    assert records == []


def test_truncated_database_still_gives_what_its_free_pages_hold(tmp_path: Path) -> None:
    database = tmp_path / "History"
    connection = _database(database, 300)
    connection.execute("DELETE FROM urls WHERE id <= 200")
    connection.commit()
    connection.close()
    whole = _deleted(database, recover_records(database, [SHAPE]))
    data = database.read_bytes()
    database.write_bytes(data[: len(data) // 2 + 100])  # cut mid-page
    part = _table_records(recover_records(database, [SHAPE]))
    assert set(part) & set(whole)
    assert len(set(part) & set(whole)) < len(whole)


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("INTEGER", "INTEGER"),
        ("LONGVARCHAR", "TEXT"),
        ("VARCHAR(255)", "TEXT"),
        ("BLOB", "BLOB"),
        ("", "BLOB"),
        ("REAL", "REAL"),
        ("BOOLEAN", "NUMERIC"),
    ],
)
def test_column_affinity_follows_sqlite_rules(declared: str, expected: str) -> None:
    assert affinity(declared) == expected


def test_a_url_spilling_onto_overflow_pages_is_never_cut_short(tmp_path: Path) -> None:
    database = tmp_path / "History"
    connection = _database(database, 10)
    long_url = "https://ads.example.test/pagead?" + "&".join(f"k{n}=v{n}" for n in range(900))
    connection.execute(
        "INSERT INTO urls (url, title, visit_count, last_visit_time) VALUES (?, 'Ad', 1, 1)",
        (long_url,),
    )
    connection.commit()
    connection.execute("DELETE FROM urls WHERE title = 'Ad'")
    connection.commit()
    connection.close()
    assert long_url[:200].encode() in database.read_bytes()
    urls = {str(r.values["url"]) for r in recover_records(database, [SHAPE, INDEX_SHAPE])}
    assert not any(url.startswith("https://ads.example.test") for url in urls)
