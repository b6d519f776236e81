"""Find what is inside an image: the media layer, partitions, file systems and VSS snapshots.

Built from dfvfs' source-scanner steps, one layer at a time, so that a damaged layer (a corrupt
partition table, a truncated E01) becomes a WalkError for that place and the rest is still found.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dfvfs.analyzer import analyzer
from dfvfs.helpers import source_scanner
from dfvfs.lib import definitions, raw_helper
from dfvfs.path import factory as path_spec_factory
from dfvfs.resolver import resolver

from orderwatch.forensics._source_dfvfs import DFVFS_ERRORS
from orderwatch.forensics._source_records import SourceFormatError, WalkError, error_text
from orderwatch.forensics._source_tsk import fs_name

_IMAGE_FORMATS = {
    definitions.TYPE_INDICATOR_EWF: "ewf",
    definitions.TYPE_INDICATOR_QCOW: "qcow2",
    definitions.TYPE_INDICATOR_VMDK: "vmdk",
    definitions.TYPE_INDICATOR_VHDI: "vhd",
}
_UNSUPPORTED_IMAGES = {
    definitions.TYPE_INDICATOR_PHDI: "a Parallels disk image",
    definitions.TYPE_INDICATOR_MODI: "a Mac OS disk image",
}
_ENCRYPTED = {
    definitions.TYPE_INDICATOR_BDE: "BitLocker",
    definitions.TYPE_INDICATOR_LUKSDE: "LUKS",
}
_TSK_READS = {
    definitions.TYPE_INDICATOR_EXT,
    definitions.TYPE_INDICATOR_FAT,
    definitions.TYPE_INDICATOR_HFS,
    definitions.TYPE_INDICATOR_NTFS,
    definitions.TYPE_INDICATOR_TSK,
}
_DFVFS_NAMES = {
    definitions.TYPE_INDICATOR_APFS: "APFS",
    definitions.TYPE_INDICATOR_XFS: "XFS",
    definitions.TYPE_INDICATOR_EXT: "ext",
    definitions.TYPE_INDICATOR_FAT: "FAT",
    definitions.TYPE_INDICATOR_HFS: "HFS+",
    definitions.TYPE_INDICATOR_NTFS: "NTFS",
}
_EXTENDED = {0x05, 0x0F, 0x85}
SECTOR = 512
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)


def new_spec(type_indicator: str, **kwargs: Any) -> Any:
    return path_spec_factory.Factory.NewPathSpec(type_indicator, **kwargs)


def identify(path: str, context: Any) -> tuple[str, Any]:
    """The source's format name and its storage-media path spec; SourceFormatError otherwise."""
    if os.path.isdir(path):
        return "folder", new_spec(definitions.TYPE_INDICATOR_OS, location=path)
    if not os.path.exists(path):
        raise SourceFormatError(path, "no such file or folder")
    if not os.access(path, os.R_OK):
        raise SourceFormatError(path, "cannot be read (permission denied)")
    os_spec = new_spec(definitions.TYPE_INDICATOR_OS, location=path)
    try:
        indicators = analyzer.Analyzer.GetStorageMediaImageTypeIndicators(
            os_spec, resolver_context=context
        )
    except DFVFS_ERRORS as error:
        raise SourceFormatError(path, f"cannot be read: {error_text(error)}") from error
    for indicator in indicators:
        if indicator in _UNSUPPORTED_IMAGES:
            raise SourceFormatError(path, f"is {_UNSUPPORTED_IMAGES[indicator]}, not supported")
        if indicator in _IMAGE_FORMATS:
            name = _IMAGE_FORMATS[indicator]
            if name == "vhd" and _starts_with(path, b"vhdxfile"):
                name = "vhdx"
            return name, new_spec(indicator, parent=os_spec)
    raw_spec = new_spec(definitions.TYPE_INDICATOR_RAW, parent=os_spec)
    try:
        file_system = resolver.Resolver.OpenFileSystem(os_spec, resolver_context=context)
        segments = raw_helper.RawGlobPathSpec(file_system, raw_spec) or []
    except DFVFS_ERRORS:
        segments = []
    if len(segments) > 1:
        return "split_raw", raw_spec
    if segments or _looks_like_media(os_spec, context):
        return "raw", raw_spec if segments else os_spec
    raise SourceFormatError(path, "not a recognised disk image, partition table or file system")


