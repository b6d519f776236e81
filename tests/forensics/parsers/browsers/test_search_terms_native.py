"""The C search-term matcher (`_searchterms`) gives what the Python path of extract_search gives,
or says it is unsure (...) and leaves the URL to it: on the engine tests' URLs, on generated URLs
of every awkward kind (escapes, plus signs, Unicode, whitespace, userinfo, ports, case, trailing
dots, country TLDs and look-alike hosts), on every Unicode space and on broken UTF-8."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from types import EllipsisType
from urllib.parse import quote

import pytest
from test_search_engines import SEARCHES

from orderwatch.forensics.parsers import search_engines
from orderwatch.forensics.parsers.search_engines import (
    SEARCH_ENGINES,
    SearchEngine,
    SearchHit,
    extract_search,
)

_searchterms = pytest.importorskip(
    "orderwatch.forensics.parsers._searchterms", reason="the C module is not built here"
)
Result = SearchHit | None | EllipsisType


@pytest.fixture
def python_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """extract_search without the C matcher (its reference), its cache emptied before and after."""
    monkeypatch.setattr(search_engines, "_NATIVE", None)
    search_engines._extract_cached.cache_clear()
    yield
    search_engines._extract_cached.cache_clear()


def _compare(urls: list[str], engines: tuple[SearchEngine, ...] = SEARCH_ENGINES) -> int:
    """Assert the C answer is Python's wherever it is sure; the number of unsure answers."""
    table = _searchterms.Table(engines, SearchHit)
    unsure = 0
    for url in urls:
        native: Result = table.extract(url)
        if native is ...:
            unsure += 1
            continue
        python = extract_search(url, engines)
        assert native == python, url
        assert native is None or type(native) is SearchHit
    return unsure


def test_the_engine_tests_urls_are_all_judged_in_c(python_path: None) -> None:
    urls = [url for url, _, _ in SEARCHES]
    assert _compare(urls) == 0
    # none of these is left to Python: terms with non-ASCII letters are read in C too
    assert [_searchterms.Table(SEARCH_ENGINES, SearchHit).extract(url) for url in urls] == [
        SearchHit(engine, term) for _, engine, term in SEARCHES
    ]


def test_extract_search_uses_the_c_matcher() -> None:
    assert search_engines._NATIVE is not None
    assert extract_search("https://www.bing.com/search?q=a+b") == SearchHit("Bing", "a b")


SCHEMES = ["http://", "https://", "HTTPS://", "hTtP://", " \x1chttps://", "\thttp://", "ftp://"]
SCHEMES += ["http:/", "https//", "httpx://", "http\u017f://", "\u00a0http://", "\u2028https://"]
USERS = [""] * 8 + ["user@", "u:p@", "a@b@", "@", "x[1]@", "\u00e9@", "a@@"]
HOSTS = [
    *("google.co.uk", "www.google.com", "GOOGLE.DE", "google.com.", "www.google.co.uk..", "google"),
    *("google.evil.example", "google.com.evil", "google..uk", "google.abcd.uk", "goo.gle.com"),
    *("yandex.ru", "ya.ru", "yandex.ya.ru", "www.bing.com", "notbing.com", "bing.com.evil"),
    *("search.yahoo.com", "uk.search.yahoo.com", "yahoo.com", "xn--caf-dma.com", "caf\u00e9.com"),
    *(
        "www.Bing.COM",
        " www.bing.com",
        "bing.com%2e",
        "",
        ".",
        "..bing.com",
        "a" * 300 + ".bing.com",
    ),
]
PORTS = ["", "", ":443", ":", ":abc"]
PATHS = ["", "/", "//", "/search", "/SEARCH/", "/search;x=1", "/search/", "/Search/a%20b/c"]
PATHS += ["/search/+%2B+", "/search/%C3%A9t%C3%A9", "/search/%FF", "/x;/search", "/s%65arch"]
NAMES = ["q", "q", "p", "text", "Q", "%71", "q%", "q+", "", "as_q", "search_query", "wd", "k"]
VALUES = [
    *("red", "bicycle", "+", "++", "%20", "%2B", "%C3%A9", "%E5%A4%A9", "%F0%9F%98%80", "%0A"),
    *("%1C", "%09", "%0B", "%85", "%C2%85", "%C2%A0", "%E2%80%A8", "%E3%80%80", "%FF", "%ZZ"),
    *("%", "%4", "%%41", "\t", "\n", "\r", "\u00e9", "\x00", "\x7f", "=", "[", "]", ";", "/"),
]
WORDS = ["red", "bicycle", "+", "%20", "caf%C3%A9", "%E5%A4%A9%E6%B0%94", "%2B", "Tide"]
ENDS = ["", "", " ", "\n", "\t", "\x0b", "\x1f", "\u00a0", "\u3000"]


