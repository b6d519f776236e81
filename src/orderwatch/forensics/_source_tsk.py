"""Walk and read one file system through The Sleuth Kit (pytsk3): allocated, deleted, orphan.

Deleted files come from TSK twice over: deleted names in directories, and its `$OrphanFiles`
virtual folder, which TSK fills by sweeping every inode for unallocated ones no name points to.
NTFS named `$DATA` streams become records of their own ("path:stream").
"""

from __future__ import annotations

import calendar
import io
import json
import mmap
import re
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytsk3
from dfvfs.serializer import json_serializer

from orderwatch.forensics._source_records import FileRecord, WalkError, error_text, utc_from_posix

_REG = int(pytsk3.TSK_FS_META_TYPE_REG)
_DIR = int(pytsk3.TSK_FS_META_TYPE_DIR)
_VIRT_DIR = int(pytsk3.TSK_FS_META_TYPE_VIRT_DIR)
_META_ALLOC = int(pytsk3.TSK_FS_META_FLAG_ALLOC)
_NAME_ALLOC = int(pytsk3.TSK_FS_NAME_FLAG_ALLOC)
_NTFS_DATA = int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA)
_NTFS_SI = int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_SI)
_HFS_RSRC = int(pytsk3.TSK_FS_ATTR_TYPE_HFS_RSRC)
_ORPHANS = "$OrphanFiles"
_BADCLUS_INODE = 8  # NTFS $BadClus; its "$Bad" stream spans the whole volume (see walk_entry)

FS_NAMES = {
    int(pytsk3.TSK_FS_TYPE_NTFS): "NTFS",
    int(pytsk3.TSK_FS_TYPE_FAT12): "FAT12",
    int(pytsk3.TSK_FS_TYPE_FAT16): "FAT16",
    int(pytsk3.TSK_FS_TYPE_FAT32): "FAT32",
    int(pytsk3.TSK_FS_TYPE_EXFAT): "exFAT",
    int(pytsk3.TSK_FS_TYPE_EXT2): "ext2",
    int(pytsk3.TSK_FS_TYPE_EXT3): "ext3",
    int(pytsk3.TSK_FS_TYPE_EXT4): "ext4",
    int(pytsk3.TSK_FS_TYPE_HFS): "HFS+",
    int(pytsk3.TSK_FS_TYPE_ISO9660): "ISO9660",
    int(pytsk3.TSK_FS_TYPE_FFS1): "UFS1",
    int(pytsk3.TSK_FS_TYPE_FFS1B): "UFS1",
    int(pytsk3.TSK_FS_TYPE_FFS2): "UFS2",
}
_FAT = {"FAT12", "FAT16", "FAT32"}
_FAT_HIDDEN, _FAT_SYSTEM, _FAT_DIRECTORY = 0x02, 0x04, 0x10
_NTFS_HIDDEN, _NTFS_SYSTEM = 0x02, 0x04

ReadAt = Callable[[int, int], bytes]
# What reading a file system can raise: TSK's own errors, and image readers' errors wrapped by
# pytsk3 (see read_error_text).
READ_ERRORS = (OSError, RuntimeError)


def fs_name(fs_info: Any) -> str:
    """A short, familiar name of the file system TSK opened ("NTFS", "FAT32", "ext4"...)."""
    return FS_NAMES.get(int(fs_info.info.ftype), "unknown")


