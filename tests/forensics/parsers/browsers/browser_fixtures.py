"""Helpers for the browser-parser tests (imported by the tests and by conftest.py)."""

from __future__ import annotations

import shutil
import sqlite3
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
