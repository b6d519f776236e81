"""Readers of hash-set inputs: detect the format of a file and feed its records to a sink."""

from __future__ import annotations

from pathlib import Path

from orderwatch.domain.errors import Problem
from orderwatch.forensics.hashsets.digests import ALGORITHM_BY_HEX_LENGTH
from orderwatch.forensics.hashsets.importers.nsrl import read_nsrl
from orderwatch.forensics.hashsets.importers.plain import read_plain
from orderwatch.forensics.hashsets.importers.tabular import read_csv
from orderwatch.forensics.hashsets.importers.vics import read_vics
from orderwatch.forensics.hashsets.model import HashSetFormatError, ProgressCallback
from orderwatch.forensics.hashsets.owhs import MAGIC
from orderwatch.forensics.hashsets.sink import RecordSink

SQLITE_MAGIC = b"SQLite format 3\x00"
FORMAT_NAMES = {
    "vics": "Project VIC VICS JSON",
    "csv": "CAID-style CSV",
    "plain": "plain MD5/SHA-1/SHA-256 list",
    "nsrl": "NSRL RDS v3 SQLite (known good)",
    "owhs": "orderwatch hash-set index",
}

__all__ = ["FORMAT_NAMES", "detect_format", "read_input"]


def detect_format(path: Path) -> str:
    """One of FORMAT_NAMES' keys, from the file's first bytes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16)
    except OSError as error:
        raise HashSetFormatError(
            str(path), [Problem(0, f"cannot read: {error.strerror}")]
        ) from None
    if head.startswith(MAGIC):
        return "owhs"
    if head.startswith(SQLITE_MAGIC):
        return "nsrl"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{"):
        return "vics"
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(b"#"):
            continue
        token = stripped.split()[0]
        if len(token) in ALGORITHM_BY_HEX_LENGTH and _is_ascii_hex(token):
            return "plain"
        return "csv"
    return "plain"


def _is_ascii_hex(token: bytes) -> bool:
    try:
        bytes.fromhex(token.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def read_input(
    path: Path, sink: RecordSink, progress: ProgressCallback | None = None
) -> dict[str, object]:
    """Read one input into the sink; returns what the format reader learnt (format, version)."""
    fmt = detect_format(path)
    if fmt == "owhs":
        raise HashSetFormatError(
            str(path), [Problem(0, "already an orderwatch index; load it, do not rebuild it")]
        )
    reader = {"vics": read_vics, "csv": read_csv, "plain": read_plain, "nsrl": read_nsrl}[fmt]
    details = reader(path, sink, progress)
    return {"format": fmt, **details}
