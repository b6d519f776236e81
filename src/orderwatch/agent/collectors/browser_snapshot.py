"""A consistent private copy of a browser's live history database, trimmed to what is new.

The browser keeps its database open (and often locked) while the agent reads it, so the agent
copies the file with its `-wal`/`-journal` (again if the browser wrote during the copy), lets
SQLite settle the copy (roll a hot journal back, fold the WAL in), and hands the triage plugin an
artefact that reads that copy but carries the live path (the path names browser and profile).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from orderwatch.forensics.parsers.interface import Artefact, LocalArtefact
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import (
    BrowserDatabasePlugin,
    VisitTable,
)
from orderwatch.forensics.parsers.sqlite_plugins.interface import SQLiteContext

COMPANIONS = ("-wal", "-journal")
_COPY_ATTEMPTS = 4


class SnapshotError(OSError):
    """The live database could not be copied consistently."""


def fingerprint(database: Path) -> tuple[tuple[int, int], ...]:
    """Size and modification time of the database and its companions (all zero when absent)."""
    out = []
    for suffix in ("", *COMPANIONS):
        try:
            info = os.stat(f"{database}{suffix}")
            out.append((info.st_size, info.st_mtime_ns))
        except OSError:
            out.append((0, 0))
    return tuple(out)


def copy_database(database: Path, target: Path) -> Path:
    """Copy `database` and its companions into `target` (a private folder); retried while the
    browser writes during the copy. Returns the copy of the main file."""
    copy = target / "history-snapshot"
    for _ in range(_COPY_ATTEMPTS):
        before = fingerprint(database)
        for suffix in ("", *COMPANIONS):
            source = Path(f"{database}{suffix}")
            destination = Path(f"{copy}{suffix}")
            destination.unlink(missing_ok=True)
            try:
                shutil.copyfile(source, destination)
            except FileNotFoundError:
                if suffix == "":
                    raise
        if fingerprint(database) == before:
            return copy
    raise SnapshotError(f"{database}: changed during every one of {_COPY_ATTEMPTS} copies")


def settle(copy: Path) -> sqlite3.Connection:
    """Open the private copy read-write: SQLite rolls a hot journal back or reads the WAL."""
    connection = sqlite3.connect(copy, isolation_level=None)
    try:
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def visit_rows(connection: sqlite3.Connection, visits: VisitTable) -> dict[int, int | float]:
    """Every visit's row id and stored time (the plugin's own VISITS declaration)."""
    sql = f'SELECT "{visits.id}", "{visits.time}" FROM "{visits.table}"'
    rows: dict[int, int | float] = {}
    for row_id, stored in connection.execute(sql):
        if isinstance(row_id, int):
            rows[row_id] = stored if isinstance(stored, int | float) else 0
    return rows


def keep_only(connection: sqlite3.Connection, visits: VisitTable, keep: list[int]) -> None:
    """Delete from the copy every visit but `keep` (the plugin then reads only those)."""
    connection.execute("BEGIN")
    connection.execute("CREATE TEMP TABLE agent_keep (id INTEGER PRIMARY KEY)")
    connection.executemany("INSERT OR IGNORE INTO agent_keep VALUES (?)", [(k,) for k in keep])
    connection.execute(
        f'DELETE FROM "{visits.table}" WHERE "{visits.id}" NOT IN (SELECT id FROM agent_keep)'
    )
    connection.execute("DROP TABLE agent_keep")
    connection.execute("COMMIT")


def live_path(path: Path) -> str:
    """The artefact path of a live file (POSIX, from its root), as the plugins see it."""
    return LocalArtefact(path, Path(path.anchor or "/")).path


class SnapshotArtefact(Artefact):
    """The settled copy under the live file's path; profile files (Preferences) stay live."""

    def __init__(self, live: Path, copy: Path) -> None:
        self.live = LocalArtefact(live, Path(live.anchor or "/"))
        self.path = self.live.path
        self.copy = copy

    def open(self) -> BinaryIO:
        return open(self.copy, "rb")

    def sibling(self, name: str) -> Artefact | None:
        if name.startswith(self.name) and name[len(self.name) :] in COMPANIONS:
            return None  # settled into the copy
        return self.live.sibling(name)

    def size(self) -> int:
        return self.copy.stat().st_size

    @contextmanager
    def local_copy(
        self, companions: tuple[str, ...] = ("-wal", "-journal", "-shm")
    ) -> Iterator[Path]:
        """The copy is private already: no second copy."""
        yield self.copy


def live_plugin(base: type[BrowserDatabasePlugin], indicators: bool) -> BrowserDatabasePlugin:
    """The triage plugin as the agent runs it: no carving of deleted records (the agent sees
    deletions directly), and the plugin's own deletion indicators only on a full read."""
    plugin = _LIVE_CLASSES.get(base)
    if plugin is None:
        plugin = _live_class(base)
        _LIVE_CLASSES[base] = plugin
    instance = plugin()
    instance.indicators = indicators  # type: ignore[attr-defined]
    return instance


_LIVE_CLASSES: dict[type[BrowserDatabasePlugin], type[BrowserDatabasePlugin]] = {}


def _live_class(base: type[BrowserDatabasePlugin]) -> type[BrowserDatabasePlugin]:
    def report_indicators(self: Any, context: SQLiteContext) -> None:
        if self.indicators:
            base.report_indicators(self, context)

    namespace = {"RECOVERY": (), "indicators": True, "report_indicators": report_indicators}
    return type(f"Live{base.__name__}", (base,), namespace)
