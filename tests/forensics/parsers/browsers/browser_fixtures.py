"""Helpers for the browser-parser tests (imported by the tests and by conftest.py)."""

from __future__ import annotations

import functools
import shutil
import sqlite3
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import orderwatch.forensics.parsers  # noqa: F401  (registers every parser)
from orderwatch.domain.observations import Observation
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry

CHROMIUM = Path("/usr/bin/chromium")
# Where the profile sits under the fixture root, so the path names the browser and profile.
CHROMIUM_USER_DATA = Path("home/sam/.config/chromium")
# The files of the profile the tests use (a copy takes only these).
PROFILE_FILES = ("History", "Preferences", "Login Data", "Web Data")
# Local pages chained by meta refresh, so one headless run visits all of them.
PAGES = {
    "start.html": ("Start page", "news.html"),
    "news.html": ("Local news", "search.html?q=local+term"),
    "search.html": ("Local search", "final.html"),
    "final.html": ("Final page", None),
}


def run_parsers(file_path: Path, root: Path, source: str = "fixture") -> ParserMediator:
    """Every registered parser that wants `file_path`, run as triage runs them."""
    mediator = ParserMediator(source=source)
    registry.parse(LocalArtefact(file_path, root), mediator)
    return mediator


def of_kind(mediator: ParserMediator, kind: str) -> list[Observation]:
    return [o for o in mediator.observations if o.kind == kind]


def shared_artefact(shared_data: Path, relative: str) -> Path:
    """One file of ../shared/data, or a skip naming it (as tests/conftest.py's shared_file)."""
    path = shared_data / relative
    if not path.is_file():
        pytest.skip(f"{relative} is absent from {shared_data}")
    return path


def default_profile(root: Path) -> Path:
    return root / CHROMIUM_USER_DATA / "Default"


def copy_profile(source_root: Path, target_root: Path) -> Path:
    """Copy the used files of the Chromium tree at `source_root` to `target_root`."""
    source = source_root / CHROMIUM_USER_DATA
    target = target_root / CHROMIUM_USER_DATA
    (target / "Default").mkdir(parents=True)
    shutil.copy2(source / "Local State", target / "Local State")
    for name in PROFILE_FILES:
        if (source / "Default" / name).is_file():
            shutil.copy2(source / "Default" / name, target / "Default" / name)
    return target_root


WEBKIT_2026 = 13_411_000_000_000_000  # 2025-12-23, WebKit microseconds


def add_visit(history: Path, url: str, title: str, webkit_time: int) -> int:
    """A url row and one visit to it, written as Chromium writes them; returns the url id."""
    return add_visits(history, [(url, title, webkit_time)])[0]


def add_visits(history: Path, pages: list[tuple[str, str, int]]) -> list[int]:
    """Url rows and one visit each, in one transaction; returns the url ids."""
    ids = []
    with sqlite3.connect(history) as connection:
        for url, title, webkit_time in pages:
            url_id = connection.execute(
                "INSERT INTO urls (url, title, visit_count, typed_count, last_visit_time, hidden) "
                "VALUES (?, ?, 1, 0, ?, 0)",
                (url, title, webkit_time),
            ).lastrowid
            connection.execute(
                "INSERT INTO visits (url, visit_time, transition) VALUES (?, ?, 0)",
                (url_id, webkit_time),
            )
            assert url_id is not None
            ids.append(url_id)
    connection.close()
    return ids


def deleted_page(number: int) -> tuple[str, str, int]:
    """URL, title and time of the rows the deletion tests add and then delete."""
    return (
        f"http://deleted-{number}.example.test/page?x={number}",
        f"Deleted page {number}",
        WEBKIT_2026 + number * 1_000_000,
    )


def add_then_delete(history: Path, rows: int, keep_every: int) -> set[str]:
    """Add `rows` visited pages, then delete all but every `keep_every`-th with secure_delete OFF
    (so the bytes stay in free pages, as with a default SQLite build). Returns deleted URLs."""
    add_visits(history, [deleted_page(number) for number in range(rows)])
    deleted = {deleted_page(number)[0] for number in range(rows) if number % keep_every}
    with sqlite3.connect(history) as connection:
        connection.execute("PRAGMA secure_delete = OFF")
        for url in sorted(deleted):
            connection.execute(
                "DELETE FROM visits WHERE url IN (SELECT id FROM urls WHERE url = ?)", (url,)
            )
            connection.execute("DELETE FROM urls WHERE url = ?", (url,))
    connection.close()
    return deleted


# --- Firefox: places.sqlite laid out as current Firefox writes it (built here, no Firefox needed)