def _starts_with(path: str, signature: bytes) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(signature)) == signature


def _looks_like_media(spec: Any, context: Any) -> bool:
    """A raw image without a telling name: a partition table or a file system at its start."""
    scanner = source_scanner.SourceScanner(resolver_context=context)
    for scan in (scanner.ScanForVolumeSystem, scanner.ScanForFileSystem):
        try:
            if scan(spec) is not None:
                return True
        except DFVFS_ERRORS:
            continue
    return _boot_signature(spec.location)


def _boot_signature(path: str) -> bool:
    """An MBR/boot sector signature, so a disk with a damaged partition table is still a disk."""
    try:
        with open(path, "rb") as handle:
            sector = handle.read(1024)
    except OSError:
        return False
    return sector[510:512] == b"\x55\xaa" or sector[512:520] == b"EFI PART"


@dataclass
class Volume:
    """One file system found in the source, opened and ready to walk."""

    where: str  # "whole", "p1", "p2/apfs1"
    fs_name: str  # "NTFS", "ext4", "APFS"
    fs_spec: Any  # the path spec of the file system's root
    file_system: Any  # the opened dfvfs file system (kept open: walks and reads reuse it)
    tsk: bool  # walked through TSK (deleted files too) rather than a dfvfs back-end

    @property
    def label(self) -> str:
        return f"{self.where} ({self.fs_name})"


@dataclass
class Layout:
    """Everything discovered inside a source, with the problems met on the way."""

    volumes: list[Volume] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    errors: list[WalkError] = field(default_factory=list)


