"""Catalogued software from where programs live: a Windows/Linux/macOS tree written here."""

from __future__ import annotations

import plistlib
from pathlib import Path

from orderwatch.domain.observations import InstalledSoftwareObservation
from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.manager import ParserRegistry
from orderwatch.forensics.parsers.software_paths import SoftwarePathsParser

DPKG_STATUS = """Package: qbittorrent
Status: install ok installed
Version: 4.5.2-3

Package: bleachbit
Status: deinstall ok config-files
Version: 4.4.2-1

Package: tor
Status: install ok installed
Version: 0.4.7.16-1

Package: coreutils
Status: install ok installed
"""
FILES = {
    "Program Files/VeraCrypt/VeraCrypt.exe": b"MZ",
    "Program Files/VeraCrypt/VeraCrypt Format.exe": b"MZ",
    "Program Files/Mozilla Firefox/firefox.exe": b"MZ",
    "Users/sam/Desktop/Tor Browser/Browser/firefox.exe": b"MZ",
    "Users/sam/Desktop/AnyDesk.lnk": b"L\x00\x00\x00",
    "Users/sam/AppData/Roaming/Telegram Desktop/log.txt": b"",
    "Users/sam/AppData/Roaming/Telegram Desktop/tdata/settingss": b"",
    "Users/sam/Documents/Signal/notes.txt": b"not an install",
    "var/lib/dpkg/status": DPKG_STATUS.encode(),
    "usr/share/applications/signal-desktop.desktop": (
        b"[Desktop Entry]\nName=Signal\nName[de]=Signal\nExec=/opt/Signal/signal-desktop %U\n"
    ),
    "usr/share/applications/org.gnome.Calculator.desktop": b"[Desktop Entry]\nName=Calculator\n",
    "Applications/Mullvad VPN.app/Contents/Info.plist": plistlib.dumps(
        {"CFBundleName": "Mullvad VPN"}, fmt=plistlib.FMT_BINARY
    ),
    "Applications/Tool.app/Contents/Info.plist": plistlib.dumps({"CFBundleName": "WireGuard"}),
    "Applications/Broken.app/Contents/Info.plist": b"<?xml version='1.0'?><plist><dict><key>",
}


def _run(root: Path) -> ParserMediator:
    """Every file of the tree through a registry holding this parser, as triage does."""
    for relative, content in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    parsers = ParserRegistry()
    parsers.register(SoftwarePathsParser)
    mediator = ParserMediator(source="image")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        parsers.parse(LocalArtefact(path, root), mediator)
    return mediator


def test_every_kind_of_location(tmp_path: Path) -> None:
    mediator = _run(tmp_path)
    found = {
        o.name: o for o in mediator.observations if isinstance(o, InstalledSoftwareObservation)
    }
    assert sorted(found) == [
        "AnyDesk",
        "Mullvad VPN",
        "Signal",
        "Telegram",
        "Tor Browser",
        "VeraCrypt",
        "WireGuard",
        "qBittorrent",
    ]  # bleachbit is removed (config files only); Documents/Signal is not an install
    assert len(mediator.observations) == 8  # VeraCrypt's two executables count once
    assert (found["VeraCrypt"].category, found["VeraCrypt"].path) == (
        "encryption",
        "/Program Files/VeraCrypt/VeraCrypt Format.exe",
    )
    tor = found["Tor Browser"]  # tor (dpkg) and the Desktop folder: one program per source
    assert tor.category == "anonymity"
    assert found["Telegram"].path == "/Users/sam/AppData/Roaming/Telegram Desktop"
    assert found["Mullvad VPN"].path == "/Applications/Mullvad VPN.app"
    assert found["WireGuard"].category == "vpn"  # named only inside its Info.plist
    assert found["qBittorrent"].path is None
    assert found["qBittorrent"].provenance.record == "package qbittorrent (line 1)"
    assert found["qBittorrent"].provenance.path == "/var/lib/dpkg/status"
    assert found["AnyDesk"].category == "remote_access"
    assert [(e.path, e.message.split(":")[0]) for e in mediator.errors] == [
        ("/Applications/Broken.app/Contents/Info.plist", "not a readable Info.plist")
    ]


def test_ids_are_per_program_per_source(tmp_path: Path) -> None:
    first = {o.id for o in _run(tmp_path / "a").observations}
    second = {o.id for o in _run(tmp_path / "b").observations}
    assert first == second and len(first) == 8


def test_paths_wanted() -> None:
    parser = SoftwarePathsParser()
    assert parser.matches("/Program Files (x86)/TeamViewer/TeamViewer.exe")
    assert parser.matches(r"\Users\sam\AppData\Local\Programs\signal-desktop\Signal.exe")
    assert parser.matches("/var/lib/dpkg/status")
    assert parser.matches("/home/sam/.local/share/applications/anything.desktop")
    assert parser.matches("/Users/sam/AppData/Local/Discord/app-1.0.9/Discord.exe")
    assert parser.matches("/Users/sam/AppData/Roaming/Signal/config.json")
    assert not parser.matches("/Users/sam/AppData/Roaming/Signal/attachments.noindex/00/aa")
    assert parser.matches("/Applications/Tor Browser.app/Contents/Info.plist")
    assert not parser.matches("/Applications/Tor Browser.app/Contents/MacOS/firefox")
    assert not parser.matches("/Program Files/Mozilla Firefox/firefox.exe")
    assert not parser.matches("/var/lib/dpkg/status-old")
    assert not parser.matches("/Users/sam/Pictures/holiday.jpg")


def test_folders_remembered_give_the_same_answers() -> None:
    """`matches` keeps a verdict per folder: asked about many files of the same folders, in any
    order and twice, it answers as the catalogue does for each path afresh."""
    folders = [
        "/Users/sam/Pictures/",
        "/Program Files (x86)/TeamViewer/",
        "/Users/sam/AppData/Roaming/Signal/",
        "/Users/sam/AppData/Roaming/Signal/attachments.noindex/00/",
        "/Applications/Tor Browser.app/Contents/",
        "/Applications/Tor Browser.app/Contents/MacOS/",
        "/home/sam/.local/share/applications/",
        "/var/lib/dpkg/",
        "/Users/sam/Desktop/",
        "/ProgramData/Microsoft/Windows/Start Menu/Programs/",
        "/d014/",
    ]
    names = ["holiday.jpg", "TeamViewer.exe", "config.json", "aa", "Info.plist", "firefox",
             "anything.desktop", "status", "Tor Browser.lnk", "VeraCrypt.exe", "f007172.bin",
             "tor.exe", "veracrypt", "STATUS"]  # fmt: skip
    paths = [folder + name for name in names for folder in folders]
    expected = [_matches_afresh(path) for path in paths]
    parser = SoftwarePathsParser()
    assert [parser.matches(path) for path in paths] == expected
    assert [parser.matches(path) for path in reversed(paths)] == expected[::-1]
    assert any(expected) and not all(expected)


def _matches_afresh(path: str) -> bool:
    parser = SoftwarePathsParser()  # nothing remembered
    return parser.matches(path)
