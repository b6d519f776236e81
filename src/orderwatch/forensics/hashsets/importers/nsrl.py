"""NSRL RDS v3 SQLite: the FILE table's md5/sha1/sha256 columns, all marked known good."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from orderwatch.forensics.hashsets.digests import decode_hex_list
from orderwatch.forensics.hashsets.model import (
    EXACT_ALGORITHMS,
    HashSetFormatError,
    ProgressCallback,
    RecordProblem,
)
from orderwatch.forensics.hashsets.sink import RecordSink

BATCH_ROWS = 200_000


def read_nsrl(
    path: Path, sink: RecordSink, progress: ProgressCallback | None = None
) -> dict[str, object]:
    """Read the FILE table through a read-only, immutable connection (the file is never written)."""
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    connection = sqlite3.connect(uri, uri=True)
    try:
        return _read(connection, path, sink, progress)
    except sqlite3.DatabaseError as error:
        raise HashSetFormatError(
            str(path), [RecordProblem(0, f"not a readable SQLite database: {error}")]
        ) from None
    finally:
        connection.close()


def _read(
    connection: sqlite3.Connection, path: Path, sink: RecordSink, progress: ProgressCallback | None
) -> dict[str, object]:
    names = {
        name.lower(): name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
        )
    }
    if "file" not in names:
        listed = ", ".join(sorted(names.values())[:12]) or "none"
        raise HashSetFormatError(
            str(path),
            [RecordProblem(0, f"no FILE table, so not an NSRL RDS v3 database (tables: {listed})")],
        )
    table = names["file"]
    columns = {
        row[1].lower(): row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')
    }
    algorithms = [name for name in EXACT_ALGORITHMS if name in columns]
    if not algorithms:
        raise HashSetFormatError(
            str(path), [RecordProblem(0, "the FILE table has no md5, sha1 or sha256 column")]
        )
    selected = ", ".join(f'"{columns[name]}"' for name in algorithms)
    cursor = connection.execute(f'SELECT {selected} FROM "{table}"')
    meta = sink.meta_for(None, known_good=True)
    rows_before = 0
    while rows := cursor.fetchmany(BATCH_ROWS):
        for position, algorithm in enumerate(algorithms):
            values = [row[position] for row in rows]
            _add_column(algorithm, values, rows_before, sink, meta)
        sink.record(None, known_good=True, count=len(rows))
        rows_before += len(rows)
        if progress:
            progress(f"reading {path.name} (rows)", rows_before, 0)
    return {"rows": rows_before, "algorithms": algorithms}


def _add_column(
    algorithm: str, values: list[object], rows_before: int, sink: RecordSink, meta: int
) -> None:
    size = EXACT_ALGORITHMS[algorithm]
    items = [v.strip().encode("ascii", "replace") if isinstance(v, str) else b"" for v in values]
    digests, valid = decode_hex_list(items, size)
    present = np.fromiter((bool(item) for item in items), bool, len(items))
    sink.add_array(algorithm, digests[valid], meta)
    for index in np.flatnonzero(present & ~valid):
        shown = str(values[index])[:70]
        sink.problem(
            RecordProblem(
                rows_before + int(index) + 1, f"{algorithm} {shown!r} is not a valid hash"
            )
        )
