"""Search terms read from search-engine and video-site URLs: a data table, easy to extend.

A row names the engine, the domains it answers on, the paths of its result pages and the URL
parameters (query or fragment) that carry the term; sites that put the term in the path instead
name the path prefix before it (`path_term`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote, unquote_plus, urlsplit


@dataclass(frozen=True)
class SearchEngine:
    """One site whose result-page URLs carry what the person searched for."""

    name: str
    # "bing.com" matches bing.com and every sub-domain; "google.*" matches google.<country TLD>.
    domains: tuple[str, ...]
    # Result-page paths (trailing "/" and ";matrix" parts ignored); empty means any path.
    paths: tuple[str, ...] = ()
    # Query (or fragment) parameters holding the term, first non-empty wins.
    params: tuple[str, ...] = ()
    # A path prefix followed by the term as the next path segment (e.g. "/search/").
    path_term: str | None = None


_HOST = re.compile(r"\s*https?://(?:[^/?#@]*@)?([^/?#:@\[\]]+)", re.IGNORECASE)
_LONGEST_URL = 16384  # longer "URLs" are data, not searches


class SearchHit(NamedTuple):
    engine: str
    term: str


SEARCH_ENGINES: tuple[SearchEngine, ...] = (
    SearchEngine("Google", ("google.*",), ("/search", "/webhp", "/"), ("q", "as_q")),
    SearchEngine(
        "Bing",
        ("bing.com",),
        ("/search", "/images/search", "/videos/search", "/news/search"),
        ("q",),
    ),
    SearchEngine(
        "DuckDuckGo",
        ("duckduckgo.com", "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"),
        ("/", "/html", "/lite"),
        ("q",),
    ),
    SearchEngine("Yahoo", ("search.yahoo.com",), ("/search", "/yhs/search"), ("p", "q")),
    SearchEngine(
        "Yandex",
        ("yandex.*", "ya.ru"),
        ("/search", "/yandsearch", "/images/search", "/video/search"),
        ("text",),
    ),
    SearchEngine("Baidu", ("baidu.com",), ("/s", "/baidu"), ("wd", "word", "kw")),
    SearchEngine("Ecosia", ("ecosia.org",), ("/search", "/images", "/videos"), ("q",)),
    SearchEngine(
        "Startpage", ("startpage.com",), ("/do/search", "/sp/search", "/search"), ("query", "q")
    ),
    SearchEngine("Brave Search", ("search.brave.com",), ("/search", "/images", "/videos"), ("q",)),
    SearchEngine("Qwant", ("qwant.com",), ("/",), ("q",)),
    SearchEngine("YouTube", ("youtube.com",), ("/results", "/search"), ("search_query", "q")),
    SearchEngine("Vimeo", ("vimeo.com",), ("/search",), ("q",)),
    SearchEngine("Dailymotion", ("dailymotion.com",), path_term="/search/"),
    SearchEngine("TikTok", ("tiktok.com",), ("/search", "/search/video", "/search/user"), ("q",)),
    SearchEngine("Twitch", ("twitch.tv",), ("/search",), ("term",)),
    SearchEngine("Rumble", ("rumble.com",), ("/search/video", "/search/all"), ("q",)),
    SearchEngine("Bilibili", ("search.bilibili.com",), ("/all", "/video"), ("keyword",)),
    SearchEngine("Pornhub", ("pornhub.com",), ("/video/search",), ("search",)),
    SearchEngine("XVideos", ("xvideos.com",), ("/",), ("k",)),
    SearchEngine("xHamster", ("xhamster.com",), path_term="/search/"),
    SearchEngine("XNXX", ("xnxx.com",), path_term="/search/"),
    SearchEngine("RedTube", ("redtube.com",), ("/",), ("search",)),
    SearchEngine("YouPorn", ("youporn.com",), ("/search",), ("query",)),
)


def extract_search(
    url: str, engines: tuple[SearchEngine, ...] = SEARCH_ENGINES
) -> SearchHit | None:
    """The engine and term a result-page URL shows, or None when it is no known search."""
    if engines is SEARCH_ENGINES and _NATIVE is not None:
        native = _NATIVE.extract(url)  # the same answer, ~10x cheaper, or ... when unsure
        if native is not ...:
            return native
    if len(url) > _LONGEST_URL:
        return None
    found = _HOST.match(url)
    if found is None:
        return None
    # Most visits are to no search engine: rejected by their host alone (looked up once).
    index = _DEFAULT_INDEX if engines is SEARCH_ENGINES else _index(engines)
    candidates = index.candidates(found.group(1))
    if not candidates:
        return None
    if engines is SEARCH_ENGINES:
        return _extract_cached(url, found.group(1))  # histories repeat URLs: each read once
    return _extract(url, candidates)


@functools.lru_cache(maxsize=16384)
def _extract_cached(url: str, host: str) -> SearchHit | None:
    return _extract(url, _DEFAULT_INDEX.candidates(host))


def _extract(url: str, candidates: tuple[SearchEngine, ...]) -> SearchHit | None:
    try:
        path, query, fragment = _split(url.strip())
    except ValueError:
        return None
    path = path.split(";", 1)[0]
    for engine in candidates:
        term = _term(engine, path, query, fragment)
        if term:
            return SearchHit(engine.name, term)
    return None


# A plain http(s) URL: ASCII, none of the characters urlsplit drops or checks (tab, CR, LF,
# IPv6 brackets). Its parts are then split here, as urlsplit would, at a third of the cost.
_PLAIN_URL = re.compile(r"https?://[^/?#]*([^#]*)(?:#(.*))?", re.IGNORECASE | re.DOTALL)
_AWKWARD = re.compile(r"[\t\r\n\[\]]")


def _split(url: str) -> tuple[str, str, str]:
    """urlsplit(url)'s path, query and fragment."""
    plain = _PLAIN_URL.fullmatch(url) if url.isascii() else None
    if plain is None or _AWKWARD.search(url) is not None:
        parts = urlsplit(url)
        return parts.path, parts.query, parts.fragment
    path, _, query = plain.group(1).partition("?")
    return path, query, plain.group(2) or ""


