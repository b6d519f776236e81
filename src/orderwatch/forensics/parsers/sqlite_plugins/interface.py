"""Declarative SQLite plugins (plaso style): NAME, DATA_FORMAT, REQUIRED_STRUCTURE and QUERIES.

The base opens a private copy of the database (with its -wal/-journal) read-only, checks the
required tables and columns, runs each query whose tables exist and hands every row to the named
method. Row-level problems are gathered into one error record per artefact; a file that is no
readable SQLite database raises `UnreadableDatabaseError` (the registry records it).
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from orderwatch.domain.errors import OrderwatchError
from orderwatch.domain.observations import Provenance, StableIds
from orderwatch.forensics.parsers.browser_profiles import BrowserProfile
from orderwatch.forensics.parsers.interface import Artefact, ArtefactParser, ParserMediator
from orderwatch.forensics.parsers.sqlite_recovery import RecordShape, affinity

SQLITE_MAGIC = b"SQLite format 3\x00"
_MAX_PROBLEMS_LISTED = 5


class UnreadableDatabaseError(OrderwatchError):
    """A file that should be a SQLite database cannot be read as one."""


@dataclass(frozen=True)
class Query:
    """One SQL statement and the plugin method that receives each of its rows.

    `needs` names further tables and columns the statement uses; when the database lacks them
    (an older or newer schema) the query is skipped instead of failing.
    """

    sql: str
    method: str
    needs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    name: str
    declared_type: str
    primary_key: int
    not_null: bool = False


@dataclass
class Schema:
    """Tables and their columns, in order, read from the database itself."""

    tables: dict[str, list[Column]]
    indexes: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)  # table -> ...

    def has(self, structure: Mapping[str, tuple[str, ...]]) -> bool:
        for table, columns in structure.items():
            present = {column.name.lower() for column in self.tables.get(table.lower(), [])}
            if not present or not {c.lower() for c in columns} <= present:
                return False
        return True

    def index_shapes(self, table: str, url_column: str) -> list[RecordShape]:
        """Shapes of index records holding the URL: (url, ..., rowid) or (hash, url, ..., rowid)."""
        columns = {c.name.lower(): c for c in self.tables.get(table.lower(), [])}
        url = url_column.lower()
        shapes = []
        for index, indexed in self.indexes.get(table.lower(), []):
            if url not in indexed[:2]:
                continue
            types = [columns[n].declared_type if n in columns else "" for n in indexed]
            not_null = [columns[n].not_null if n in columns else False for n in indexed]
            shapes.append(
                RecordShape(
                    table=table.lower(),
                    columns=(*indexed, "rowid"),
                    affinities=(*(affinity(t) for t in types), "INTEGER"),
                    url_column=indexed.index(url),
                    index=index,
                    not_null=(*not_null, True),
                )
            )
        return shapes

    def shape(
        self, table: str, url_column: str, needed: tuple[str, ...] = ()
    ) -> RecordShape | None:
        """The record shape of `table` for recovery, or None when absent. A record must hold at
        least the URL and `needed` columns (older rows of an ALTERed table hold fewer)."""
        columns = self.tables.get(table.lower())
        names = [column.name.lower() for column in columns or []]
        if not columns or url_column.lower() not in names:
            return None
        keys = [c for c in columns if c.primary_key]
        alias = None
        if len(keys) == 1 and keys[0].declared_type.upper() == "INTEGER":
            alias = columns.index(keys[0])
        return RecordShape(
            table=table.lower(),
            columns=tuple(names),
            affinities=tuple(affinity(column.declared_type) for column in columns),
            url_column=names.index(url_column.lower()),
            rowid_alias=alias,
            not_null=tuple(column.not_null for column in columns),
            min_columns=1
            + max(names.index(n.lower()) for n in (url_column, *needed) if n.lower() in names),
        )


@dataclass
class DatabaseFiles:
    """The private copy and its companions, as the plugin sees them."""

    main: Path
    wal: Path | None = None
    journal: Path | None = None  # a copy taken before SQLite may roll a hot journal back

    def read_only_uri(self) -> str:
        """The URI the copy is opened read-only by: immutable when no WAL or journal goes with it
        (C code opening a connection of its own uses it too)."""
        plain = self.wal is None and self.journal is None
        return self.main.as_uri() + ("?immutable=1" if plain else "?mode=ro")


@dataclass
class SQLiteContext:
    """Everything one parse of one database needs; plugins keep no state of their own."""

    parser: str
    artefact: Artefact
    mediator: ParserMediator
    connection: sqlite3.Connection
    schema: Schema
    files: DatabaseFiles
    profile: BrowserProfile | None = None
    problems: list[str] = field(default_factory=list)
    # The deletion indicators' figures of the visits table (visit_lines.VisitFigures), when the
    # visit lines' loop could tell them; None: they are read by a pass of their own.
    visit_figures: tuple[Any, ...] | None = None
    _ids: StableIds | None = field(default=None, init=False, repr=False)

    @property
    def path(self) -> str:
        return self.artefact.path

    def provenance(self, record: object, original_time: object = None) -> Provenance:
        """As the mediator's, built directly (once or twice per row of a large history)."""
        return Provenance(
            self.mediator.source,
            self.parser,
            self.artefact.path,
            None if record is None else str(record),
            None if original_time is None else str(original_time),
        )

    def observation_id(self, *record: object) -> str:
        """The mediator's id for this parser and path, its shared parts hashed once."""
        ids = self._ids
        if ids is None:
            ids = self._ids = StableIds(self.mediator.source, self.parser, self.artefact.path)
        return ids(*record)

    def rows(
        self, sql: str, parameters: tuple[object, ...] = (), tuples: bool = False
    ) -> list[Any]:
        """All rows of a statement (sqlite3.Row, or plain tuples: cheaper for many rows); a
        failure becomes a problem and gives no rows. Text that is not UTF-8 is read again with
        replacement characters (slower, so only when needed)."""
        cursor = self.connection.cursor()
        if tuples:
            cursor.row_factory = None
        try:
            try:
                return cursor.execute(sql, parameters).fetchall()
            except sqlite3.OperationalError as error:
                if "decode" not in str(error) or self.connection.text_factory is not str:
                    raise
                self.connection.text_factory = _lenient_text
                return cursor.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            self.problems.append(f"{sql.split()[0]} failed: {error}")
            return []
        finally:
            cursor.close()


