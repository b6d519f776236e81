"""Browser history of every profile, sent incrementally, and deletions seen as they happen.

Each changed history database is copied (`browser_snapshot`), the visits the agent has already
recorded are removed from the copy, and the triage plugin reads what is left: new visits, their
search terms, downloads. The agent keeps each visit's row id, stored time, URL and title; a row it
recorded that is gone from a later copy, and younger than the browser's own expiry (the plugin's
RETENTION), was deleted by someone: a `history_deletion` observation lists what vanished.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import tempfile
from datetime import timedelta
from pathlib import Path

from orderwatch.agent.collectors.base import CollectContext, Collector, CollectorReport
from orderwatch.agent.collectors.browser_locations import HistoryDatabase, find_history_databases
from orderwatch.agent.collectors.browser_snapshot import (
    SnapshotArtefact,
    copy_database,
    fingerprint,
    keep_only,
    live_path,
    live_plugin,
    settle,
    visit_rows,
)
from orderwatch.agent.config import AgentConfig
from orderwatch.agent.spool import SpoolWriter
from orderwatch.domain.observations import (
    AppEventObservation,
    BrowserVisitObservation,
    DownloadObservation,
    HistoryDeletionObservation,
    Observation,
    SearchTermObservation,
)
from orderwatch.forensics.parsers.browser_profiles import identify_profile
from orderwatch.forensics.parsers.browser_times import to_datetime
from orderwatch.forensics.parsers.interface import ParserMediator
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import BrowserDatabasePlugin

NAME = "agent_history_watch"
LISTED = 20  # vanished visits named in one observation's detail
EXPIRY_SLACK = timedelta(days=1)  # a visit this close to the browser's expiry may just expire
MAX_DETAIL = 8000
_RETRY = "retrying: "

_SCHEMA = """
CREATE TABLE IF NOT EXISTS browser_databases (path TEXT PRIMARY KEY, plugin TEXT NOT NULL,
    fingerprint TEXT NOT NULL, scanned TEXT NOT NULL, error TEXT);
