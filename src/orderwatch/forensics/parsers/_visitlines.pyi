"""A browser history's visits as report.json lines (the C module _visitlines.c).

query_visit_lines and visit_figures exist where it was built with sqlite3.h."""

from collections.abc import Callable
from typing import Any

from orderwatch.forensics.parsers.search_engines import SearchEngine

Template = tuple[tuple[bytes, ...], str]
Written = tuple[bytes, int, int, bool, list[tuple[Any, ...]]]

def visit_lines(
    rows: list[tuple[Any, ...]],
    head: bytes,
    visit: Template,
    search: Template | None,
    record: tuple[bytes | int, ...],
    time_format: tuple[int, int, int, int],
    labels: set[bytes],
    engines: tuple[SearchEngine, ...],
    extract: Callable[[str], Any],
    /,
) -> Written: ...
def query_visit_lines(
    uri: str,
    sql: str,
    head: bytes,
    visit: Template,
    search: Template | None,
    record: tuple[bytes | int, ...],
    time_format: tuple[int, int, int, int],
    labels: set[bytes],
    engines: tuple[SearchEngine, ...],
    extract: Callable[[str], Any],
    /,
) -> Written | None: ...
def visit_figures(
    uri: str, sql: str, /
) -> tuple[int | None, int | None, Any, Any, list[tuple[int, Any, int, Any]]] | None: ...
