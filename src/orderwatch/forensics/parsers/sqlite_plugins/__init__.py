"""SQLite plugins for browser databases; importing this package registers each of them."""

import orderwatch.forensics.parsers.sqlite_plugins.browser_database
import orderwatch.forensics.parsers.sqlite_plugins.chrome_accounts
import orderwatch.forensics.parsers.sqlite_plugins.chrome_history
import orderwatch.forensics.parsers.sqlite_plugins.firefox_downloads
import orderwatch.forensics.parsers.sqlite_plugins.firefox_forms
import orderwatch.forensics.parsers.sqlite_plugins.firefox_history
import orderwatch.forensics.parsers.sqlite_plugins.history_indicators
import orderwatch.forensics.parsers.sqlite_plugins.safari_history
import orderwatch.forensics.parsers.sqlite_plugins.visit_lines  # noqa: F401
