"""Legacy Firefox `downloads.sqlite` (before Firefox 26): one download per moz_downloads row."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import ClassVar

from orderwatch.forensics.parsers.browser_times import TimeFormat, to_datetime
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import BrowserDatabasePlugin
from orderwatch.forensics.parsers.sqlite_plugins.interface import Query, SQLiteContext


class FirefoxDownloadsPlugin(BrowserDatabasePlugin):
    """Firefox downloads before they moved into places.sqlite."""

    NAME = "firefox_downloads"
    DESCRIPTION = "Firefox downloads.sqlite (legacy): downloads"
    DATA_FORMAT = "Firefox downloads SQLite database"
    FILE_NAMES = ("downloads.sqlite",)
    FAMILY = "firefox"
    TIME_FORMAT = TimeFormat.PRTIME
    REQUIRED_STRUCTURE: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "moz_downloads": ("id", "source", "target", "startTime")
    }

    def parse_download(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        self.produce_download(
            context,
            row["id"],
            row["source"] or "",
            row["target"],
            to_datetime(row["startTime"], TimeFormat.PRTIME),
            f"moz_downloads.id={row['id']}",
            row["startTime"],
        )

    QUERIES = (
        Query(
            "SELECT id, source, target, startTime FROM moz_downloads ORDER BY id", "parse_download"
        ),
    )


registry.register(FirefoxDownloadsPlugin)
