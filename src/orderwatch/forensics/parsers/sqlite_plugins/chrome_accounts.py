"""Chromium-family `Login Data` (saved-login user names and sites, never passwords) and
`Web Data` (e-mail addresses typed into forms or kept in autofill addresses)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import ClassVar

from orderwatch.forensics.parsers.browser_profiles import is_email, service_of
from orderwatch.forensics.parsers.browser_times import TimeFormat, to_datetime
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import BrowserDatabasePlugin
from orderwatch.forensics.parsers.sqlite_plugins.interface import Query, SQLiteContext


class ChromeLoginsPlugin(BrowserDatabasePlugin):
    """User names of saved logins, with the site they are for. Password columns are never read."""

    NAME = "chrome_logins"
    DESCRIPTION = "Chrome/Chromium/Edge Login Data: saved-login user names (no passwords)"
    DATA_FORMAT = "Chromium Login Data SQLite database"
    FILE_NAMES = ("Login Data", "Login Data For Account")
    FAMILY = "chromium"
    REQUIRED_STRUCTURE: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "logins": ("origin_url", "signon_realm", "username_value", "date_created")
    }

    def parse_login(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        user = str(row["username_value"] or "").strip()
        if not user or row["blacklisted_by_user"]:
            return
        self.produce_account(
            context,
            ("login", row["id"]),
            service_of(row["signon_realm"] or row["origin_url"] or ""),
            user,
            to_datetime(row["date_created"], TimeFormat.WEBKIT),
            f"logins rowid={row['id']} ({row['origin_url']})",
            row["date_created"],
        )

    # Only these columns are selected: password_value stays in the file.
    QUERIES = (
        Query(
            "SELECT rowid AS id, origin_url, signon_realm, username_value, date_created, "
            "blacklisted_by_user FROM logins ORDER BY rowid",
            "parse_login",
            needs={"logins": ("blacklisted_by_user",)},
        ),
    )


class ChromeAutofillPlugin(BrowserDatabasePlugin):
    """E-mail addresses in form autofill entries and saved addresses."""

    NAME = "chrome_autofill"
    DESCRIPTION = "Chrome/Chromium/Edge Web Data: e-mail addresses in autofill"
    DATA_FORMAT = "Chromium Web Data SQLite database"
    FILE_NAMES = ("Web Data", "Account Web Data")
    FAMILY = "chromium"
    REQUIRED_STRUCTURE: ClassVar[Mapping[str, tuple[str, ...]]] = {"autofill": ("name", "value")}

    def parse_email(self, context: SQLiteContext, row: sqlite3.Row) -> None:
        value = str(row["value"] or "").strip()
        if not is_email(value):
            return
        # sqlite3.Row's `in` looks at values, not column names: keys() is needed here.
        stored = row["used"] if "used" in row.keys() else None  # noqa: SIM118
        self.produce_account(
            context,
            (row["source"], row["id"]),
            "email",
            value,
            to_datetime(stored, TimeFormat.POSIX),
            f"{row['source']} rowid={row['id']}",
            stored,
        )

    QUERIES = (
        Query(
            "SELECT 'autofill' AS source, rowid AS id, value, date_last_used AS used "
            "FROM autofill WHERE value LIKE '%@%' ORDER BY rowid",
            "parse_email",
            needs={"autofill": ("value", "date_last_used")},
        ),
        Query(
            "SELECT 'autofill_profile_emails' AS source, rowid AS id, email AS value "
            "FROM autofill_profile_emails ORDER BY rowid",
            "parse_email",
            needs={"autofill_profile_emails": ("email",)},
        ),
        Query(
            "SELECT 'address_type_tokens' AS source, rowid AS id, value "
            "FROM address_type_tokens WHERE value LIKE '%@%' ORDER BY rowid",
            "parse_email",
            needs={"address_type_tokens": ("value",)},
        ),
        Query(
            "SELECT 'local_addresses_type_tokens' AS source, rowid AS id, value "
            "FROM local_addresses_type_tokens WHERE value LIKE '%@%' ORDER BY rowid",
            "parse_email",
            needs={"local_addresses_type_tokens": ("value",)},
        ),
    )


registry.register(ChromeLoginsPlugin)
registry.register(ChromeAutofillPlugin)
