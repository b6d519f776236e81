"""SAM hive parser: local Windows user names, and nothing else.

Only the key names under SAM\\Domains\\Account\\Users\\Names are read (and the type of their default
value, which is the account's RID). The per-user `F`/`V` values, which hold password hashes, are
never opened.
"""

from __future__ import annotations

from orderwatch.domain.observations import AccountObservation
from orderwatch.forensics.parsers.interface import Artefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.registry.hive_reader import (
    HiveParser,
    OpenedHive,
    key_last_write,
    subkeys,
    value_types,
)

NAMES_KEY = r"\SAM\Domains\Account\Users\Names"
# RIDs below 1000 are Windows' own accounts (Administrator 500, Guest 501, DefaultAccount 503,
# WDAGUtilityAccount 504): present on every machine, so never an alias of the person.
FIRST_USER_RID = 1000


def read_user_names(opened: OpenedHive) -> list[tuple[str, int | None]]:
    """(user name, RID or None when unreadable) for every local account."""
    users = []
    for key in subkeys(opened.key(NAMES_KEY)):
        rid_text = value_types(key).get("(default)", "")
        users.append((key.name, int(rid_text) if rid_text.isdigit() else None))
    return users


class WindowsSamHiveParser(HiveParser):
    """Windows/System32/config/SAM: one `account` (windows_account) per local user created."""

    NAME = "windows_sam_hive"
    HIVE_NAME = "SAM"
    DESCRIPTION = "Local user names from the SAM registry hive (never hashes)"

    def parse_hive(self, artefact: Artefact, mediator: ParserMediator, opened: OpenedHive) -> None:
        for name, rid in read_user_names(opened):
            if rid is not None and rid < FIRST_USER_RID:
                continue
            key = opened.key(rf"{NAMES_KEY}\{name}")
            when, stored = key_last_write(key) if key is not None else (None, "")
            mediator.produce(
                AccountObservation(
                    id=mediator.observation_id(self.NAME, artefact.path, NAMES_KEY, name),
                    time=when,
                    provenance=mediator.provenance(
                        self.NAME,
                        artefact.path,
                        record=rf"{NAMES_KEY}\{name} (RID {rid})",
                        original_time=f"key last write {stored}" if stored else None,
                    ),
                    service="windows_account",
                    identifier=name,
                    source_path=artefact.path,
                )
            )


registry.register(WindowsSamHiveParser)
