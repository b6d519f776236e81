"""A history's visits as report.json lines, written in bulk; and its visit ids' figures.

A triage keeps visits only as lines when its order's rules do not read them
(`ParserMediator.lines`); making an object of each visit and encoding it cost more than reading
the database. The C module `_visitlines` steps the SELECT on a read-only SQLite connection of its
own (no Python object per row) and writes each row's line and its search term's from the kinds'
line templates into one `LineBlock` (in a triage worker, into its spool file as they are made,
through a buffer of 1 MiB: `ParserMediator.sink`); where it was built without SQLite the rows
are fetched into a list for its list loop, and where it cannot be imported the same loop runs
in Python here.
Rows of unusual types (text or REAL times, non-integer ids, BLOB text) and every row when the
database's text is not UTF-8 go through the plugin's object path, so the lines are the same
either way (tests/forensics/parsers/browsers compare them). `visit_figures` reads the deletion
indicators' figures (visit ids and times) the same way.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from orderwatch.domain.observations import (
    BrowserVisitObservation,
    Observation,
    SearchTermObservation,
)
from orderwatch.forensics.parsers.browser_times import (
    integer_time_format,
    integer_time_text,
    to_datetime,
)
from orderwatch.forensics.parsers.interface import LINE_SEPARATOR, LineBlock
from orderwatch.forensics.parsers.search_engines import (
    SEARCH_ENGINES,
    SearchEngine,
    extract_search,
    host_labels,
)
from orderwatch.forensics.parsers.sqlite_plugins.interface import SQLiteContext

try:
    from orderwatch.forensics.parsers import _visitlines
except ImportError:  # pragma: no cover (the module is built with the package)
    _visitlines = None  # type: ignore[assignment]
# Its functions that read SQLite themselves (absent where it was built without sqlite3.h).
_query_visit_lines = getattr(_visitlines, "query_visit_lines", None)
_visit_figures = getattr(_visitlines, "visit_figures", None)
# The lines of visits kept one by one (browser_database's _KeptVisitLines), or None: its Python
# writer then writes every row (the tests set it to None to compare the two).
kept_visit_lines = getattr(_visitlines, "kept_visit_lines", None)

if TYPE_CHECKING:
    from orderwatch.forensics.parsers.sqlite_plugins.browser_database import (
        BrowserDatabasePlugin,
    )

_quote = json.encoder.encode_basestring  # json's own string quoting (C), non-ASCII kept
_ENCODING = ("utf-8", "surrogatepass")
_LABELS = host_labels()
# A template: its literal pieces and a letter per value between them (see _visitlines.c).
Template = tuple[tuple[bytes, ...], str]
_SLOTS = {"id": "i", "time": "t", "url": "u", "title": "T", "engine": "e", "term": "m"}
# The loop's arguments after the rows (before extract): head, visit, search, record, time_format,
# labels, engines (the C matcher's table); and what it gives: (lines, visits, searches, unusual,
# search hits kept as objects).
LoopArguments = tuple[
    bytes,
    Template,
    Template | None,
    tuple[bytes | int, ...],
    tuple[int, int, int, int],
    set[bytes],
    tuple[SearchEngine, ...],
]
# (first id, last id, oldest, newest, gaps as (before, its time, after, its time)), times as stored
VisitFigures = tuple[int | None, int | None, Any, Any, list[tuple[int, Any, int, Any]]]
# The figures of the rows a loop wrote, and how many rows; None: a row was unusual, or an id did
# not ascend (then they may not be the visits table's).
RowFigures = tuple[int | None, int | None, Any, Any, list[tuple[int, Any, int, Any]], int] | None
# (lines, visits, searches, unusual, hits, figures); lines as int: the size written
Written = tuple[bytes | int, int, int, bool, list[tuple[Any, ...]], RowFigures]


@dataclass(frozen=True)
class VisitRows:
    """Where a browser keeps its visits: `sql` selects the columns id, stored (the visit time as
    stored), url, title and the further columns `record` (a str.format pattern) names.
    `of_visits`: id and stored are the plugin's VISITS table's id and time columns, so the
    deletion indicators' figures are taken from the rows the line loop steps (no second pass)
    when it met as many rows, each id once, as that table holds."""

    sql: str
    record: str
    of_visits: bool = False

    def record_columns(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.record) if name)

    def usual(self) -> str:
        """SQL condition: the row's values have the types the line path writes exactly."""
        integers = dict.fromkeys(("id", "stored", *self.record_columns()))
        checks = [f"typeof({name}) = 'integer'" for name in integers]
        checks += ["typeof(url) IN ('text', 'null')", "typeof(title) IN ('text', 'null')"]
        return " AND ".join(checks)