class LayoutScanner:
    """Walks the layers under a storage-media path spec and opens every file system found."""

    def __init__(self, context: Any) -> None:
        self._context = context
        self._scanner = source_scanner.SourceScanner(resolver_context=context)
        self.layout = Layout()

    def scan(self, spec: Any, where: str = "") -> Layout:
        try:
            volume_system = self._scanner.ScanForVolumeSystem(spec)
        except DFVFS_ERRORS as error:
            self._error(
                where, f"cannot read the partition table or volume system: {error_text(error)}"
            )
            volume_system = None
        if volume_system is None:
            found = self._file_system(spec, where, quiet=not where)
            if not found and not where and not self._mbr_entries(spec):
                self._error(where, "no supported file system found")
        elif volume_system.type_indicator in _ENCRYPTED:
            name = _ENCRYPTED[volume_system.type_indicator]
            self._error(where, f"{name}-encrypted volume; not walked without its key")
        elif volume_system.type_indicator == definitions.TYPE_INDICATOR_VSHADOW:
            self.layout.snapshots.extend(self._snapshots(volume_system))
            self._file_system(spec, where)
        else:
            self._partitions(volume_system, spec, where)
        return self.layout

    def _partitions(self, volume_system: Any, spec: Any, where: str) -> None:
        try:
            entry = resolver.Resolver.OpenFileEntry(volume_system, resolver_context=self._context)
            parts = list(entry.sub_file_entries) if entry is not None else []
        except DFVFS_ERRORS as error:
            self._error(where, f"cannot list the volumes: {error_text(error)}")
            parts = []
        if not parts:
            self._error(where, "volume system without readable volumes; trying a file system")
            self._file_system(spec, where)
            return
        for part in parts:
            location = (getattr(part.path_spec, "location", None) or "").strip("/")
            if location:  # entries without one are unallocated space or the table itself
                self.scan(part.path_spec, f"{where}/{location}" if where else location)

    def _mbr_entries(self, spec: Any) -> bool:
        """Read a DOS partition table entry by entry when TSK rejects it as a whole.

        One bad entry (pointing past the end of the disk, say) then costs that partition only.
        """
        try:
            media = resolver.Resolver.OpenFileObject(spec, resolver_context=self._context)
            media.seek(0)
            sector = bytes(media.read(512))
            media_size = int(media.get_size())
        except DFVFS_ERRORS:
            return False
        entries = [struct.unpack_from("<B3sB3sII", sector, 446 + 16 * slot) for slot in range(4)]
        if sector[510:512] != b"\x55\xaa" or any(e[0] not in (0, 0x80) for e in entries):
            return False
        used = [(slot + 1, e) for slot, e in enumerate(entries) if e[2] and e[5]]
        if not used:
            return False
        self._error("", "the partition table was rejected as a whole; reading it entry by entry")
        for number, (_, _, kind, _, first, count) in used:
            where = f"p{number}"
            start, size = first * SECTOR, count * SECTOR
            if kind in _EXTENDED:
                self._error(where, f"extended partition (type 0x{kind:02x}) not followed")
            elif start >= media_size:
                self._error(
                    where,
                    f"partition entry starts at sector {first}, past the end of the disk "
                    f"({media_size // SECTOR} sectors)",
                )
            else:
                if start + size > media_size:
                    self._error(where, "partition entry runs past the end of the disk; truncated")
                    size = media_size - start
                part = new_spec(
                    definitions.TYPE_INDICATOR_DATA_RANGE,
                    range_offset=start,
                    range_size=size,
                    parent=spec,
                )
                self._file_system(part, where)
        return True

    def _file_system(self, spec: Any, where: str, quiet: bool = False) -> bool:
        """Open the file system in `spec`; False (and an error unless quiet) when there is none."""
        place = where or "whole"
        try:
            fs_spec = self._scanner.ScanForFileSystem(spec)
        except DFVFS_ERRORS as error:
            self._error(where, f"cannot read a file system: {error_text(error)}")
            return True
        if fs_spec is None:
            if not quiet:
                self._error(where, "no supported file system found")
            return False
        if fs_spec.type_indicator in _TSK_READS:
            tsk_spec = new_spec(definitions.TYPE_INDICATOR_TSK, location="/", parent=fs_spec.parent)
            try:
                tsk_fs = resolver.Resolver.OpenFileSystem(tsk_spec, resolver_context=self._context)
                info = tsk_fs.GetFsInfo()
                self.layout.volumes.append(Volume(place, fs_name(info), tsk_spec, tsk_fs, True))
                return True
            except DFVFS_ERRORS as error:
                self._error(
                    where,
                    f"The Sleuth Kit cannot read this file system ({error_text(error)}); "
                    "allocated files only, no deleted files",
                )
        try:
            file_system = resolver.Resolver.OpenFileSystem(fs_spec, resolver_context=self._context)
        except DFVFS_ERRORS as error:
            self._error(where, f"cannot open the file system: {error_text(error)}")
            return True
        name = _DFVFS_NAMES.get(fs_spec.type_indicator, fs_spec.type_indicator)
        self.layout.volumes.append(Volume(place, name, fs_spec, file_system, False))
        return True

    def _snapshots(self, volume_system: Any) -> list[str]:
        labels = []
        try:
            root = resolver.Resolver.OpenFileEntry(volume_system, resolver_context=self._context)
            for store_entry in root.sub_file_entries:
                store = store_entry.GetVShadowStore()
                stamp = _FILETIME_EPOCH + timedelta(
                    microseconds=int(store.get_creation_time_as_integer()) // 10
                )
                labels.append(f"{store_entry.name} {stamp:%Y-%m-%dT%H:%M:%SZ}")
        except DFVFS_ERRORS as error:
            self._error("", f"cannot list the volume shadow snapshots: {error_text(error)}")
        return labels

    def _error(self, where: str, text: str) -> None:
        self.layout.errors.append(WalkError(f"/{where}" if where else "/", "volume", text))
