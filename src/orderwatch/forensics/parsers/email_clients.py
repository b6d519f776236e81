"""E-mail client identities: Thunderbird (and Icedove, Betterbird) `prefs.js`.

Reported as `account` observations: each identity's address (`email`) and display name
(`email_display_name`), and each mail server's log-in name (`email_login`). Only those preferences
are read; prefs.js holds no passwords, and nothing else in the profile is opened. Outlook's
profile accounts are read from NTUSER.DAT by the registry parser.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

from orderwatch.domain.observations import AccountObservation
from orderwatch.forensics.parsers.interface import Artefact, ArtefactParser, ParserMediator
from orderwatch.forensics.parsers.logs.text_lines import LogLines
from orderwatch.forensics.parsers.manager import registry

_PROFILE_HINTS = ("thunderbird", "icedove", "betterbird")
_USER_PREF = re.compile(r'\s*user_pref\(\s*"(?P<name>[^"]+)"\s*,\s*(?P<value>.*?)\s*\)\s*;\s*$')
_IDENTITY = re.compile(r"mail\.identity\.(?P<id>[^.]+)\.(?P<field>useremail|fullName|reply_to)")
_SERVER = re.compile(r"mail\.server\.(?P<id>[^.]+)\.(?P<field>userName|hostname|type)")
_SERVICE = {"useremail": "email", "reply_to": "email", "fullName": "email_display_name"}
_NOT_MAIL_SERVERS = {"none", "rss", "nntp"}  # Local Folders, feeds, newsgroups


def _pref_value(raw: str) -> str | None:
    """A prefs.js string literal as text (JavaScript escapes undone); other values give None."""
    if not raw.startswith('"'):
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw.strip('"')
    return value.strip() if isinstance(value, str) and value.strip() else None


def read_thunderbird_accounts(lines: LogLines) -> list[tuple[str, str, str, int]]:
    """(service, identifier, preference name, line) for identities and mail-server log-ins."""
    found: list[tuple[str, str, str, int]] = []
    servers: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)
    for number, line in lines:
        pref = _USER_PREF.match(line)
        if pref is None:
            continue
        name = pref["name"]
        identity = _IDENTITY.fullmatch(name)
        server = _SERVER.fullmatch(name) if identity is None else None
        if identity is None and server is None:
            continue
        value = _pref_value(pref["value"])
        if value is None:
            continue
        if identity is not None:
            found.append((_SERVICE[identity["field"]], value, name, number))
        elif server is not None:
            servers[server["id"]][server["field"]] = (value, number)
    for server_id, fields in servers.items():
        user = fields.get("userName")
        kind = fields.get("type", ("imap", 0))[0].lower()
        if user is None or kind in _NOT_MAIL_SERVERS:
            continue
        found.append(("email_login", user[0], f"mail.server.{server_id}.userName", user[1]))
    return found


class ThunderbirdPrefsParser(ArtefactParser):
    """`prefs.js` inside a Thunderbird profile folder (Windows, Linux, macOS, snap)."""

    NAME = "thunderbird_prefs"
    DESCRIPTION = "E-mail addresses, display names and log-in names from Thunderbird prefs.js"

    def base_names(self) -> str | None:
        return r"prefs\.js"

    def matches(self, path: str) -> bool:
        lowered = path.lower()
        return lowered.rsplit("/", 1)[-1] == "prefs.js" and any(
            hint in lowered for hint in _PROFILE_HINTS
        )

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        lines = LogLines(artefact)
        seen: set[tuple[str, str]] = set()
        for service, identifier, pref, line in read_thunderbird_accounts(lines):
            key = (service, identifier.casefold())
            if key in seen or (service == "email_login" and ("email", key[1]) in seen):
                continue
            seen.add(key)
            mediator.produce(
                AccountObservation(
                    id=mediator.observation_id(self.NAME, artefact.path, service, key[1]),
                    provenance=mediator.provenance(
                        self.NAME, artefact.path, record=f"line {line}: {pref}"
                    ),
                    service=service,
                    identifier=identifier,
                    source_path=artefact.path,
                )
            )
        problem = lines.problem()
        if problem:
            mediator.error(artefact.path, self.NAME, problem)


registry.register(ThunderbirdPrefsParser)
