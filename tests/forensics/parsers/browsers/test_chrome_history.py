"""Chromium-family History: plaso's real file, and a profile made by the real Debian chromium."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browser_fixtures import (
    WEBKIT_2026,
    add_then_delete,
    add_visit,
    add_visits,
    default_profile,
    deleted_page,
    of_kind,
    run_parsers,
    shared_artefact,
)

from orderwatch.domain.observations import (
    BrowserVisitObservation,
    DownloadObservation,
    HistoryDeletionObservation,
    SearchTermObservation,
)

PLASO_HISTORY = "log2timeline_plaso/test_data/chrome/History"
SOURCE = "fixture"


def _without_id(observation: object) -> dict[str, object]:
    data = observation.to_dict()  # type: ignore[attr-defined]
    data.pop("id")
    return data


def test_plaso_history_counts_and_records(shared_data: Path) -> None:
    history = shared_artefact(shared_data, PLASO_HISTORY)
    mediator = run_parsers(history, shared_data, SOURCE)
    assert mediator.errors == []
    visits = of_kind(mediator, "browser_visit")
    downloads = of_kind(mediator, "download")
    # MANIFEST 1.1: 69 visits + 2 downloads (plaso's 71 event data); 55 urls behind the visits.
    assert len(visits) == 69
    assert len(downloads) == 2
    assert len({v.url for v in visits if isinstance(v, BrowserVisitObservation)}) == 55
    path = "/" + PLASO_HISTORY
    assert _without_id(visits[0]) == {
        "kind": "browser_visit",
        "time": "2011-04-07T12:03:11Z",
        "browser": "chrome",
        "profile": "chrome",
        "url": "http://start.ubuntu.com/10.04/Google/",
        "title": "Ubuntu Start Page",
        "recovered": False,
        "provenance": {
            "source": SOURCE,
            "parser": "chrome_history",
            "path": path,
            "record": "visits.id=1 (urls.id=1)",
            "original_time": "12946651391000000",
        },
    }
    assert _without_id(downloads[0]) == {
        "kind": "download",
        "time": "2011-05-23T08:35:30Z",
        "url": "http://fatloss4idiotsx.com/download/funcats/funcats_scr.exe",
        "target_path": "/home/john/Downloads/funcats_scr.exe",
        "provenance": {
            "source": SOURCE,
            "parser": "chrome_history",
            "path": path,
            "record": "downloads.id=1",
            "original_time": "1306139730",
        },
    }
    second = downloads[1]
    assert isinstance(second, DownloadObservation)
    assert (second.url, second.target_path, second.time) == (
        "http://www.photoscreensavers.us/Cats%20Demo.exe",
        "/home/john/Downloads/Cats Demo.exe",
        datetime(2011, 5, 23, 8, 36, 5, tzinfo=UTC),
    )
    # Google searches from the visited URLs (the keyword_search_terms rows say the same).
    searches = [s for s in of_kind(mediator, "search_term") if isinstance(s, SearchTermObservation)]
    assert [(s.engine, s.term) for s in searches] == [
        ("Google", "java plugin"),
        ("Google", "grr"),
        ("Google", "funny cats"),
        ("Google", "really really funny cats"),
        ("Google", "funnycats.exe"),
    ]
    assert searches[2].time == datetime(2011, 5, 23, 8, 34, 40, 436195, tzinfo=UTC)
    # Ids 1-69 with no gap and no AUTOINCREMENT counter: no deletion indicator, nothing carved.
    assert of_kind(mediator, "history_deletion") == []
    assert not any(v.recovered for v in visits if isinstance(v, BrowserVisitObservation))


def test_ids_are_reproducible_and_distinct(shared_data: Path) -> None:
    history = shared_artefact(shared_data, PLASO_HISTORY)
    first = [o.id for o in run_parsers(history, shared_data, SOURCE).observations]
    again = [o.id for o in run_parsers(history, shared_data, SOURCE).observations]
    assert first == again
    assert len(set(first)) == len(first) == 76


@pytest.mark.slow
def test_profile_made_by_chromium(chromium_profile: Path) -> None:
    profile = default_profile(chromium_profile)
    mediator = run_parsers(profile / "History", chromium_profile)
    assert mediator.errors == []
    visits = [
        v for v in of_kind(mediator, "browser_visit") if isinstance(v, BrowserVisitObservation)
    ]
    paths = sorted(v.url.split("/", 3)[3] for v in visits)
    assert paths == ["final.html", "news.html", "search.html?q=local+term", "start.html"]
    assert {(v.browser, v.profile, v.recovered) for v in visits} == {("chromium", "Default", False)}
    assert {v.provenance.path for v in visits} == {"/home/sam/.config/chromium/Default/History"}
    created = json.loads((profile / "Preferences").read_text())["profile"]["creation_time"]
    start = datetime(1601, 1, 1, tzinfo=UTC).timestamp() + int(created) / 1e6
    for visit in visits:
        assert visit.time is not None and start <= visit.time.timestamp() <= start + 600
    # 127.0.0.1 is no search engine; a fresh profile shows no deletion.
    assert of_kind(mediator, "search_term") == []
    assert of_kind(mediator, "history_deletion") == []


@pytest.mark.slow
def test_searches_from_urls_and_from_keyword_terms(chromium_copy: Path) -> None:
    history = default_profile(chromium_copy) / "History"
    google = "https://www.google.com/search?q=how+to+clear+history&hl=en"
    google_id = add_visit(history, google, "how to clear history - Google Search", WEBKIT_2026)
    site = "https://example-chat-site.test/find?s=meet"
    site_id = add_visit(history, site, "Find", WEBKIT_2026 + 5_000_000)
    with sqlite3.connect(history) as connection:
        connection.executemany(
            "INSERT INTO keyword_search_terms (keyword_id, url_id, term, normalized_term) "
            "VALUES (?, ?, ?, ?)",
            [
                (2, google_id, "how to clear history", "how to clear history"),
                (7, site_id, "meet", "meet"),
            ],
        )
    connection.close()

    mediator = run_parsers(history, chromium_copy)
    assert mediator.errors == []
    searches = [s for s in of_kind(mediator, "search_term") if isinstance(s, SearchTermObservation)]
    assert [(s.engine, s.term, s.url) for s in searches] == [
        ("Google", "how to clear history", google),  # from the visit; the keyword row adds nothing
        ("example-chat-site.test", "meet", site),  # only Chrome's keyword table knew this one
    ]
    assert searches[0].time == datetime(2025, 12, 23, 21, 46, 40, tzinfo=UTC)
    assert searches[1].provenance.record == f"keyword_search_terms url_id={site_id} keyword_id=7"


@pytest.mark.slow
def test_deleted_rows_come_back_as_recovered_visits(chromium_copy: Path) -> None:
    history = default_profile(chromium_copy) / "History"
    deleted = add_then_delete(history, rows=300, keep_every=6)
    with sqlite3.connect(f"{history.as_uri()}?mode=ro", uri=True) as connection:
        live = {row[0] for row in connection.execute("SELECT url FROM urls")}
    connection.close()
    data = history.read_bytes()
    whole = {
        deleted_page(n)[0]
        for n in range(300)
        if deleted_page(n)[0] in deleted and "".join(deleted_page(n)[:2]).encode() in data
    }

    mediator = run_parsers(history, chromium_copy)
    assert mediator.errors == []
    visits = [
        v for v in of_kind(mediator, "browser_visit") if isinstance(v, BrowserVisitObservation)
    ]
    recovered = {v.url: v for v in visits if v.recovered}
    assert {v.url for v in visits if not v.recovered} == live
    # Every deleted page whose record is whole in the file comes back, and nothing else does
    # (index records add some whose table record was overwritten).
    assert whole <= set(recovered) <= deleted
    assert len(whole) > 150
    # Table records bring title and time back; index records (URL and rowid) only the URL.
    with_title = [v for v in recovered.values() if v.title is not None]
    assert len(with_title) > 150
    for visit in with_title:
        number = int(visit.url.split("x=")[1])
        assert (visit.title, visit.time, visit.browser, visit.profile) == (
            deleted_page(number)[1],
            datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=deleted_page(number)[2]),
            "chromium",
            "Default",
        )
        assert visit.provenance.original_time == str(deleted_page(number)[2])
        assert visit.provenance.record is not None
        assert visit.provenance.record.startswith("deleted urls record recovered from database: ")
    indicators = {
        i.indicator: i
        for i in of_kind(mediator, "history_deletion")
        if isinstance(i, HistoryDeletionObservation)
    }
    assert set(indicators) == {"visit_id_gaps", "visits_deleted_after_last"}
    # 4 visits by chromium, then 300 added (ids 5-304); all but every 6th page deleted.
    kept_ids = [5 + n for n in range(300) if n % 6 == 0]
    assert indicators["visits_deleted_after_last"].detail == (
        f"chromium profile 'Default': visit ids {kept_ids[-1] + 1}-304 were issued but are gone "
        f"({304 - kept_ids[-1]} of the most recent visits deleted)"
    )
    assert indicators["visit_id_gaps"].detail.startswith(
        f"chromium profile 'Default': {kept_ids[-1] - 4 - len(kept_ids)} visit id(s) missing "
        f"inside the kept range 1-{kept_ids[-1]} ({len(kept_ids) - 1} gap(s); largest: ids 6-10"
    )


@pytest.mark.slow
def test_wal_mode_database_copied_while_open(chromium_copy: Path, tmp_path: Path) -> None:
    live_profile = default_profile(chromium_copy)
    history = live_profile / "History"
    add_visits(history, [deleted_page(number) for number in range(40)])
    writer = sqlite3.connect(history)
    writer.execute("PRAGMA secure_delete = OFF")
    assert writer.execute("PRAGMA journal_mode = wal").fetchone() == ("wal",)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    gone = [deleted_page(n)[0] for n in (3, 4, 5)]
    writer.executemany(
        "DELETE FROM visits WHERE url IN (SELECT id FROM urls WHERE url = ?)", [(u,) for u in gone]
    )
    writer.executemany("DELETE FROM urls WHERE url = ?", [(u,) for u in gone])
    writer.commit()
    # Seized as the agent or an image would find it: the WAL is not checkpointed yet.
    seized = tmp_path / "seized" / "home/sam/.config/chromium/Default"
    seized.mkdir(parents=True)
    shutil.copy(history, seized / "History")
    shutil.copy(history.with_name("History-wal"), seized / "History-wal")
    writer.close()
    assert (seized / "History-wal").stat().st_size > 0

    mediator = run_parsers(seized / "History", tmp_path / "seized")
    assert mediator.errors == []
    visits = [
        v for v in of_kind(mediator, "browser_visit") if isinstance(v, BrowserVisitObservation)
    ]
    live_urls = {v.url for v in visits if not v.recovered}
    assert len(live_urls) == 4 + 40 - 3
    assert not set(gone) & live_urls  # the WAL was applied: the deletion is seen
    recovered = {v.url for v in visits if v.recovered}
    assert recovered == set(gone)


@pytest.mark.slow
def test_history_much_younger_than_its_profile(chromium_copy: Path) -> None:
    profile = default_profile(chromium_copy)
    preferences = json.loads((profile / "Preferences").read_text())
    created = int(preferences["profile"]["creation_time"])
    preferences["profile"]["creation_time"] = str(created - 400 * 86_400_000_000)
    (profile / "Preferences").write_text(json.dumps(preferences))

    mediator = run_parsers(profile / "History", chromium_copy)
    indicators = [
        i
        for i in of_kind(mediator, "history_deletion")
        if isinstance(i, HistoryDeletionObservation)
    ]
    assert [i.indicator for i in indicators] == ["history_younger_than_profile"]
    # Chromium keeps 90 days; the visits (seconds after the profile's last use minus 90
    # days would be due) leave 89 whole days before the oldest visit unaccounted for.
    assert indicators[0].detail.endswith("and keeps 90 days: about 89 days of history are missing")


@pytest.mark.slow
def test_empty_history_in_an_old_profile(chromium_copy: Path) -> None:
    profile = default_profile(chromium_copy)
    with sqlite3.connect(profile / "History") as connection:
        connection.execute("DELETE FROM visits")
        connection.execute("DELETE FROM urls")
    connection.close()
    preferences = json.loads((profile / "Preferences").read_text())
    last_used = int(preferences["profile"]["last_engagement_time"])
    preferences["profile"]["creation_time"] = str(last_used - 30 * 86_400_000_000)
    (profile / "Preferences").write_text(json.dumps(preferences))

    mediator = run_parsers(profile / "History", chromium_copy)
    assert of_kind(mediator, "browser_visit") == []
    indicators = {
        i.indicator: i.detail
        for i in of_kind(mediator, "history_deletion")
        if isinstance(i, HistoryDeletionObservation)
    }
    assert set(indicators) == {"empty_history", "visits_deleted_after_last"}
    assert indicators["empty_history"].endswith("(30 days of use)")
    assert indicators["visits_deleted_after_last"] == (
        "chromium profile 'Default': visit ids 1-4 were issued but are gone "
        "(4 of the most recent visits deleted)"
    )
