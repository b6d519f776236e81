"""Chromium-family `History` (Chrome, Chromium, Edge, Brave, Opera, Vivaldi): visits, searches,
downloads, deleted URL records and deletion indicators. Old (full_path) and new (target_path +
url chains) download schemas are both read."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import timedelta
from typing import ClassVar

from orderwatch.forensics.parsers.browser_profiles import site_of
from orderwatch.forensics.parsers.browser_times import TimeFormat, to_datetime
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.search_engines import extract_search
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import (
    BrowserDatabasePlugin,
    RecoveryTarget,
    VisitTable,
)
from orderwatch.forensics.parsers.sqlite_plugins.interface import Query, SQLiteContext
from orderwatch.forensics.parsers.sqlite_plugins.visit_lines import VisitRows


class ChromeHistoryPlugin(BrowserDatabasePlugin):
    """Chromium-family browsing history."""

    NAME = "chrome_history"
    DESCRIPTION = "Chrome/Chromium/Edge/Brave/Opera History: visits, searches, downloads"
    DATA_FORMAT = "Chromium History SQLite database"
    FILE_NAMES = ("History", "Archived History")
    FAMILY = "chromium"
    TIME_FORMAT = TimeFormat.WEBKIT
    VISITS = VisitTable("visits", "id", "visit_time")
    RETENTION = timedelta(days=90)
    RECOVERY = (RecoveryTarget("urls", "url", "title", "last_visit_time"),)
    VISIT_ROWS = VisitRows(
        "SELECT visits.id AS id, visits.visit_time AS stored, urls.id AS url_id, "
        "urls.url AS url, urls.title AS title FROM visits JOIN urls ON urls.id = visits.url",
        "visits.id={id} (urls.id={url_id})",
        of_visits=True,
    )
    REQUIRED_STRUCTURE: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "urls": ("id", "url", "title", "last_visit_time"),
        "visits": ("id", "url", "visit_time"),
    }

    def parse_keyword_term(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        """Terms Chrome kept for its search engines; skipped when a visit's URL already gave it."""
        url = row["url"]
        term = " ".join(str(row["term"] or "").split())
        if not term:
            return
        hit = extract_search(url) if url else None
        if hit is not None and row["visits"] and hit.term.casefold() == term.casefold():
            return
        engine = hit.engine if hit is not None else (site_of(url) if url else "unknown")
        self.produce_search(
            context,
            ("keyword", row["keyword_id"], row["url_id"]),
            engine,
            term,
            url,
            to_datetime(row["last_visit_time"], TimeFormat.WEBKIT),
            f"keyword_search_terms url_id={row['url_id']} keyword_id={row['keyword_id']}",
            row["last_visit_time"],
        )

    def parse_download_old(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        """Before Chrome 26 downloads held one URL and POSIX start times."""
        self.produce_download(
            context,
            row["id"],
            row["url"] or "",
            row["full_path"],
            to_datetime(row["start_time"], TimeFormat.POSIX),
            f"downloads.id={row['id']}",
            row["start_time"],
        )

    def parse_download(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        self.produce_download(
            context,
            row["id"],
            row["url"] or "",
            row["target_path"] or row["current_path"],
            to_datetime(row["start_time"], TimeFormat.WEBKIT),
            f"downloads.id={row['id']}",
            row["start_time"],
        )

    QUERIES = (
        Query(
            "SELECT k.keyword_id AS keyword_id, k.url_id AS url_id, k.term AS term, "
            "urls.url AS url, urls.last_visit_time AS last_visit_time, "
            "(SELECT count(*) FROM visits WHERE visits.url = k.url_id) AS visits "
            "FROM keyword_search_terms k LEFT JOIN urls ON urls.id = k.url_id",
            "parse_keyword_term",
            needs={"keyword_search_terms": ("keyword_id", "url_id", "term")},
        ),
        Query(
            "SELECT id, full_path, url, start_time FROM downloads ORDER BY id",
            "parse_download_old",
            needs={"downloads": ("id", "full_path", "url", "start_time")},
        ),
        Query(
            "SELECT d.id AS id, d.target_path AS target_path, d.current_path AS current_path, "
            "d.start_time AS start_time, "
            "(SELECT c.url FROM downloads_url_chains c WHERE c.id = d.id "
            "ORDER BY c.chain_index DESC LIMIT 1) AS url FROM downloads d ORDER BY d.id",
            "parse_download",
            needs={
                "downloads": ("id", "target_path", "current_path", "start_time"),
                "downloads_url_chains": ("id", "chain_index", "url"),
            },
        ),
    )


registry.register(ChromeHistoryPlugin)
