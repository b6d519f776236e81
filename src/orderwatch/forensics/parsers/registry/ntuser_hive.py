"""NTUSER.DAT parser: per-user cheap extras that bear on an order.

- per-user installed programs (Software\\...\\Uninstall: Telegram, Discord and others go here)
- typed addresses of Internet Explorer/Explorer (TypedURLs) as `browser_visit`
- Explorer search-box terms (WordWheelQuery) as `search_term` (engine `windows_search`)
- Outlook profile e-mail addresses and log-in names as `account` (never passwords)

Only the newest typed URL and search term get a time (the key's last write); the rest have none.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from orderwatch.domain.observations import (
    AccountObservation,
    BrowserVisitObservation,
    SearchTermObservation,
)
from orderwatch.forensics.parsers.interface import Artefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.registry.hive_reader import (
    HiveParser,
    OpenedHive,
    child,
    key_last_write,
    subkeys,
    text,
    values,
)
from orderwatch.forensics.parsers.registry.installed_programs import report_uninstall_entries

TYPED_URLS = r"\Software\Microsoft\Internet Explorer\TypedURLs"
WORD_WHEEL = r"\Software\Microsoft\Windows\CurrentVersion\Explorer\WordWheelQuery"
_OUTLOOK_PROFILE_ROOTS = (
    r"\Software\Microsoft\Windows NT\CurrentVersion\Windows Messaging Subsystem\Profiles",
    r"\Software\Microsoft\Office\15.0\Outlook\Profiles",
    r"\Software\Microsoft\Office\16.0\Outlook\Profiles",
)
_MAIL_ACCOUNTS = "9375CFF0413111d3B88A00104B2A6676"
# Outlook account values read (by name: the password values beside them are never touched).
_OUTLOOK_VALUES = {"Email": "email", "IMAP User": "email_login", "POP3 User": "email_login"}


def read_word_wheel(opened: OpenedHive) -> list[str]:
    """Explorer search terms, newest first (in MRUListEx order)."""
    found = values(opened.key(WORD_WHEEL))
    order = found.get("MRUListEx")
    indexes: list[int] = []
    if isinstance(order, bytes):
        for start in range(0, len(order) - 3, 4):
            index = int.from_bytes(order[start : start + 4], "little")
            if index == 0xFFFFFFFF:
                break
            indexes.append(index)
    terms = [text(found.get(str(i))) for i in indexes]
    return [t for t in terms if t]


def read_outlook_accounts(opened: OpenedHive) -> list[tuple[str, str, str]]:
    """(service, identifier, key path) for Outlook account e-mail addresses and log-in names."""
    accounts = []
    for root in _OUTLOOK_PROFILE_ROOTS:
        for profile in subkeys(opened.key(root)):
            for account in subkeys(child(profile, _MAIL_ACCOUNTS)):
                found = values(account)
                for value_name, service in _OUTLOOK_VALUES.items():
                    identifier = text(found.get(value_name))
                    if identifier:
                        path = rf"{root}\{profile.name}\{_MAIL_ACCOUNTS}\{account.name}"
                        accounts.append((service, identifier, f"{path} ({value_name})"))
    return accounts


class WindowsNtuserHiveParser(HiveParser):
    """Users/<name>/NTUSER.DAT (any case)."""

    NAME = "windows_ntuser_hive"
    DESCRIPTION = "Per-user programs, typed URLs, Explorer searches and Outlook accounts"
    FILE_NAMES = ("NTUSER.DAT",)

    def parse_hive(self, artefact: Artefact, mediator: ParserMediator, opened: OpenedHive) -> None:
        profile = PurePosixPath(artefact.path).parent.name or None
        report_uninstall_entries(self.NAME, artefact, mediator, opened, prefix=r"\Software")
        self._typed_urls(artefact, mediator, opened, profile)
        self._searches(artefact, mediator, opened)
        seen: set[tuple[str, str]] = set()
        for service, identifier, record in read_outlook_accounts(opened):
            if (service, identifier.casefold()) in seen:
                continue
            seen.add((service, identifier.casefold()))
            mediator.produce(
                AccountObservation(
                    id=mediator.observation_id(self.NAME, artefact.path, record),
                    provenance=mediator.provenance(self.NAME, artefact.path, record=record),
                    service=service,
                    identifier=identifier,
                    source_path=artefact.path,
                )
            )

    def _typed_urls(
        self, artefact: Artefact, mediator: ParserMediator, opened: OpenedHive, profile: str | None
    ) -> None:
        key = opened.key(TYPED_URLS)
        if key is None:
            return
        when, stored = key_last_write(key)
        found = values(key)
        # url1 is the newest: the key was last written when it was typed.
        numbered = sorted(
            (int(name[3:]), name)
            for name in found
            if name.lower().startswith("url") and name[3:].isdigit()
        )
        for number, name in numbered:
            url = text(found[name])
            if not url:
                continue
            newest = number == numbered[0][0]
            mediator.produce(
                BrowserVisitObservation(
                    id=mediator.observation_id(self.NAME, artefact.path, TYPED_URLS, name),
                    time=when if newest else None,
                    provenance=mediator.provenance(
                        self.NAME,
                        artefact.path,
                        record=rf"{TYPED_URLS}\{name}",
                        original_time=f"key last write {stored}" if newest else None,
                    ),
                    browser="internet_explorer",
                    profile=profile,
                    url=url,
                )
            )

    def _searches(self, artefact: Artefact, mediator: ParserMediator, opened: OpenedHive) -> None:
        key = opened.key(WORD_WHEEL)
        if key is None:
            return
        when, stored = key_last_write(key)
        for position, term in enumerate(read_word_wheel(opened)):
            mediator.produce(
                SearchTermObservation(
                    id=mediator.observation_id(
                        self.NAME, artefact.path, WORD_WHEEL, position, term
                    ),
                    time=when if position == 0 else None,
                    provenance=mediator.provenance(
                        self.NAME,
                        artefact.path,
                        record=f"{WORD_WHEEL} (MRU position {position})",
                        original_time=f"key last write {stored}" if position == 0 else None,
                    ),
                    engine="windows_search",
                    term=term,
                )
            )


registry.register(WindowsNtuserHiveParser)
