"""Walk and read a file system through dfvfs' own back-ends (APFS, XFS, and where TSK cannot).

These back-ends see allocated files only: there is no inode sweep for deleted files here.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dfvfs.lib import errors as dfvfs_errors
from dfvfs.serializer import json_serializer

from orderwatch.forensics._source_records import FileRecord, WalkError, error_text

_ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?")
DFVFS_ERRORS = (OSError, RuntimeError, ValueError, dfvfs_errors.Error)


def _utc(value: Any) -> datetime | None:
    """A dfdatetime value as a UTC datetime (microseconds), or None when not set."""
    if value is None:
        return None
    try:
        text = value.CopyToDateTimeStringISO8601()
    except (AttributeError, ValueError, OverflowError):
        return None
    match = _ISO.match(text or "")
    if not match:
        return None
    fraction = (match.group(2) or "0")[:6].ljust(6, "0")
    stamp = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC)
    return stamp.replace(microsecond=int(fraction))


def entry_record(entry: Any, path: str) -> FileRecord:
    """The record of one dfvfs file entry (default data stream)."""
    spec = entry.path_spec
    inode = getattr(spec, "identifier", None)
    if inode is None:
        inode = getattr(spec, "inode", None)
    name = path.rsplit("/", 1)[-1]
    return FileRecord(
        path=path,
        size=int(entry.size or 0),
        deleted=not entry.IsAllocated(),
        inode=None if inode is None else int(inode),
        mtime=_utc(entry.modification_time),
        atime=_utc(entry.access_time),
        ctime=_utc(entry.change_time),
        btime=_utc(entry.creation_time),
        hidden=name.startswith("."),
        system=False,
        locator=str(json_serializer.JsonPathSpecSerializer.WriteSerialized(spec)),
    )


def walk_dfvfs(root: Any, prefix: str) -> Iterator[FileRecord | WalkError]:
    """Every regular file under the root file entry, depth first in name order."""
    pending: list[tuple[Any, str]] = [(root, "")]
    while pending:
        directory, location = pending.pop()
        try:
            entries = sorted(directory.sub_file_entries, key=lambda e: e.name or "")
        except DFVFS_ERRORS as error:
            yield WalkError(f"{prefix}{location}" or "/", "walk", error_text(error))
            continue
        subdirectories = []
        for entry in entries:
            child = f"{location}/{entry.name}"
            try:
                if entry.IsDirectory():
                    subdirectories.append((entry, child))
                elif entry.IsFile():
                    yield entry_record(entry, f"{prefix}{child}")
            except DFVFS_ERRORS as error:
                yield WalkError(f"{prefix}{child}", "walk", error_text(error))
        pending.extend(reversed(subdirectories))


class DfvfsStream(io.RawIOBase):
    """A read-only, seekable stream over a dfvfs file object."""

    def __init__(self, file_object: Any) -> None:
        super().__init__()
        self._file = file_object
        self._size = int(file_object.get_size())

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return int(self._file.get_offset())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._file.seek(offset, whence)
        return int(self._file.get_offset())

    def readinto(self, buffer: Any) -> int:
        data = self._file.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        return count

    def close(self) -> None:
        self._file = None
        super().close()
