"""A browser history's visits as report.json lines (the C module _visitlines.c)."""

from collections.abc import Callable
from typing import Any

Template = tuple[tuple[bytes, ...], str]

def visit_lines(
    rows: list[tuple[Any, ...]],
    head: bytes,
    visit: Template,
    search: Template | None,
    record: tuple[bytes | int, ...],
    time_format: tuple[int, int, int, int],
    labels: set[bytes],
    extract: Callable[[str], Any],
    /,
) -> tuple[bytes, int, int, bool, list[tuple[Any, ...]]]: ...
