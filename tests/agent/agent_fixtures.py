"""Builders for the agent tests: a collect context over a temp spool, and browser databases with
the Chromium and Firefox schemas (the tables the triage plugins read), written by code."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from orderwatch.agent.collectors.base import CollectContext, Collector
from orderwatch.agent.config import AgentConfig
from orderwatch.agent.plan import collection_plan
from orderwatch.agent.spool import Spool

SOURCE = "monitored device 3"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ALL_CONDITIONS = [
    {"type": "declare_devices"},
    {"type": "retain_history"},
    {"type": "no_encryption_or_wiping"},
    {"type": "no_indecent_images"},
    {"type": "prohibited_words"},
    {"type": "prohibited_apps_or_sites"},
    {"type": "keep_monitoring"},
]


class Clock:
    """A wall clock the test sets."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_context(
    tmp_path: Path,
    conditions: list[dict[str, Any]] | None = None,
    clock: Callable[[], datetime] | None = None,
    **config: Any,
) -> CollectContext:
    clock = clock or Clock()
    spool = Spool(tmp_path / "agent-spool.sqlite3", source=SOURCE, clock=clock)
    return CollectContext(
        spool,
        collection_plan(ALL_CONDITIONS if conditions is None else conditions),
        AgentConfig(**config),
        SOURCE,
        clock,
    )


def spooled(context: CollectContext, kind: str | None = None) -> list[dict[str, Any]]:
    """The spooled observations (wire form), oldest first, of one kind or all."""
    rows = context.spool.connection.execute("SELECT kind, body FROM spool ORDER BY seq")
    return [json.loads(body) for k, body in rows if kind is None or k == kind]


def run(collector: Collector, context: CollectContext) -> int:
    collector.setup(context.spool.connection)
    report = collector.collect(context)
    assert not report.errors, report.errors
    return report.spooled


# --- Chromium History --------------------------------------------------------------------------

_CHROME_SCHEMA = """
CREATE TABLE meta (key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls (id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR,
    visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL,
    last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits (id INTEGER PRIMARY KEY AUTOINCREMENT, url INTEGER NOT NULL,
    visit_time INTEGER NOT NULL, from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL,
    segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE keyword_search_terms (keyword_id INTEGER NOT NULL, url_id INTEGER NOT NULL,
    term LONGVARCHAR NOT NULL, normalized_term LONGVARCHAR NOT NULL);
CREATE TABLE downloads (id INTEGER PRIMARY KEY, guid VARCHAR NOT NULL,
    current_path LONGVARCHAR NOT NULL, target_path LONGVARCHAR NOT NULL,
    start_time INTEGER NOT NULL, received_bytes INTEGER NOT NULL, total_bytes INTEGER NOT NULL);
CREATE TABLE downloads_url_chains (id INTEGER NOT NULL, chain_index INTEGER NOT NULL,
    url LONGVARCHAR NOT NULL, PRIMARY KEY (id, chain_index));
"""
_WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def webkit(moment: datetime) -> int:
    return int((moment - _WEBKIT_EPOCH) / timedelta(microseconds=1))


def chrome_history(profile: Path) -> Path:
    """An empty Chromium `History` in `profile` (created with its folders)."""
    profile.mkdir(parents=True, exist_ok=True)
    path = profile / "History"
    with sqlite3.connect(path) as connection:
        connection.executescript(_CHROME_SCHEMA)
    connection.close()
    return path


def chrome_visits(history: Path, pages: list[tuple[str, str, datetime]]) -> list[int]:
    """A url row and one visit for each (url, title, time); returns the visit ids."""
    ids = []
    with sqlite3.connect(history) as connection:
        for url, title, moment in pages:
            url_id = connection.execute(
                "INSERT INTO urls (url, title, visit_count, last_visit_time) VALUES (?, ?, 1, ?)",
                (url, title, webkit(moment)),
            ).lastrowid
            visit_id = connection.execute(
                "INSERT INTO visits (url, visit_time, transition) VALUES (?, ?, 805306368)",
                (url_id, webkit(moment)),
            ).lastrowid
            assert visit_id is not None
            ids.append(visit_id)
    connection.close()
    return ids


def chrome_download(history: Path, url: str, target: str, moment: datetime) -> None:
    with sqlite3.connect(history) as connection:
        download_id = connection.execute(
            "INSERT INTO downloads (guid, current_path, target_path, start_time, received_bytes, "
            "total_bytes) VALUES ('g', ?, ?, ?, 10, 10)",
            (target, target, webkit(moment)),
        ).lastrowid
        connection.execute("INSERT INTO downloads_url_chains VALUES (?, 0, ?)", (download_id, url))
    connection.close()


def delete_chrome_visits(history: Path, url_part: str) -> int:
    """Delete the visits (and urls) whose URL contains `url_part`, as "clear history" does."""
    with sqlite3.connect(history) as connection:
        gone = connection.execute(
            "DELETE FROM visits WHERE url IN (SELECT id FROM urls WHERE url LIKE ?)",
            (f"%{url_part}%",),
        ).rowcount
        connection.execute("DELETE FROM urls WHERE url LIKE ?", (f"%{url_part}%",))
    connection.close()
    return gone


# --- Firefox places.sqlite -----------------------------------------------------------------------

_FIREFOX_SCHEMA = """
CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR,
    rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL,
    typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL,
    last_visit_date INTEGER, guid TEXT);
CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, from_visit INTEGER, place_id INTEGER,
    visit_date INTEGER, visit_type INTEGER, session INTEGER);
"""


def prtime(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def firefox_places(profile: Path) -> Path:
    """An empty `places.sqlite` in WAL mode, as Firefox keeps it."""
    profile.mkdir(parents=True, exist_ok=True)
    path = profile / "places.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.executescript(_FIREFOX_SCHEMA)
    connection.close()
    return path


def firefox_visit(connection: sqlite3.Connection, url: str, title: str, moment: datetime) -> int:
    place = connection.execute(
        "INSERT INTO moz_places (url, title, visit_count, last_visit_date) VALUES (?, ?, 1, ?)",
        (url, title, prtime(moment)),
    ).lastrowid
    visit = connection.execute(
        "INSERT INTO moz_historyvisits (place_id, visit_date, visit_type) VALUES (?, ?, 1)",
        (place, prtime(moment)),
    ).lastrowid
    assert visit is not None
    return visit
