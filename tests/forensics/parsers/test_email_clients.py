"""Thunderbird prefs.js: identities and log-in names, from a profile written here."""

from __future__ import annotations

import json
from pathlib import Path

from orderwatch.domain.observations import AccountObservation
from orderwatch.forensics.parsers.email_clients import ThunderbirdPrefsParser
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator

PROFILE = Path("home") / "sam" / ".thunderbird" / "x1y2z3.default-release"
PREFS = r"""// Mozilla User Preferences
user_pref("mail.account.account1.server", "server1");
user_pref("mail.identity.id1.fullName", "Sam P\u00e9rson");
user_pref("mail.identity.id1.useremail", "sam.person@example.org");
user_pref("mail.identity.id2.fullName", "Dark \"Alias\"");
user_pref("mail.identity.id2.useremail", "Dark.Alias@example.net");
user_pref("mail.identity.id2.reply_to", "dark.alias@example.net");
user_pref("mail.server.server1.hostname", "imap.example.org");
user_pref("mail.server.server1.type", "imap");
user_pref("mail.server.server1.userName", "sam.person@example.org");
user_pref("mail.server.server2.hostname", "pop.example.net");
user_pref("mail.server.server2.userName", "darkalias99");
user_pref("mail.server.server3.hostname", "Local Folders");
user_pref("mail.server.server3.type", "none");
user_pref("mail.server.server3.userName", "nobody");
user_pref("mail.server.server2.check_new_mail", true);
user_pref("signon.rememberSignons.visibilityToggle", "never-a-password");
"""


def _parse(root: Path, prefs: bytes) -> ParserMediator:
    path = root / PROFILE / "prefs.js"
    path.parent.mkdir(parents=True)
    path.write_bytes(prefs)
    mediator = ParserMediator(source="image")
    ThunderbirdPrefsParser().parse(LocalArtefact(path, root), mediator)
    return mediator


def test_identities_and_logins(tmp_path: Path) -> None:
    mediator = _parse(tmp_path, PREFS.encode("utf-8"))
    assert mediator.errors == []
    accounts = [o for o in mediator.observations if isinstance(o, AccountObservation)]
    assert [(a.service, a.identifier) for a in accounts] == [
        ("email_display_name", "Sam Pérson"),
        ("email", "sam.person@example.org"),
        ("email_display_name", 'Dark "Alias"'),
        ("email", "Dark.Alias@example.net"),  # its reply_to differs only in case: the same
        ("email_login", "darkalias99"),  # server1's log-in is the address already reported
    ]
    assert accounts[1].source_path == f"/{PROFILE.as_posix()}/prefs.js"
    assert accounts[1].provenance.record == "line 4: mail.identity.id1.useremail"
    assert accounts[4].provenance.record == "line 12: mail.server.server2.userName"
    assert "never-a-password" not in json.dumps([o.to_dict() for o in mediator.observations])


def test_odd_encoding_is_one_error_and_the_rest_is_read(tmp_path: Path) -> None:
    prefs = PREFS.replace(r"P\u00e9rson", "P\xe9rson").encode("latin-1")
    mediator = _parse(tmp_path, prefs)
    names = [o.identifier for o in mediator.observations if isinstance(o, AccountObservation)]
    assert names[0] == "Sam Pérson" and len(names) == 5
    assert [e.message for e in mediator.errors] == [
        "1 line(s) were not UTF-8 and were read as Latin-1 (first at line 3)"
    ]


def test_only_thunderbird_profiles() -> None:
    parser = ThunderbirdPrefsParser()
    assert parser.matches("/home/sam/.thunderbird/abc.default/prefs.js")
    assert parser.matches("/Users/Sam/AppData/Roaming/Thunderbird/Profiles/abc.default/prefs.js")
    assert parser.matches("/home/sam/snap/thunderbird/common/.thunderbird/a.default/prefs.js")
    assert not parser.matches("/home/sam/.mozilla/firefox/abc.default/prefs.js")
    assert not parser.matches("/home/sam/.thunderbird/abc.default/user.js")
