"""Artefact parsers. Importing this package registers every plugin module listed below.

Add a module here when you add a parser; tests/forensics/parsers/test_init_imports.py fails
otherwise.
"""

# Windows hives, system logs, e-mail clients and software locations. The `registry` sub-package
# (hive parsers) is imported before the ParserRegistry is bound to the same name on the last line.
import orderwatch.forensics.parsers.email_clients
import orderwatch.forensics.parsers.logs
import orderwatch.forensics.parsers.registry
import orderwatch.forensics.parsers.software_paths  # noqa: F401
from orderwatch.forensics.parsers.manager import registry

__all__ = ["registry"]
