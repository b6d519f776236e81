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