class TskWalker:
    """Yields the records of one TSK file system; `prefix` is the volume's path prefix or ""."""

    def __init__(self, fs_info: Any, parent_spec: Any, prefix: str, read_volume: ReadAt) -> None:
        self._fs = fs_info
        self._parent_json = json_serializer.JsonPathSpecSerializer.WriteSerialized(parent_spec)
        self._prefix = prefix
        self._kind = fs_name(fs_info)
        self._fat_entries_at = _fat_directory_area(read_volume) if self._kind in _FAT else None
        self._read_volume = read_volume
        self._emitted_deleted: set[int] = set()

    def walk(self) -> Iterator[FileRecord | WalkError]:
        """Depth first from the root; `$OrphanFiles` last so names found first win."""
        root = int(self._fs.info.root_inum)
        pending: list[tuple[int, str, bool]] = [(root, "", False)]
        seen_dirs = {root}
        orphans: list[tuple[int, str, bool]] = []
        while pending or orphans:
            inode, location, deleted_dir = pending.pop() if pending else orphans.pop()
            try:
                directory = self._fs.open_dir(inode=inode)
                entries = list(directory)
            except READ_ERRORS as error:
                if not deleted_dir:  # a deleted folder's inode may be reused: expected, quiet
                    yield WalkError(self._path(location or "/"), "walk", read_error_text(error))
                continue
            subdirectories: list[tuple[int, str, bool]] = []
            for entry in entries:
                try:
                    yield from self._entry(entry, location, subdirectories, seen_dirs, orphans)
                except (*READ_ERRORS, UnicodeError) as error:
                    name = _name(entry)
                    where = self._path(f"{location}/{name}")
                    yield WalkError(where, "walk", read_error_text(error))
            pending.extend(reversed(subdirectories))

    def _entry(
        self,
        entry: Any,
        location: str,
        subdirectories: list[tuple[int, str, bool]],
        seen_dirs: set[int],
        orphans: list[tuple[int, str, bool]],
    ) -> Iterator[FileRecord]:
        name = _name(entry)
        if name in (".", ".."):
            return
        name_allocated = bool(int(entry.info.name.flags) & _NAME_ALLOC)
        meta = entry.info.meta
        if meta is None:  # TSK leaves it unloaded for orphans; a zero address means it is gone
            address = int(entry.info.name.meta_addr)
            if not address:
                return
            entry = self._fs.open_meta(inode=address)
            meta = entry.info.meta
            if meta is None:
                return
        meta_allocated = bool(int(meta.flags) & _META_ALLOC)
        if not name_allocated and meta_allocated:
            return  # "realloc": the inode now belongs to another file, listed under its own name
        deleted = not (name_allocated and meta_allocated)
        kind = int(meta.type)
        child = f"{location}/{name}"
        inode = int(meta.addr)
        if kind == _VIRT_DIR and name == _ORPHANS and not location:
            orphans.append((inode, child, True))
            return
        if kind == _DIR:
            if self._kind == "NTFS":
                yield from self._records(entry, meta, child, deleted, streams_only=True)
            if inode not in seen_dirs:
                seen_dirs.add(inode)
                subdirectories.append((inode, child, deleted))
            return
        if kind != _REG:
            return  # links, devices, TSK's virtual $MBR/$FAT1 files
        if self._kind in _FAT and name.endswith("(Volume Label Entry)") and not int(meta.size):
            return
        if deleted:
            if inode in self._emitted_deleted:
                return
            self._emitted_deleted.add(inode)
        yield from self._records(entry, meta, child, deleted, streams_only=False)

    def _records(
        self, entry: Any, meta: Any, location: str, deleted: bool, streams_only: bool
    ) -> Iterator[FileRecord]:
        """The file's record, then one per named data stream (NTFS ADS, HFS+ resource fork)."""
        inode = int(meta.addr)
        name = location.rsplit("/", 1)[-1]
        hidden, system = name.startswith("."), False
        streams: list[tuple[str, int]] = []
        size = int(meta.size)
        if self._kind == "NTFS":
            flags = None
            unnamed_data = False
            for attribute in entry:
                info = attribute.info
                kind = int(info.type)
                if kind == _NTFS_SI and flags is None:
                    data = entry.read_random(0, 56, info.type, info.id)
                    flags = struct.unpack_from("<I", data, 32)[0] if len(data) >= 36 else 0
                elif kind == _NTFS_DATA and not info.name:
                    unnamed_data = True
                elif kind == _NTFS_DATA:
                    stream = info.name.decode("utf-8", "replace")
                    if not (inode == _BADCLUS_INODE and stream == "$Bad"):
                        streams.append((stream, int(info.size)))
            # Like fls: a file whose only content is named streams ($Secure) is listed by those.
            streams_only = streams_only or (bool(streams) and not unnamed_data)
            hidden = bool((flags or 0) & _NTFS_HIDDEN)
            system = bool((flags or 0) & _NTFS_SYSTEM)
        elif self._kind == "HFS+":
            for attribute in entry:
                if int(attribute.info.type) == _HFS_RSRC and int(attribute.info.size):
                    streams.append(("rsrc", int(attribute.info.size)))
        elif self._fat_entries_at is not None:
            hidden, system = self._fat_flags(inode, meta, is_dir=False)
        time = self._time
        record = FileRecord(
            path=self._path(location),
            size=size,
            deleted=deleted,
            inode=inode,
            mtime=time(meta.mtime, getattr(meta, "mtime_nano", 0)),
            atime=time(meta.atime, getattr(meta, "atime_nano", 0)),
            ctime=time(meta.ctime, getattr(meta, "ctime_nano", 0)),
            btime=time(meta.crtime, getattr(meta, "crtime_nano", 0)),
            hidden=hidden,
            system=system,
            locator=self._locator(inode, location, None),
        )
        if not streams_only:
            yield record
        for stream, stream_size in streams:
            yield replace(
                record,
                path=self._path(f"{location}:{stream}"),
                size=stream_size,
                locator=self._locator(inode, location, stream),
            )

    def _time(self, seconds: int, nanoseconds: int) -> datetime | None:
        """UTC from TSK; FAT's zone-less wall-clock times are given as if they were UTC.

        TSK turns FAT times into POSIX time with mktime(), i.e. in this process's time zone;
        localtime() undoes that, so the result does not depend on where the tool runs.
        """
        if seconds and self._kind in _FAT:
            seconds = calendar.timegm(time.localtime(int(seconds)))
        return utc_from_posix(seconds, nanoseconds)

    def _fat_flags(self, inode: int, meta: Any, is_dir: bool) -> tuple[bool, bool]:
        """Hidden and system bits from the 32-byte directory entry TSK numbers the inode after.

        TSK gives FAT inodes in order of directory-entry slot from the first root directory sector
        (inode 3 is slot 0); the entry is checked against the type TSK reports before it is used.
        """
        fallback = (not int(meta.mode) & 0o222, False)  # TSK drops write bits for hidden files
        if self._fat_entries_at is None or inode < 3:
            return fallback
        try:
            entry = self._read_volume(self._fat_entries_at + (inode - 3) * 32, 32)
        except OSError:
            return fallback
        if len(entry) != 32 or entry[11] == 0x0F or bool(entry[11] & _FAT_DIRECTORY) != is_dir:
            return fallback
        return bool(entry[11] & _FAT_HIDDEN), bool(entry[11] & _FAT_SYSTEM)

    def _path(self, location: str) -> str:
        return f"{self._prefix}{location}" if location else (self._prefix or "/")

    def _locator(self, inode: int, location: str, stream: str | None) -> str:
        """dfvfs' JSON form of a TSK path spec, written directly: serialising a path spec object
        per file would cost more than the rest of the walk."""
        head = '{"__type__": "PathSpec", '
        if stream:
            head += f'"data_stream": {json.dumps(stream)}, '
        return (
            f'{head}"inode": {inode}, "location": {json.dumps(location or "/")}, '
            f'"parent": {self._parent_json}, "type_indicator": "TSK"}}'
        )