def write_visit_lines(
    plugin: BrowserDatabasePlugin, context: SQLiteContext, rows: VisitRows
) -> str:
    """Write the usual rows' visits (and their URLs' search terms) as one block of lines.
    Returns the SQL condition of the rows left for the object path: "0" when none is, "1" when
    every row is (a format stored as REAL, text that is not UTF-8, a statement that failed)."""
    time_format = integer_time_format(plugin.TIME_FORMAT)
    if time_format is None:
        return "1"
    columns = rows.record_columns()
    extra = "".join(f", {name}" for name in columns)
    sql = f"SELECT id, stored, url, title{extra} FROM ({rows.sql}) ORDER BY id"
    mediator = context.mediator
    parser, path = plugin.NAME, context.path
    profile = plugin.profile_of(context)
    visit = line_template(
        context, parser, BrowserVisitObservation, profile.browser, profile.profile
    )
    search = None
    if not mediator.wants_object(SearchTermObservation.KIND):
        search = line_template(context, parser, SearchTermObservation)
    # The ids StableIds(source, parser, path)(kind, id) gives: the shared head hashed once.
    head = f"{mediator.source}\x1f{parser}\x1f{path}\x1f".encode(*_ENCODING)
    record = _record_parts(rows.record, columns)
    args = (head, visit, search, record, time_format, _LABELS, SEARCH_ENGINES)
    place = mediator.sink.place() if mediator.sink is not None else None
    written = _written(context, sql, args, place)
    if written is None:  # text that is not UTF-8, a damaged page: the object path says which
        return "1"
    lines, visits, searches, unusual, hits, figures = written
    if rows.of_visits and plugin.VISITS is not None:  # (None figures: a pass of their own)
        context.visit_figures = _table_figures(context, plugin.VISITS.table, figures)
    kinds = (("browser_visit", visits),) + ((("search_term", searches),) if searches else ())
    if visits and isinstance(lines, int):  # written at `place` (a worker's spool file) ...
        assert mediator.sink is not None
        templates = (visit[0],) + ((search[0],) if search is not None else ())
        mediator.blocks.append(mediator.sink.written(lines, kinds, templates))  # ... compact
    elif visits and isinstance(lines, bytes):
        mediator.blocks.append(LineBlock(lines, kinds))
    for ident, stored, url, record_text, engine, term in hits:  # searches kept as objects
        when = to_datetime(stored, plugin.TIME_FORMAT)
        plugin.produce_search(context, ident, engine, term, url, when, record_text, stored)
    return f"NOT ({rows.usual()})" if unusual else "0"


def _written(
    context: SQLiteContext, sql: str, args: LoopArguments, place: tuple[int, int] | None = None
) -> Written | None:
    """The lines of the rows `sql` selects: stepped by SQLite in C where it can, else fetched by
    the Python connection; None when sqlite3 cannot read them (fetchall raises). Given `place`
    (a file descriptor and offset), the C loop writes them there as it makes them, as compact
    records (`interface.RECORD_MARK`: the slots' texts without the template's pieces, a third of
    the bytes), and gives their size instead of their bytes (no bytes object of tens of MB to
    fill, page by fresh page, and copy again); if that write fails they are made as bytes."""
    if _query_visit_lines is not None and context.connection.text_factory is str:
        uri = context.files.read_only_uri()
        try:
            if place is not None:
                try:
                    return _query_visit_lines(uri, sql, *args, extract_search, *place)
                except OSError:
                    pass  # (a full disk): as bytes, which the worker keeps if it cannot write
            return _query_visit_lines(uri, sql, *args, extract_search)  # None: not UTF-8
        except sqlite3.Error:
            pass  # SQLite failed on the C connection: the Python one reads the rows
    cursor = context.connection.cursor()
    cursor.row_factory = None
    try:
        found = cursor.execute(sql).fetchall()
    except sqlite3.Error:
        return None
    finally:
        cursor.close()
    write = _visitlines.visit_lines if _visitlines is not None else python_visit_lines
    return write(found, *args, extract_search)


