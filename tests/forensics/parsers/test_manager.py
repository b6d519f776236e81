from __future__ import annotations

from pathlib import Path

import pytest

from orderwatch.forensics.parsers.interface import (
    Artefact,
    ArtefactParser,
    LocalArtefact,
    ParserMediator,
)
from orderwatch.forensics.parsers.manager import ParserRegistrationError, ParserRegistry


class _Broken(ArtefactParser):
    NAME = "broken"
    FILE_NAMES = ("thing.db",)

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        raise ValueError("not a database")


def test_duplicate_names_are_refused() -> None:
    registry = ParserRegistry()
    registry.register(_Broken)
    with pytest.raises(ParserRegistrationError, match="already registered"):
        registry.register(_Broken)


def test_a_failing_parser_becomes_an_error_record(tmp_path: Path) -> None:
    (tmp_path / "thing.db").write_bytes(b"junk")
    registry = ParserRegistry()
    registry.register(_Broken)
    mediator = ParserMediator(source=str(tmp_path))
    assert registry.parse(LocalArtefact(tmp_path / "thing.db", tmp_path), mediator) == 1
    assert mediator.errors[0].message == "ValueError: not a database"
    assert mediator.errors[0].path == "/thing.db"


def test_local_copy_brings_the_wal(tmp_path: Path) -> None:
    folder = tmp_path / "Profile 1"
    folder.mkdir()
    (folder / "History").write_bytes(b"main")
    (folder / "History-wal").write_bytes(b"wal")
    artefact = LocalArtefact(folder / "History", tmp_path)
    assert artefact.path == "/Profile 1/History"
    sibling = artefact.sibling("History-wal")
    assert sibling is not None and sibling.path == "/Profile 1/History-wal"
    with artefact.local_copy() as copy:
        assert copy.read_bytes() == b"main"
        assert Path(str(copy) + "-wal").read_bytes() == b"wal"
    assert not copy.exists()


class _ByName(ArtefactParser):
    NAME = "by_name"
    FILE_NAMES = ("History", "places.sqlite")

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        return None


class _ByRule(ArtefactParser):
    NAME = "by_rule"

    def matches(self, path: str) -> bool:
        return path.endswith(".log")

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        return None


def test_lookup_by_file_name_and_by_rule_agree_with_matches() -> None:
    registry = ParserRegistry()
    registry.register(_ByName)
    registry.register(_ByRule)
    assert [p.NAME for p in registry.parsers_for("/Users/x/Default/HISTORY")] == ["by_name"]
    assert [p.NAME for p in registry.parsers_for("/var/log/places.sqlite.log")] == ["by_rule"]
    assert registry.parsers_for("/tmp/history.txt") == []
    registry.deregister("by_name")
    assert registry.parsers_for("/a/History") == []


def test_every_registered_parser_is_found_for_the_paths_it_matches() -> None:
    from orderwatch.forensics.parsers import registry

    paths = [
        "/Users/a/AppData/Local/Google/Chrome/User Data/Default/History",
        "/home/a/.mozilla/firefox/x.default/places.sqlite",
        "/Windows/System32/config/SYSTEM",
        "/Windows/INF/setupapi.dev.log",
        "/var/log/kern.log",
        "/Program Files/VeraCrypt/VeraCrypt.exe",
        "/home/a/.thunderbird/x.default/prefs.js",
        "/photos/cat.jpg",
    ]
    for path in paths:
        expected = {n for n in registry.names() if registry.get(n).matches(path)}
        assert {p.NAME for p in registry.parsers_for(path)} == expected, path


def test_the_base_name_pattern_never_hides_a_parser_that_matches() -> None:
    """Parsers with their own matches() that name their base names are asked only when one
    pattern fullmatches a file's base name: on paths of every kind (case, backslashes, the
    look-alike letters case-insensitive matching folds) the parsers found are those whose
    matches() says yes."""
    import random

    from orderwatch.forensics.parsers import registry

    names = ["SYSTEM", "system", "ſystem", "SAM", "SOFTWARE", "NTUSER.DAT", "ntuser.dat.LOG1",
             "prefs.js", "PREFS.JS", "setupapi.dev.log", "setupapi.dev.20240101_101010.log",
             "syslog", "syslog.1.gz", "kern.log", "messages", "system.log", "History",
             "places.sqlite", "VeraCrypt.exe", "Info.plist", "status", "x.desktop", "a.lnk",
             "f000001.bin", "Preferences", "Local State", "logins.json"]  # fmt: skip
    folders = ["/Windows/System32/config", "C:\\Windows\\System32\\config", "/var/log",
               "/var/lib/dpkg", "/home/a/.thunderbird/x.default", "/Users/a/Desktop",
               "/home/a/.mozilla/firefox/x.default", "/Program Files/VeraCrypt",
               "/Applications/Tor Browser.app/Contents", "/usr/share/applications",
               "/Windows/System32/config/RegBack", "/Windows/INF", "/d000"]  # fmt: skip
    rng = random.Random(3)
    for _ in range(3000):
        folder, name = rng.choice(folders), rng.choice(names)
        separator = "\\" if "\\" in folder and rng.random() < 0.5 else "/"
        path = f"{folder}{separator}{name}"
        expected = {n for n in registry.names() if registry.get(n).matches(path)}
        assert {p.NAME for p in registry.parsers_for(path)} == expected, path


def test_claimed_answers_a_run_of_paths_as_parsers_for_answers_each() -> None:
    """The walk asks `claimed` about a run of files at once (the software locations answer the
    run in one loop): the same as parsers_for for every path, in every folder, both slashes,
    and after a folder's verdict is remembered."""
    import random

    from orderwatch.forensics.parsers import registry

    names = ["SYSTEM", "ſystem", "NTUSER.DAT", "prefs.js", "setupapi.dev.log", "syslog.1.gz",
             "History", "places.sqlite", "VeraCrypt.exe", "veracrypt.EXE", "x.dll", "Info.plist",
             "status", "x.desktop", "Tor Browser.lnk", "f000001.bin", "Preferences"]  # fmt: skip
    folders = ["/Windows/System32/config", "C:\\Windows\\System32\\config", "/var/lib/dpkg",
               "/Users/a/Desktop", "/Program Files/VeraCrypt", "/Program Files/VeraCrypt/lang",
               "C:\\Program Files\\VeraCrypt", "/Applications/Tor Browser.app/Contents",
               "/usr/share/applications", "/home/a/.mozilla/firefox/x", "/d000", ""]  # fmt: skip
    rng = random.Random(5)
    for _ in range(20):
        paths = []
        for _ in range(rng.randrange(300)):
            folder, name = rng.choice(folders), rng.choice(names)
            paths.append(folder + ("\\" if "\\" in folder else "/") + name)
        assert registry.claimed(paths) == [bool(registry.parsers_for(p)) for p in paths]
    assert registry.claimed([]) == []
    assert registry.claimed(["/Program Files/VeraCrypt/VeraCrypt.exe", "/d000/f.bin"]) == [
        True,
        False,
    ]
