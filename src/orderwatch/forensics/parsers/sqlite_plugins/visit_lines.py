"""A history's visits as report.json lines, the per-row work done in SQLite.

A triage keeps visits only as lines when its order's rules do not read them
(`ParserMediator.lines`); making an object of each visit and encoding it cost more than reading
the database. Rows whose values have the usual types (integer ids and time, text or NULL URL and
title) get their time and record text from SQL and their line from the kind's template; the
other rows, and every row when the database's text is not UTF-8, go through the plugin's object
path, so the lines are the same either way (tests/forensics/parsers/browsers compare them).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import string
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from orderwatch.domain.observations import (
    BrowserVisitObservation,
    Observation,
    SearchTermObservation,
)
from orderwatch.forensics.parsers.browser_times import sql_time_text, to_datetime
from orderwatch.forensics.parsers.search_engines import extract_search
from orderwatch.forensics.parsers.sqlite_plugins.interface import SQLiteContext

if TYPE_CHECKING:
    from orderwatch.forensics.parsers.sqlite_plugins.browser_database import (
        BrowserDatabasePlugin,
    )

_quote = json.encoder.encode_basestring  # json's own string quoting (C), non-ASCII kept
_ENCODING = ("utf-8", "surrogatepass")


@dataclass(frozen=True)
class VisitRows:
    """Where a browser keeps its visits: `sql` selects the columns id, stored (the visit time as
    stored), url, title and the further columns `record` (a str.format pattern) names."""

    sql: str
    record: str

    def record_columns(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.record) if name)

    def usual(self) -> str:
        """SQL condition: the row's values have the types the line path writes exactly."""
        integers = dict.fromkeys(("id", "stored", *self.record_columns()))
        checks = [f"typeof({name}) = 'integer'" for name in integers]
        checks += ["typeof(url) IN ('text', 'null')", "typeof(title) IN ('text', 'null')"]
        return " AND ".join(checks)

    def record_sql(self) -> str:
        """The record text in SQL (as `record.format` gives it for integer columns)."""
        parts = []
        for literal, name, _, _ in string.Formatter().parse(self.record):
            if literal:
                parts.append("'" + literal.replace("'", "''") + "'")
            if name:
                parts.append(name)
        return " || ".join(parts)


def write_visit_lines(
    plugin: BrowserDatabasePlugin, context: SQLiteContext, rows: VisitRows
) -> str:
    """Write the usual rows' visits (and their URLs' search terms) as lines. Returns the SQL
    condition of the rows left for the object path: "0" when none is, "1" when every row is
    (a format stored as REAL, text that is not UTF-8, a statement that failed)."""
    time_text = sql_time_text("stored", plugin.TIME_FORMAT)
    if time_text is None:
        return "1"
    usual = rows.usual()
    cursor = context.connection.cursor()
    cursor.row_factory = None
    try:
        found = cursor.execute(
            f"SELECT {usual}, id, {time_text}, {rows.record_sql()}, coalesce(url, ''), "
            f"nullif(title, ''), stored FROM ({rows.sql}) ORDER BY id"
        ).fetchall()
    except sqlite3.Error:  # text that is not UTF-8, a damaged page: the object path says which
        return "1"
    finally:
        cursor.close()
    mediator = context.mediator
    parser, path = plugin.NAME, context.path
    profile = plugin.profile_of(context)
    visit = _template(context, parser, BrowserVisitObservation, profile.browser, profile.profile)
    search = None
    if not mediator.wants_object(SearchTermObservation.KIND):
        search = _template(context, parser, SearchTermObservation)
    # The ids StableIds(source, parser, path)(kind, id) gives: the shared head hashed once.
    copy = hashlib.sha1(f"{mediator.source}\x1f{parser}\x1f{path}\x1f".encode(*_ENCODING)).copy
    append, unusual = mediator.encoded.append, False
    for is_usual, ident, time, record, url, title, stored in found:
        if not is_usual:
            unusual = True
            continue
        digest = copy()
        digest.update(b"visit\x1f%d" % ident)
        oid = digest.hexdigest()[:20]
        moment = "null" if time is None else f'"{time}"'
        url_text, record_text = _quote(url), _quote(record)
        title_text = _quote(title) if title else "null"
        line = visit % (oid, moment, url_text, title_text, record_text, stored)
        append((oid, time, "browser_visit", parser, path, record, line))
        hit = extract_search(url)
        if hit is None:
            continue
        if search is None:
            when = to_datetime(stored, plugin.TIME_FORMAT)
            plugin.produce_search(context, ident, hit.engine, hit.term, url, when, record, stored)
            continue
        digest = copy()
        digest.update(b"search\x1f%d" % ident)
        oid = digest.hexdigest()[:20]
        engine, term = _quote(hit.engine), _quote(hit.term)
        line = search % (oid, moment, engine, term, url_text, record_text, stored)
        append((oid, time, "search_term", parser, path, record, line))
    return f"NOT ({usual})" if unusual else "0"


def _template(context: SQLiteContext, parser: str, cls: type[Observation], *known: object) -> str:
    """A kind's line with this database's constant values in place: its first own fields from
    `known` (the visit's browser and profile), `recovered` false; %s for the id (a hex string),
    the time, the other own fields and the record (JSON texts), %d for the stored time."""
    mediator = context.mediator
    assert mediator.lines is not None
    value = mediator.lines.value
    own = [f.name for f in fields(cls) if f.name not in ("id", "time", "provenance")]
    constants = {"recovered": False, **dict(zip(own, known, strict=False))}
    filled = [value(constants[n]).replace("%", "%%") if n in constants else "%s" for n in own]
    provenance = [value(v).replace("%", "%%") for v in (mediator.source, parser, context.path)]
    return mediator.lines.template(cls) % ('"%s"', "%s", *filled, *provenance, "%s", '"%d"')
