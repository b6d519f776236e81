"""Firefox-family `places.sqlite` (Firefox, Tor Browser, LibreWolf ...): visits, searches from
URLs, downloads kept as page annotations (Firefox 26+), deleted URL records and indicators."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import timedelta
from typing import ClassVar

from orderwatch.forensics.parsers.browser_times import TimeFormat, to_datetime
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import (
    BrowserDatabasePlugin,
    RecoveryTarget,
    VisitTable,
)
from orderwatch.forensics.parsers.sqlite_plugins.interface import Query, SQLiteContext
from orderwatch.forensics.parsers.sqlite_plugins.visit_lines import VisitRows


class FirefoxHistoryPlugin(BrowserDatabasePlugin):
    """Firefox-family browsing history."""

    NAME = "firefox_history"
    DESCRIPTION = "Firefox places.sqlite: visits, searches, downloads"
    DATA_FORMAT = "Firefox places SQLite database"
    FILE_NAMES = ("places.sqlite",)
    FAMILY = "firefox"
    TIME_FORMAT = TimeFormat.PRTIME
    VISITS = VisitTable("moz_historyvisits", "id", "visit_date")
    # Firefox expires by database size, not age; half a year is a cautious floor.
    RETENTION = timedelta(days=180)
    RECOVERY = (RecoveryTarget("moz_places", "url", "title", "last_visit_date"),)
    VISIT_ROWS = VisitRows(
        "SELECT v.id AS id, v.visit_date AS stored, p.id AS place_id, p.url AS url, "
        "p.title AS title FROM moz_historyvisits v JOIN moz_places p ON p.id = v.place_id",
        "moz_historyvisits.id={id} (moz_places.id={place_id})",
        of_visits=True,
    )
    REQUIRED_STRUCTURE: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "moz_places": ("id", "url", "title"),
        "moz_historyvisits": ("id", "place_id", "visit_date"),
    }

    def parse_download(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        self.produce_download(
            context,
            ("annotation", row["id"]),
            row["url"] or "",
            row["content"],
            to_datetime(row["added"], TimeFormat.PRTIME),
            f"moz_annos.id={row['id']} (downloads/destinationFileURI)",
            row["added"],
        )

    QUERIES = (
        Query(
            "SELECT a.id AS id, p.url AS url, a.content AS content, a.dateAdded AS added "
            "FROM moz_annos a JOIN moz_anno_attributes n ON n.id = a.anno_attribute_id "
            "JOIN moz_places p ON p.id = a.place_id "
            "WHERE n.name = 'downloads/destinationFileURI' ORDER BY a.id",
            "parse_download",
            needs={
                "moz_annos": ("id", "place_id", "anno_attribute_id", "content", "dateAdded"),
                "moz_anno_attributes": ("id", "name"),
            },
        ),
    )


registry.register(FirefoxHistoryPlugin)