CREATE TABLE IF NOT EXISTS browser_rows (path TEXT NOT NULL, row_id INTEGER NOT NULL,
    stored NOT NULL, url TEXT, title TEXT, PRIMARY KEY (path, row_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS browser_keys (path TEXT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (path, key)) WITHOUT ROWID;
"""


class BrowserHistoryCollector(Collector):
    """Visits, searches and downloads of every browser profile, and deleted visits."""

    NAME = "browser_history"

    def setup(self, connection: sqlite3.Connection) -> None:
        connection.executescript(_SCHEMA)

    def interval(self, config: AgentConfig) -> float:
        return config.browser_scan_seconds

    def collect(self, context: CollectContext) -> CollectorReport:
        report = CollectorReport()
        config = context.config
        databases = find_history_databases(config.home_dir, config.browser_roots)
        connection = context.spool.connection
        known = {
            str(path): (plugin, json.loads(print_))
            for path, plugin, print_ in connection.execute(
                "SELECT path, plugin, fingerprint FROM browser_databases"
            )
        }
        for database in databases:
            report.examined += 1
            current = [list(x) for x in fingerprint(database.path)]
            previous = known.get(str(database.path))
            if previous is not None and previous[1] == current:
                continue
            try:
                report.spooled += self._scan(context, report, database, current)
            except (OSError, sqlite3.Error, ValueError) as error:
                message = f"{database.path}: {type(error).__name__}: {error}"
                report.errors.append(message)
                report.spooled += self._unreadable(context, database, current, message)
        present = {str(d.path) for d in databases}
        for path, (plugin, _) in known.items():
            if path not in present and not Path(path).exists():
                report.spooled += self._database_gone(context, path, plugin)
        return report

    # --- one database ---------------------------------------------------------------------

    def _scan(
        self,
        context: CollectContext,
        report: CollectorReport,
        database: HistoryDatabase,
        print_: list[list[int]],
    ) -> int:
        visits = database.plugin.VISITS
        assert visits is not None
        key = str(database.path)
        connection = context.spool.connection
        seen = dict(
            connection.execute("SELECT row_id, stored FROM browser_rows WHERE path = ?", (key,))
        )
        first = not seen  # a full read: the plugin's own deletion indicators too
        with tempfile.TemporaryDirectory(prefix="orderwatch-agent-") as folder:
            copy = copy_database(database.path, Path(folder))
            settled = settle(copy)
            try:
                rows = visit_rows(settled, visits)
                new = [r for r, stored in rows.items() if seen.get(r) != stored]
                if not first:
                    keep_only(settled, visits, new)
            finally:
                settled.close()
            gone = [r for r, stored in seen.items() if rows.get(r) != stored]
            reused = {r for r in gone if r in rows}
            plugin = live_plugin(database.plugin, indicators=first)
            artefact = SnapshotArtefact(database.path, copy)
            with context.spool.transaction() as writer:
                self._report_gone(context, writer, database, gone, "visits_deleted")
                sink = _VisitSink(context, writer, key, visits.table, visits.id, rows, reused)
                mediator = ParserMediator(context.source, on_observation=sink.take)
                plugin.parse(artefact, mediator)
                sink.flush()
                problems = [f"{database.path}: {e.message}" for e in mediator.errors]
                self._remember(writer, key, database.plugin, print_, "; ".join(problems) or None)
        report.errors += problems
        return writer.added

    def _report_gone(
        self,
        context: CollectContext,
        writer: SpoolWriter,
        database: HistoryDatabase,
        gone: list[int],
        indicator: str,
        path_text: str | None = None,
    ) -> None:
        """A history_deletion for the recorded visits no longer in the database (not expired);
        the records of every gone visit are then forgotten."""
        if not gone:
            return
        key = path_text or str(database.path)
        plugin = database.plugin
        records = []
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            marks = ",".join("?" * len(chunk))
            records += writer.connection.execute(
                f"SELECT row_id, stored, url, title FROM browser_rows "
                f"WHERE path = ? AND row_id IN ({marks}) ORDER BY row_id",
                (key, *chunk),
            ).fetchall()
            writer.connection.execute(
                f"DELETE FROM browser_rows WHERE path = ? AND row_id IN ({marks})", (key, *chunk)
            )
        now = context.clock()
        kept_since = now - plugin.RETENTION + EXPIRY_SLACK if plugin.RETENTION else None
        deleted = []
        for row_id, stored, url, title in records:
            moment = to_datetime(stored, plugin.TIME_FORMAT)
            if moment is not None and (kept_since is None or moment >= kept_since):
                deleted.append((row_id, moment, url, title))
        if not deleted or not context.plan.wants("history_deletion"):
            return
        profile = identify_profile(live_path(Path(key)), plugin.FAMILY)
        label = f"{profile.browser} profile '{profile.profile}'"
        kept = f"the browser keeps {plugin.RETENTION.days} days" if plugin.RETENTION else ""
        what = (
            "are no longer in its history database"
            if indicator == "visits_deleted"
            else ("were in its history database, which is gone")
        )
        listed = "; ".join(
            f"{moment:%Y-%m-%d %H:%M} {url}" + (f' "{title}"' if title else "")
            for _, moment, url, title in deleted[:LISTED]
        )
        more = f"; and {len(deleted) - LISTED} more" if len(deleted) > LISTED else ""
        detail = (
            f"{label}: {len(deleted)} visit(s) the agent recorded earlier {what} "
            f"(deleted, not expired: {kept}): {listed}{more}"
        )[:MAX_DETAIL]
        ids = [d[0] for d in deleted]
        digest = hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:16]
        observation = HistoryDeletionObservation(
            id=context.observation_id(NAME, key, indicator, digest),
            time=now,
            provenance=context.provenance(NAME, live_path(Path(key)), _id_ranges(ids)),
            browser=profile.browser,
            indicator=indicator,
            detail=detail,
        )
        writer.add(observation)

    def _unreadable(
        self,
        context: CollectContext,
        database: HistoryDatabase,
        print_: list[list[int]],
        error: str,
    ) -> int:
        """A first failure is retried at the next scan (a copy taken while the browser wrote
        can be torn); a second is remembered (no retry until the file changes) and said once."""
        key = str(database.path)
        with context.spool.transaction() as writer:
            row = writer.connection.execute(
                "SELECT error FROM browser_databases WHERE path = ?", (key,)
            ).fetchone()
            if row is None or not str(row[0] or "").startswith(_RETRY):
                self._remember(writer, key, database.plugin, None, _RETRY + error)
                return 0
            self._remember(writer, key, database.plugin, print_, error)
            if context.plan.wants("app_event"):
                profile = identify_profile(live_path(database.path), database.plugin.FAMILY)
                observation = AppEventObservation(
                    id=context.observation_id(NAME, str(database.path), "unreadable", print_),
                    time=context.clock(),
                    provenance=context.provenance(NAME, live_path(database.path)),
                    app=profile.browser,
                    event="history_unreadable",
                    detail=error[:MAX_DETAIL],
                )
                writer.add(observation)
        return writer.added

    def _database_gone(self, context: CollectContext, path: str, plugin_name: str) -> int:
        plugins = {p.__name__: p for p in _plugin_classes()}
        plugin = plugins.get(plugin_name)
        with context.spool.transaction() as writer:
            gone = [
                r
                for (r,) in writer.connection.execute(
                    "SELECT row_id FROM browser_rows WHERE path = ?", (path,)
                )
            ]
            if plugin is not None:
                database = HistoryDatabase(Path(path), plugin)
                self._report_gone(context, writer, database, gone, "history_database_removed")
            for table in ("browser_rows", "browser_keys", "browser_databases"):
                writer.connection.execute(f"DELETE FROM {table} WHERE path = ?", (path,))
        return writer.added

    @staticmethod
    def _remember(
        writer: SpoolWriter,
        path: str,
        plugin: type[BrowserDatabasePlugin],
        print_: list[list[int]] | None,
        error: str | None,
    ) -> None:
        writer.connection.execute(
            "INSERT OR REPLACE INTO browser_databases (path, plugin, fingerprint, scanned, error) "
            "VALUES (?, ?, ?, ?, ?)",
            (path, plugin.__name__, json.dumps(print_), writer.spool_now(), error),
        )


class _VisitSink:
    """Receives the plugin's observations inside the spool transaction: records visits, keeps
    what the plan wants, and drops searches/downloads/indicators already sent."""

    def __init__(
        self,
        context: CollectContext,
        writer: SpoolWriter,
        path: str,
        table: str,
        id_column: str,
        rows: dict[int, int | float],
        reused: set[int],
    ) -> None:
        self.context = context
        self.writer = writer
        self.path = path
        self.rows = rows
        self.reused = reused
        self.record = re.compile(rf"^{re.escape(table)}\.{re.escape(id_column)}=(\d+)\b")
        self.recorded: list[tuple[str, int, int | float, str, str | None]] = []

    def take(self, observation: Observation) -> None:
        plan = self.context.plan
        if isinstance(observation, BrowserVisitObservation):
            self._visit(observation)
            keep = plan.wants("browser_visit") and not observation.recovered
        elif isinstance(observation, SearchTermObservation):
            term = " ".join(observation.term.casefold().split())
            key = f"search\x1f{observation.engine}\x1f{term}\x1f{observation.url or ''}"
            keep = plan.wants("search_term") and self._first(key)
        elif isinstance(observation, DownloadObservation):
            keep = plan.wants("download") and self._first(f"download\x1f{observation.id}")
        elif isinstance(observation, HistoryDeletionObservation):
            keep = plan.wants("history_deletion") and self._first(f"indicator\x1f{observation.id}")
        else:
            keep = False
        if keep:
            self.writer.add(observation)

    def _visit(self, observation: BrowserVisitObservation) -> None:
        match = self.record.match(observation.provenance.record or "")
        if match is None:
            return
        row_id = int(match.group(1))
        stored = self.rows.get(row_id)
        if stored is None:
            return
        if row_id in self.reused:  # a row id the browser gave again to a new visit
            observation.id = self.context.observation_id(NAME, observation.id, stored)
        self.recorded.append((self.path, row_id, stored, observation.url, observation.title))
        if len(self.recorded) >= 2000:
            self.flush()

    def flush(self) -> None:
        """Write the visits recorded so far (in groups: a first read may hold 100,000)."""
        self.writer.connection.executemany(
            "INSERT OR REPLACE INTO browser_rows (path, row_id, stored, url, title) "
            "VALUES (?, ?, ?, ?, ?)",
            self.recorded,
        )
        self.recorded.clear()

    def _first(self, key: str) -> bool:
        cursor = self.writer.connection.execute(
            "INSERT OR IGNORE INTO browser_keys (path, key) VALUES (?, ?)", (self.path, key)
        )
        return cursor.rowcount == 1


def _plugin_classes() -> list[type[BrowserDatabasePlugin]]:
    from orderwatch.agent.collectors.browser_locations import history_plugins

    return history_plugins()


def _id_ranges(ids: list[int]) -> str:
    """ "visit rows 3-7, 12" (at most a few hundred characters)."""
    parts: list[str] = []
    ordered = sorted(ids)
    start = previous = ordered[0]
    for value in [*ordered[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if value is not None:
            start = previous = value
    text = "visit rows " + ", ".join(parts)
    return text if len(text) <= 400 else text[:397] + "..."
