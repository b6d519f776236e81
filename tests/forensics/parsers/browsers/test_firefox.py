"""Firefox family: plaso's real places.sqlite and downloads.sqlite, and a profile built here."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from browser_fixtures import (
    DUCK,
    MEGA,
    PRTIME_2025,
    of_kind,
    run_parsers,
    shared_artefact,
)
from browser_fixtures import FIREFOX_PROFILE as PROFILE
from browser_fixtures import add_firefox_visit as _visit
from browser_fixtures import firefox_profile as _firefox_profile

from orderwatch.domain.observations import (
    AccountObservation,
    BrowserVisitObservation,
    DownloadObservation,
    HistoryDeletionObservation,
    SearchTermObservation,
)

TOR_PROFILE = Path("home/sam/tor-browser/Browser/TorBrowser/Data/Browser/profile.default")
FORMS = (
    "CREATE TABLE moz_formhistory (id INTEGER PRIMARY KEY, fieldname TEXT NOT NULL, "
    "value TEXT NOT NULL, timesUsed INTEGER, firstUsed INTEGER, lastUsed INTEGER, guid TEXT)",
    "CREATE TABLE moz_deleted_formhistory (id INTEGER PRIMARY KEY, timeDeleted INTEGER, guid TEXT)",
)


def test_plaso_places_has_its_one_visit(shared_data: Path) -> None:
    places = shared_artefact(shared_data, "log2timeline_plaso/test_data/firefox/places.sqlite")
    mediator = run_parsers(places, shared_data, "fixture")
    assert mediator.errors == []
    # MANIFEST 1.4: one page visit (plaso's other 102 event data are bookmarks).
    [visit] = of_kind(mediator, "browser_visit")
    data = visit.to_dict()
    data.pop("id")
    assert data == {
        "kind": "browser_visit",
        "time": "2011-07-01T11:16:21.371935Z",
        "browser": "firefox",
        "profile": "firefox",
        "url": "http://news.google.com/",
        "title": "Google News",
        "recovered": False,
        "provenance": {
            "source": "fixture",
            "parser": "firefox_history",
            "path": "/log2timeline_plaso/test_data/firefox/places.sqlite",
            "record": "moz_historyvisits.id=1 (moz_places.id=92)",
            "original_time": "1309518981371935",
        },
    }
    assert len(mediator.observations) == 1


def test_plaso_legacy_downloads(shared_data: Path) -> None:
    path = shared_artefact(shared_data, "log2timeline_plaso/test_data/firefox/downloads.sqlite")
    mediator = run_parsers(path, shared_data, "fixture")
    assert mediator.errors == []
    [download] = mediator.observations
    assert isinstance(download, DownloadObservation)
    # MANIFEST 1.5.
    assert (download.url, download.target_path, download.time) == (
        "https://plaso.googlecode.com/files/plaso-static-1.0.1-win32-vs2008.zip",
        "file:///D:/plaso-static-1.0.1-win32-vs2008.zip",
        datetime(2013, 7, 18, 18, 59, 59, 312000, tzinfo=UTC),
    )
    assert download.provenance.record == "moz_downloads.id=1"
    assert download.provenance.original_time == "1374173999312000"


def test_visits_searches_and_downloads_of_a_current_profile(tmp_path: Path) -> None:
    profile = _firefox_profile(tmp_path)
    mediator = run_parsers(profile / "places.sqlite", tmp_path)
    assert mediator.errors == []
    visits = [
        v for v in of_kind(mediator, "browser_visit") if isinstance(v, BrowserVisitObservation)
    ]
    assert [(v.url, v.browser, v.profile) for v in visits] == [
        ("https://www.example.org/", "firefox", "abcd1234.default-release"),
        (DUCK, "firefox", "abcd1234.default-release"),
        (MEGA, "firefox", "abcd1234.default-release"),
    ]
    assert visits[1].time == datetime(2025, 6, 15, 15, 7, 40, tzinfo=UTC)
    [search] = of_kind(mediator, "search_term")
    assert isinstance(search, SearchTermObservation)
    assert (search.engine, search.term, search.url, search.time) == (
        "DuckDuckGo",
        "vpn free trial",
        DUCK,
        visits[1].time,
    )
    [download] = of_kind(mediator, "download")
    assert isinstance(download, DownloadObservation)
    assert (download.url, download.target_path) == (MEGA, "file:///home/sam/Downloads/archive.7z")
    assert download.provenance.record == "moz_annos.id=1 (downloads/destinationFileURI)"
    assert of_kind(mediator, "history_deletion") == []


def test_tor_browser_is_named_from_its_path(tmp_path: Path) -> None:
    profile = _firefox_profile(tmp_path, TOR_PROFILE)
    mediator = run_parsers(profile / "places.sqlite", tmp_path)
    visits = [
        v for v in of_kind(mediator, "browser_visit") if isinstance(v, BrowserVisitObservation)
    ]
    assert {(v.browser, v.profile) for v in visits} == {("tor browser", "profile.default")}


def test_deleted_places_are_recovered_and_gaps_reported(tmp_path: Path) -> None:
    profile = _firefox_profile(tmp_path)
    places = profile / "places.sqlite"
    with sqlite3.connect(places) as connection:
        connection.execute("PRAGMA secure_delete = OFF")
        for number in range(120):
            when = PRTIME_2025 + (200 + number) * 1_000_000
            _visit(connection, f"https://hidden{number}.example.test/", f"Hidden {number}", when)
        _visit(connection, "https://www.example.org/last", "Last", PRTIME_2025 + 900_000_000)
        connection.execute("DELETE FROM moz_historyvisits WHERE id BETWEEN 4 AND 123")
        connection.execute("DELETE FROM moz_places WHERE url LIKE 'https://hidden%'")
    connection.close()

    mediator = run_parsers(places, tmp_path)
    assert mediator.errors == []
    visits = [
        v for v in of_kind(mediator, "browser_visit") if isinstance(v, BrowserVisitObservation)
    ]
    recovered = {v.url: v for v in visits if v.recovered}
    # Every deleted URL whose bytes are still in the file comes back (some were overwritten).
    left = {
        n for n in range(120) if f"https://hidden{n}.example.test/".encode() in places.read_bytes()
    }
    assert len(left) > 75
    assert {f"https://hidden{n}.example.test/" for n in left} - set(recovered) == {
        f"https://hidden{n}.example.test/"
        for n in (6, 7, 8, 9)  # only in index interior cells
    }
    assert set(recovered) <= {f"https://hidden{n}.example.test/" for n in range(120)}
    # moz_places records bring title and time; moz_places_url_hashindex records (url_hash,
    # url, rowid) only the URL.
    from_table = [v for v in recovered.values() if v.title is not None]
    assert len(from_table) > 40
    for visit in from_table:
        number = int(visit.url.removeprefix("https://hidden").split(".")[0])
        assert visit.title == f"Hidden {number}"
        assert visit.time == datetime(2025, 6, 15, 15, 6, 40, tzinfo=UTC) + timedelta(
            seconds=200 + number
        )
    # Without a title: index records, or table records whose later columns were overwritten.
    without_title = [str(v.provenance.record) for v in recovered.values() if v.title is None]
    assert any("moz_places.url index moz_places_url_hashindex record" in r for r in without_title)
    assert all(
        "moz_places_url_hashindex record" in r or "columns after the URL overwritten" in r
        for r in without_title
    )
    [gaps] = of_kind(mediator, "history_deletion")
    assert isinstance(gaps, HistoryDeletionObservation)
    assert (gaps.browser, gaps.indicator, gaps.detail) == (
        "firefox",
        "visit_id_gaps",
        "firefox profile 'abcd1234.default-release': 120 visit id(s) missing inside the kept "
        "range 1-124 (1 gap(s); largest: ids 4-123, between 2025-06-15 and 2025-06-15)",
    )


def test_history_younger_than_the_profile(tmp_path: Path) -> None:
    profile = _firefox_profile(tmp_path)
    created_ms = (PRTIME_2025 // 1000) - 2 * 365 * 86_400_000
    (profile / "times.json").write_text(json.dumps({"created": created_ms, "firstUse": None}))
    (profile / "prefs.js").write_text(
        f'user_pref("toolkit.startup.last_success", {PRTIME_2025 // 1_000_000 + 3600});\n'
    )
    mediator = run_parsers(profile / "places.sqlite", tmp_path)
    [indicator] = [
        i
        for i in of_kind(mediator, "history_deletion")
        if isinstance(i, HistoryDeletionObservation)
    ]
    assert indicator.indicator == "history_younger_than_profile"
    assert indicator.detail == (
        "firefox profile 'abcd1234.default-release': the oldest visit is 2025-06-15 but the "
        "profile was created 2023-06-16 and keeps 180 days: about 179 days of history are missing"
    )
    assert indicator.time == datetime(2025, 6, 15, 15, 6, 40, tzinfo=UTC)


def test_form_history_gives_search_bar_terms_emails_and_deletions(tmp_path: Path) -> None:
    profile = tmp_path / PROFILE
    profile.mkdir(parents=True)
    with sqlite3.connect(profile / "formhistory.sqlite") as connection:
        for statement in FORMS:
            connection.execute(statement)
        connection.executemany(
            "INSERT INTO moz_formhistory (fieldname, value, timesUsed, firstUsed, lastUsed) "
            "VALUES (?, ?, 1, ?, ?)",
            [
                ("searchbar-history", "how to hide files", PRTIME_2025, PRTIME_2025),
                ("email", "sam.alias@example.net", PRTIME_2025, PRTIME_2025 + 1_000_000),
                ("postcode", "AB1 2CD", PRTIME_2025, PRTIME_2025),
            ],
        )
        connection.executemany(
            "INSERT INTO moz_deleted_formhistory (timeDeleted, guid) VALUES (?, 'g')",
            [(PRTIME_2025 + n * 1_000_000,) for n in range(3)],
        )
    connection.close()

    mediator = run_parsers(profile / "formhistory.sqlite", tmp_path)
    assert mediator.errors == []
    [search] = of_kind(mediator, "search_term")
    assert isinstance(search, SearchTermObservation)
    assert (search.engine, search.term, search.url) == (
        "firefox search bar",
        "how to hide files",
        None,
    )
    [account] = of_kind(mediator, "account")
    assert isinstance(account, AccountObservation)
    assert (account.service, account.identifier, account.source_path) == (
        "email",
        "sam.alias@example.net",
        "/" + str(PROFILE / "formhistory.sqlite"),
    )
    [deleted] = of_kind(mediator, "history_deletion")
    assert isinstance(deleted, HistoryDeletionObservation)
    assert deleted.detail == (
        "firefox profile 'abcd1234.default-release': 3 form-history entries deleted "
        "(the last at 2025-06-15T15:06:42Z)"
    )
