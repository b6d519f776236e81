"""What an evidence walk yields: file records, per-item errors, and the source's own description.

Plain dataclasses with no back-end imports, so every `_source_*` module and the triage pipeline
share them; `orderwatch.forensics.sources` re-exports them as the public API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from orderwatch.domain.errors import OrderwatchError

SUPPORTED_FORMATS = (
    "folder",
    "raw/dd (.dd .raw .img, or a disk/volume recognised by content)",
    "split raw (.001 .002 ... / .aa .ab ...)",
    "E01/Ex01 (multi-segment)",
    "VHD",
    "VHDX",
    "VMDK",
    "QCOW2",
)


class SourceFormatError(OrderwatchError):
    """The source is missing or not a format orderwatch reads; the message lists those it does."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem} (supported: {', '.join(SUPPORTED_FORMATS)})")


@dataclass(frozen=True)
class SourceInfo:
    """One evidence source as a report describes it (DESIGN.md `sources[]`, plus its layout)."""

    path: str
    format: str  # folder | raw | split_raw | ewf | vhd | vhdx | vmdk | qcow2
    size: int | None  # media size in bytes; for a folder, its files' total, known once walked
    md5: str | None = None  # stored in the container (E01) when present
    sha1: str | None = None
    verified: bool | None = None  # None: nothing stored to verify against (or not yet verified)
    volumes: list[str] = field(default_factory=list)  # "p1 (NTFS)", "whole (FAT32)"
    snapshots: list[str] = field(default_factory=list)  # "vss1 2013-12-03T06:35:09Z"


@dataclass(frozen=True)
class FileRecord:
    """One regular file (or NTFS alternate data stream) of a source, deleted or not."""

    path: str  # POSIX, "/p1/..." only when the source has more than one volume; ADS "path:stream"
    size: int
    deleted: bool
    inode: int | None
    mtime: datetime | None
    atime: datetime | None
    ctime: datetime | None
    btime: datetime | None
    hidden: bool
    system: bool
    locator: str  # dfvfs JSON path spec, or an OS path for folders: reopen with open_file()


@dataclass(frozen=True)
class WalkError:
    """A per-item failure during a walk: recorded, and the walk carries on."""

    path: str
    stage: str  # open_source | volume | walk | read
    message: str


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_from_posix(seconds: int | float | None, nanoseconds: int = 0) -> datetime | None:
    """A UTC datetime from a POSIX time; 0 and None mean "not recorded" in every back-end here."""
    if not seconds and not nanoseconds:
        return None
    try:
        return _EPOCH + timedelta(seconds=int(seconds or 0), microseconds=int(nanoseconds) // 1000)
    except (OverflowError, ValueError):
        return None


_CHAIN_PREFIX = "Unable to process source path specification with error: "


def error_text(error: BaseException) -> str:
    """A back-end error in one short line.

    libyal errors chain "call: message." parts from the outer call inwards; the binding's part and
    the innermost cause (the first two parts) say what failed and why.
    """
    text = (str(error).strip() or type(error).__name__).splitlines()[0]
    text = text.removeprefix(_CHAIN_PREFIX).strip("'\" ")
    parts = text.split(". ")
    if len(parts) > 2:
        text = ". ".join(parts[:2]) + "."
    return text if len(text) <= 240 else text[:237] + "..."
