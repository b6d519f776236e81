"""Opening Windows registry hives with regipy, and reading keys and values safely.

Shared by the SYSTEM, SOFTWARE, SAM and NTUSER.DAT parsers: a hive is read from a private local
copy (with its .LOG1/.LOG2 transaction logs, replayed by regipy when the hive is dirty).
"""

from __future__ import annotations

import logging
import re
import struct
from abc import abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from regipy.exceptions import RegipyException
from regipy.recovery import apply_transaction_logs
from regipy.registry import NKRecord, RegistryHive
from regipy.structs import REGF_HEADER_SIZE

from orderwatch.forensics.parsers.interface import Artefact, ArtefactParser, ParserMediator

log = logging.getLogger(__name__)

_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_LOG_SUFFIXES = (".LOG1", ".LOG2")


class UnreadableHiveError(ValueError):
    """The file is not a registry hive, or too damaged for regipy to open."""


@dataclass
class OpenedHive:
    """A hive ready to read, plus notes on how it was opened (e.g. logs not replayed)."""

    hive: RegistryHive
    notes: list[str] = field(default_factory=list)

    def key(self, path: str) -> NKRecord | None:
        """The key at `path` (backslashes, leading backslash), or None when absent or unreadable."""
        try:
            return self.hive.get_key(path)
        except (RegipyException, ValueError, KeyError, IndexError, OSError):
            return None


def hive_path_matches(path: str, hive_name: str) -> bool:
    """Whether `path` is a `config/<hive_name>` (or `config/RegBack/<hive_name>`), any case."""
    if not path.casefold().endswith(hive_name.casefold()):
        return False  # the cheap test first: this runs for every file of a triage
    parts = [p.casefold() for p in path.replace("\\", "/").split("/") if p]
    if len(parts) < 2 or parts[-1] != hive_name.casefold():
        return False
    return parts[-2] == "config" or (parts[-2] == "regback" and len(parts) > 2)


@contextmanager
def open_hive(artefact: Artefact) -> Iterator[OpenedHive]:
    """Open `artefact` as a hive from a private copy; raise UnreadableHiveError when it is none."""
    with artefact.local_copy(companions=_LOG_SUFFIXES) as copy:
        with open(copy, "rb") as handle:
            magic = handle.read(4)
        if magic != b"regf":
            raise UnreadableHiveError(
                f"not a Windows registry hive (starts with {magic!r}, expected b'regf')"
            )
        hive = _regipy_open(copy)
        opened = OpenedHive(hive)
        header = hive.header
        if header.primary_sequence_num != header.secondary_sequence_num:
            _replay_logs(copy, opened)
        yield opened


def _regipy_open(path: Path) -> RegistryHive:
    try:
        return RegistryHive(str(path))
    except Exception as error:  # regipy raises construct errors of many kinds on damage
        raise UnreadableHiveError(
            f"damaged registry hive: {type(error).__name__}: {error}"
        ) from error


def _replay_logs(copy: Path, opened: OpenedHive) -> None:
    """A dirty hive: apply its transaction logs when present; otherwise say it may be stale."""
    logs = [Path(f"{copy}{s}") for s in _LOG_SUFFIXES if Path(f"{copy}{s}").is_file()]
    if not logs:
        opened.notes.append(
            "hive is dirty and no .LOG1/.LOG2 was found: recent changes may be missing"
        )
        return
    restored = copy.with_name("restored")
    try:
        apply_transaction_logs(
            str(copy),
            str(logs[0]),
            secondary_log_path=str(logs[1]) if len(logs) > 1 else None,
            restored_hive_path=str(restored),
        )
        opened.hive = _regipy_open(restored)
    except Exception as error:  # a damaged log must not cost us the primary hive
        opened.notes.append(
            f"transaction logs not applied ({type(error).__name__}: {error}); read the hive as is"
        )


class HiveParser(ArtefactParser):
    """Base of the hive parsers: finds the hive by path, opens it, reports opening notes."""

    HIVE_NAME: ClassVar[str] = ""  # SYSTEM, SOFTWARE, SAM (under config/); empty: FILE_NAMES

    def matches(self, path: str) -> bool:
        if self.HIVE_NAME:
            return hive_path_matches(path, self.HIVE_NAME)
        return super().matches(path)

    def base_names(self) -> str | None:
        return "|".join(re.escape(name) for name in (self.HIVE_NAME, *self.FILE_NAMES) if name)

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        if artefact.size() == 0:
            return  # Windows 10 and later leave the RegBack copies empty: nothing to say
        with open_hive(artefact) as opened:
            self.parse_hive(artefact, mediator, opened)
            for message in opened.notes:
                mediator.error(artefact.path, self.NAME, message)

    @abstractmethod
    def parse_hive(self, artefact: Artefact, mediator: ParserMediator, opened: OpenedHive) -> None:
        """Report what the opened hive holds."""


