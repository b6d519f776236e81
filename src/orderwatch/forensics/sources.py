"""Evidence sources: open a folder or disk image read-only, list every file in it, read any of them.

The only door to dfvfs, pytsk3 and pyewf (with its private `_source_*` modules). Images are read
through dfvfs path specs (image -> partition -> file system -> file); file systems TSK reads are
walked with TSK, so deleted and orphan files are listed too. Each FileRecord carries a locator (a
serialised path spec) that any process reopens with `open_file` and its own resolver context.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import posixpath
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from dfvfs.lib import definitions
from dfvfs.resolver import context as dfvfs_context
from dfvfs.resolver import resolver
from dfvfs.resolver_helpers import manager as resolver_helpers
from dfvfs.serializer import json_serializer

from orderwatch.forensics._source_dfvfs import DFVFS_ERRORS, DfvfsStream, entry_record, walk_dfvfs
from orderwatch.forensics._source_ewf import stored_hashes, verify_ewf
from orderwatch.forensics._source_folder import folder_record, walk_folder
from orderwatch.forensics._source_records import (
    SUPPORTED_FORMATS,
    FileRecord,
    SourceFormatError,
    SourceInfo,
    WalkError,
    error_text,
)
from orderwatch.forensics._source_tsk import (
    TskWalker,
    native_fs_info,
    open_tsk_stream,
    tsk_record_at,
)
from orderwatch.forensics._source_volumes import LayoutScanner, Volume, identify, new_spec
from orderwatch.forensics.parsers.interface import Artefact

__all__ = [
    "SUPPORTED_FORMATS",
    "EvidenceSource",
    "FileRecord",
    "ImageArtefact",
    "ResolverContext",
    "SourceFormatError",
    "SourceInfo",
    "WalkError",
    "artefact_for",
    "detect_format",
    "new_resolver_context",
    "open_file",
    "open_source",
]

_READ_BUFFER = 1024 * 1024


class ResolverContext:
    """Per-process reading state: a dfvfs resolver context and the file systems kept open in it.

    dfvfs caches open images and file systems only while something holds them; this keeps them
    held, so opening the next file costs an inode lookup, not a re-open of the image. After a
    fork the child starts afresh (open file handles must not be shared between processes).
    """

    def __init__(self) -> None:
        self._pid = os.getpid()
        self.dfvfs = dfvfs_context.Context()
        self._file_systems: dict[str, Any] = {}
        self._tsk: dict[str, Any] = {}

    def file_system(self, spec: Any) -> Any:
        """The open dfvfs file system for a file-system-level path spec (opened on first use)."""
        self._check_process()
        key = f"{spec.type_indicator}|{getattr(spec.parent, 'comparable', '')}"
        file_system = self._file_systems.get(key)
        if file_system is None:
            file_system = resolver.Resolver.OpenFileSystem(spec, resolver_context=self.dfvfs)
            self._file_systems[key] = file_system
        return file_system

    def tsk_fs_info(self, key: str, parent: dict[str, Any]) -> Any:
        """pytsk3's FS_Info for the volume a TSK locator names (its parent, as JSON fields).

        Looked up by `key`, the parent's JSON text: parsing a whole path spec for every file
        would cost more than opening the file.
        """
        self._check_process()
        fs_info = self._tsk.get(key)
        if fs_info is None:
            fs_info = native_fs_info(parent)
            if fs_info is not None:
                self._tsk[key] = fs_info
                return fs_info
            parent_spec = json_serializer.JsonPathSpecSerializer.ReadSerialized(json.dumps(parent))
            spec = new_spec(definitions.TYPE_INDICATOR_TSK, location="/", parent=parent_spec)
            fs_info = self._tsk[key] = self.file_system(spec).GetFsInfo()
        return fs_info

    def keep(self, spec: Any, file_system: Any) -> None:
        """Hold a file system opened elsewhere in this context (EvidenceSource's discovery)."""
        self._file_systems[f"{spec.type_indicator}|{getattr(spec.parent, 'comparable', '')}"] = (
            file_system
        )

    def close(self) -> None:
        self._tsk.clear()
        self._file_systems.clear()
        self.dfvfs.Empty()

    def _check_process(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self.dfvfs = dfvfs_context.Context()
            self._file_systems = {}
            self._tsk = {}


def new_resolver_context() -> ResolverContext:
    """One per worker process: pass it to every open_file() call made in that process."""
    return ResolverContext()


_default_context: ResolverContext | None = None


def _context(context: ResolverContext | None) -> ResolverContext:
    global _default_context
    if context is not None:
        return context
    if _default_context is None:
        _default_context = ResolverContext()
    return _default_context


def detect_format(path: Path) -> str:
    """folder | raw | split_raw | ewf | vhd | vhdx | vmdk | qcow2; SourceFormatError otherwise."""
    return identify(os.path.abspath(path), dfvfs_context.Context())[0]


def open_source(path: Path) -> EvidenceSource:
    """Open a source read-only and find its volumes; multi-segment sets are given by segment 1."""
    absolute = os.path.abspath(path)
    context = ResolverContext()
    source_format, media_spec = identify(absolute, context.dfvfs)
    return EvidenceSource(absolute, source_format, media_spec, context)


class EvidenceSource:
    """An opened source: `info` describes it, `walk()` lists its files, `verify()` checks an E01."""

    def __init__(self, path: str, source_format: str, media_spec: Any, context: ResolverContext):
        self.context = context
        self.verification_problem: str | None = None
        self._path = path
        self._volumes: list[Volume] = []
        self._errors: list[WalkError] = []
        self._closed = False
        if source_format == "folder":
            self.info = SourceInfo(path=path, format="folder", size=None)  # set by walk()
            return
        size = self._media_size(media_spec)
        md5 = sha1 = None
        if source_format == "ewf":
            try:
                md5, sha1 = stored_hashes(path)
            except OSError as error:
                self._errors.append(WalkError("/", "open_source", error_text(error)))
        if size is not None:
            layout = LayoutScanner(context.dfvfs).scan(media_spec)
            self._volumes = layout.volumes
            self._errors.extend(layout.errors)
            snapshots = layout.snapshots
            for volume in self._volumes:
                context.keep(volume.fs_spec, volume.file_system)
        else:
            snapshots = []
        self.info = SourceInfo(
            path=path,
            format=source_format,
            size=size or 0,
            md5=md5,
            sha1=sha1,
            volumes=[volume.label for volume in self._volumes],
            snapshots=snapshots,
        )

    def _media_size(self, media_spec: Any) -> int | None:
        try:
            media = resolver.Resolver.OpenFileObject(
                media_spec, resolver_context=self.context.dfvfs
            )
            return int(media.get_size())
        except DFVFS_ERRORS as error:
            self._errors.append(
                WalkError("/", "open_source", f"cannot open the image: {error_text(error)}")
            )
            return None

    def walk(self) -> Iterator[FileRecord | WalkError]:
        """Every regular file and data stream, allocated and deleted; problems as WalkErrors."""
        if self._closed:
            raise ValueError("walk() on a closed EvidenceSource")
        if self.info.format == "folder":  # its size is the total of what the walk finds
            total = 0
            for item in walk_folder(Path(self._path)):
                if isinstance(item, FileRecord):
                    total += item.size
                yield item
            self.info = dataclasses.replace(self.info, size=total)
            return
        yield from self._errors
        several = len(self._volumes) > 1
        for volume in self._volumes:
            prefix = f"/{volume.where}" if several else ""
            if volume.tsk:
                walker = TskWalker(
                    self._tsk_fs_info(volume),
                    volume.fs_spec.parent,
                    prefix,
                    self._volume_reader(volume),
                )
                yield from walker.walk()
            else:
                try:
                    root = volume.file_system.GetRootFileEntry()
                except DFVFS_ERRORS as error:
                    yield WalkError(prefix or "/", "walk", error_text(error))
                    continue
                yield from walk_dfvfs(root, prefix)

    def _tsk_fs_info(self, volume: Volume) -> Any:
        """The volume's file system for the walk: read natively where the workers read it so
        (raw, E01; see native_fs_info), through dfvfs otherwise. Same file system, same inodes."""
        serialized = json_serializer.JsonPathSpecSerializer.WriteSerialized(volume.fs_spec.parent)
        native = native_fs_info(json.loads(serialized))
        return native if native is not None else volume.file_system.GetFsInfo()

    def _volume_reader(self, volume: Volume) -> Callable[[int, int], bytes]:
        """Reads bytes of the volume under a file system (FAT directory entries, for attributes)."""
        try:
            volume_object = resolver.Resolver.OpenFileObject(
                volume.fs_spec.parent, resolver_context=self.context.dfvfs
            )
        except DFVFS_ERRORS:
            volume_object = None

        def read_at(offset: int, size: int) -> bytes:
            if volume_object is None:
                raise OSError("volume not readable")
            volume_object.seek(offset)
            return bytes(volume_object.read(size))

        return read_at

    def verify(self, progress: Callable[[int], None] | None = None) -> bool | None:
        """Recompute an E01's stored MD5/SHA-1 over its media; None when the format stores none.

        `progress` gets the number of bytes read since its last call. The outcome is also kept
        in `info.verified`, and the reason it is not True in `verification_problem`.
        """
        if self.info.format != "ewf":
            return None
        outcome = verify_ewf(self._path, progress)
        self.verification_problem = outcome.problem
        self.info = dataclasses.replace(self.info, verified=outcome.verified)
        return outcome.verified

    def close(self) -> None:
        self._volumes = []
        self._closed = True
        self.context.close()

    def __enter__(self) -> EvidenceSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_file(locator: str, context: ResolverContext | None = None) -> BinaryIO:
    """A read-only stream of a FileRecord's content; OSError when it cannot be read."""
    if not locator.startswith("{"):
        return open(locator, "rb")
    ctx = _context(context)
    try:
        fields = json.loads(locator)
        if fields.get("type_indicator") == definitions.TYPE_INDICATOR_TSK:
            # Keys are sorted and quotes inside strings escaped: the first `"parent": ` is the
            # top-level key, and the text from there on names the volume.
            fs_info = ctx.tsk_fs_info(locator[locator.index('"parent": ') :], fields["parent"])
            inode, stream = int(fields["inode"]), fields.get("data_stream")
            raw: io.RawIOBase = open_tsk_stream(fs_info, inode, stream)
        else:
            spec = json_serializer.JsonPathSpecSerializer.ReadSerialized(locator)
            ctx.file_system(new_spec(spec.type_indicator, location="/", parent=spec.parent))
            helper = resolver_helpers.ResolverHelperManager.GetHelper(spec.type_indicator)
            file_object = helper.NewFileObject(ctx.dfvfs, spec)
            file_object.Open()
            raw = DfvfsStream(file_object)
    except OSError:
        raise
    except (*DFVFS_ERRORS, KeyError, TypeError) as error:
        raise OSError(f"cannot open {_where(locator)}: {error_text(error)}") from error
    return io.BufferedReader(raw, buffer_size=_READ_BUFFER)


def _where(locator: str) -> str:
    return locator if len(locator) < 200 else locator[:200] + "..."


class ImageArtefact(Artefact):
    """A file inside an evidence source, handed to artefact parsers (see parsers.interface)."""

    def __init__(self, record: FileRecord, context: ResolverContext | None = None) -> None:
        self.record = record
        self.path = record.path
        self._context = context

    def open(self) -> BinaryIO:
        return open_file(self.record.locator, self._context)

    def size(self) -> int:
        return self.record.size

    def sibling(self, name: str) -> Artefact | None:
        if "/" in name or name in ("", ".", ".."):
            return None
        record = _sibling_record(self.record, name, _context(self._context))
        return None if record is None else ImageArtefact(record, self._context)


def artefact_for(source: EvidenceSource, record: FileRecord) -> Artefact:
    """The Artefact over one record of `source`, read through the source's own context."""
    return ImageArtefact(record, source.context)


def _sibling_record(record: FileRecord, name: str, ctx: ResolverContext) -> FileRecord | None:
    """The allocated file called `name` in the same folder as `record`, or None."""
    path = posixpath.join(posixpath.dirname(record.path), name)
    if not record.locator.startswith("{"):
        candidate = os.path.join(os.path.dirname(record.locator), name)
        try:
            st = os.stat(candidate, follow_symlinks=False)
        except OSError:
            return None
        if not os.path.isfile(candidate) or os.path.islink(candidate):
            return None
        return dataclasses.replace(
            folder_record(os.path.dirname(candidate), candidate, st), path=path
        )
    try:
        spec = json_serializer.JsonPathSpecSerializer.ReadSerialized(record.locator)
        location = posixpath.join(posixpath.dirname(spec.location or "/"), name)
        prefix = record.path[: len(record.path) - len(_own_part(record.path, spec))]
        if spec.type_indicator == definitions.TYPE_INDICATOR_TSK:
            file_system = ctx.file_system(
                new_spec(definitions.TYPE_INDICATOR_TSK, location="/", parent=spec.parent)
            )
            return tsk_record_at(file_system.GetFsInfo(), spec.parent, prefix, location)
        file_system = ctx.file_system(
            new_spec(spec.type_indicator, location="/", parent=spec.parent)
        )
        entry = file_system.GetFileEntryByPathSpec(
            new_spec(spec.type_indicator, location=location, parent=spec.parent)
        )
        if entry is None or not entry.IsFile():
            return None
        return entry_record(entry, path)
    except DFVFS_ERRORS:
        return None


def _own_part(path: str, spec: Any) -> str:
    """The part of a record path that belongs to the file system (its location and stream)."""
    stream = getattr(spec, "data_stream", None)
    return f"{spec.location}:{stream}" if stream else str(spec.location)
