"""Plain hash lists: one MD5, SHA-1 or SHA-256 a line (or md5sum-style `HASH  NAME`), # comments."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from orderwatch.domain.errors import Problem
from orderwatch.forensics.hashsets.digests import (
    ALGORITHM_BY_HEX_LENGTH,
    decode_hex_list,
    decode_hex_rows,
)
from orderwatch.forensics.hashsets.model import ProgressCallback
from orderwatch.forensics.hashsets.sink import RecordSink

CHUNK_BYTES = 32 << 20


def read_plain(
    path: Path, sink: RecordSink, progress: ProgressCallback | None = None
) -> dict[str, object]:
    """Read a plain list; lines that are not a digest are problems with their line numbers."""
    total = path.stat().st_size
    meta = sink.meta_for(None)
    done = 0
    lines_before = 0
    rest = b""
    with path.open("rb") as handle:
        while block := handle.read(CHUNK_BYTES):
            done += len(block)
            data = rest + block
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            rest = data[cut + 1 :]
            lines_before = _parse_block(data[:cut], lines_before, sink, meta)
            if progress:
                progress(f"reading {path.name}", done, total)
    if rest:
        _parse_block(rest, lines_before, sink, meta)
    return {}


def _parse_block(body: bytes, lines_before: int, sink: RecordSink, meta: int) -> int:
    """Parse whole lines (no trailing newline); returns the line count so far."""
    if b"\r" in body:
        body = body.replace(b"\r", b"")
    if _parse_uniform(body, sink, meta):
        return lines_before + body.count(b"\n") + 1
    lines = body.split(b"\n")
    lengths = np.fromiter(map(len, lines), np.int64, len(lines))
    handled = np.zeros(len(lines), bool)
    for width, algorithm in ALGORITHM_BY_HEX_LENGTH.items():
        rows = np.flatnonzero(lengths == width)
        if rows.size:
            digests, valid = decode_hex_list([lines[i] for i in rows], width // 2)
            sink.add_array(algorithm, digests[valid], meta)
            sink.record(None, count=int(valid.sum()))
            handled[rows[valid]] = True
    for index in np.flatnonzero(~handled):
        _parse_line(lines[index], lines_before + int(index) + 1, sink, meta)
    return lines_before + len(lines)


def _parse_uniform(body: bytes, sink: RecordSink, meta: int) -> bool:
    """Fast path for a block of equal-length, valid digest lines; False when it does not apply."""
    width = body.find(b"\n")
    if width < 0:
        width = len(body)
    algorithm = ALGORITHM_BY_HEX_LENGTH.get(width)
    if algorithm is None or (len(body) + 1) % (width + 1):
        return False
    rows = np.frombuffer(body + b"\n", np.uint8).reshape(-1, width + 1)
    if not (rows[:, width] == ord("\n")).all():
        return False
    digests, valid = decode_hex_rows(rows[:, :width])
    if not valid.all():
        return False
    sink.add_array(algorithm, digests, meta)
    sink.record(None, count=len(digests))
    return True


def _parse_line(line: bytes, number: int, sink: RecordSink, meta: int) -> None:
    stripped = line.strip()
    if not stripped or stripped.startswith(b"#"):
        return
    token = stripped.split()[0]
    algorithm = ALGORITHM_BY_HEX_LENGTH.get(len(token))
    digest = None
    if algorithm is not None:
        try:
            digest = bytes.fromhex(token.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            digest = None
    if algorithm is None or digest is None:
        shown = token[:70].decode("utf-8", "replace")
        sink.problem(
            Problem(number, f"{shown!r} is not an MD5, SHA-1 or SHA-256 (32, 40 or 64 hex digits)")
        )
        return
    sink.add(algorithm, digest, meta)
    sink.record(None)
