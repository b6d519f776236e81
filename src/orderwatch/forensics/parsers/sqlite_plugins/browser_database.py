"""What the browser-database plugins share: visits, searches, downloads, accounts, deleted rows.

Subclasses declare their tables; this base names the browser and profile from the path, turns
rows into observations, recovers deleted URL records (`sqlite_recovery`) and reports history
deletion indicators (`history_indicators`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from orderwatch.domain.observations import (
    AccountObservation,
    BrowserVisitObservation,
    DownloadObservation,
    HistoryDeletionObservation,
    SearchTermObservation,
    format_time,
)
from orderwatch.forensics.parsers.browser_profiles import (
    BrowserProfile,
    identify_profile,
    profile_times,
)
from orderwatch.forensics.parsers.browser_times import (
    TimeFormat,
    integer_time_format,
    integer_time_text,
    to_datetime,
)
from orderwatch.forensics.parsers.search_engines import SEARCH_ENGINES, extract_search
from orderwatch.forensics.parsers.sqlite_plugins import visit_lines
from orderwatch.forensics.parsers.sqlite_plugins.history_indicators import (
    HistoryFigures,
    history_indicators,
)
from orderwatch.forensics.parsers.sqlite_plugins.interface import SQLiteContext, SQLitePlugin
from orderwatch.forensics.parsers.sqlite_plugins.visit_lines import (
    VisitRows,
    visit_figures,
    write_visit_lines,
)
from orderwatch.forensics.parsers.sqlite_recovery import (
    NOWHERE,
    ColumnPlace,
    Kept,
    column_places,
    column_value,
    recover_kept,
)

if TYPE_CHECKING:
    from orderwatch.triage.encoded import EncodedObservation


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
    VISIT_ROWS: ClassVar[VisitRows | None] = None  # the visits, read before QUERIES

    def parse_database(self, context: SQLiteContext) -> None:
        context.profile = identify_profile(context.path, self.FAMILY)
        self.read_visits(context)
        super().parse_database(context)
        self.report_indicators(context)
        self.recover_deleted(context)

    def read_visits(self, context: SQLiteContext) -> None:
        """Every visit of VISIT_ROWS: as lines when the mediator keeps visits as lines (most rows
        written in bulk), else (and for unusual rows) as objects, one row at a time."""
        rows = self.VISIT_ROWS
        if rows is None:
            return
        left = "1"
        if not context.mediator.wants_object(BrowserVisitObservation.KIND):
            left = write_visit_lines(self, context, rows)
        if left == "0":
            return
        for row in context.rows(f"SELECT * FROM ({rows.sql}) WHERE {left} ORDER BY id"):
            try:
                self.produce_visit(
                    context,
                    row["id"],
                    row["url"] or "",
                    row["title"],
                    row["stored"],
                    rows.record.format(**row),
                )
            except (ValueError, TypeError, KeyError, IndexError) as error:
                context.problems.append(f"parse_visit row: {type(error).__name__}: {error}")

    def profile_of(self, context: SQLiteContext) -> BrowserProfile:
        return _profile(context)

    # --- observations -------------------------------------------------------------------

    def produce_visit(
        self,
        context: SQLiteContext,
        key: object,
        url: str,
        title: str | bytes | None,
        stored_time: object,
        record: str,
        recovered: bool = False,
    ) -> None:
        """A visit, and the search term its URL carries, if any."""
        self.produce_visits(context, [(key, url, title, stored_time, record)], recovered)

    def produce_visits(
        self, context: SQLiteContext, rows: Iterable[VisitRow], recovered: bool = False
    ) -> None:
        """Visits (key, url, title, stored time, record), and the search terms their URLs carry.
        Kept only as lines (recovered and unusual rows of a triage whose order reads no
        visits), each is the line its object would give, written without making it (tests
        compare the two): a list of rows in C (`kept_visit_lines`), whose unusual rows and the
        searches come back here in order."""
        mediator = context.mediator
        kept = None
        if mediator.lines is not None and not mediator.wants_object(BrowserVisitObservation.KIND):
            kept = _KeptVisitLines(self, context, recovered)
            written = kept.lines(rows) if isinstance(rows, list) else None
            if written is not None and isinstance(rows, list):
                self._kept_rest(context, kept, rows, *written)
                return
        for row in rows:
            self._produce_row(context, kept, row, recovered)

    def _produce_row(
        self, context: SQLiteContext, kept: _KeptVisitLines | None, row: VisitRow, recovered: bool
    ) -> None:
        """One visit and its search, the visit as a line (`kept`) or an object."""
        key, url, title, stored_time, record = row
        # A BLOB title (no browser writes one) as text: report.json holds no bytes.
        shown_title = _lenient(title) or None
        if kept is not None:
            kept.write(key, url, shown_title, stored_time, record)
        else:
            profile = _profile(context)
            context.mediator.produce(
                BrowserVisitObservation(
                    id=context.observation_id("visit", key),
                    time=to_datetime(stored_time, self.TIME_FORMAT),
                    provenance=context.provenance(record, stored_time),
                    browser=profile.browser,
                    profile=profile.profile,
                    url=url,
                    title=shown_title,
                    recovered=recovered,
                )
            )
        hit = extract_search(url)
        if hit is not None:
            when = to_datetime(stored_time, self.TIME_FORMAT)
            self.produce_search(context, key, hit.engine, hit.term, url, when, record, stored_time)

    def _kept_rest(
        self,
        context: SQLiteContext,
        kept: _KeptVisitLines,
        rows: list[VisitRow],
        entries: list[EncodedObservation],
        calls: list[tuple[int, int, Any]],
    ) -> None:
        """The lines `kept_visit_lines` wrote, with what it left here where it left it: the rows
        for the Python writer, the searches (their objects made as the Python loop makes them)
        and the URLs its matcher was unsure of (asked of extract_search)."""
        encoded = context.mediator.encoded
        done = 0
        for position, index, found in calls:
            encoded += entries[done:position]
            done = position
            if found is None:
                self._produce_row(context, kept, rows[index], kept.recovered)
                continue
            key, url, _, stored_time, record = rows[index]
            hit = extract_search(url) if found is ... else found
            if hit is not None:
                when = to_datetime(stored_time, self.TIME_FORMAT)
                self.produce_search(context, key, hit[0], hit[1], url, when, record, stored_time)
        encoded += entries[done:]

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
        found = context.visit_figures  # from the visit lines' own loop, when it could tell them
        if found is None:
            found = visit_figures(
                context,
                f'SELECT "{visits.id}", "{visits.time}" FROM "{visits.table}" '
                f"WHERE typeof(\"{visits.id}\") = 'integer' ORDER BY 1",
            )
        first_id, last_id, oldest, newest, found_gaps = found
        gaps = [(before, after) for before, _, after, _ in found_gaps]
        edges: dict[int, datetime | None] = {}
        if found_gaps:  # only the largest gap's edges are told (the first, as max() finds it)
            before, before_time, after, after_time = max(found_gaps, key=lambda g: g[2] - g[0])
            edges[before] = to_datetime(before_time, self.TIME_FORMAT)
            edges[after] = to_datetime(after_time, self.TIME_FORMAT)
        times = profile_times(context.artefact, self.FAMILY)
        figures = HistoryFigures(
            label=self.label(context),
            first_id=first_id,
            last_id=last_id,
            gaps=gaps,
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
        for target in self.RECOVERY:
            needed = tuple(c for c in (target.title, target.time, *target.reaches) if c)
            shape = context.schema.shape(target.table, target.url, needed)
            if shape is None:
                continue
            targets[shape.table] = target
            shapes += [shape, *context.schema.index_shapes(target.table, target.url)]
        if not targets:
            return
        files = context.files
        try:
            records = recover_kept(files.main, shapes, files.wal, files.journal)
        except (OSError, ValueError, struct.error) as error:
            context.problems.append(f"recovery of deleted records failed: {error}")
            return
        # Per shape: where its records hold the URL, title, time and rowid (as values.get(name)
        # of a dict of the record's columns finds them: values[last] when the record reaches
        # it, else column_value), and what its visits say. A plan: (index records, the title's
        # place or an index record's rowid's, the time's place, the record's text so far).
        urls_at: list[ColumnPlace] = []
        plans: list[tuple[bool, ColumnPlace, ColumnPlace, str]] = []
        for shape in shapes:
            target = targets[shape.table]
            names = shape.columns
            urls_at.append(column_places(names, target.url.lower()))
            if shape.index is not None:
                what = f"deleted {shape.table}.{target.url} index {shape.index} record (rowid "
                plans.append((True, column_places(names, "rowid"), NOWHERE, what))
            else:
                title_at = column_places(names, target.title.lower()) if target.title else NOWHERE
                time_at = column_places(names, target.time.lower()) if target.time else NOWHERE
                plans.append((False, title_at, time_at, f"deleted {shape.table} record"))
        from_tables: list[tuple[Kept, str]] = []
        from_indexes: list[tuple[Kept, str]] = []
        for record in records:
            values = record[6]
            last, places = urls_at[record[0]]
            url = values[last] if last < len(values) else column_value(values, places)
            if isinstance(url, str):
                (from_indexes if plans[record[0]][0] else from_tables).append((record, url))
        found_urls = from_tables + from_indexes  # table records first
        if not found_urls:
            return
        # Only the URLs found are looked up (by SQLite), not every live URL read out.
        columns = {(t.table, t.url) for t in targets.values()}
        live = _held(context, {url for _, url in found_urls}, columns)
        table_urls = {url for _, url in from_tables}
        only_indexed = {url for _, url in from_indexes}
        indexed = _held(context, only_indexed - table_urls - live, _indexed_columns(context))
        produced: set[str] = set()
        visits: list[VisitRow] = []
        for record, url in found_urls:
            if url in live:
                continue
            which, source, kind, page, offset, complete, values, damaged = record
            from_index, title_at, time_at, what = plans[which]
            if from_index:
                if url in produced or url in indexed:
                    continue
                title = stored = None
                what += f"{column_value(values, title_at[1])})"  # the rowid
            else:
                last, places = title_at
                title = values[last] if last < len(values) else column_value(values, places)
                last, places = time_at
                stored = values[last] if last < len(values) else column_value(values, places)
            produced.add(url)
            note = "" if complete else ", record header partly overwritten"
            note += ", columns after the URL overwritten" if damaged else ""
            where = f"{kind} @ {offset}" if page is None else f"{kind} (page {page}) @ {offset}"
            visits.append(
                (
                    ("recovered", source, offset),
                    url,
                    title if isinstance(title, str) else None,
                    stored,
                    f"{what} recovered from {source}: {where}{note}",  # as record_location
                )
            )
        self.produce_visits(context, visits, recovered=True)


_ENCODING = ("utf-8", "surrogatepass")  # as StableIds encodes
_quote = json.encoder.encode_basestring  # as json_value quotes text (non-ASCII kept)
# A visit as produce_visits takes it: key, url, title, stored time, record.
VisitRow = tuple[object, str, str | bytes | None, object, str]


class _KeptVisitLines:
    """Visit lines of one database, written as `encode_observation` would write the objects:
    the kind's template with this database's constant values put in once, ids from the shared
    head of StableIds, times formatted without a datetime where they are plain integers."""

    def __init__(
        self, plugin: BrowserDatabasePlugin, context: SQLiteContext, recovered: bool
    ) -> None:
        mediator = context.mediator
        assert mediator.lines is not None
        self.encoded = mediator.encoded
        self.value = value = mediator.lines.value  # for the URL: a row may hold a number
        self.parser, self.path = context.parser, context.path
        self.time_format = plugin.TIME_FORMAT
        self.integers = integer_time_format(plugin.TIME_FORMAT)
        self.recovered = recovered
        profile = _profile(context)
        constants: tuple[object, ...] = (profile.browser, profile.profile, recovered)
        constants += (mediator.source, context.parser, context.path)
        fixed = [value(v).replace("%", "%%") for v in constants]
        template = mediator.lines.template(BrowserVisitObservation).replace("%%", "%%%%")
        self.template = template % (
            "%s", "%s", *fixed[:2], "%s", "%s", *fixed[2:], "%s", "%s"
        )  # fmt: skip
        head = f"{mediator.source}\x1f{context.parser}\x1f{context.path}\x1f"
        self.head = head.encode(*_ENCODING)
        self.start = hashlib.sha1(self.head).copy
        # The search_term line, its constants in place, when searches too are kept only as lines:
        # the C writer then writes a search it reads right after its visit.
        self.search_template: visit_lines.Template | None = None
        if not mediator.wants_object(SearchTermObservation.KIND):
            self.search_template = visit_lines.line_template(
                context, context.parser, SearchTermObservation, nullable_original=True
            )

    def lines(
        self, rows: list[VisitRow]
    ) -> tuple[list[EncodedObservation], list[tuple[int, int, Any]]] | None:
        """`kept_visit_lines` of the rows (see produce_visits); None where it is not built or
        the times are not integers (REAL): `write` then takes every row."""
        native = visit_lines.kept_visit_lines
        if native is None or self.integers is None:
            return None
        template = (visit_lines.kept_pieces(self.template), "ituTro")
        kind = BrowserVisitObservation.KIND
        searches: tuple[object, ...] = ()
        if self.search_template is not None:
            searches = (self.search_template, SearchTermObservation.KIND)
        return native(
            rows,
            self.head,
            template,
            self.integers,
            SEARCH_ENGINES,
            kind,
            self.parser,
            self.path,
            *searches,
        )

    def write(
        self, key: object, url: str, title: str | None, stored_time: object, record: str
    ) -> None:
        digest = self.start()  # StableIds(source, parser, path)("visit", key), inlined
        digest.update(f"visit\x1f{key}".encode(*_ENCODING))
        ident = digest.hexdigest()[:20]
        when = self.when(stored_time)
        original = "null" if stored_time is None else _quote(str(stored_time))
        shown = "null" if title is None else _quote(title)
        moment = "null" if when is None else f'"{when}"'
        shown_url = self.value(url)
        line = self.template % (f'"{ident}"', moment, shown_url, shown, _quote(record), original)
        kind = BrowserVisitObservation.KIND
        self.encoded.append((ident, when, kind, self.parser, self.path, record, line))

    def when(self, stored: object) -> str | None:
        """format_time(to_datetime(stored)), for integers in range by time.gmtime."""
        if self.integers is not None and type(stored) is int:
            return integer_time_text(stored, self.integers)
        return format_time(to_datetime(stored, self.time_format))


def _lenient(value: str | bytes | None) -> str | None:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _profile(context: SQLiteContext) -> BrowserProfile:
    return context.profile or BrowserProfile("unknown", "unknown")


def _indexed_columns(context: SQLiteContext) -> set[tuple[str, str]]:
    """(table, column) of the first two columns of every index: an index record does not say
    which index it came from, so one whose URL another table (Chrome's segments) still holds is
    no loss."""
    return {
        (table, column)
        for table, indexes in context.schema.indexes.items()
        for _, columns in indexes
        for column in columns[:2]
    }


def _held(context: SQLiteContext, urls: set[str], columns: set[tuple[str, str]]) -> set[str]:
    """Those of `urls` that a live row holds in any of the (table, column)s."""
    if not urls:
        return set()
    held: set[str] = set()
    wanted = json.dumps(sorted(urls), ensure_ascii=False)
    for table, column in sorted(columns):
        indexed = any(
            names[:1] == [column.lower()]
            for _, names in context.schema.indexes.get(table.lower(), [])
        )
        wanted_values, live_values = (
            "SELECT value FROM json_each(?)",
            f'SELECT "{column}" FROM "{table}"',
        )
        if indexed:  # each wanted URL looked up in the column's index
            sql = f"{wanted_values} WHERE value COLLATE BINARY IN ({live_values})"
        else:  # one scan of the table against the few wanted (no index of every URL made first)
            sql = f'{live_values} WHERE "{column}" COLLATE BINARY IN ({wanted_values})'
        held.update(row[0] for row in context.rows(sql, (wanted,)))
    return held


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