def _fat_directory_area(read_volume: ReadAt) -> int | None:
    """Byte offset of the first directory sector TSK counts inodes from (FAT12/16/32)."""
    try:
        boot = read_volume(0, 512)
    except OSError:
        return None
    if len(boot) < 512:
        return None
    bytes_per_sector, _, reserved, fats = struct.unpack_from("<HBHB", boot, 11)
    fat_size = struct.unpack_from("<H", boot, 22)[0] or struct.unpack_from("<I", boot, 36)[0]
    if not bytes_per_sector or not fats or not fat_size:
        return None
    return int((reserved + fats * fat_size) * bytes_per_sector)


def _name(entry: Any) -> str:
    raw = entry.info.name.name
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class TskStream(io.RawIOBase):
    """A read-only, seekable stream over one TSK file or one of its named data streams."""

    def __init__(self, tsk_file: Any, attribute: tuple[int, int] | None, size: int) -> None:
        super().__init__()
        self._file = tsk_file
        self._attribute = attribute
        self._size = size
        self._offset = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._offset

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._offset, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("negative seek position")
        self._offset = base + offset
        return self._offset

    def readinto(self, buffer: Any) -> int:
        wanted = min(len(buffer), self._size - self._offset)
        if wanted <= 0:
            return 0
        try:
            if self._attribute is None:
                data = self._file.read_random(self._offset, wanted)
            else:
                data = self._file.read_random(self._offset, wanted, *self._attribute)
        except RuntimeError as error:  # an image reader's own OSError, wrapped by pytsk3
            raise OSError(read_error_text(error)) from error
        if not data:
            raise OSError(f"no data at offset {self._offset} of {self._size}")
        count = len(data)
        buffer[:count] = data
        self._offset += count
        return count

    def close(self) -> None:
        self._file = None
        super().close()