def _table_figures(context: SQLiteContext, table: str, figures: RowFigures) -> VisitFigures | None:
    """The line loop's figures as the table's own, when it met as many rows as the table holds
    (its ids ascended strictly, so each was a different row of the table); else None."""
    if figures is None:
        return None
    try:
        (count,) = context.connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    except sqlite3.Error:
        return None
    return figures[:5] if count == figures[5] else None


def visit_figures(context: SQLiteContext, sql: str) -> VisitFigures:
    """The deletion indicators' figures of `sql`'s (integer id, stored time) rows in id order:
    read by SQLite in C where it can (no Python object per row), else in Python."""
    if _visit_figures is not None:
        try:
            found = _visit_figures(context.files.read_only_uri(), sql)
        except sqlite3.Error:
            found = None  # SQLite failed on the C connection: context.rows says why
        if found is not None:  # None: a text time that is not UTF-8 (read leniently below)
            return found
    return python_visit_figures(context.rows(sql, tuples=True))


def python_visit_figures(rows: Sequence[tuple[int, Any]]) -> VisitFigures:
    """What `_visitlines.visit_figures` gives, from fetched rows (its fallback)."""
    stored = [t for _, t in rows if t.__class__ in (int, float) and t > 0]
    gaps = [(b, b_time, a, a_time) for (b, b_time), (a, a_time) in pairwise(rows) if a - b > 1]
    first, last = (rows[0][0], rows[-1][0]) if rows else (None, None)
    return first, last, min(stored, default=None), max(stored, default=None), gaps


def _record_parts(pattern: str, columns: tuple[str, ...]) -> tuple[bytes | int, ...]:
    """The record pattern as literal bytes and indexes of the row's columns (after the id,
    stored time, url and title)."""
    parts: list[bytes | int] = []
    for literal, name, _, _ in string.Formatter().parse(pattern):
        if literal:
            parts.append(literal.encode())
        if name:
            parts.append(4 + columns.index(name))
    return tuple(parts)


def line_template(
    context: SQLiteContext,
    parser: str,
    cls: type[Observation],
    *known: object,
    nullable_original: bool = False,
) -> Template:
    """A kind's line with this database's constant values in place: its first own fields from
    `known` (the visit's browser and profile), `recovered` false; then cut at the values each
    row gives (id, time, the other own fields, record, stored time). The stored time is an int
    (slot s) or, `nullable_original`, an int or None (slot o: visits kept one by one)."""
    mediator = context.mediator
    assert mediator.lines is not None
    value = mediator.lines.value
    own = [f.name for f in fields(cls) if f.name not in ("id", "time", "provenance")]
    constants = {"recovered": False, **dict(zip(own, known, strict=False))}
    filled = [value(constants[n]).replace("%", "%%") if n in constants else "%s" for n in own]
    provenance = [value(v).replace("%", "%%") for v in (mediator.source, parser, context.path)]
    original = "%s" if nullable_original else '"%s"'
    text = mediator.lines.template(cls) % ('"%s"', "%s", *filled, *provenance, "%s", original)
    slots = "".join(_SLOTS[n] for n in ("id", "time", *(n for n in own if n not in constants)))
    return tuple(p.encode() for p in _unescape_split(text)), slots + (
        "ro" if nullable_original else "rs"
    )


