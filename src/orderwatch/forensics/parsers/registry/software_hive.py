"""SOFTWARE hive parser: user profiles (ProfileList) and installed programs (Uninstall keys)."""

from __future__ import annotations

import re

from orderwatch.domain.observations import AccountObservation
from orderwatch.forensics.parsers.interface import Artefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.registry.hive_reader import (
    HiveParser,
    OpenedHive,
    key_last_write,
    subkeys,
    text,
    values,
)
from orderwatch.forensics.parsers.registry.installed_programs import report_uninstall_entries

PROFILE_LIST = r"\Microsoft\Windows NT\CurrentVersion\ProfileList"
# LocalSystem, LocalService and NetworkService: the machine's own profiles, not a person's.
_SERVICE_SIDS = frozenset({"S-1-5-18", "S-1-5-19", "S-1-5-20"})


def read_profiles(opened: OpenedHive) -> list[tuple[str, str, str]]:
    """(SID, user folder name, ProfileImagePath) of every person's profile in ProfileList."""
    profiles = []
    for key in subkeys(opened.key(PROFILE_LIST)):
        sid = key.name.removesuffix(".bak")
        if sid.upper() in _SERVICE_SIDS:
            continue
        image_path = text(values(key).get("ProfileImagePath"))
        if not image_path:
            continue
        folder = [p for p in re.split(r"[\\/]+", image_path) if p]
        if folder:
            profiles.append((key.name, folder[-1], image_path))
    return profiles


class WindowsSoftwareHiveParser(HiveParser):
    """Windows/System32/config/SOFTWARE: `account` (windows_profile) and `installed_software`."""

    NAME = "windows_software_hive"
    HIVE_NAME = "SOFTWARE"
    DESCRIPTION = "User profiles and installed programs from the SOFTWARE registry hive"

    def parse_hive(self, artefact: Artefact, mediator: ParserMediator, opened: OpenedHive) -> None:
        for key_name, user, image_path in read_profiles(opened):
            key = opened.key(rf"{PROFILE_LIST}\{key_name}")
            when, stored = key_last_write(key) if key is not None else (None, "")
            record = rf"{PROFILE_LIST}\{key_name} (ProfileImagePath {image_path})"
            mediator.produce(
                AccountObservation(
                    id=mediator.observation_id(self.NAME, artefact.path, PROFILE_LIST, key_name),
                    time=when,
                    provenance=mediator.provenance(
                        self.NAME,
                        artefact.path,
                        record=record,
                        original_time=f"key last write {stored}" if stored else None,
                    ),
                    service="windows_profile",
                    identifier=user,
                    source_path=artefact.path,
                )
            )
        report_uninstall_entries(self.NAME, artefact, mediator, opened)


registry.register(WindowsSoftwareHiveParser)
