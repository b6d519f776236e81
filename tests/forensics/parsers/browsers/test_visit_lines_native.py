"""The C loop of visit_lines (`_visitlines`) writes the same bytes as its pure-Python fallback
on generated rows: every type a row may hold, JSON's special characters, times at and past the
edges, search URLs the host prefilter must not miss (upper case, user info, ports, trailing dots,
country domains, look-alike letters) and bad arguments."""

from __future__ import annotations

import hashlib
import random
import string
from typing import Any

import pytest

from orderwatch.domain.observations import StableIds, format_time
from orderwatch.forensics.parsers import _searchterms, _visitlines
from orderwatch.forensics.parsers.browser_times import (
    TimeFormat,
    integer_time_format,
    to_datetime,
)
from orderwatch.forensics.parsers.search_engines import (
    SEARCH_ENGINES,
    SearchHit,
    extract_search,
    host_labels,
)
from orderwatch.forensics.parsers.sqlite_plugins.visit_lines import python_visit_lines

VISIT_PIECES = (b'{"id": "', b'", "time": ', b', "url": ', b', "title": ', b', "r": ', b', "s": "')
VISIT = ((*VISIT_PIECES, b'"}'), "ituTrs")
SEARCH = ((b'{"id": "', b'", "time": ', b', "engine": ', b', "term": ', b', "url": ', b', "r": ',
           b', "s": "', b'"}'), "itemurs")  # fmt: skip
RECORD = (b"visits.id=", 4, b" (urls.id=", 5, b")")
HEAD = "src \u00e9\x1fchrome_history\x1f/Users/sam/History\x1f".encode()
LABELS = host_labels()
ENGINES = SEARCH_ENGINES
HOSTS = (
    "www.google.com", "WWW.Google.CO.UK", "google.de.", "user:pw@www.bing.com", "bing.com:8080",
    "duckduckgo.com", "search.yahoo.com", "yandex.ru", "ya.ru", "www.youtube.com", "m.youtube.com",
    "example.test", "site1.example.test", "googlex.com", "xgoogle.com", "google.example.test",
    "search.example.com", "a@b@www.google.com", "@www.google.com", "www.g\u00f6ogle.com",
    "[::1]", "127.0.0.1", "", "xn--ggle-0nda.com", "tiktok.com", "ecosia.org",
)  # fmt: skip
PATHS = ("/search?q={t}", "/?q={t}&ia=web", "/results?search_query={t}", "/s?wd={t}", "/x/{t}",
         "/search/{t}", "/search;x?q={t}", "/#q={t}", "?q={t}", "/search?as_q={t}&q=")  # fmt: skip
SCHEMES = ("https://", "http://", "HTTPS://", " https://", "\thttp://", "ftp://", "httpſ://",
           "https:/", "")  # fmt: skip
ODD = '"\\\n\r\t\b\f\x00\x01\x1f\x7f \u00e9\u2028\U0001f600%'


def _text(rng: random.Random) -> str:
    return "".join(
        rng.choice(string.ascii_letters + ODD + "+ &=") for _ in range(rng.randrange(12))
    )


