"""Deleted SQLite records carved around URLs in free space (the C module _sqlitecarve.c)."""

from mmap import mmap

# (columns, url_column, rowid_alias or -1, index, min_columns, kinds, not_null)
Shape = tuple[object, ...]

def carve_regions(
    data: mmap | bytes,
    regions: list[tuple[int, int, int]],
    shapes: tuple[Shape, ...],
    /,
) -> list[tuple[int, int, int, int, bool, tuple[object, ...], bool]]: ...
def page_regions(
    data: mmap | bytes,
    page_size: int,
    usable: int,
    pages: int,
    free_pages: dict[int, int],
    wal_pages: set[int],
    /,
) -> list[tuple[int, int, int, int]]: ...
def carve_pages(
    data: mmap | bytes,
    page_size: int,
    usable: int,
    pages: int,
    free_pages: dict[int, int],
    wal_pages: set[int],
    shapes: tuple[Shape, ...],
    /,
) -> list[tuple[int, int, int, int, bool, tuple[object, ...], bool]]: ...