def filetime_to_datetime(value: int | None) -> datetime | None:
    """A Windows FILETIME (100 ns since 1601) in UTC, cut to the microsecond (never later than
    stored; regipy's float arithmetic can differ by 1 µs); 0 and absurd values give None."""
    if not value or value < 0 or value >= 0x7FFF_FFFF_FFFF_FFFF:
        return None
    try:
        return _FILETIME_EPOCH + timedelta(microseconds=value // 10)
    except OverflowError:
        return None


def datetime_to_filetime(value: datetime) -> int:
    """Inverse of filetime_to_datetime, to show a parsed FILETIME as it was stored."""
    delta = value.astimezone(UTC) - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def filetime_text(value: int) -> str:
    """How a FILETIME is quoted in provenance: the stored 64-bit number in hex."""
    return f"FILETIME 0x{value:016X}"


def key_last_write(key: NKRecord) -> tuple[datetime | None, str]:
    """A key's last-write time and its stored FILETIME as text."""
    raw = int(key.header.last_modified)
    return filetime_to_datetime(raw), filetime_text(raw)


def subkeys(key: NKRecord | None) -> list[NKRecord]:
    """The key's subkeys (none when the key is absent or has no subkey list)."""
    if key is None or not key.subkey_count:
        return []
    return [k for k in key.iter_subkeys() if isinstance(k, NKRecord)]


def child(key: NKRecord | None, name: str) -> NKRecord | None:
    """A direct subkey by name, case-insensitively."""
    if key is None or not key.subkey_count:
        return None
    found = key.get_subkey(name, raise_on_missing=False)
    return found if isinstance(found, NKRecord) else None


def values(key: NKRecord | None) -> dict[str, Any]:
    """A key's values by name, untrimmed; binary data stays bytes."""
    if key is None or not key.values_count:
        return {}
    decoded = _decoded_values(key) if FAST_VALUES else None
    if decoded is not None:
        return {name: value for name, _, value in decoded}
    return {v.name: v.value for v in key.iter_values(as_json=False, trim_values=False)}


def value_types(key: NKRecord | None) -> dict[str, str]:
    """A key's value types by name (for SAM, where the default value's type is the RID)."""
    if key is None or not key.values_count:
        return {}
    decoded = _decoded_values(key) if FAST_VALUES else None
    if decoded is not None:
        return {name: _TYPE_NAMES[kind] for name, kind, _ in decoded}
    return {v.name: str(v.value_type) for v in key.iter_values(as_json=False, trim_values=False)}


# Reading values straight from the hive bytes. regipy parses each value with construct, about
# 60 µs a value (most of a SOFTWARE hive's parse); struct does the same in a few µs. Only the
# common cases are decoded here, each exactly as regipy's NKRecord.iter_values(as_json=False,
# trim_values=False) gives it; for anything else the whole key goes to regipy, so values() and
# value_types() return what they always did. Tests compare both on real and built hives.
FAST_VALUES = True  # False: always read through regipy (the tests run both ways)

# A cell's offset counts from the first hbin, after the 4096-byte base block, and the cell
# starts with its 4-byte size: regipy reads REGF_HEADER_SIZE + 4 + offset, as we do.
_CELL_BASE = REGF_HEADER_SIZE + 4
# A VK cell: signature, name size, data size, data offset, type, flags, padding, then the name.
_VK_HEADER = struct.Struct("<2sHIIIH2x")
_INLINE = 0x80000000  # data size high bit: up to 4 bytes of data held in the data offset field
_CELL_DATA_MAX = 0x3FD8  # larger data may be a "db" big-data block: left to regipy
_TYPE_NAMES = {  # the types decoded here, named as regipy names them
    0: "REG_NONE",
    1: "REG_SZ",
    2: "REG_EXPAND_SZ",
    3: "REG_BINARY",
    4: "REG_DWORD",
    5: "REG_DWORD_BIG_ENDIAN",
    7: "REG_MULTI_SZ",
    11: "REG_QWORD",
}


def _decoded_values(key: NKRecord) -> list[tuple[str, int, Any]] | None:
    """(name, type, value) for each of the key's values in order, as regipy decodes them, or
    None when any of them is something this fast path leaves to regipy."""
    hive = getattr(key._stream, "getvalue", None)  # regipy holds the hive file in a BytesIO
    if hive is None:
        return None
    data: bytes = hive()  # the BytesIO's own bytes object, not a copy
    count = key.values_count
    list_at = _CELL_BASE + key.header.values_list_offset
    if list_at + 4 * count > len(data):
        return None  # regipy raises RegistryParsingException: let it
    found = []
    for vk_offset in struct.unpack_from(f"<{count}I", data, list_at):
        at = _CELL_BASE + vk_offset
        if at + _VK_HEADER.size > len(data):
            return None
        signature, name_size, size, data_offset, kind, flags = _VK_HEADER.unpack_from(data, at)
        name_at = at + _VK_HEADER.size
        if signature != b"vk" or kind not in _TYPE_NAMES or name_at + name_size > len(data):
            return None  # regipy stops at a bad VK, logs DEVPROP types, skips 0x200000...
        raw_name = data[name_at : name_at + name_size]
        if not name_size:
            name = "(default)"
        elif flags & 1:  # VALUE_COMP_NAME: one byte a character
            name = raw_name.decode("ascii", errors="replace")
        else:
            name = raw_name.decode("utf-16-le", errors="replace")
        if size >= _INLINE:
            if kind == 5:
                return None  # regipy reads REG_DWORD_BIG_ENDIAN from the offset to the hive's end
            raw = struct.pack("<I", data_offset)[: size - _INLINE]
        else:
            data_at = _CELL_BASE + data_offset
            if size > _CELL_DATA_MAX or data_at + size > len(data):
                return None
            raw = data[data_at : data_at + size]
        value = _decoded_value(kind, raw, data_offset if size >= _INLINE else None)
        if value is None:
            return None
        found.append((name, kind, value))
    return found


def _decoded_value(kind: int, raw: bytes, inline_number: int | None) -> Any:
    """One value's data as regipy decodes it, or None to leave it to regipy. `inline_number` is
    the data offset field when the data is inline: regipy gives it whole as the (Q)WORD."""
    if kind in (1, 2, 5):  # REG_SZ, REG_EXPAND_SZ; REG_DWORD_BIG_ENDIAN goes the same way
        return _regipy_text(raw)
    if kind in (0, 3):  # REG_NONE, REG_BINARY: the bytes as stored
        return raw
    if kind in (4, 11):  # REG_DWORD, REG_QWORD, little-endian
        if inline_number is not None:
            return inline_number
        width = 4 if kind == 4 else 8
        if len(raw) < width:
            return None  # construct raises on short data: let regipy do so
        return int.from_bytes(raw[:width], "little")
    # REG_MULTI_SZ: construct's GreedyRange(CString("utf-16-le")) keeps the NUL-terminated
    # strings (a trailing unterminated one or odd byte is dropped) and regipy drops empty ones.
    # Only when the whole decodes cleanly is that a plain split; a bad surrogate ends
    # construct's list early: regipy's business.
    try:
        strings = raw[: len(raw) & ~1].decode("utf-16-le").split("\x00")
    except UnicodeDecodeError:
        return None
    return [s for s in strings[:-1] if s]


def _regipy_text(raw: bytes) -> str | None:
    """regipy's try_decode_binary: UTF-16LE, else UTF-8, trailing NULs stripped; None when
    neither decodes (regipy then logs a warning and gives the bytes: let it)."""
    try:
        return raw.decode("utf-16-le").rstrip("\x00")
    except UnicodeDecodeError:
        try:
            return raw.decode().rstrip("\x00")
        except UnicodeDecodeError:
            return None


def text(value: Any) -> str | None:
    """A registry value as clean text: strings stripped of NULs, UTF-16LE bytes decoded."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-16-le", errors="replace")
    elif isinstance(value, list):
        value = " ".join(str(v) for v in value)
    elif not isinstance(value, str):
        value = str(value)
    cleaned = value.split("\x00", 1)[0].strip()
    return cleaned or None


def resource_text(value: Any) -> str | None:
    """Text of values such as `@usbstor.inf,%desc%;USB Mass Storage Device` (after the `;`)."""
    cleaned = text(value)
    if cleaned and cleaned.startswith("@") and ";" in cleaned:
        cleaned = cleaned.rsplit(";", 1)[1].strip()
    return cleaned or None


def first_component_after(path: str, marker: str) -> str | None:
    """The path component following `marker` (case-insensitive), e.g. a user's folder name."""
    parts = [p for p in re.split(r"[\\/]+", path) if p]
    for index, part in enumerate(parts[:-1]):
        if part.casefold() == marker.casefold():
            return parts[index + 1]
    return None