class TskMappedStream(TskStream):
    """A file of a raw image read straight from the image's memory map, without a copy.

    Sleuth Kit's read copies a file's blocks out of the image (and the stream again into the
    reader's buffer); where the file's blocks are plain extents of a raw image, `direct_chunk`
    hands out views of the mapped image instead (hash_streams uses it), and readinto copies from
    the map. The extents are (offset in the file, offset in the image, length), in file order,
    covering the file exactly."""

    def __init__(
        self,
        tsk_file: Any,
        attribute: tuple[int, int] | None,
        size: int,
        mapped: memoryview,
        extents: list[tuple[int, int, int]],
    ) -> None:
        super().__init__(tsk_file, attribute, size)
        self._mapped = mapped
        self._extents = extents
        self._extent = 0  # index of the extent holding (or after) the offset

    def direct_chunk(self, want: int) -> memoryview:
        """Up to `want` bytes at the current offset (fewer at an extent's end), as a view."""
        offset = self._offset
        if offset >= self._size or want <= 0:
            return self._mapped[0:0]
        extents = self._extents
        index = self._extent
        if not extents[index][0] <= offset < extents[index][0] + extents[index][2]:
            index = next(
                i for i, (start, _, length) in enumerate(extents) if start + length > offset
            )
            self._extent = index
        start, at, length = extents[index]
        count = min(want, start + length - offset)
        self._offset = offset + count
        if self._offset == start + length and index + 1 < len(extents):
            self._extent = index + 1
        begin = at + offset - start
        return self._mapped[begin : begin + count]

    def readinto(self, buffer: Any) -> int:
        chunk = self.direct_chunk(len(buffer))
        count = len(chunk)
        buffer[:count] = chunk
        return count

    def close(self) -> None:
        self._mapped = memoryview(b"")
        super().close()


class _RawVolume:
    """A file system in a single-file raw image, whose allocated files' extents can be mapped."""

    def __init__(self, fs_info: Any, path: str, offset: int) -> None:
        self._fs_info = fs_info  # kept alive: its id is this object's key in _MAPPABLE
        self._path = path
        self._offset = offset
        self._block = int(fs_info.info.block_size)
        self._map: memoryview | None = None
        self._tried = False

    def mapped(self) -> memoryview | None:
        """The whole image mapped read-only (once per process); None when it cannot be."""
        if not self._tried:
            self._tried = True
            try:
                with open(self._path, "rb") as image:
                    self._map = memoryview(mmap.mmap(image.fileno(), 0, prot=mmap.PROT_READ))
            except (OSError, ValueError):
                self._map = None
        return self._map

    def extents(self, tsk_file: Any, meta: Any) -> list[tuple[int, int, int]] | None:
        """The byte extents of an allocated file's one plain data attribute, or None (deleted,
        resident, compressed, encrypted, sparse, several candidate attributes: TSK reads it)."""
        size = int(meta.size)
        if not int(meta.flags) & _META_ALLOC or size <= 0:
            return None
        found = None
        for attribute in tsk_file:
            info = attribute.info
            if info.name or int(info.type) not in _DATA_ATTRIBUTES:
                continue
            if found is not None:
                return None
            found = attribute
        if found is None:
            return None
        info = found.info
        flags = int(info.flags)
        if flags & _NOT_PLAIN or not flags & _NONRES or int(info.size) != size:
            return None
        extents: list[tuple[int, int, int]] = []
        covered = 0
        block = self._block
        for run in found:
            if covered >= size:  # ext2/3 list their unused direct blocks as sparse runs
                break
            if int(run.flags) != 0 or int(run.offset) * block != covered:
                return None
            length = min(int(run.len) * block, size - covered)
            extents.append((covered, self._offset + int(run.addr) * block, length))
            covered += length
        return extents if covered == size else None


