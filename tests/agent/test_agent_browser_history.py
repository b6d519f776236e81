"""Browser history collection: every profile found, sent incrementally through the triage
plugins, deletions seen against what the agent recorded (outside the browser's expiry), Firefox
row ids reused, a locked database, a corrupt one, a removed one."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from agent_fixtures import (
    NOW,
    Clock,
    chrome_download,
    chrome_history,
    chrome_visits,
    delete_chrome_visits,
    firefox_places,
    firefox_visit,
    make_context,
    run,
    spooled,
)

from orderwatch.agent.collectors.browser_history import BrowserHistoryCollector
from orderwatch.agent.collectors.browser_locations import find_history_databases
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.sqlite_plugins.chrome_history import ChromeHistoryPlugin

CHROME_PROFILE = Path(".config/google-chrome/Default")
FIREFOX_PROFILE = Path(".mozilla/firefox/abcd1234.default-release")


def _pages(start: int, count: int, days_ago: int = 1) -> list[tuple[str, str, object]]:
    moment = NOW - timedelta(days=days_ago)
    return [
        (f"https://site{n}.example.org/page", f"Page {n}", moment + timedelta(minutes=n))
        for n in range(start, start + count)
    ]


def test_profiles_of_every_browser_are_found(tmp_path: Path) -> None:
    home = tmp_path / "home"
    chrome_history(home / CHROME_PROFILE)
    chrome_history(home / ".config/google-chrome/Profile 2")
    chrome_history(home / ".config/microsoft-edge/Default")
    firefox_places(home / FIREFOX_PROFILE)
    extra = tmp_path / "user-data-dir"
    chrome_history(extra / "Default")
    (home / ".config/chromium/Default").mkdir(parents=True)  # no History: not listed
    found = find_history_databases(home, [extra])
    names = [(d.path.relative_to(tmp_path).as_posix(), d.plugin.NAME) for d in found]
    assert names == [
        ("home/.config/google-chrome/Default/History", "chrome_history"),
        ("home/.config/google-chrome/Profile 2/History", "chrome_history"),
        ("home/.config/microsoft-edge/Default/History", "chrome_history"),
        ("home/.mozilla/firefox/abcd1234.default-release/places.sqlite", "firefox_history"),
        ("user-data-dir/Default/History", "chrome_history"),
    ]


def test_visits_searches_and_downloads_are_sent_once_then_only_new_ones(tmp_path: Path) -> None:
    home = tmp_path / "home"
    history = chrome_history(home / CHROME_PROFILE)
    chrome_visits(history, _pages(1, 3))
    chrome_visits(
        history, [("https://www.google.com/search?q=cheap+flights", "cheap flights", NOW)]
    )
    chrome_download(history, "https://dl.example.org/tool.zip", "/home/a/tool.zip", NOW)
    context = make_context(tmp_path, home=home)
    collector = BrowserHistoryCollector()

    assert run(collector, context) == 6
    visits = spooled(context, "browser_visit")
    assert [v["url"] for v in visits][:3] == [
        f"https://site{n}.example.org/page" for n in (1, 2, 3)
    ]
    assert visits[0]["browser"] == "chrome" and visits[0]["profile"] == "Default"
    assert visits[0]["provenance"]["path"] == history.as_posix()
    assert visits[0]["provenance"]["record"].startswith("visits.id=1 ")
    [search] = spooled(context, "search_term")
    assert (search["engine"], search["term"]) == ("Google", "cheap flights")
    [download] = spooled(context, "download")
    assert download["target_path"] == "/home/a/tool.zip"

    # The ids are the triage plugin's own: the same visit gives the same id in both streams.
    triage = ParserMediator(context.source)
    ChromeHistoryPlugin().parse(LocalArtefact(history, Path(history.anchor)), triage)
    triage_ids = {o.id for o in triage.observations if o.kind == "browser_visit"}
    assert {v["id"] for v in visits} == triage_ids

    assert run(collector, context) == 0  # unchanged file: nothing read, nothing sent
    chrome_visits(history, _pages(10, 2, days_ago=0))
    assert run(collector, context) == 2
    latest = spooled(context, "browser_visit")[-2:]
    assert [v["title"] for v in latest] == ["Page 10", "Page 11"]
    assert len(spooled(context, "search_term")) == 1  # the old search is not sent again
    assert len(spooled(context, "download")) == 1


def test_deleted_rows_become_one_history_deletion_naming_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    history = chrome_history(home / CHROME_PROFILE)
    chrome_visits(history, _pages(1, 5))
    chrome_visits(
        history, [("https://old.example.org/expired", "Old page", NOW - timedelta(days=95))]
    )
    chrome_visits(history, [("https://secret.example.org/chat", "Secret chat", NOW)])
    context = make_context(tmp_path, home=home)
    collector = BrowserHistoryCollector()
    assert run(collector, context) == 7

    delete_chrome_visits(history, "secret.example.org")
    delete_chrome_visits(history, "site3.example.org")
    delete_chrome_visits(history, "old.example.org")  # beyond Chrome's 90 days: may be expiry
    assert run(collector, context) == 1
    [deletion] = spooled(context, "history_deletion")
    assert deletion["browser"] == "chrome"
    assert deletion["indicator"] == "visits_deleted"
    detail = deletion["detail"]
    assert detail.startswith("chrome profile 'Default': 2 visit(s) the agent recorded earlier")
    assert 'https://secret.example.org/chat "Secret chat"' in detail
    assert "https://site3.example.org/page" in detail
    assert "old.example.org" not in detail
    assert deletion["provenance"]["record"] == "visit rows 3, 7"
    assert deletion["time"] == "2026-06-01T12:00:00Z"

    chrome_visits(history, _pages(20, 1, days_ago=0))
    assert run(collector, context) == 1  # the new visit only; the deletion is not said twice
    assert len(spooled(context, "history_deletion")) == 1


def test_only_what_the_order_needs_is_sent(tmp_path: Path) -> None:
    home = tmp_path / "home"
    history = chrome_history(home / CHROME_PROFILE)
    chrome_visits(history, _pages(1, 2))
    chrome_visits(history, [("https://www.bing.com/search?q=meet+up", "meet up", NOW)])
    context = make_context(tmp_path, [{"type": "no_contact_with_children"}], home=home)
    collector = BrowserHistoryCollector()
    assert run(collector, context) == 1
    assert [o["kind"] for o in spooled(context)] == ["search_term"]
    delete_chrome_visits(history, "site1")
    assert run(collector, context) == 0  # history_deletion is not asked for


def test_firefox_in_wal_mode_locked_by_the_browser_and_reused_row_ids(tmp_path: Path) -> None:
    home = tmp_path / "home"
    places = firefox_places(home / FIREFOX_PROFILE)
    browser = sqlite3.connect(places, isolation_level=None)  # the running browser
    try:
        browser.execute("PRAGMA journal_mode = WAL")
        for number in range(1, 4):
            firefox_visit(browser, f"https://ff{number}.example.org/", f"Fox {number}", NOW)
        browser.execute("BEGIN EXCLUSIVE")  # the browser holds its lock while the agent reads
        context = make_context(tmp_path, home=home)
        collector = BrowserHistoryCollector()
        assert run(collector, context) == 3
        visits = spooled(context, "browser_visit")
        assert [(v["browser"], v["title"]) for v in visits] == [
            ("firefox", "Fox 1"),
            ("firefox", "Fox 2"),
            ("firefox", "Fox 3"),
        ]
        browser.execute("COMMIT")
        # Delete the newest visit; Firefox then gives its row id to the next visit.
        browser.execute("DELETE FROM moz_historyvisits WHERE id = 3")
        reused = firefox_visit(
            browser, "https://ff4.example.org/", "Fox 4", NOW + timedelta(hours=1)
        )
        assert reused == 3
    finally:
        browser.close()
    assert run(collector, context) == 2
    [deletion] = spooled(context, "history_deletion")
    assert "https://ff3.example.org/" in deletion["detail"]
    assert deletion["detail"].startswith("firefox profile 'abcd1234.default-release': 1 visit(s)")
    fourth = spooled(context, "browser_visit")[-1]
    assert fourth["title"] == "Fox 4"
    assert fourth["id"] != visits[2]["id"]  # a new visit, not a duplicate of the deleted one


def test_a_corrupt_database_is_said_once_and_a_removed_one_is_a_deletion(tmp_path: Path) -> None:
    home = tmp_path / "home"
    history = chrome_history(home / CHROME_PROFILE)
    chrome_visits(history, [("https://kept.example.org/", "Kept", NOW)])
    clock = Clock()
    context = make_context(tmp_path, home=home, clock=clock)
    collector = BrowserHistoryCollector()
    assert run(collector, context) == 1

    broken = home / ".config/chromium/Default/History"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"SQLite format 3\x00" + b"\xff" * 5000)
    report = collector.collect(context)
    assert len(report.errors) == 1 and str(broken) in report.errors[0]
    assert spooled(context, "app_event") == []  # perhaps a torn copy: tried again first
    assert collector.collect(context).spooled == 1
    [event] = spooled(context, "app_event")
    assert (event["app"], event["event"]) == ("chromium", "history_unreadable")
    assert collector.collect(context).spooled == 0  # the same bad file is not reported again

    history.unlink()
    clock.now = NOW + timedelta(hours=1)
    assert collector.collect(context).spooled == 1
    [deletion] = spooled(context, "history_deletion")
    assert deletion["indicator"] == "history_database_removed"
    assert "https://kept.example.org/" in deletion["detail"]
    assert "which is gone" in deletion["detail"]
