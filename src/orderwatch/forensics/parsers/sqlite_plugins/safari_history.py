"""Safari `History.db`: visits (titles live on visits, URLs on items), searches from URLs,
history-clearing tombstones, deleted URL records and indicators."""

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


class SafariHistoryPlugin(BrowserDatabasePlugin):
    """Safari browsing history (macOS 10.10 and later)."""

    NAME = "safari_history"
    DESCRIPTION = "Safari History.db: visits, searches, cleared-history tombstones"
    DATA_FORMAT = "Safari History SQLite database"
    FILE_NAMES = ("History.db",)
    FAMILY = "safari"
    TIME_FORMAT = TimeFormat.COCOA
    VISITS = VisitTable("history_visits", "id", "visit_time")
    RETENTION = timedelta(days=365)  # Safari's default "remove history items after one year"
    RECOVERY = (RecoveryTarget("history_items", "url", reaches=("visit_count_score",)),)
    REQUIRED_STRUCTURE: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "history_items": ("id", "url"),
        "history_visits": ("id", "history_item", "visit_time", "title"),
    }

    def parse_visit(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        self.produce_visit(
            context,
            row["id"],
            row["url"] or "",
            row["title"],
            row["visit_time"],
            f"history_visits.id={row['id']} (history_items.id={row['item_id']})",
        )

    def parse_tombstone(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        """Safari leaves a tombstone for each clearing of history (all of it, or one URL)."""
        start = to_datetime(row["start_time"], TimeFormat.COCOA)
        end = to_datetime(row["end_time"], TimeFormat.COCOA)
        what = f"visits to {row['url']}" if row["url"] else "all visits"
        since = f"from {start.isoformat()}" if start else "from the beginning"
        until = end.isoformat() if end else "an unknown time"
        self.produce_indicator(
            context,
            "history_cleared",
            f"{self.label(context)}: history cleared ({what} {since} to {until})",
            end,
            f"history_tombstones.id={row['id']}",
            row["end_time"],
        )

    QUERIES = (
        Query(
            "SELECT v.id AS id, v.visit_time AS visit_time, v.title AS title, i.id AS item_id, "
            "i.url AS url FROM history_visits v JOIN history_items i ON i.id = v.history_item "
            "ORDER BY v.id",
            "parse_visit",
        ),
        Query(
            "SELECT id, start_time, end_time, url FROM history_tombstones ORDER BY id",
            "parse_tombstone",
            needs={"history_tombstones": ("id", "start_time", "end_time", "url")},
        ),
    )


registry.register(SafariHistoryPlugin)