# File systems of raw images whose files may be read from the mapped image, by id of FS_Info
# (each entry holds its FS_Info, so the id cannot be reused while it is here). A long-lived
# process keeps only the latest few: the others' images are unmapped, their files read by TSK.
_MAPPABLE: dict[int, _RawVolume] = {}
_MAPPABLE_KEPT = 16
# Those where a file's data is exactly its extents. NTFS and exFAT are not among them: past a
# file's initialised size (valid data length) TSK reads zeros whatever the blocks hold, and
# pytsk3 does not tell that size.
_MAPPABLE_FILE_SYSTEMS = frozenset(
    {"ext2", "ext3", "ext4", "FAT12", "FAT16", "FAT32", "HFS+", "ISO9660", "UFS1", "UFS2"}
)
_DATA_ATTRIBUTES = frozenset(
    {
        int(pytsk3.TSK_FS_ATTR_TYPE_DEFAULT),
        int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA),
        int(pytsk3.TSK_FS_ATTR_TYPE_HFS_DATA),
    }
)
_NONRES = int(pytsk3.TSK_FS_ATTR_NONRES)
_NOT_PLAIN = (
    int(pytsk3.TSK_FS_ATTR_COMP) | int(pytsk3.TSK_FS_ATTR_ENC) | int(pytsk3.TSK_FS_ATTR_SPARSE)
)


class _SystemEwfImage(pytsk3.Img_Info):
    """An E01 set as Sleuth Kit's image: reads go to the system libewf (see _source_libewf)."""

    def __init__(self, ewf: Any) -> None:
        self._ewf = ewf
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def read(self, offset: int, size: int) -> bytes:
        return self._ewf.read_at(offset, size)

    def get_size(self) -> int:
        return int(self._ewf.size)

    def close(self) -> None:
        self._ewf.close()


def native_fs_info(parent: dict[str, Any]) -> Any | None:
    """The file system read without dfvfs's Python image objects, when `parent` (a TSK path
    spec's parent, as JSON fields) is a single-file raw image or an E01 set the system libewf
    opens, directly or as an MBR or GPT partition of one; None for anything else (split raw,
    VHD, QCOW2... stay with dfvfs).

    Raw images are read by Sleuth Kit's own raw reader: dfvfs's Python image object, which TSK
    calls back for every run, costs two extra copies and a Python call per run. E01 sets are
    read by the system libewf, which inflates with zlib about four times faster than the
    libewf-python wheel.
    """
    partition: dict[str, Any] | None = None
    spec = parent
    if spec.get("type_indicator") in ("TSK_PARTITION", "GPT"):
        partition, spec = spec, spec.get("parent") or {}
    kind = spec.get("type_indicator")
    image = spec.get("parent") or {}
    path = image.get("location")
    if kind not in ("RAW", "EWF") or image.get("type_indicator") != "OS" or image.get("parent"):
        return None
    if not isinstance(path, str):
        return None
    try:
        if kind == "EWF":
            from orderwatch.forensics._source_ewf import ewf_segments
            from orderwatch.forensics._source_libewf import SystemEwf

            ewf = SystemEwf.open(ewf_segments(path))
            if ewf is None:
                return None
            media: Any = _SystemEwfImage(ewf)
        else:
            import pysmraw

            if pysmraw.glob(path) != [path]:  # split raw: let dfvfs join the segments
                return None
            media = pytsk3.Img_Info(url=path, type=pytsk3.TSK_IMG_TYPE_RAW)
        offset = _partition_offset(partition, media) if partition is not None else 0
        if offset is None:
            return None
        fs_info = pytsk3.FS_Info(media, offset=offset)
    except OSError:  # dfvfs will open it, or say why it cannot
        return None
    if kind == "RAW" and fs_name(fs_info) in _MAPPABLE_FILE_SYSTEMS:
        _MAPPABLE[id(fs_info)] = _RawVolume(fs_info, path, offset)
        while len(_MAPPABLE) > _MAPPABLE_KEPT:  # the oldest go back to Sleuth Kit's reads
            del _MAPPABLE[next(iter(_MAPPABLE))]
    return fs_info


