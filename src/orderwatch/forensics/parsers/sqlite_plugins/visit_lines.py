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

from orderwatch.domain.observations import BrowserVisitObservation
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
    """Write the usual rows' visits (and their URLs' search terms) as lines; the SQL condition
    of the rows left for the object path ("1" for every row when nothing was written)."""
    time_text = sql_time_text("stored", plugin.TIME_FORMAT)
    if time_text is None:
        return "1"
    usual = rows.usual()
    cursor = context.connection.cursor()
    cursor.row_factory = None
    try:
        found = cursor.execute(
            f"SELECT CAST('visit' || char(31) || id AS BLOB), {time_text}, {rows.record_sql()}, "
            f"coalesce(url, ''), nullif(title, ''), stored, id FROM ({rows.sql}) WHERE {usual} "
            "ORDER BY id"
        ).fetchall()
    except sqlite3.Error:  # text that is not UTF-8, a damaged page: the object path says which
        return "1"
    finally:
        cursor.close()
    mediator = context.mediator
    assert mediator.lines is not None
    parser, path = plugin.NAME, context.path
    template = _template(plugin, context)
    head = hashlib.sha1(
        f"{mediator.source}\x1f{parser}\x1f{path}\x1f".encode("utf-8", "surrogatepass")
    )
    copy, kind, append = head.copy, BrowserVisitObservation.KIND, mediator.encoded.append
    for key, time, record, url, title, stored, ident in found:
        digest = copy()
        digest.update(key)
        oid = digest.hexdigest()[:20]
        line = template % (
            oid,
            "null" if time is None else f'"{time}"',
            _quote(url),
            "null" if title is None else _quote(title),
            _quote(record),
            stored,
        )
        append((oid, time, kind, parser, path, record, line))
        hit = extract_search(url)
        if hit is not None:
            moment = to_datetime(stored, plugin.TIME_FORMAT)
            plugin.produce_search(context, ident, hit.engine, hit.term, url, moment, record, stored)
    return f"NOT ({usual})"


def _template(plugin: BrowserDatabasePlugin, context: SQLiteContext) -> str:
    """The visit line with this database's constant values in place: %s for the id (a hex
    string), the time, url, title and record (JSON texts), %d for the stored time."""
    mediator = context.mediator
    assert mediator.lines is not None
    value = mediator.lines.value
    profile = plugin.profile_of(context)
    known = {"browser": profile.browser, "profile": profile.profile, "recovered": False}
    own = [f.name for f in fields(BrowserVisitObservation)]
    filled = [
        "%s" if name in ("url", "title") else value(known[name]).replace("%", "%%")
        for name in own
        if name not in ("id", "time", "provenance")
    ]
    provenance = [value(v).replace("%", "%%") for v in (mediator.source, plugin.NAME, context.path)]
    return mediator.lines.template(BrowserVisitObservation) % (
        '"%s"',
        "%s",
        *filled,
        *provenance,
        "%s",
        '"%d"',
    )
