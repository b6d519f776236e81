"""What the browser-database plugins share: visits, searches, downloads, accounts, deleted rows.

Subclasses declare their tables; this base names the browser and profile from the path, turns
rows into observations, recovers deleted URL records (`sqlite_recovery`) and reports history
deletion indicators (`history_indicators`).
"""

from __future__ import annotations

import sqlite3
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from orderwatch.domain.observations import (
    AccountObservation,
    BrowserVisitObservation,
    DownloadObservation,
    HistoryDeletionObservation,
    SearchTermObservation,
)
from orderwatch.forensics.parsers.browser_profiles import (
    BrowserProfile,
    identify_profile,
    profile_times,
)
from orderwatch.forensics.parsers.browser_times import TimeFormat, to_datetime
from orderwatch.forensics.parsers.search_engines import extract_search
from orderwatch.forensics.parsers.sqlite_plugins.history_indicators import (
    HistoryFigures,
    history_indicators,
)
from orderwatch.forensics.parsers.sqlite_plugins.interface import SQLiteContext, SQLitePlugin
from orderwatch.forensics.parsers.sqlite_recovery import recover_records


@dataclass(frozen=True)
class RecoveryTarget:
    """A table whose deleted rows are carved back: its URL, title and time columns, and the
    further columns a record must reach to count as one of this table's."""

    table: str
    url: str
    title: str | None = None
    time: str | None = None
    reaches: tuple[str, ...] = ()


@dataclass(frozen=True)
class VisitTable:
    """Where visits live, for the deletion indicators (ids and times)."""

    table: str
    id: str
    time: str