def _pairs(rng: random.Random, names: list[str]) -> str:
    pairs = []
    for _ in range(rng.randrange(1, 4)):
        value = "".join(
            rng.choice(VALUES) if rng.random() < 0.2 else rng.choice(WORDS)
            for _ in range(rng.randrange(4))
        )
        pairs.append(rng.choice(names) + rng.choice(["=", "=", "", "=="]) + value)
    return "&".join(pairs)


def _generated(count: int, seed: int) -> list[str]:
    """URLs mostly of one engine's host, paths and params, with awkward pieces mixed in."""
    rng = random.Random(seed)
    urls = []
    for _ in range(count):
        engine = rng.choice(SEARCH_ENGINES)
        domain = rng.choice(engine.domains).replace("*", rng.choice(["com", "de", "co.uk", "ru"]))
        host = rng.choice(["", "www.", "m."]) + domain
        host = rng.choice(HOSTS) if rng.random() < 0.3 else host
        host = "".join(c.upper() if rng.random() < 0.1 else c for c in host)
        path = rng.choice([*engine.paths, engine.path_term or "/"])
        path += rng.choice(["", "", "/", "x", ";a=b", "/" + rng.choice(VALUES + WORDS * 4)])
        path = rng.choice(PATHS) if rng.random() < 0.2 else path
        scheme = rng.choice(SCHEMES) if rng.random() < 0.3 else "https://"
        names = [*engine.params * 8, *NAMES]
        url = scheme + rng.choice(USERS) + host + rng.choice(PORTS) + path
        if rng.random() < 0.8:
            url += "?" * rng.choice([1, 1, 2]) + _pairs(rng, names)
        if rng.random() < 0.3:
            url += "#" + _pairs(rng, names)
        urls.append(url + (rng.choice(ENDS) if rng.random() < 0.2 else ""))
    return urls


def test_generated_urls_give_what_python_gives(python_path: None) -> None:
    urls = _generated(30000, seed=7)
    unsure = _compare(urls)
    hits = sum(1 for url in urls if extract_search(url) is not None)
    assert hits > 3000  # the generator does make searches...
    assert unsure < len(urls) / 3  # ...and most are judged in C


def test_junk_urls_give_what_python_gives(python_path: None) -> None:
    pieces = ["http://", "https://", " ", "\t", "\n", "\x01", "www.", "google.", "bing.com", "de"]
    pieces += ["\u00e9", ":8080", "user:pw@", "@", "/", "/search", "?", "#", "&", "=", "q", "q="]
    pieces += ["+", "%", "%2B", "%C3%A9", "%zz", ";", "[", "]", "[::1]", ".", "..", "/s/"]
    rng = random.Random(11)
    urls = [
        rng.choice(["http://", "https://", " https://", "https:// "])
        + "".join(rng.choice(pieces) for _ in range(rng.randrange(14)))
        for _ in range(30000)
    ]
    _compare(urls)


def test_a_host_letter_past_ascii_that_lowers_to_ascii_is_left_to_python(python_path: None) -> None:
    """str.lower() makes the Kelvin sign a "k": www.tiktoK.com is TikTok to Python, so the C
    matcher must not call that host a miss (it cannot lower it) but leave it to Python."""
    table = _searchterms.Table(SEARCH_ENGINES, SearchHit)
    for host in ("www.tikto\u212a.com", "tikto\u212a.com", "m.tikto\u212a.com:443"):
        url = f"https://{host}/search?q=cats"
        assert extract_search(url) == SearchHit("TikTok", "cats")
        assert table.extract(url) is ...
    assert _compare([f"https://{h}/search?q=x" for h in ("g\u00f6ogle.com", "\u212aagi.com")]) == 2


def test_every_unicode_space_is_left_to_python_and_other_letters_are_read(
    python_path: None,
) -> None:
    table = _searchterms.Table(SEARCH_ENGINES, SearchHit)
    spaces = [chr(c) for c in range(0x80, sys.maxunicode + 1) if chr(c).isspace()]
    for space in spaces:
        url = "https://www.bing.com/search?q=a" + quote(space) + "b"
        assert table.extract(url) is ..., hex(ord(space))
    others = [*range(0x80, 0x3100), *range(0x3100, sys.maxunicode + 1, 97)]
    urls = []
    for code in others:
        if chr(code).isspace() or 0xD800 <= code < 0xE000:
            continue
        url = "https://www.bing.com/search?q=+" + quote(chr(code)) + "+x"
        assert table.extract(url) == SearchHit("Bing", chr(code) + " x"), hex(code)
        urls.append(url)
    assert _compare(urls[::50]) == 0  # the same as Python's (a sample: its path is slow)


