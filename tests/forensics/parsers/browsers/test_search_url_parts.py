"""The search-term reader's own URL splitting and query reading give what urllib gives."""

from __future__ import annotations

import random
from urllib.parse import parse_qs, urlsplit

from orderwatch.forensics.parsers.search_engines import _query_values, _split

PIECES = [
    "http://", "https://", "HTTPS://", "hTTp://", " ", "\t", "\n", "\r", "\x01", "www.", "a",
    "b", "\u00e9", "\u2603", ".com", ":8080", "user:pw@", "@", "/", "//", "/search", "?", "??",
    "#", "##", "&", "&&", "=", "==", "q", "q=", "+", "%", "%2B", "%C3%A9", "%zz", ";", ";x=1",
    "[", "]", "[::1]", "p", "text=", "search_query",
]  # fmt: skip


def _urls(count: int) -> list[str]:
    rng = random.Random(4)
    found = []
    for _ in range(count):
        start = rng.choice(["http://", "https://", "HTTP://", " https://", "https:// "])
        found.append(start + "".join(rng.choice(PIECES) for _ in range(rng.randrange(12))))
    return found


def _reference(url: str) -> tuple[str, str, str] | str:
    try:
        parts = urlsplit(url)
    except ValueError as error:
        return f"ValueError: {error}"
    return parts.path, parts.query, parts.fragment


def test_url_parts_are_urllib_s() -> None:
    for url in _urls(20000):
        stripped = url.strip()
        try:
            mine: tuple[str, str, str] | str = _split(stripped)
        except ValueError as error:
            mine = f"ValueError: {error}"
        assert mine == _reference(stripped), url


def test_query_values_are_parse_qs_s() -> None:
    names = ("q", "p", "text", "search_query", "", "a b", "q=")
    for url in _urls(20000):
        query = url.partition("?")[2]
        expected = {k: v for k, v in parse_qs(query).items() if k in names}
        assert _query_values(query, names) == expected, query
