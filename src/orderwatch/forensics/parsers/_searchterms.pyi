"""Search terms from result-page URLs (the C module _searchterms.c)."""

from types import EllipsisType
from typing import Generic, TypeVar

_Hit = TypeVar("_Hit", bound=tuple[str, str])

class Table(Generic[_Hit]):
    """search_engines' table (SearchEngine rows), read once; results are made as the NamedTuple
    class `hit` makes them: tuple.__new__(hit, (engine, term))."""

    def __init__(self, engines: tuple[object, ...], hit: type[_Hit], /) -> None: ...
    def extract(self, url: str, /) -> _Hit | EllipsisType | None:
        """What extract_search(url, engines) gives, or ... where only the Python path can tell."""