class SQLitePlugin(ArtefactParser):
    """Base of every SQLite plugin; subclasses only declare and handle rows."""

    DATA_FORMAT: ClassVar[str] = ""
    REQUIRED_STRUCTURE: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    QUERIES: ClassVar[tuple[Query, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for query in cls.QUERIES:
            if not callable(getattr(cls, query.method, None)):
                raise TypeError(f"{cls.__name__}: query method {query.method!r} is not defined")

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        with artefact.open() as stream:
            magic = stream.read(len(SQLITE_MAGIC))
        if magic != SQLITE_MAGIC:
            what = "an empty file" if not magic else "no SQLite header"
            raise UnreadableDatabaseError(f"{artefact.path}: not a SQLite database ({what})")
        with artefact.local_copy(("-wal", "-journal")) as copy:
            files = _companions(copy)
            connection = _open_read_only(files, artefact.path)
            try:
                schema = _read_schema(connection, artefact.path)
                if not schema.has(self.REQUIRED_STRUCTURE):
                    return  # another application's database of the same file name
                context = SQLiteContext(self.NAME, artefact, mediator, connection, schema, files)
                self.parse_database(context)
            finally:
                connection.close()
        if context.problems:
            mediator.error(artefact.path, self.NAME, _summary(context.problems))

    def parse_database(self, context: SQLiteContext) -> None:
        """Run the queries; subclasses extend this (start/finish steps) and call super()."""
        for query in self.QUERIES:
            if not context.schema.has(query.needs):
                continue
            handler = getattr(self, query.method)
            for row in context.rows(query.sql):
                try:
                    handler(context, row)
                except (ValueError, TypeError, KeyError, IndexError) as error:
                    context.problems.append(f"{query.method} row: {type(error).__name__}: {error}")


def _companions(copy: Path) -> DatabaseFiles:
    wal = Path(f"{copy}-wal")
    journal = Path(f"{copy}-journal")
    kept_journal = None
    if journal.is_file() and journal.stat().st_size > 0:
        kept_journal = copy.with_name("journal-as-found")
        shutil.copyfile(journal, kept_journal)
    return DatabaseFiles(copy, wal if wal.is_file() else None, kept_journal)


def _open_read_only(files: DatabaseFiles, path: str) -> sqlite3.Connection:
    """Open the private copy read-only (a hot journal is rolled back in the copy only)."""
    try:
        connection = _connect(files.read_only_uri())
    except sqlite3.OperationalError as error:
        if "readonly" not in str(error) or files.journal is None:
            raise UnreadableDatabaseError(f"{path}: cannot open as SQLite: {error}") from error
        # the private copy may be written: roll the journal back
        connection = _connect(files.main.as_uri())
    except sqlite3.DatabaseError as error:
        raise UnreadableDatabaseError(f"{path}: cannot open as SQLite: {error}") from error
    connection.execute("PRAGMA query_only = ON")
    return connection


def _connect(uri: str) -> sqlite3.Connection:
    connection = sqlite3.connect(uri, uri=True)
    try:
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA trusted_schema = OFF")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def _lenient_text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _read_schema(connection: sqlite3.Connection, path: str) -> Schema:
    try:
        names = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        tables: dict[str, list[Column]] = {}
        indexes: dict[str, list[tuple[str, list[str]]]] = {}
        for name in names:
            info = connection.execute(
                'SELECT name, type, pk, "notnull" FROM pragma_table_info(?)', (name,)
            )
            tables[str(name).lower()] = [
                Column(str(r[0]), str(r[1] or ""), int(r[2]), bool(r[3])) for r in info
            ]
            for (index,) in connection.execute("SELECT name FROM pragma_index_list(?)", (name,)):
                parts = connection.execute(
                    "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (index,)
                )
                indexed = [str(part[0] or "").lower() for part in parts]
                indexes.setdefault(str(name).lower(), []).append((str(index), indexed))
    except sqlite3.DatabaseError as error:
        raise UnreadableDatabaseError(f"{path}: cannot read the SQLite schema: {error}") from error
    return Schema(tables, indexes)


def _summary(problems: list[str]) -> str:
    shown = "; ".join(problems[:_MAX_PROBLEMS_LISTED])
    more = len(problems) - _MAX_PROBLEMS_LISTED
    return f"{len(problems)} problem(s): {shown}" + (f"; and {more} more" if more > 0 else "")
