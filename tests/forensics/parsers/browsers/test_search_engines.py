"""Search terms from result-page URLs: one row per engine and site, and URLs that are no search."""

from __future__ import annotations

import pytest

from orderwatch.forensics.parsers import search_engines
from orderwatch.forensics.parsers.search_engines import (
    SEARCH_ENGINES,
    SearchEngine,
    SearchHit,
    extract_search,
)


@pytest.fixture(autouse=True, params=["c", "python"])
def matcher(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test runs with the C matcher (where it is built) and with the Python path alone."""
    if request.param == "python":
        monkeypatch.setattr(search_engines, "_NATIVE", None)
        search_engines._extract_cached.cache_clear()


SEARCHES = [
    ("https://www.google.com/search?q=red+bicycle&hl=en", "Google", "red bicycle"),
    (
        "https://www.google.co.uk/search?client=firefox-b-d&q=caf%C3%A9+opening+times",
        "Google",
        "café opening times",
    ),
    ("http://www.google.ch/#hl=de&q=grr&oq=grr", "Google", "grr"),
    ("https://www.google.de/webhp?q=wetter", "Google", "wetter"),
    ("https://www.bing.com/search?q=tide+tables&form=QBLH", "Bing", "tide tables"),
    ("https://www.bing.com/images/search?q=blue+whale", "Bing", "blue whale"),
    ("https://duckduckgo.com/?q=garden+sheds&t=h_", "DuckDuckGo", "garden sheds"),
    ("https://html.duckduckgo.com/html/?q=quiet+search", "DuckDuckGo", "quiet search"),
    (
        "http://duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion/?q=onion+search",
        "DuckDuckGo",
        "onion search",
    ),
    ("https://search.yahoo.com/search;_ylt=AwrE?p=train+times&fr=yfp", "Yahoo", "train times"),
    ("https://uk.search.yahoo.com/search?p=bus+routes", "Yahoo", "bus routes"),
    (
        "https://yandex.ru/search/?text=%D0%BF%D0%BE%D0%B3%D0%BE%D0%B4%D0%B0&lr=213",
        "Yandex",
        "погода",
    ),
    ("https://yandex.com/images/search?text=lighthouse", "Yandex", "lighthouse"),
    ("https://www.baidu.com/s?ie=utf-8&wd=%E5%A4%A9%E6%B0%94", "Baidu", "天气"),
    ("https://www.ecosia.org/search?method=index&q=tree+planting", "Ecosia", "tree planting"),
    ("https://www.startpage.com/do/search?query=private+search", "Startpage", "private search"),
    ("https://search.brave.com/search?q=brave+words&source=web", "Brave Search", "brave words"),
    ("https://www.qwant.com/?q=european+search&t=web", "Qwant", "european search"),
    ("https://www.youtube.com/results?search_query=cat+videos", "YouTube", "cat videos"),
    ("https://m.youtube.com/results?search_query=mobile+clips", "YouTube", "mobile clips"),
    ("https://vimeo.com/search?q=short+films", "Vimeo", "short films"),
    ("https://www.dailymotion.com/search/football%20goals/videos", "Dailymotion", "football goals"),
    ("https://www.tiktok.com/search?q=dance+trend", "TikTok", "dance trend"),
    ("https://www.twitch.tv/search?term=speedrun", "Twitch", "speedrun"),
    ("https://rumble.com/search/video?q=news+clips", "Rumble", "news clips"),
    ("https://search.bilibili.com/all?keyword=anime", "Bilibili", "anime"),
    ("https://www.pornhub.com/video/search?search=example+words", "Pornhub", "example words"),
    ("https://www.xvideos.com/?k=example+words", "XVideos", "example words"),
    ("https://xhamster.com/search/example+words", "xHamster", "example words"),
    ("https://www.xnxx.com/search/example+words", "XNXX", "example words"),
    ("https://www.redtube.com/?search=example+words", "RedTube", "example words"),
    ("https://www.youporn.com/search/?query=example+words", "YouPorn", "example words"),
]


@pytest.mark.parametrize(("url", "engine", "term"), SEARCHES)
def test_each_engine_gives_its_name_and_the_term(url: str, engine: str, term: str) -> None:
    assert extract_search(url) == SearchHit(engine, term)


def test_every_engine_in_the_table_is_tested() -> None:
    assert {engine.name for engine in SEARCH_ENGINES} == {engine for _, engine, _ in SEARCHES}


@pytest.mark.parametrize(
    "url",
    [
        "https://www.google.com/url?q=https://example.org/&sa=U",  # a redirect, not a search
        "https://www.google.com/maps/place/Somewhere",
        "https://www.google.com/search?q=",  # empty term
        "https://google.evil-example.com/search?q=phish",  # look-alike domain
        "https://notbing.com/search?q=x",
        "https://www.youtube.com/watch?v=abc123",
        "https://example.org/search?q=site+search",  # unknown site
        "ftp://www.google.com/search?q=ftp",
        "not a url at all",
        "http://[::1/search?q=broken",  # unparseable
    ],
)
def test_urls_that_are_no_known_search_give_none(url: str) -> None:
    assert extract_search(url) is None


def test_the_table_is_extended_by_adding_a_row() -> None:
    local = (
        *SEARCH_ENGINES,
        SearchEngine("Chat site", ("example-chat-site.test",), ("/find",), ("s",)),
    )
    url = "https://example-chat-site.test/find?s=meet+up"
    assert extract_search(url) is None
    assert extract_search(url, local) == SearchHit("Chat site", "meet up")


def test_whitespace_in_a_term_is_folded() -> None:
    assert extract_search("https://www.bing.com/search?q=++two%0A%0Alines++") == SearchHit(
        "Bing", "two lines"
    )
