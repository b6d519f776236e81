"""NTUSER.DAT: typed URLs and Explorer searches (regipy's real hive), per-user programs and
Outlook accounts (a hive built with hivex)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from hive_fixtures import HiveBuilder, reg_hex, reg_sz

from orderwatch.domain.observations import (
    AccountObservation,
    BrowserVisitObservation,
    InstalledSoftwareObservation,
    SearchTermObservation,
)
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.registry.ntuser_hive import WindowsNtuserHiveParser

NTUSER = Path("Users") / "vibranium" / "NTUSER.DAT"


def _parse(root: Path, relative: Path) -> ParserMediator:
    mediator = ParserMediator(source="image")
    WindowsNtuserHiveParser().parse(LocalArtefact(root / relative, root), mediator)
    return mediator


def test_typed_urls_and_searches_of_the_real_hive(real_ntuser_root: Path) -> None:
    mediator = _parse(real_ntuser_root, NTUSER)
    assert mediator.errors == []
    visits = [o for o in mediator.observations if isinstance(o, BrowserVisitObservation)]
    assert [(v.url, v.browser, v.profile) for v in visits] == [
        ("http://199.73.28.114:53/", "internet_explorer", "vibranium"),
        ("http://go.microsoft.com/fwlink/?LinkId=69157", "internet_explorer", "vibranium"),
    ]
    assert visits[0].time == datetime(2012, 4, 3, 22, 37, 55, 411500, tzinfo=UTC)
    assert visits[1].time is None  # only url1 is dated by the key's last write
    terms = [o for o in mediator.observations if isinstance(o, SearchTermObservation)]
    assert [t.term for t in terms] == [
        "alloy",
        "test-plan",
        "vibranium",
        "accounts",
        "myron maclain",
        "adamantium",
    ]
    assert {t.engine for t in terms} == {"windows_search"}
    # FILETIME ...18.5513397 s: regipy's float arithmetic shows .551340; we cut to .551339.
    assert terms[0].time == datetime(2012, 4, 4, 15, 45, 18, 551339, tzinfo=UTC)
    assert [t.time for t in terms[1:]] == [None] * 5
    assert len(mediator.observations) == 8


def test_per_user_programs_and_outlook_accounts(tmp_path: Path, build_hive: HiveBuilder) -> None:
    account = r"Software\Microsoft\Office\16.0\Outlook\Profiles\Outlook"
    account += r"\9375CFF0413111d3B88A00104B2A6676\00000002"
    keys = {
        r"Software\Microsoft\Windows\CurrentVersion\Uninstall\Telegram Desktop_is1": {
            "DisplayName": reg_sz("Telegram Desktop"),
            "InstallLocation": reg_sz("C:\\Users\\sam\\AppData\\Roaming\\Telegram Desktop\\"),
        },
        account: {
            "Email": reg_hex(None, "sam.alias@example.net\0".encode("utf-16-le")),
            "IMAP User": reg_hex(None, "sam.alias@example.net\0".encode("utf-16-le")),
            "IMAP Password": reg_hex(None, b"\x02" + "hunter2-secret".encode("utf-16-le")),
        },
    }
    relative = Path("Users") / "sam" / "NTUSER.DAT"
    build_hive(tmp_path / relative, "\\??\\C:\\Users\\sam\\ntuser.dat", keys)
    mediator = _parse(tmp_path, relative)
    assert mediator.errors == []
    (program,) = [o for o in mediator.observations if isinstance(o, InstalledSoftwareObservation)]
    assert (program.name, program.category) == ("Telegram Desktop", "chat")
    accounts = [o for o in mediator.observations if isinstance(o, AccountObservation)]
    assert [(a.service, a.identifier) for a in accounts] == [
        ("email", "sam.alias@example.net"),
        ("email_login", "sam.alias@example.net"),
    ]
    assert accounts[0].provenance.record == f"\\{account} (Email)"
    dumped = json.dumps([o.to_dict() for o in mediator.observations])
    assert "hunter2" not in dumped and "Password" not in dumped
