"""The shipped software catalogue and `match_software`: names, files, folders, overrides."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderwatch.domain.errors import InvalidInputError
from orderwatch.domain.observations import SOFTWARE_CATEGORIES
from orderwatch.forensics import software_catalogue
from orderwatch.forensics.software_catalogue import (
    CatalogueEntry,
    SoftwareCatalogue,
    SoftwareMatch,
    configure_default_catalogue,
    load_catalogue,
    match_software,
    normalise_name,
)


@pytest.fixture
def shipped_default_after() -> Iterator[None]:
    """A test that configures the default catalogue must not leak it to others."""
    yield
    configure_default_catalogue(None)


@pytest.mark.parametrize(
    ("text", "name", "category"),
    [
        ("VeraCrypt 1.26.7 (x64)", "VeraCrypt", "encryption"),
        ("TrueCrypt", "TrueCrypt", "encryption"),
        ("BitLocker To Go", "BitLocker To Go", "encryption"),
        ("AxCrypt 2.1", "AxCrypt", "encryption"),
        ("CCleaner", "CCleaner", "wiping"),
        ("BleachBit", "BleachBit", "wiping"),
        ("Eraser 6.2.0.2993", "Eraser", "wiping"),
        ("sdelete64.exe", "SDelete", "wiping"),
        ("Tor Browser", "Tor Browser", "anonymity"),
        ("torbrowser-launcher", "Tor Browser", "anonymity"),
        ("tor", "Tor Browser", "anonymity"),
        ("tails-amd64-6.1.img", "Tails", "anonymity"),
        ("NordVPN", "NordVPN", "vpn"),
        ("ExpressVPN", "ExpressVPN", "vpn"),
        ("Proton VPN", "Proton VPN", "vpn"),
        ("Mullvad VPN", "Mullvad VPN", "vpn"),
        ("Surfshark", "Surfshark", "vpn"),
        ("OpenVPN Connect", "OpenVPN", "vpn"),
        ("WireGuard", "WireGuard", "vpn"),
        ("Windscribe", "Windscribe", "vpn"),
        ("Private Internet Access", "Private Internet Access", "vpn"),
        ("eMule", "eMule", "p2p"),
        ("qBittorrent 4.6.3", "qBittorrent", "p2p"),
        ("µTorrent", "µTorrent", "p2p"),
        ("BitTorrent", "BitTorrent", "p2p"),
        ("Transmission 4.0.5 (bc47ef0bb8) (x64)", "Transmission", "p2p"),
        ("transmission-gtk", "Transmission", "p2p"),
        ("Deluge 2.1.1", "Deluge", "p2p"),
        ("Vuze", "Vuze", "p2p"),
        ("MEGAsync", "MEGA", "cloud_storage"),
        ("Dropbox", "Dropbox", "cloud_storage"),
        ("Microsoft OneDrive", "OneDrive", "cloud_storage"),
        ("Google Drive", "Google Drive", "cloud_storage"),
        ("pCloud Drive", "pCloud", "cloud_storage"),
        ("Box", "Box", "cloud_storage"),
        ("Kik", "Kik", "chat"),
        ("Telegram Desktop", "Telegram", "chat"),
        ("Signal 7.1.0", "Signal", "chat"),
        ("Wickr Me", "Wickr", "chat"),
        ("Session", "Session", "chat"),
        ("Threema", "Threema", "chat"),
        ("WhatsApp", "WhatsApp", "chat"),
        ("Discord", "Discord", "chat"),
        ("AnyDesk", "AnyDesk", "remote_access"),
        ("TeamViewer 15", "TeamViewer", "remote_access"),
        ("RustDesk", "RustDesk", "remote_access"),
        ("Cisco AnyConnect VPN Client", "VPN (unlisted)", "vpn"),
    ],
)
def test_names_of_the_brief(text: str, name: str, category: str) -> None:
    found = match_software(text)
    assert found is not None, text
    assert (found.name, found.category) == (name, category)


@pytest.mark.parametrize(
    "text",
    ["VirtualBox", "Editor", "Google Chrome", "signalling tool", "Torx driver", "Boxer", "7-Zip"],
)
def test_ordinary_programs_are_not_matched(text: str) -> None:
    assert match_software(text) is None


@pytest.mark.parametrize(
    ("path", "name", "matched_by"),
    [
        (r"C:\Program Files\VeraCrypt\VeraCrypt Format.exe", "VeraCrypt", "file"),
        ("/Users/sam/Desktop/Tor Browser/Browser/firefox.exe", "Tor Browser", "folder"),
        ("/Users/sam/AppData/Roaming/Telegram Desktop/tdata/key_datas", "Telegram", "folder"),
        ("/home/sam/.config/Signal/config.json", "Signal", "folder"),
        ("/Applications/Mullvad VPN.app/Contents/MacOS/Mullvad VPN", "Mullvad VPN", "app_bundle"),
        ("/opt/tor-browser/Browser/start-tor-browser", "Tor Browser", "file"),
    ],
)
def test_paths(path: str, name: str, matched_by: str) -> None:
    found = match_software(path)
    assert found is not None and (found.name, found.matched_by) == (name, matched_by)


def test_a_folder_counts_only_where_programs_are_installed() -> None:
    assert match_software("/home/sam/Documents/Signal/notes.txt") is None
    assert match_software(r"C:\Program Files\Mozilla Firefox\firefox.exe") is None


def test_normalised_names() -> None:
    assert normalise_name("Notepad++ 8.6 (64-bit x64)") == "notepad"
    assert normalise_name("hide.me VPN v3.2") == "hide me vpn"


def test_the_shipped_file_covers_every_category() -> None:
    categories = {e.category for e in load_catalogue().entries}
    assert categories == set(SOFTWARE_CATEGORIES)


@pytest.mark.usefixtures("shipped_default_after")
def test_an_override_replaces_and_adds(tmp_path: Path) -> None:
    override = tmp_path / "extra.yaml"
    override.write_text(
        "software:\n"
        "  - {name: Kik, category: chat, names: [kik chat]}\n"
        "  - {name: ExampleChat, category: chat, names: [examplechat], files: ['exchat*.exe']}\n"
    )
    catalogue = configure_default_catalogue(override)
    assert software_catalogue.default_catalogue() is catalogue
    assert match_software("ExampleChat 2.0") is not None
    assert match_software("exchat64.exe").name == "ExampleChat"  # type: ignore[union-attr]
    assert match_software("Kik") is None  # the replaced entry no longer has "kik" exactly
    assert match_software("Kik Chat").name == "Kik"  # type: ignore[union-attr]
    assert match_software("VeraCrypt") is not None  # shipped entries are kept
    replace = tmp_path / "only.yaml"
    replace.write_text("replace: true\nsoftware:\n  - {name: X, category: p2p, names: [xyz]}\n")
    assert [e.name for e in load_catalogue(replace).entries] == ["X"]


def test_bad_override_files_name_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "software:\n"
        "  - {name: A, category: gaming, names: [a]}\n"
        "  - {name: B, category: chat}\n"
        "  - {category: chat, names: [c]}\n"
        "  - {name: D, category: vpn, names: [d], colour: red}\n"
    )
    with pytest.raises(InvalidInputError) as caught:
        load_catalogue(bad)
    message = str(caught.value)
    assert message.startswith(f"{bad}: ")
    assert "software entry 1 (A): category 'gaming' is not one of" in message
    assert "software entry 2 (B): give at least one of names/exact_names/files/folders" in message
    assert "software entry 3: needs a 'name'" in message
    assert "software entry 4 (D): unknown field(s) ['colour']" in message
    broken = tmp_path / "broken.yaml"
    broken.write_text("software:\n  - {name: A\n")
    with pytest.raises(InvalidInputError, match="line 3: not valid YAML"):
        load_catalogue(broken)
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_catalogue(tmp_path / "missing.yaml")


def test_the_setting_names_the_override_for_every_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderwatch.settings import reset_settings

    override = tmp_path / "unit.yaml"
    override.write_text("software:\n  - {name: UnitTool, category: wiping, names: [unittool]}\n")
    monkeypatch.setenv("ORDERWATCH_SOFTWARE_CATALOGUE", str(override))
    reset_settings()
    monkeypatch.setattr(software_catalogue, "_default", None)  # as in a fresh worker process
    found = match_software("UnitTool 3")
    assert found is not None and found.category == "wiping"
    assert match_software("VeraCrypt") is not None


def test_file_names_are_ruled_out_by_their_tails() -> None:
    """A name ending in none of the patterns' literal tails is no match without trying each;
    a pattern ending in a wildcard turns that short cut off."""
    tool = CatalogueEntry("Tool", "wiping", files=("tool-*.exe", "wipe"))
    literal = SoftwareCatalogue([tool])
    assert literal.match_file("Tool-2.EXE") is not None
    assert literal.match_file("wipe") is not None
    assert literal.match_file("tool-2.exe.bak") is None
    assert literal.match_file("anyvpn-setup.msi") is None
    assert literal.match_path("/Program Files/x/tool-3.exe") is not None
    either = SoftwareCatalogue([tool, CatalogueEntry("Any", "vpn", files=("anyvpn*",))])
    assert either.match_file("anyvpn-setup.msi") is not None
    assert either.match_file("tool-2.exe") is not None
    assert either.match_file("tool-2.exe.bak") is None


def test_names_indexed_by_first_word_match_as_a_scan_of_every_phrase() -> None:
    """match_name tries only the phrases that start with one of the name's words; it gives what
    trying every phrase in catalogue order gives (the earliest entry, exact names after)."""
    catalogue = load_catalogue()
    words = sorted({w for e in catalogue.entries for p in e.names for w in p.split()})
    words += ["setup", "x64", "2.1", "(beta)", "portable", "client", "pro", "free", "app"]
    rng = random.Random(7)
    names = [p for e in catalogue.entries for p in (*e.names, *e.exact_names, e.name)]
    names += [" ".join(rng.sample(words, rng.randint(1, 5))) for _ in range(3000)]
    for name in names:
        assert catalogue.match_name(name) == _scan_every_phrase(catalogue, name), name


def _scan_every_phrase(catalogue: SoftwareCatalogue, name: str) -> SoftwareMatch | None:
    normal = normalise_name(name)
    if not normal:
        return None
    exact = next((e for e in catalogue.entries if normal in e.exact_names), None)
    exact_rank = catalogue.entries.index(exact) if exact else len(catalogue.entries)
    for entry in catalogue.entries[: exact_rank + 1]:
        if any(f" {phrase} " in f" {normal} " for phrase in entry.names):
            return SoftwareMatch(entry.name, entry.category, "name", name)
    if exact is not None:
        return SoftwareMatch(exact.name, exact.category, "exact_name", name)
    return catalogue.match_file(name)
