"""A browser history's visits as report.json lines (the C module _visitlines.c).

query_visit_lines and visit_figures exist where it was built with sqlite3.h."""

from collections.abc import Callable
from types import EllipsisType
from typing import Any

from orderwatch.forensics.parsers.search_engines import SearchEngine

Template = tuple[tuple[bytes, ...], str]
Figures = tuple[int | None, int | None, Any, Any, list[tuple[int, Any, int, Any]]]
# visit_figures' figures of the rows, and how many rows (None: an unusual row, ids not ascending)
RowFigures = tuple[int | None, int | None, Any, Any, list[tuple[int, Any, int, Any]], int] | None
Written = tuple[bytes, int, int, bool, list[tuple[Any, ...]], RowFigures]
Spooled = tuple[int, int, int, bool, list[tuple[Any, ...]], RowFigures]

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
def kept_visit_lines(
    rows: list[tuple[object, str, str | bytes | None, object, str]],
    head: bytes,
    template: Template,
    time_format: tuple[int, int, int, int],
    engines: tuple[SearchEngine, ...],
    kind: str,
    parser: str,
    path: str,
    search_template: Template | None = None,
    search_kind: str | None = None,
    /,
) -> tuple[
    list[tuple[str, str | None, str, str, str, str, str]],
    list[tuple[int, int, tuple[str, str] | EllipsisType | None]],
]: ...
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
    fd: int = -1,
    offset: int = 0,
    /,
) -> Written | Spooled | None: ...
def visit_figures(uri: str, sql: str, /) -> Figures | None: ...
def expand_lines(
    records: bytes | bytearray | memoryview,
    templates: tuple[tuple[bytes, ...], ...],
    first_separated: bool = True,
    fd: int = -1,
    /,
) -> bytes | int: ...
