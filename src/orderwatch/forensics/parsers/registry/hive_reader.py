"""Opening Windows registry hives with regipy, and reading keys and values safely.

Shared by the SYSTEM, SOFTWARE, SAM and NTUSER.DAT parsers: a hive is read from a private local
copy (with its .LOG1/.LOG2 transaction logs, replayed by regipy when the hive is dirty).
"""

from __future__ import annotations

import logging
import re
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
    return {v.name: v.value for v in key.iter_values(as_json=False, trim_values=False)}


def value_types(key: NKRecord | None) -> dict[str, str]:
    """A key's value types by name (for SAM, where the default value's type is the RID)."""
    if key is None or not key.values_count:
        return {}
    return {v.name: str(v.value_type) for v in key.iter_values(as_json=False, trim_values=False)}


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
