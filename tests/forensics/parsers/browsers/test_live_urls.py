"""Recovered URLs a live row still holds are not reported: the lookup asks SQLite about the
wanted URLs through the column's index when it has one, else scans the table once; both ways
give the same set."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import _held
from orderwatch.forensics.parsers.sqlite_plugins.interface import (
    DatabaseFiles,
    SQLiteContext,
    _open_read_only,
    _read_schema,
)


@pytest.mark.parametrize("indexed", [True, False])
def test_the_urls_live_rows_hold(tmp_path: Path, indexed: bool) -> None:
    database = tmp_path / "places.sqlite"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE places (id INTEGER PRIMARY KEY, url LONGVARCHAR)")
        if indexed:
            connection.execute("CREATE INDEX places_url ON places (url)")
        rows = [(f"https://example.test/{n}",) for n in range(500)]
        rows += [("https://EXAMPLE.test/case",), ("https://example.test/café",), (None,), (7,)]
        connection.executemany("INSERT INTO places (url) VALUES (?)", rows)
    connection.close()
    files = DatabaseFiles(database)
    opened = _open_read_only(files, "/places.sqlite")
    schema = _read_schema(opened, "/places.sqlite")
    mediator = ParserMediator("src")
    artefact = LocalArtefact(database, tmp_path)
    context = SQLiteContext("test", artefact, mediator, opened, schema, files)
    wanted = {"https://example.test/3", "https://example.test/café", "https://example.test/case"}
    wanted |= {"https://example.test/none", "7", "https://example.test/3 "}
    try:
        found = _held(context, wanted, {("places", "url")})
    finally:
        opened.close()
    # 7 was stored as the text "7" (the column has TEXT affinity)
    assert found == {"https://example.test/3", "https://example.test/café", "7"}
    assert context.problems == []
