"""Artefact parsers. Importing this package registers every plugin module listed below.

Add a module here when you add a parser; tests/forensics/parsers/test_init_imports.py fails
otherwise.
"""

from orderwatch.forensics.parsers.manager import registry

__all__ = ["registry"]