def _url(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return rng.choice([None, "", 12, 1.5, b"https://www.google.com/search?q=x"])
    term = _text(rng).replace("&", "%26") or "cats"
    return rng.choice(SCHEMES) + rng.choice(HOSTS) + rng.choice(PATHS).format(t=term)


def _stored(rng: random.Random, per_second: int, earliest: int, latest: int) -> Any:
    choice = rng.random()
    if choice < 0.05:
        return rng.choice([None, "13350000000000000", 1.0e16, -5, 0, 2**63 - 1, -(2**63)])
    if choice < 0.15:
        return rng.choice([earliest - 1, earliest, latest - 1, latest])
    stored = rng.randrange(earliest, latest)
    return stored - stored % per_second if rng.random() < 0.3 else stored  # whole seconds too


def _rows(seed: int, time_format: tuple[int, int, int, int], count: int) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    per_second, _, earliest, latest = time_format
    rows = []
    for n in range(count):
        ident: Any = n if rng.random() > 0.03 else rng.choice(["7", 2.0, None, 2**64])
        title = rng.choice([None, "", _text(rng), b"blob", "\ud800"]) if n % 3 else _text(rng)
        url_id: Any = rng.randrange(10**6) if rng.random() > 0.03 else "x"
        url = _url(rng)
        if isinstance(url, str) and rng.random() < 0.02:
            url = url[:20] + "\udcff"  # a lone surrogate (no SQLite text decodes to one)
        rows.append((ident, _stored(rng, per_second, earliest, latest), url, title, n, url_id))
    return rows


@pytest.mark.parametrize("time_format", list(TimeFormat))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_c_and_python_write_the_same_lines(time_format: TimeFormat, seed: int) -> None:
    units = integer_time_format(time_format)
    if units is None:
        assert time_format is TimeFormat.COCOA  # stored as REAL: the object path reads it
        return
    rows = _rows(seed, units, 3000)
    for search in (SEARCH, None):
        args = (rows, HEAD, VISIT, search, RECORD, units, LABELS, ENGINES, extract_search)
        native = _visitlines.visit_lines(*args)
        python = python_visit_lines(*args)
        assert native == python
        lines, visits, searches, unusual, hits, _ = native
        assert unusual and visits > 1500 and lines.count(b'"time": null') > 10
        assert (searches > 100) if search else (searches == 0 and len(hits) > 100)


def test_ids_times_and_quoting_are_the_object_paths() -> None:
    units = integer_time_format(TimeFormat.WEBKIT)
    assert units is not None
    stored = 13_350_000_000_123_456
    rows = [(41, stored, "https://www.google.com/search?q=caf%C3%A9", 'a "b"\n', 41, 9)]
    lines, visits, searches, unusual, hits, _ = _visitlines.visit_lines(
        rows, HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search
    )
    ids = StableIds("src \u00e9", "chrome_history", "/Users/sam/History")
    when = format_time(to_datetime(stored, TimeFormat.WEBKIT))
    assert (visits, searches, unusual, hits) == (1, 1, False, [])
    assert lines.decode() == (
        f',\n    {{"id": "{ids("visit", 41)}", "time": "{when}", "url": '
        '"https://www.google.com/search?q=caf%C3%A9", "title": "a \\"b\\"\\n", '
        '"r": "visits.id=41 (urls.id=9)", "s": "13350000000123456"}'
        f',\n    {{"id": "{ids("search", 41)}", "time": "{when}", "engine": "Google", '
        '"term": "caf\u00e9", "url": "https://www.google.com/search?q=caf%C3%A9", '
        '"r": "visits.id=41 (urls.id=9)", "s": "13350000000123456"}'
    )


def test_every_escaped_character_at_every_place_is_quoted_as_json_quotes_it() -> None:
    """Texts are copied 8 bytes at a time where none needs an escape: each character JSON
    escapes, at each place in and around such a run, is quoted as the Python loop quotes it."""
    units = integer_time_format(TimeFormat.WEBKIT)
    assert units is not None
    rows = []
    for special in '"\\\n\x00\x1f\x7f\u00e9\u2028 \x08\x0c\t\r':
        for length in range(0, 26):
            for at in range(length):
                text = "abcdefghijklmnopqrstuvwxyz"[:length]
                text = text[:at] + special + text[at + 1 :]
                url = "https://x.test/" + text
                rows.append((len(rows), 13_350_000_000_000_000, url, text, 1, 2))
    args = (rows, HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
    native = _visitlines.visit_lines(*args)
    assert native == python_visit_lines(*args)
    assert native[1] == len(rows) > 4000


@pytest.mark.parametrize("time_format", [TimeFormat.WEBKIT, TimeFormat.PRTIME, TimeFormat.POSIX])
def test_times_on_the_same_day_and_across_midnights_are_written_as_python_writes_them(
    time_format: TimeFormat,
) -> None:
    """The loop keeps the last day's date text: visits minutes apart, over midnights, back to an
    earlier day and out of range between them are each written as the Python loop writes them."""
    units = integer_time_format(time_format)
    assert units is not None
    per_second, epoch, earliest, latest = units
    start = epoch + 1_705_000_000 * per_second  # 2024-01-11
    steps = [0, 1, 59, 3599, 86399, 86400, 3 * 86400 - 1, 17, -86400, 0, 7 * 86400 + 3]
    times = [start + step * per_second + (n % 3) for n, step in enumerate(steps * 40)]
    times[::13] = [earliest - 1] * len(times[::13])
    times[5::17] = [latest] * len(times[5::17])
    rows = [(n, stored, f"https://e.test/{n}", None, n, n) for n, stored in enumerate(times)]
    args = (rows, HEAD, VISIT, None, RECORD, units, LABELS, ENGINES, extract_search)
    native = _visitlines.visit_lines(*args)
    assert native == python_visit_lines(*args)
    assert 50 < native[0].count(b'"time": null') < len(rows) // 2


def test_python_is_asked_about_every_search_the_matcher_is_unsure_of() -> None:
    """The C matcher judges most URLs; of those it is unsure of, the host prefilter must pass
    every search to `extract`."""
    table = _searchterms.Table(SEARCH_ENGINES, SearchHit)
    rng = random.Random(7)
    asked: list[str] = []

    def extract(url: str) -> Any:
        asked.append(url)
        return extract_search(url)

    urls = [u for u in (_url(rng) for _ in range(20000)) if isinstance(u, str) and u]
    rows = [(n, 0, url, None, n, n) for n, url in enumerate(urls)]
    units = integer_time_format(TimeFormat.WEBKIT)
    assert units is not None
    _visitlines.visit_lines(rows, HEAD, VISIT, None, RECORD, units, LABELS, ENGINES, extract)
    unsure = [url for url in urls if table.extract(url) is ...]
    searches = {url for url in unsure if extract_search(url) is not None}
    assert len(searches) > 300 and searches <= set(asked) <= set(unsure)
    assert len(asked) < len(urls) * 0.5  # most URLs are judged in C


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"rows": ((1, 2, "u", None, 1, 1),)}, TypeError),
        ({"rows": [(1, 2, "u")]}, TypeError),
        ({"head": "text"}, TypeError),
        ({"visit": ((b"a",), "i")}, ValueError),
        ({"visit": ((b"a", b"b"), "x")}, ValueError),
        ({"visit": (("a", "b"), "i")}, TypeError),
        ({"search": "no"}, TypeError),
        ({"record": (b"a", "b")}, TypeError),
        ({"record": (b"a", -1)}, ValueError),
        ({"record": (b"a", 9)}, ValueError),
        ({"time_format": (7, 0, 1, 2)}, ValueError),
        ({"time_format": (1, 0, 1)}, TypeError),
        ({"labels": frozenset()}, TypeError),
        ({"engines": list(SEARCH_ENGINES)}, TypeError),
        ({"engines": (1,)}, AttributeError),
        ({"extract": None}, TypeError),
    ],
)
def test_bad_arguments_raise_clear_errors(change: dict[str, Any], error: type) -> None:
    units = integer_time_format(TimeFormat.WEBKIT)
    args: dict[str, Any] = {
        "rows": [(1, 13_350_000_000_000_000, "u", None, 1, 1)],
        "head": HEAD,
        "visit": VISIT,
        "search": SEARCH,
        "record": RECORD,
        "time_format": units,
        "labels": LABELS,
        "engines": ENGINES,
        "extract": extract_search,
    }
    args.update(change)
    with pytest.raises(error):
        _visitlines.visit_lines(*args.values())