@pytest.mark.parametrize(
    "escape",
    ["%C0%80", "%ED%A0%80", "%F4%90%80%80", "%E0%80%80", "%F0%80%80%80", "%C3", "%C3%28", "%80"],
)
def test_escapes_that_are_no_utf8_are_left_to_python(escape: str, python_path: None) -> None:
    url = "https://www.bing.com/search?q=" + escape
    assert _searchterms.Table(SEARCH_ENGINES, SearchHit).extract(url) is ...
    hit = extract_search(url)  # Python decodes them with U+FFFD in place of the bad bytes
    assert hit is not None and "\ufffd" in hit.term


def test_long_urls_are_no_search_by_their_characters_not_their_bytes(python_path: None) -> None:
    table = _searchterms.Table(SEARCH_ENGINES, SearchHit)
    base = "https://www.bing.com/search?q=word&x="
    ascii_long = base + "a" * (16384 - len(base))
    assert table.extract(ascii_long) == SearchHit("Bing", "word")
    assert table.extract(ascii_long + "a") is None
    assert table.extract(base + "\u00e9" * (16384 - len(base))) is ...  # 16384 characters
    assert table.extract(base + "\u00e9" * (16385 - len(base))) is None
    assert _compare([ascii_long, ascii_long + "a", base + "\u00e9" * (16385 - len(base))]) == 0


def test_another_table_gives_what_python_gives_with_it(python_path: None) -> None:
    local = (
        *SEARCH_ENGINES[:3],
        SearchEngine("Chat", ("example-chat.test", "chat.*"), ("/find", "/F"), ("s", "")),
        SearchEngine("Any path", ("", ".*", "x.y.*"), (), ("a=b", "q")),
        SearchEngine("Segments", ("seg.test",), path_term="/FIND/"),
    )
    urls = [
        *("https://example-chat.test/find?s=meet+up", "https://m.chat.co.uk/find/?=x&s=y"),
        *("https://chat.example/F?s=z", "https://chat.example/f?s=z", "http://.com/?q=empty"),
        *(
            "http://x.y.com/?q=dotted+label",
            "https://seg.test/find/a+b/c",
            "https://seg.test/FIND/x",
        ),
    ]
    urls += _generated(3000, seed=3)
    urls += [url.replace("google", "chat") for url in _generated(3000, seed=5)]
    assert _compare(urls, local) < len(urls) / 3
    assert _searchterms.Table(local, SearchHit).extract(urls[0]) == SearchHit("Chat", "meet up")


def test_the_host_prefilter_passes_every_host_an_engine_answers_on(python_path: None) -> None:
    """A host is a miss in C at once when none of its labels is a key (a domain's first label, a
    name label): every domain and name label, under and beside other labels, in either case."""
    urls = []
    for engine in SEARCH_ENGINES:
        path = (engine.paths or ("/",))[0]
        query = f"?{engine.params[0]}=red+bicycle" if engine.params else ""
        path = engine.path_term + "red+bicycle" if engine.path_term else path
        hosts = []
        for domain in engine.domains:
            for tld in ["com", "co.uk", "de", "com.au", "a.b"] if domain.endswith(".*") else [""]:
                name = domain[:-1] + tld if tld else domain
                for prefix in ("", "www.", "a.b.", "x", "-"):
                    hosts += [prefix + name + suffix for suffix in ("", ".", ".evil.test", "x")]
        hosts += [host.upper() for host in hosts[::3]]
        urls += [f"https://{host}{path}{query}" for host in hosts]
    assert _compare(urls) == 0
    hits = [url for url in urls if extract_search(url) is not None]
    assert len(hits) > 250  # the engines' own hosts are read, not only rejected


def test_bad_arguments_raise() -> None:
    with pytest.raises(TypeError):
        _searchterms.Table(list(SEARCH_ENGINES), SearchHit)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _searchterms.Table((SearchEngine("X", ["x.test"]),), SearchHit)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        _searchterms.Table(("not an engine",), SearchHit)
    with pytest.raises(ValueError, match="ASCII"):
        _searchterms.Table((SearchEngine("X", ("caf\u00e9.test",)),), SearchHit)
    with pytest.raises(TypeError):
        _searchterms.Table(SEARCH_ENGINES, SearchHit).extract(b"https://bing.com/search?q=x")
    with pytest.raises(TypeError, match="tuple class"):
        _searchterms.Table(SEARCH_ENGINES, dict)  # type: ignore[type-var]
