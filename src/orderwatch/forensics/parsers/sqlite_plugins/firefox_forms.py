"""Firefox `formhistory.sqlite`: search-bar terms, e-mail addresses typed into forms, and the
record Firefox keeps of deleted form entries."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import ClassVar

from orderwatch.domain.observations import format_time
from orderwatch.forensics.parsers.browser_profiles import is_email
from orderwatch.forensics.parsers.browser_times import TimeFormat, to_datetime
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import BrowserDatabasePlugin
from orderwatch.forensics.parsers.sqlite_plugins.interface import Query, SQLiteContext

SEARCH_BAR_FIELD = "searchbar-history"


class FirefoxFormHistoryPlugin(BrowserDatabasePlugin):
    """Form history of a Firefox-family profile."""

    NAME = "firefox_form_history"
    DESCRIPTION = "Firefox formhistory.sqlite: search-bar terms, e-mail addresses, deletions"
    DATA_FORMAT = "Firefox form history SQLite database"
    FILE_NAMES = ("formhistory.sqlite",)
    FAMILY = "firefox"
    TIME_FORMAT = TimeFormat.PRTIME
    REQUIRED_STRUCTURE: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "moz_formhistory": ("id", "fieldname", "value", "lastUsed")
    }

    def parse_entry(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        value = " ".join(str(row["value"] or "").split())
        if not value:
            return
        time = to_datetime(row["lastUsed"], TimeFormat.PRTIME)
        record = f"moz_formhistory.id={row['id']} ({row['fieldname']})"
        if row["fieldname"] == SEARCH_BAR_FIELD:
            browser = context.profile.browser if context.profile else "firefox"
            engine = f"{browser} search bar"
            self.produce_search(
                context, row["id"], engine, value, None, time, record, row["lastUsed"]
            )
        if is_email(value):
            self.produce_account(context, row["id"], "email", value, time, record, row["lastUsed"])

    def parse_deleted(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        if not row["entries"]:
            return
        last = to_datetime(row["last"], TimeFormat.PRTIME)
        self.produce_indicator(
            context,
            "form_history_deleted",
            f"{self.label(context)}: {row['entries']} form-history entries deleted "
            f"(the last at {format_time(last) or 'an unknown time'})",
            last,
            "moz_deleted_formhistory",
            row["last"],
        )

    QUERIES = (
        Query(
            "SELECT id, fieldname, value, lastUsed FROM moz_formhistory ORDER BY id",
            "parse_entry",
        ),
        Query(
            "SELECT count(*) AS entries, max(timeDeleted) AS last FROM moz_deleted_formhistory",
            "parse_deleted",
            needs={"moz_deleted_formhistory": ("timeDeleted",)},
        ),
    )


registry.register(FirefoxFormHistoryPlugin)