def test_a_visit_template_naming_search_values_writes_them_empty() -> None:
    units = integer_time_format(TimeFormat.WEBKIT)
    rows = [(1, 0, "https://e.test/", None, 1, 1)]
    visit = ((b"", b" ", b" ", b""), "iem")
    args = (rows, HEAD, visit, None, RECORD, units, LABELS, ENGINES, extract_search)
    lines = _visitlines.visit_lines(*args)
    assert lines[0].endswith(b' "" ""') and lines == python_visit_lines(*args)


def test_an_error_in_extract_is_raised() -> None:
    def broken(url: str) -> Any:
        raise RuntimeError("boom")

    units = integer_time_format(TimeFormat.WEBKIT)
    rows = [(1, 0, "https://www.google.com/search?q=x\ty", None, 1, 1)]  # the matcher is unsure
    with pytest.raises(RuntimeError, match="boom"):
        _visitlines.visit_lines(rows, HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, broken)


def test_ids_are_sha1s_for_heads_and_ids_of_every_length() -> None:
    """The C digest (the SHA extensions where the CPU has them) over one, two and three blocks:
    the head's length and the id's digits move the padding across block ends."""
    units = integer_time_format(TimeFormat.WEBKIT)
    assert units is not None
    rows = [(ident, 0, None, None, 1, 2) for ident in (0, 7, 10**9, -(2**63), 2**63 - 1)]
    for size in range(0, 140):
        head = ("h" * size).encode()
        args = (rows, head, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
        lines = _visitlines.visit_lines(*args)
        assert lines == python_visit_lines(*args)
        ids = [line[8:28] for line in lines[0].split(b",\n    ")[1:]]
        assert ids == [
            hashlib.sha1(head + b"visit\x1f%d" % row[0]).hexdigest()[:20].encode() for row in rows
        ]