class BrowserDatabasePlugin(SQLitePlugin):
    """Base of the browser plugins (Chromium, Firefox, Safari databases)."""

    FAMILY: ClassVar[str] = ""  # chromium | firefox | safari
    TIME_FORMAT: ClassVar[TimeFormat] = TimeFormat.WEBKIT
    VISITS: ClassVar[VisitTable | None] = None
    RETENTION: ClassVar[timedelta | None] = None  # the browser's own expiry of old visits
    RECOVERY: ClassVar[tuple[RecoveryTarget, ...]] = ()

    def parse_database(self, context: SQLiteContext) -> None:
        context.profile = identify_profile(context.path, self.FAMILY)
        super().parse_database(context)
        self.report_indicators(context)
        self.recover_deleted(context)

    # --- observations -------------------------------------------------------------------

    def produce_visit(
        self,
        context: SQLiteContext,
        key: object,
        url: str,
        title: str | None,
        stored_time: object,
        record: str,
        recovered: bool = False,
    ) -> None:
        """A visit, and the search term its URL carries, if any."""
        profile = _profile(context)
        time = to_datetime(stored_time, self.TIME_FORMAT)
        provenance = context.provenance(record, stored_time)
        context.mediator.produce(
            BrowserVisitObservation(
                id=context.observation_id("visit", key),
                time=time,
                provenance=provenance,
                browser=profile.browser,
                profile=profile.profile,
                url=url,
                title=title or None,
                recovered=recovered,
            )
        )
        hit = extract_search(url)
        if hit is not None:
            context.mediator.produce(
                SearchTermObservation(
                    id=context.observation_id("search", key),
                    time=time,
                    provenance=provenance,
                    engine=hit.engine,
                    term=hit.term,
                    url=url,
                )
            )

    def produce_search(
        self,
        context: SQLiteContext,
        key: object,
        engine: str,
        term: str,
        url: str | None,
        time: datetime | None,
        record: str,
        stored_time: object = None,
    ) -> None:
        context.mediator.produce(
            SearchTermObservation(
                id=context.observation_id("search", key),
                time=time,
                provenance=context.provenance(record, stored_time),
                engine=engine,
                term=term,
                url=url,
            )
        )

    def produce_download(
        self,
        context: SQLiteContext,
        key: object,
        url: str,
        target_path: str | None,
        time: datetime | None,
        record: str,
        stored_time: object = None,
    ) -> None:
        context.mediator.produce(
            DownloadObservation(
                id=context.observation_id("download", key),
                time=time,
                provenance=context.provenance(record, stored_time),
                url=url,
                target_path=target_path or None,
            )
        )

    def produce_indicator(
        self,
        context: SQLiteContext,
        name: str,
        detail: str,
        time: datetime | None,
        record: str,
        stored_time: object = None,
    ) -> None:
        context.mediator.produce(
            HistoryDeletionObservation(
                id=context.observation_id("indicator", name, record),
                time=time,
                provenance=context.provenance(record, stored_time),
                browser=_profile(context).browser,
                indicator=name,
                detail=detail,
            )
        )

    def produce_account(
        self,
        context: SQLiteContext,
        key: object,
        service: str,
        identifier: str,
        time: datetime | None,
        record: str,
        stored_time: object = None,
    ) -> None:
        """A user name or e-mail address the browser keeps (never a password)."""
        context.mediator.produce(
            AccountObservation(
                id=context.observation_id("account", key),
                time=time,
                provenance=context.provenance(record, stored_time),
                service=service,
                identifier=identifier,
                source_path=context.path,
            )
        )

    def label(self, context: SQLiteContext) -> str:
        profile = _profile(context)
        return f"{profile.browser} profile '{profile.profile}'"

    # --- deletion indicators and recovery -------------------------------------------------

    def report_indicators(self, context: SQLiteContext) -> None:
        visits = self.VISITS
        if visits is None or not context.schema.has({visits.table: (visits.id, visits.time)}):
            return
        ids: list[int] = []
        edges: dict[int, datetime | None] = {}
        oldest = newest = None
        previous: tuple[int, object] | None = None
        sql = f'SELECT "{visits.id}", "{visits.time}" FROM "{visits.table}" ORDER BY 1'
        for visit_id, stored in context.rows(sql):
            if not isinstance(visit_id, int):
                continue
            ids.append(visit_id)
            if isinstance(stored, int | float) and stored > 0:
                oldest = stored if oldest is None or stored < oldest else oldest
                newest = stored if newest is None or stored > newest else newest
            if previous is not None and visit_id - previous[0] > 1:
                edges[previous[0]] = to_datetime(previous[1], self.TIME_FORMAT)
                edges[visit_id] = to_datetime(stored, self.TIME_FORMAT)
            previous = (visit_id, stored)
        times = profile_times(context.artefact, self.FAMILY)
        figures = HistoryFigures(
            label=self.label(context),
            visit_ids=ids,
            oldest=to_datetime(oldest, self.TIME_FORMAT),
            newest=to_datetime(newest, self.TIME_FORMAT),
            sequence=_sequence(context, visits.table),
            retention=self.RETENTION,
            created=times.created,
            last_used=times.last_used,
            visit_times=edges,
        )
        for indicator in history_indicators(figures):
            self.produce_indicator(
                context, indicator.name, indicator.detail, indicator.time, indicator.record
            )

    def recover_deleted(self, context: SQLiteContext) -> None:
        """Visits carved from free space, WAL and journal whose URL no live row holds.

        Table records (URL, title, time) come first; index records (URL and rowid only) add the
        URLs no table record gave.
        """
        targets: dict[str, RecoveryTarget] = {}
        shapes = []
        live: set[str] = set()
        for target in self.RECOVERY:
            needed = tuple(c for c in (target.title, target.time, *target.reaches) if c)
            shape = context.schema.shape(target.table, target.url, needed)
            if shape is None:
                continue
            rows = context.rows(f'SELECT "{target.url}" FROM "{target.table}"')
            live.update(str(row[0]) for row in rows)
            targets[shape.table] = target
            shapes += [shape, *context.schema.index_shapes(target.table, target.url)]
        if not targets:
            return
        files = context.files
        try:
            records = recover_records(files.main, shapes, files.wal, files.journal)
        except (OSError, ValueError, struct.error) as error:
            context.problems.append(f"recovery of deleted records failed: {error}")
            return
        produced: set[str] = set()
        indexed = _indexed_urls(context)
        for found in sorted(records, key=lambda record: record.index is not None):
            target = targets[found.table]
            url = found.values.get(target.url.lower())
            if not isinstance(url, str) or url in live:
                continue
            if found.index is not None:
                if url in produced or url in indexed:
                    continue
                title = stored = None
                what = f"{found.table}.{target.url} index {found.index} record (rowid "
                what += f"{found.values.get('rowid')})"
            else:
                title = found.values.get(target.title.lower()) if target.title else None
                stored = found.values.get(target.time.lower()) if target.time else None
                what = f"{found.table} record"
            produced.add(url)
            note = "" if found.complete else ", record header partly overwritten"
            note += ", columns after the URL overwritten" if found.damaged else ""
            self.produce_visit(
                context,
                ("recovered", found.source, found.offset),
                url,
                title if isinstance(title, str) else None,
                stored,
                f"deleted {what} recovered from {found.location}{note}",
                recovered=True,
            )


def _profile(context: SQLiteContext) -> BrowserProfile:
    return context.profile or BrowserProfile("unknown", "unknown")


def _indexed_urls(context: SQLiteContext) -> set[str]:
    """Live URL-like values of every indexed text column: an index record does not say which
    index it came from, so one that another table (Chrome's segments) still holds is no loss."""
    values: set[str] = set()
    for table, indexes in context.schema.indexes.items():
        for _, columns in indexes:
            for column in columns[:2]:
                rows = context.rows(
                    f'SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" LIKE \'http%\''
                )
                values.update(str(row[0]) for row in rows)
    return values


def _sequence(context: SQLiteContext, table: str) -> int | None:
    if "sqlite_sequence" not in context.schema.tables:
        return None
    try:
        row = context.connection.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)
        ).fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row is not None and isinstance(row[0], int) else None
