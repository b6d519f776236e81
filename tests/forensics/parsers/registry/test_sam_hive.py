"""SAM hive: local user names only; the hash-bearing values are never read or reported."""

from __future__ import annotations

import json
from pathlib import Path

from hive_fixtures import HiveBuilder, reg_hex

from orderwatch.domain.observations import AccountObservation
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.registry.sam_hive import WindowsSamHiveParser

SAM_PATH = Path("Windows") / "System32" / "config" / "SAM"
USERS = r"SAM\Domains\Account\Users"
SECRET = bytes.fromhex("5eed0fba5eba11ed0ddba11c0ffee000")  # stands for an NT hash in V


def test_user_names_without_builtins_or_hashes(tmp_path: Path, build_hive: HiveBuilder) -> None:
    keys = {
        rf"{USERS}\Names\alice": {"@": reg_hex(0x3E9, b"")},
        rf"{USERS}\Names\sam_p79": {"@": reg_hex(0x3EA, b"")},
        rf"{USERS}\Names\Administrator": {"@": reg_hex(0x1F4, b"")},
        rf"{USERS}\Names\Guest": {"@": reg_hex(0x1F5, b"")},
        rf"{USERS}\000003E9": {
            "V": reg_hex(None, b"\x00" * 16 + SECRET),
            "F": reg_hex(None, SECRET),
        },
    }
    root = tmp_path / "image"
    build_hive(root / SAM_PATH, "\\SystemRoot\\System32\\Config\\SAM", keys)
    mediator = ParserMediator(source="image")
    WindowsSamHiveParser().parse(LocalArtefact(root / SAM_PATH, root), mediator)
    assert mediator.errors == []
    accounts = [o for o in mediator.observations if isinstance(o, AccountObservation)]
    assert [(a.service, a.identifier) for a in accounts] == [
        ("windows_account", "alice"),
        ("windows_account", "sam_p79"),
    ]
    assert accounts[0].provenance.record == rf"\{USERS}\Names\alice (RID 1001)"
    dumped = json.dumps([o.to_dict() for o in mediator.observations])
    assert SECRET.hex() not in dumped.lower() and "000003E9" not in dumped