def _partition_offset(partition: dict[str, Any], media: Any) -> int | None:
    """Where an MBR (its spec says) or GPT (its table says) partition starts in the media."""
    if partition.get("type_indicator") == "TSK_PARTITION":
        start = partition.get("start_offset")
        return start if isinstance(start, int) else None
    index = partition.get("entry_index")
    location = str(partition.get("location") or "")
    if index is None and location.startswith("/p") and location[2:].isdigit():
        index = int(location[2:]) - 1  # dfvfs's "/p1" is entry 0
    import pyvsgpt

    volume = pyvsgpt.volume()
    volume.open_file_object(_MediaFile(media))
    try:
        for entry in volume.partitions:
            if entry.entry_index == index or location == f"/gpt{{{entry.identifier}}}":
                return int(entry.volume_offset)
    finally:
        volume.close()
    return None


class _MediaFile:
    """A Sleuth Kit image as the file object libyal's libraries read (the GPT table here)."""

    def __init__(self, media: Any) -> None:
        self._media = media
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        end = self._media.get_size() if size < 0 else self._offset + size
        data = bytes(self._media.read(self._offset, max(0, end - self._offset)))
        self._offset += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._offset, io.SEEK_END: self._media.get_size()}
        self._offset = base[whence] + offset
        return self._offset

    def tell(self) -> int:
        return self._offset

    def get_size(self) -> int:
        return int(self._media.get_size())


def read_error_text(error: BaseException) -> str:
    """A read failure in one line. pytsk3 hands an image reader's own error (a Python image
    object's OSError: dfvfs, the system libewf) back as a RuntimeError whose first line is
    `OSError('...')`: that message, unwrapped."""
    if not isinstance(error, RuntimeError):
        return error_text(error)
    first = (str(error).splitlines() or ["read error"])[0]
    wrapped = re.fullmatch(r"\w+Error\((['\"])(.*)\1\)", first)
    return wrapped.group(2) if wrapped else first


def open_tsk_stream(fs_info: Any, inode: int, stream: str | None) -> TskStream:
    """Open a file (deleted or not) by inode, choosing the named data stream when given."""
    tsk_file = fs_info.open_meta(inode=inode)
    meta = tsk_file.info.meta
    if meta is None:
        raise OSError(f"inode {inode} has no metadata")
    if not stream:
        volume = _MAPPABLE.get(id(fs_info))
        extents = volume.extents(tsk_file, meta) if volume is not None else None
        if volume is not None and extents is not None:
            mapped = volume.mapped()
            if mapped is not None:
                return TskMappedStream(tsk_file, None, int(meta.size), mapped, extents)
        return TskStream(tsk_file, None, int(meta.size))
    for attribute in tsk_file:
        info = attribute.info
        kind = int(info.type)
        name = info.name.decode("utf-8", "replace") if info.name else ""
        if (kind == _NTFS_DATA and name == stream) or (kind == _HFS_RSRC and stream == "rsrc"):
            return TskStream(tsk_file, (info.type, info.id), int(info.size))
    raise OSError(f"inode {inode} has no data stream {stream!r}")


def tsk_record_at(fs_info: Any, parent_spec: Any, prefix: str, location: str) -> FileRecord | None:
    """The record of the allocated regular file at `location` (for Artefact.sibling)."""
    try:
        tsk_file = fs_info.open(location)
    except OSError:
        return None
    meta = tsk_file.info.meta
    if meta is None or int(meta.type) != _REG:
        return None
    walker = TskWalker(fs_info, parent_spec, prefix, _no_volume_reads)
    for record in walker._records(tsk_file, meta, location, False, streams_only=False):
        return record
    return None


def _no_volume_reads(offset: int, size: int) -> bytes:
    raise OSError("volume reads are not available here")