FIREFOX_PROFILE = Path("home/sam/.mozilla/firefox/abcd1234.default-release")
# The tables as current Firefox creates them (the columns the plugins read, in Firefox's order).
PLACES = (
    "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url LONGVARCHAR, title LONGVARCHAR, "
    "rev_host LONGVARCHAR, visit_count INTEGER DEFAULT 0, hidden INTEGER DEFAULT 0 NOT NULL, "
    "typed INTEGER DEFAULT 0 NOT NULL, frecency INTEGER DEFAULT -1 NOT NULL, "
    "last_visit_date INTEGER, guid TEXT, foreign_count INTEGER DEFAULT 0 NOT NULL, "
    "url_hash INTEGER DEFAULT 0 NOT NULL, description TEXT, preview_image_url TEXT, "
    "site_name TEXT, origin_id INTEGER, recalc_frecency INTEGER NOT NULL DEFAULT 0, "
    "alt_frecency INTEGER, recalc_alt_frecency INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE moz_historyvisits (id INTEGER PRIMARY KEY, from_visit INTEGER, "
    "place_id INTEGER, visit_date INTEGER, visit_type INTEGER, session INTEGER, "
    "source INTEGER DEFAULT 0 NOT NULL, triggeringPlaceId INTEGER)",
    "CREATE TABLE moz_anno_attributes (id INTEGER PRIMARY KEY, name VARCHAR(32) UNIQUE NOT NULL)",
    "CREATE TABLE moz_annos (id INTEGER PRIMARY KEY, place_id INTEGER NOT NULL, "
    "anno_attribute_id INTEGER, content LONGVARCHAR, flags INTEGER DEFAULT 0, "
    "expiration INTEGER DEFAULT 0, type INTEGER DEFAULT 0, dateAdded INTEGER DEFAULT 0, "
    "lastModified INTEGER DEFAULT 0)",
    "CREATE UNIQUE INDEX moz_places_url_hashindex ON moz_places (url_hash, url)",
)
PRTIME_2025 = 1_750_000_000_000_000  # 2025-06-15T15:06:40Z in PRTime microseconds
DUCK = "https://duckduckgo.com/?q=vpn+free+trial&ia=web"
MEGA = "https://mega.nz/file/AbCdEf"


def add_firefox_visit(
    connection: sqlite3.Connection, url: str, title: str | None, when: int
) -> int:
    """A moz_places row and one visit to it, as Firefox writes them; returns the place id."""
    place = connection.execute(
        "INSERT INTO moz_places (url, title, rev_host, visit_count, last_visit_date, guid) "
        "VALUES (?, ?, 'tset.elpmaxe.', 1, ?, 'guid')",
        (url, title, when),
    ).lastrowid
    connection.execute(
        "INSERT INTO moz_historyvisits (place_id, visit_date, visit_type) VALUES (?, ?, 1)",
        (place, when),
    )
    assert place is not None
    return place


def firefox_profile(root: Path, folder: Path = FIREFOX_PROFILE) -> Path:
    """places.sqlite with three visits (one a search, one a download), as Firefox lays it out."""
    profile = root / folder
    profile.mkdir(parents=True)
    with sqlite3.connect(profile / "places.sqlite") as connection:
        connection.execute("PRAGMA secure_delete = OFF")
        for statement in PLACES:
            connection.execute(statement)
        add_firefox_visit(connection, "https://www.example.org/", "Example", PRTIME_2025)
        add_firefox_visit(
            connection, DUCK, "vpn free trial at DuckDuckGo", PRTIME_2025 + 60_000_000
        )
        place = add_firefox_visit(connection, MEGA, "MEGA", PRTIME_2025 + 120_000_000)
        connection.execute(
            "INSERT INTO moz_anno_attributes (id, name) VALUES (7, 'downloads/destinationFileURI')"
        )
        connection.execute(
            "INSERT INTO moz_annos (place_id, anno_attribute_id, content, dateAdded) "
            "VALUES (?, 7, 'file:///home/sam/Downloads/archive.7z', ?)",
            (place, PRTIME_2025 + 130_000_000),
        )
    connection.close()
    return profile


# --- Chromium: a real profile made by Debian's chromium, headless, visiting local pages


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def make_chromium_profile(base: Path) -> Path:
    """Run the real Debian chromium headless over the local PAGES; returns the tree's root.

    The profile's `Default` folder is ROOT/home/sam/.config/chromium/Default. Raises
    FileNotFoundError when chromium is absent and RuntimeError when it wrote no History.
    """
    if not CHROMIUM.is_file():
        raise FileNotFoundError(f"{CHROMIUM} is absent (Debian package chromium)")
    site = base / "site"
    site.mkdir(parents=True)
    for name, (title, target) in PAGES.items():
        refresh = f'<meta http-equiv="refresh" content="0;url=/{target}">' if target else ""
        site.joinpath(name).write_text(
            f"<html><head><title>{title}</title>{refresh}</head><body>{title}</body></html>"
        )
    user_data = base / "root" / CHROMIUM_USER_DATA
    user_data.mkdir(parents=True)
    handler = functools.partial(_QuietHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        command = [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={user_data}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            f"http://127.0.0.1:{server.server_address[1]}/start.html",
        ]
        try:
            subprocess.run(command, capture_output=True, timeout=90, check=True)
        finally:
            server.shutdown()
            thread.join(timeout=10)
    if not (user_data / "Default" / "History").is_file():
        raise RuntimeError("chromium ran but wrote no Default/History")
    return base / "root"