class _EngineIndex:
    """Engines by domain ("bing.com") and by name label ("google" of "google.*"), with their
    place in the table."""

    def __init__(self, engines: tuple[SearchEngine, ...]) -> None:
        self.domains: dict[str, list[tuple[int, SearchEngine]]] = {}
        self.names: dict[str, list[tuple[int, SearchEngine]]] = {}
        for position, engine in enumerate(engines):
            for domain in engine.domains:
                if domain.endswith(".*"):
                    self.names.setdefault(domain[:-2], []).append((position, engine))
                else:
                    self.domains.setdefault(domain, []).append((position, engine))
        self.by_host: dict[str, tuple[SearchEngine, ...]] = {}

    def candidates(self, host: str) -> tuple[SearchEngine, ...]:
        """Engines answering on `host` (as written in the URL), remembered per host."""
        found = self.by_host.get(host)
        if found is None:
            if len(self.by_host) >= 65536:
                self.by_host.clear()
            found = self.by_host[host] = self._candidates(host.lower().rstrip("."))
        return found

    def _candidates(self, host: str) -> tuple[SearchEngine, ...]:
        """Engines answering on `host`, in table order: the domain or any parent of it, or a
        name label followed by a country TLD (google.co.uk, yandex.ru)."""
        labels = host.split(".")
        found: list[tuple[int, SearchEngine]] = []
        for index in range(len(labels)):
            found += self.domains.get(".".join(labels[index:]), ())
            rest = labels[index + 1 :]
            if labels[index] in self.names and (
                len(rest) == 1 or (len(rest) == 2 and len(rest[0]) <= 3)
            ):
                found += self.names[labels[index]]
        found.sort(key=lambda item: item[0])
        return tuple(engine for _, engine in found)


_DEFAULT_INDEX = _EngineIndex(SEARCH_ENGINES)

# The C matcher for the default table (_searchterms.c); None where it is not built, and in the
# tests that keep the Python path (the reference it is compared with).
_NATIVE: _searchterms.Table[SearchHit] | None = None
try:
    from orderwatch.forensics.parsers import _searchterms
except ImportError:  # pragma: no cover - built by pip install (setup.py)
    pass
else:
    _NATIVE = _searchterms.Table(SEARCH_ENGINES, SearchHit)


def host_labels(engines: tuple[SearchEngine, ...] = SEARCH_ENGINES) -> set[bytes]:
    """The labels a host must hold one of to have a candidate engine (lower case, ASCII bytes):
    each domain's first label and each name label. A loop over many URLs asks extract_search
    only about hosts that hold one (the others have no candidate)."""
    labels = set()
    for engine in engines:
        for domain in engine.domains:
            labels.add(domain.removesuffix(".*").split(".", 1)[0].encode())
    return labels


_INDEXES: dict[int, tuple[tuple[SearchEngine, ...], _EngineIndex]] = {}


def _index(engines: tuple[SearchEngine, ...]) -> _EngineIndex:
    """One index per engine table (by identity: the table is not hashed for each URL)."""
    kept = _INDEXES.get(id(engines))
    if kept is None or kept[0] is not engines:
        if len(_INDEXES) > 16:
            _INDEXES.clear()
        kept = _INDEXES[id(engines)] = (engines, _EngineIndex(engines))
    return kept[1]


def _term(engine: SearchEngine, path: str, query: str, fragment: str) -> str | None:
    if engine.path_term is not None:
        if not path.lower().startswith(engine.path_term):
            return None
        segment = path[len(engine.path_term) :].split("/", 1)[0]
        return _clean(unquote_plus(segment))
    normalised = path.rstrip("/") or "/"
    if engine.paths and normalised.lower() not in engine.paths:
        return None
    for text in (query, fragment):
        values = _query_values(text, engine.params)
        for param in engine.params:
            for value in values.get(param, ()):
                term = _clean(value)
                if term:
                    return term
    return None


def _query_values(text: str, names: tuple[str, ...]) -> dict[str, list[str]]:
    """parse_qs(text) (blank values dropped) for `names` only: the others are not decoded."""
    found: dict[str, list[str]] = {}
    for part in text.split("&") if text else ():
        name, equals, value = part.partition("=")
        if not equals or not value:
            continue
        name = unquote(name.replace("+", " "))
        if name in names:
            found.setdefault(name, []).append(unquote(value.replace("+", " ")))
    return found


def _clean(term: str) -> str | None:
    joined = " ".join(term.split())
    return joined or None