@functools.lru_cache(maxsize=64)
def kept_pieces(template: str) -> tuple[bytes, ...]:
    """`kept_visit_lines`' pieces of a visit line %-template (the id, time, url, title, record
    and stored time left as %s, %% a literal %): the id's quotes in the pieces."""
    first, second, *rest = (p.encode() for p in _unescape_split(template))
    return (first + b'"', b'"' + second, *rest)


def _unescape_split(text: str) -> list[str]:
    """A %-template cut at each %s, with %% as %."""
    pieces, current, index = [], [], 0
    while index < len(text):
        if text.startswith("%%", index):
            current.append("%")
            index += 2
        elif text.startswith("%s", index):
            pieces.append("".join(current))
            current = []
            index += 2
        else:
            current.append(text[index])
            index += 1
    pieces.append("".join(current))
    return pieces


def python_visit_lines(
    rows: list[tuple[Any, ...]],
    head: bytes,
    visit: Template,
    search: Template | None,
    record: tuple[bytes | int, ...],
    time_format: tuple[int, int, int, int],
    labels: set[bytes],
    engines: tuple[SearchEngine, ...],
    extract: Callable[[str], Any],
) -> Written:
    """What `_visitlines.visit_lines` does, in Python (its fallback; the tests compare them).
    `extract` reads every URL here (the C loop reads `engines` itself, asks it when unsure)."""
    start = hashlib.sha1(head).copy
    out: list[bytes] = []
    hits: list[tuple[Any, ...]] = []
    met: list[tuple[int, Any]] = []  # (id, stored) of the usual rows, for their figures
    visits = searches = 0
    unusual = False
    for row in rows:
        ident, stored, url, title = row[:4]
        texts = [url, title]
        if (
            not _int64(ident)
            or not _int64(stored)
            or not all(t is None or type(t) is str for t in texts)
            or not all(_int64(row[p]) for p in record if isinstance(p, int))
            or not _encodable(url, title)
        ):
            unusual = True
            continue
        met.append((ident, stored))
        record_text = "".join(p.decode() if isinstance(p, bytes) else str(row[p]) for p in record)
        moment = integer_time_text(stored, time_format)
        values = {
            "t": "null" if moment is None else f'"{moment}"',
            "u": _quote(url or ""),
            "T": _quote(title) if title else "null",
            "r": _quote(record_text),
            "s": str(stored),
            "e": '""',
            "m": '""',
        }
        values["i"] = _id(start, b"visit\x1f%d" % ident)
        out += [LINE_SEPARATOR, _fill(visit, values)]
        visits += 1
        hit = extract(url) if url else None
        if hit is None:
            continue
        if search is None:
            hits.append((ident, stored, url, record_text, hit[0], hit[1]))
            continue
        values["i"] = _id(start, b"search\x1f%d" % ident)
        values["e"], values["m"] = _quote(hit[0]), _quote(hit[1])
        out += [LINE_SEPARATOR, _fill(search, values)]
        searches += 1
    return b"".join(out), visits, searches, unusual, hits, _row_figures(met, unusual)


def _row_figures(met: list[tuple[int, Any]], unusual: bool) -> RowFigures:
    """What the C loop gives as figures: python_visit_figures of the rows and their number, or
    None when a row was unusual or the ids did not ascend strictly."""
    if unusual or any(a >= b for (a, _), (b, _) in pairwise(met)):
        return None
    return (*python_visit_figures(met), len(met))


def _int64(value: object) -> bool:
    """An int SQLite can hold (the C loop's long long)."""
    return type(value) is int and -(2**63) <= value < 2**63


def _encodable(*texts: str | None) -> bool:
    try:
        for text in texts:
            if text:
                text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _id(start: Callable[[], Any], tail: bytes) -> str:
    digest = start()
    digest.update(tail)
    return str(digest.hexdigest()[:20])


def _fill(template: Template, values: dict[str, str]) -> bytes:
    pieces, slots = template
    parts = [pieces[0]]
    for slot, piece in zip(slots, pieces[1:], strict=True):
        parts += [values[slot].encode(), piece]
    return b"".join(parts)
