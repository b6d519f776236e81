"""The visit-line loops read search terms with the C matcher (_searchterms.h) and ask Python only
when it is unsure: on search URLs of every engine, plain and awkward (non-ASCII hosts and terms,
%-escapes that are not UTF-8, tabs, wide spaces), the C loops (rows from a list and stepped by
SQLite) give the lines and hits of the pure-Python loop, which asks extract_search every URL."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from test_visit_lines_native import ENGINES, HEAD, LABELS, RECORD, SEARCH, VISIT

from orderwatch.forensics.parsers import _searchterms, _visitlines
from orderwatch.forensics.parsers.browser_times import TimeFormat, integer_time_format
from orderwatch.forensics.parsers.search_engines import (
    SEARCH_ENGINES,
    SearchEngine,
    SearchHit,
    extract_search,
)
from orderwatch.forensics.parsers.sqlite_plugins.interface import DatabaseFiles
from orderwatch.forensics.parsers.sqlite_plugins.visit_lines import python_visit_lines

TERMS = (
    "cats", "caf%C3%A9", "two+words", "%20spaced%20", "a%2Bb", "100%25", "%FF", "%C3", "x%E9y",
    "a\tb", "%09tab", "%E2%80%83wide", "%C2%A0nbsp", "\u00e9t\u00e9", "\U0001f600", "%zz",
    "%5B1%5D", "[1]", "a%0Ab", "%00", "q%26r", "",
)  # fmt: skip
HOSTS = ("{d}", "www.{d}", "WWW.{D}", "{d}.", "user@{d}", "{d}:8080", "g\u00f6\u00f6gle.{d}",
         "\u212a.{d}", "{d}.evil.test")  # fmt: skip
SCHEMES = ("https://", "http://", "HTTPS://", " https://", "\thttps://", "http\u017f://")
SUFFIXES = ("", "&x=1", "#frag", "\t", " ", "\u00e9", "/")


def _domains(engine: SearchEngine) -> list[str]:
    found = []
    for domain in engine.domains:
        if domain.endswith(".*"):
            found += [domain[:-1] + tld for tld in ("com", "de", "co.uk", "com.br")]
        else:
            found.append(domain)
    return found


def _engine_url(engine: SearchEngine, rng: random.Random, plain: bool) -> str:
    domain = rng.choice(_domains(engine))
    host = domain if plain else rng.choice(HOSTS).format(d=domain, D=domain.upper())
    term = "cats" if plain else rng.choice(TERMS)
    if engine.path_term is not None:
        rest = f"{engine.path_term}{term}"
    else:
        path = rng.choice(engine.paths or ("/",))
        param = rng.choice(engine.params)
        query = f"{param}={term}"
        if not plain and rng.random() < 0.3:
            query = f"other=1&{query}"
        rest = f"{path}#{query}" if not plain and rng.random() < 0.1 else f"{path}?{query}"
    scheme = "https://" if plain else rng.choice(SCHEMES)
    suffix = "" if plain else rng.choice(SUFFIXES)
    return scheme + host + rest + suffix


def _urls(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    urls = [_engine_url(engine, rng, plain=True) for engine in SEARCH_ENGINES]
    urls += [_engine_url(rng.choice(SEARCH_ENGINES), rng, plain=False) for _ in range(count)]
    return urls


def _rows(urls: list[str]) -> list[tuple[Any, ...]]:
    units = integer_time_format(TimeFormat.WEBKIT)
    assert units is not None
    return [(n, units[2] + n * 1_000_001, url, None, n, n) for n, url in enumerate(urls)]


def test_the_urls_reach_every_engine_and_the_unsure_cases() -> None:
    """The generated URLs test what they mean to: hits of every engine, by the matcher alone
    and by Python after the matcher was unsure."""
    table = _searchterms.Table(SEARCH_ENGINES, SearchHit)
    urls = _urls(1, 6000)
    plain = [extract_search(url) for url in urls[: len(SEARCH_ENGINES)]]
    assert [hit.engine if hit else None for hit in plain] == [e.name for e in SEARCH_ENGINES]
    judged = [(table.extract(url), extract_search(url)) for url in urls]
    sure_hits = {hit.engine for native, hit in judged if native is not ... and hit is not None}
    unsure_hits = {hit.engine for native, hit in judged if native is ... and hit is not None}
    assert sure_hits == {e.name for e in SEARCH_ENGINES}
    assert len(unsure_hits) > len(SEARCH_ENGINES) // 2
    unsure = sum(native is ... for native, _ in judged)
    assert len(urls) * 0.2 < unsure < len(urls) * 0.8


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_c_and_python_agree_on_every_engines_searches(seed: int) -> None:
    rows = _rows(_urls(seed, 6000))
    units = integer_time_format(TimeFormat.WEBKIT)
    for search in (SEARCH, None):
        args = (rows, HEAD, VISIT, search, RECORD, units, LABELS, ENGINES, extract_search)
        native = _visitlines.visit_lines(*args)
        assert native == python_visit_lines(*args)
        lines, visits, searches, _, hits, _ = native
        assert visits == len(rows) and lines.count(b'"engine": ') == searches
        assert (searches if search else len(hits)) > len(rows) // 2


def test_python_is_asked_only_what_the_matcher_is_unsure_of() -> None:
    table = _searchterms.Table(SEARCH_ENGINES, SearchHit)
    asked: list[str] = []

    def extract(url: str) -> Any:
        asked.append(url)
        return extract_search(url)

    urls = _urls(4, 6000)
    units = integer_time_format(TimeFormat.WEBKIT)
    args = (_rows(urls), HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract)
    _visitlines.visit_lines(*args)
    unsure = {url for url in urls if table.extract(url) is ...}
    unsure_searches = {url for url in unsure if extract_search(url) is not None}
    assert set(asked) <= unsure and unsure_searches <= set(asked) and unsure_searches


def test_searches_stepped_by_sqlite_give_the_same_lines(tmp_path: Path) -> None:
    if not hasattr(_visitlines, "query_visit_lines"):  # pragma: no cover
        pytest.skip("_visitlines was built without sqlite3.h")
    rows = _rows(_urls(5, 4000))
    path = tmp_path / "History"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE visits (id, stored, url, title, n, url_id)")
        connection.executemany("INSERT INTO visits VALUES (?, ?, ?, ?, ?, ?)", rows)
    connection.close()
    uri = DatabaseFiles(path).read_only_uri()
    sql = "SELECT id, stored, url, title, n, url_id FROM visits ORDER BY id"
    units = integer_time_format(TimeFormat.WEBKIT)
    for search in (SEARCH, None):
        args = (HEAD, VISIT, search, RECORD, units, LABELS, ENGINES, extract_search)
        stepped = _visitlines.query_visit_lines(uri, sql, *args)
        assert stepped is not None and stepped == python_visit_lines(rows, *args)
