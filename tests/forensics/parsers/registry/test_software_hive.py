"""SOFTWARE hive: ProfileList user profiles and Uninstall programs, from a hive built with hivex."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hive_fixtures import HiveBuilder, reg_sz, reg_utf16

from orderwatch.domain.observations import AccountObservation, InstalledSoftwareObservation
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.registry.software_hive import WindowsSoftwareHiveParser

SOFTWARE_PATH = Path("Windows") / "System32" / "config" / "SOFTWARE"
UNINSTALL = r"Microsoft\Windows\CurrentVersion\Uninstall"
PROFILES = r"Microsoft\Windows NT\CurrentVersion\ProfileList"
SID = "S-1-5-21-1004336348-1177238915-682003330"


@pytest.fixture
def software_root(tmp_path: Path, build_hive: HiveBuilder) -> Path:
    keys = {
        rf"{UNINSTALL}\VeraCrypt": {
            "DisplayName": reg_sz("VeraCrypt"),
            "DisplayVersion": reg_sz("1.26.7"),
            "InstallLocation": reg_sz("C:\\Program Files\\VeraCrypt\\"),
            "InstallDate": reg_sz("20240317"),
            "Publisher": reg_sz("IDRIX"),
        },
        rf"{UNINSTALL}\Notepad++": {
            "DisplayName": reg_sz("Notepad++ (64-bit x64)"),
            "DisplayIcon": reg_sz('"C:\\Program Files\\Notepad++\\notepad++.exe",0'),
        },
        rf"{UNINSTALL}\KB4023057": {"SystemComponent": "dword:00000001"},
        rf"Wow6432Node\{UNINSTALL}\Tor Browser": {
            "DisplayName": reg_sz("Tor Browser"),
            "DisplayVersion": reg_sz("13.0.10"),
            "UninstallString": reg_sz("C:\\Users\\alice\\Desktop\\Tor Browser\\uninstall.exe"),
        },
        rf"Wow6432Node\{UNINSTALL}\VeraCrypt": {
            "DisplayName": reg_sz("VeraCrypt"),
            "DisplayVersion": reg_sz("1.26.7"),
        },
        rf"{PROFILES}\S-1-5-18": {
            "ProfileImagePath": reg_utf16(2, "%systemroot%\\system32\\config\\systemprofile")
        },
        rf"{PROFILES}\{SID}-1001": {"ProfileImagePath": reg_utf16(2, "C:\\Users\\alice")},
        rf"{PROFILES}\{SID}-1002": {"ProfileImagePath": reg_utf16(2, "C:\\Users\\bob.smith")},
    }
    root = tmp_path / "image"
    build_hive(root / SOFTWARE_PATH, "emRoot\\System32\\Config\\SOFTWARE", keys)
    return root


def test_profiles_and_programs(software_root: Path) -> None:
    mediator = ParserMediator(source="image")
    artefact = LocalArtefact(software_root / SOFTWARE_PATH, software_root)
    WindowsSoftwareHiveParser().parse(artefact, mediator)
    assert mediator.errors == []
    accounts = [o for o in mediator.observations if isinstance(o, AccountObservation)]
    assert [(a.service, a.identifier) for a in accounts] == [
        ("windows_profile", "alice"),
        ("windows_profile", "bob.smith"),
    ]
    assert accounts[0].source_path == "/Windows/System32/config/SOFTWARE"
    assert accounts[0].provenance.record == (
        rf"\{PROFILES}\{SID}-1001 (ProfileImagePath C:\Users\alice)"
    )
    programs = {
        o.name: o for o in mediator.observations if isinstance(o, InstalledSoftwareObservation)
    }
    # The KB update has no DisplayName; VeraCrypt listed twice (native and 32-bit) counts once.
    assert sorted(programs) == ["Notepad++ (64-bit x64)", "Tor Browser", "VeraCrypt"]
    veracrypt = programs["VeraCrypt"]
    assert (veracrypt.category, veracrypt.path) == ("encryption", "C:\\Program Files\\VeraCrypt\\")
    assert veracrypt.time == datetime(2024, 3, 17, tzinfo=UTC)
    assert veracrypt.provenance.original_time == "InstallDate 20240317 (local date, read as UTC)"
    assert veracrypt.provenance.record == rf"\{UNINSTALL}\VeraCrypt"
    tor = programs["Tor Browser"]
    assert (tor.category, tor.path) == (
        "anonymity",
        "C:\\Users\\alice\\Desktop\\Tor Browser\\uninstall.exe",
    )
    assert tor.provenance.record == rf"\Wow6432Node\{UNINSTALL}\Tor Browser"
    notepad = programs["Notepad++ (64-bit x64)"]
    assert (notepad.category, notepad.path) == (None, "C:\\Program Files\\Notepad++\\notepad++.exe")
    assert notepad.time is None  # hivex leaves key times at zero: unknown, not 1601


def test_ids_are_reproducible(software_root: Path) -> None:
    runs = []
    for _ in range(2):
        mediator = ParserMediator(source="image")
        artefact = LocalArtefact(software_root / SOFTWARE_PATH, software_root)
        WindowsSoftwareHiveParser().parse(artefact, mediator)
        runs.append([o.id for o in mediator.observations])
    assert runs[0] == runs[1]
    assert len(set(runs[0])) == 5
