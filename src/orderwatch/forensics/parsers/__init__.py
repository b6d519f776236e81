"""Artefact parsers. Importing this package registers every plugin module listed below.

Add a module here when you add a parser; tests/forensics/parsers/test_init_imports.py fails
otherwise.
"""

# Windows hives, system logs, e-mail clients, software locations; browsers (browser_*, sqlite_*,
# search_engines). The `registry` sub-package (hive parsers) is imported before the ParserRegistry
# is bound to the same name on the last line.
import orderwatch.forensics.parsers.browser_preferences
import orderwatch.forensics.parsers.browser_profiles
import orderwatch.forensics.parsers.browser_times
import orderwatch.forensics.parsers.email_clients
import orderwatch.forensics.parsers.logs
import orderwatch.forensics.parsers.registry
import orderwatch.forensics.parsers.search_engines
import orderwatch.forensics.parsers.software_paths
import orderwatch.forensics.parsers.sqlite_plugins
import orderwatch.forensics.parsers.sqlite_records
import orderwatch.forensics.parsers.sqlite_recovery  # noqa: F401
from orderwatch.forensics.parsers.manager import registry

__all__ = ["registry"]
