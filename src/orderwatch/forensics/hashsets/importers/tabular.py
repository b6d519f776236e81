"""CAID-style CSV: a header row naming md5/sha1/sha256/hash/pdq, category and size columns."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from orderwatch.domain.errors import Problem
from orderwatch.forensics.hashsets.categories import category_label
from orderwatch.forensics.hashsets.digests import ALGORITHM_BY_HEX_LENGTH, is_hex
from orderwatch.forensics.hashsets.importers.vics import decode_photodna
from orderwatch.forensics.hashsets.model import (
    EXACT_ALGORITHMS,
    PDQ_BYTES,
    HashSetFormatError,
    ProgressCallback,
)
from orderwatch.forensics.hashsets.sink import RecordSink

# Normalised header name (lower case, letters and digits only) -> the column's role.
COLUMN_ROLES = {
    "md5": "md5",
    "md5hash": "md5",
    "sha1": "sha1",
    "sha1hash": "sha1",
    "sha256": "sha256",
    "sha256hash": "sha256",
    "hash": "hash",
    "hashvalue": "hash",
    "pdq": "pdq",
    "pdqhash": "pdq",
    "photodna": "photodna",
    "category": "category",
    "cat": "category",
    "grade": "category",
    "classification": "category",
    "size": "size",
    "filesize": "size",
    "mediasize": "size",
    "length": "size",
}
DIGEST_ROLES = ("md5", "sha1", "sha256", "hash", "pdq", "photodna")
DELIMITERS = (",", "\t", ";", "|")


def read_csv(
    path: Path, sink: RecordSink, progress: ProgressCallback | None = None
) -> dict[str, object]:
    """Read a CSV with a header row; bad rows become problems with their line numbers."""
    total = path.stat().st_size
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        header_line = handle.readline()
        delimiter = max(DELIMITERS, key=header_line.count)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        header = next(reader, [])
        roles = {
            i: COLUMN_ROLES.get(re.sub(r"[^a-z0-9]", "", name.lower()))
            for i, name in enumerate(header)
        }
        if not any(role in DIGEST_ROLES for role in roles.values()):
            found = ", ".join(repr(name) for name in header[:12])
            raise HashSetFormatError(
                str(path),
                [Problem(1, f"header names none of md5, sha1, sha256, hash, pdq (found: {found})")],
            )
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            _read_row(row, header, roles, reader.line_num, sink)
            if progress and reader.line_num % 100_000 == 0:
                progress(f"reading {path.name} (lines)", reader.line_num, 0)
    if progress:
        progress(f"reading {path.name}", total, total)
    return {"columns": [name for i, name in enumerate(header) if roles[i]]}


def _read_row(
    row: list[str], header: list[str], roles: dict[int, str | None], line: int, sink: RecordSink
) -> None:
    if len(row) != len(header):
        sink.problem(Problem(line, f"expected {len(header)} columns, found {len(row)}"))
        return
    category = None
    for index, role in roles.items():
        if role == "category":
            category = category_label(row[index])
    meta = sink.meta_for(category)
    found = present = 0
    for index, role in roles.items():
        value = row[index].strip()
        if role is None or not value:
            continue
        if role == "size":
            _read_size(value, header[index], line, sink)
        elif role in DIGEST_ROLES:
            present += 1
            if _add_digest(role, value, meta, sink):
                found += 1
            else:
                sink.problem(Problem(line, f"column {header[index]!r}: {_why(role, value)}"))
    if found:
        sink.record(category)
    elif not present:
        sink.problem(Problem(line, "no hash in this row"))


def _add_digest(role: str, value: str, meta: int, sink: RecordSink) -> bool:
    if role == "hash":
        role = ALGORITHM_BY_HEX_LENGTH.get(len(value), "")
    if role in EXACT_ALGORITHMS and is_hex(value, EXACT_ALGORITHMS[role]):
        sink.add(role, bytes.fromhex(value), meta)
        return True
    if role == "pdq" and is_hex(value, PDQ_BYTES):
        sink.add("pdq", bytes.fromhex(value), meta)
        return True
    if role == "photodna":
        raw = decode_photodna(value)
        if raw is not None:
            sink.add("photodna", raw, meta)
            return True
    return False


def _why(role: str, value: str) -> str:
    shown = value[:70]
    if role == "hash":
        return f"{shown!r} is not an MD5, SHA-1 or SHA-256 (32, 40 or 64 hex digits)"
    if role == "photodna":
        return f"{shown!r} is not a PhotoDNA hash (144 bytes as base64, hex or numbers)"
    width = 2 * (PDQ_BYTES if role == "pdq" else EXACT_ALGORITHMS[role])
    return f"{shown!r} is not {width} hexadecimal digits"


def _read_size(value: str, column: str, line: int, sink: RecordSink) -> None:
    if value.isdigit():
        sink.add_size(int(value))
    else:
        sink.problem(Problem(line, f"column {column!r}: {value[:40]!r} is not a size in bytes"))
