"""Uninstall keys (machine-wide in SOFTWARE, per user in NTUSER.DAT) as installed software.

Every program with a DisplayName is reported, so that rules can match an order's named apps;
those in the software catalogue also carry its category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from orderwatch.domain.observations import InstalledSoftwareObservation
from orderwatch.forensics.parsers.interface import Artefact, ParserMediator
from orderwatch.forensics.parsers.registry.hive_reader import (
    OpenedHive,
    key_last_write,
    subkeys,
    text,
    values,
)
from orderwatch.forensics.software_catalogue import SoftwareMatch, default_catalogue

UNINSTALL_KEYS = (
    r"\Microsoft\Windows\CurrentVersion\Uninstall",
    r"\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
)


@dataclass(frozen=True)
class UninstallEntry:
    """One program listed under an Uninstall key."""

    key_path: str
    name: str
    version: str | None
    publisher: str | None
    location: str | None
    install_date: datetime | None
    stored_time: str
    match: SoftwareMatch | None


def _install_date(raw: str | None) -> datetime | None:
    """InstallDate is `YYYYMMDD` (a local calendar date); read as midnight UTC."""
    if not raw or not re.fullmatch(r"\d{8}", raw):
        return None
    try:
        return datetime(int(raw[:4]), int(raw[4:6]), int(raw[6:]), tzinfo=UTC)
    except ValueError:
        return None


def _program_path(found: dict[str, object]) -> str | None:
    """InstallLocation, or the folder-bearing DisplayIcon/UninstallString, without quotes/`,0`."""
    for name in ("InstallLocation", "DisplayIcon", "UninstallString"):
        value = text(found.get(name))
        if value:
            cleaned = re.sub(r",\s*-?\d+$", "", value).strip().strip('"').strip()
            if "\\" in cleaned or "/" in cleaned:
                return cleaned
    return None


def read_uninstall_entries(opened: OpenedHive, prefix: str = "") -> list[UninstallEntry]:
    """Programs under both Uninstall keys (native and Wow6432Node), below `prefix`."""
    catalogue = default_catalogue()
    entries = []
    for base in UNINSTALL_KEYS:
        for key in subkeys(opened.key(prefix + base)):
            found = values(key)
            display = text(found.get("DisplayName"))
            location = _program_path(found)
            match = None
            for candidate in (display, key.name, location):
                if candidate and match is None:
                    match = catalogue.match(candidate)
            if display is None and match is None:
                continue  # updates and components Windows itself does not list
            raw_date = text(found.get("InstallDate"))
            installed = _install_date(raw_date)
            last_write, stored_write = key_last_write(key)
            entries.append(
                UninstallEntry(
                    key_path=rf"{prefix}{base}\{key.name}",
                    name=display or key.name,
                    version=text(found.get("DisplayVersion")),
                    publisher=text(found.get("Publisher")),
                    location=location,
                    install_date=installed or last_write,
                    stored_time=(
                        f"InstallDate {raw_date} (local date, read as UTC)"
                        if installed
                        else f"key last write {stored_write}"
                    ),
                    match=match,
                )
            )
    return entries


def report_uninstall_entries(
    parser: str,
    artefact: Artefact,
    mediator: ParserMediator,
    opened: OpenedHive,
    prefix: str = "",
) -> int:
    """One observation per program (the same name and version listed twice counts once)."""
    seen: set[tuple[str, str | None]] = set()
    for entry in read_uninstall_entries(opened, prefix):
        identity = (entry.name.casefold(), entry.version)
        if identity in seen:
            continue
        seen.add(identity)
        mediator.produce(
            InstalledSoftwareObservation(
                id=mediator.observation_id(parser, artefact.path, entry.key_path),
                time=entry.install_date,
                provenance=mediator.provenance(
                    parser, artefact.path, record=entry.key_path, original_time=entry.stored_time
                ),
                name=entry.name,
                category=entry.match.category if entry.match else None,
                path=entry.location,
            )
        )
    return len(seen)
