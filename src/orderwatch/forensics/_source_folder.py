"""Walk a folder (a mounted device) with os.scandir: fast, no symlinks followed, errors kept."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from orderwatch.forensics._source_records import FileRecord, WalkError, utc_from_posix

_NS = 1_000_000_000


def _relative(root: str, path: str) -> str:
    """`path` below `root` as "/a/b". The walk's paths all start with root + separator, so a
    slice does (os.path.relpath costs ~30 us a file, a tenth of the parent's walking time)."""
    if path == root:
        return "/"
    if path.startswith(root + os.sep):
        relative = path[len(root) :]
    else:
        relative = "/" + os.path.relpath(path, root)
    return relative if os.sep == "/" else relative.replace(os.sep, "/")


def folder_record(root: str, path: str, st: os.stat_result) -> FileRecord:
    """The record of one regular file; a leading dot is what "hidden" means on POSIX."""
    name = os.path.basename(path)
    birth = getattr(st, "st_birthtime", None)  # present on BSD/macOS only
    return FileRecord(
        path=_relative(root, path),
        size=st.st_size,
        deleted=False,
        inode=st.st_ino or None,
        mtime=utc_from_posix(st.st_mtime_ns // _NS, st.st_mtime_ns % _NS),
        atime=utc_from_posix(st.st_atime_ns // _NS, st.st_atime_ns % _NS),
        ctime=utc_from_posix(st.st_ctime_ns // _NS, st.st_ctime_ns % _NS),
        btime=None if birth is None else utc_from_posix(int(birth), int(birth % 1 * _NS)),
        hidden=name.startswith("."),
        system=False,
        locator=path,
    )


def walk_folder(root: Path) -> Iterator[FileRecord | WalkError]:
    """Every regular file under `root`, depth first in name order; unreadable folders are errors."""
    top = os.path.abspath(root)
    pending = [top]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            yield WalkError(_relative(top, directory), "walk", _os_message(error))
            continue
        subdirectories = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    subdirectories.append(entry.path)
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue  # symlinks, sockets, devices, FIFOs: not file content
                st = entry.stat(follow_symlinks=False)
            except OSError as error:
                yield WalkError(_relative(top, entry.path), "walk", _os_message(error))
                continue
            if stat.S_ISREG(st.st_mode):
                yield folder_record(top, entry.path, st)
        pending.extend(reversed(subdirectories))


def _os_message(error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"{reason} (errno {error.errno})" if error.errno else reason
