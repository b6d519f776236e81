"""Damaged, locked, foreign and hostile databases: one error record each, never a crash, and the
evidence file is never changed."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path
from typing import BinaryIO

from browser_fixtures import of_kind, run_parsers, shared_artefact

from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry

PLASO_HISTORY = "log2timeline_plaso/test_data/chrome/History"


def _evidence(shared_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "Default"
    folder.mkdir()
    shutil.copy(shared_artefact(shared_data, PLASO_HISTORY), folder / "History")
    return folder / "History"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_truncated_database_gives_one_error(shared_data: Path, tmp_path: Path) -> None:
    history = _evidence(shared_data, tmp_path)
    history.write_bytes(history.read_bytes()[: 40 * 1024])  # 79872 bytes cut to 40960
    mediator = run_parsers(history, tmp_path)
    [error] = mediator.errors
    assert (error.path, error.parser) == ("/Default/History", "chrome_history")
    assert error.message.startswith(
        "UnreadableDatabaseError: /Default/History: cannot open as SQLite: malformed"
    )


def test_malformed_pages_give_one_error(shared_data: Path, tmp_path: Path) -> None:
    history = _evidence(shared_data, tmp_path)
    data = bytearray(history.read_bytes())
    data[1024 * 8 : 1024 * 40] = b"\xa5" * (1024 * 32)  # pages 3-10 overwritten with junk
    history.write_bytes(bytes(data))
    mediator = run_parsers(history, tmp_path)
    [error] = mediator.errors
    assert error.parser == "chrome_history"
    assert "malformed" in error.message


def test_a_file_that_is_no_database_gives_one_error(tmp_path: Path) -> None:
    history = tmp_path / "History"
    history.write_text("this History is a text file\n")
    mediator = run_parsers(history, tmp_path)
    assert mediator.observations == []
    [error] = mediator.errors
    assert error.message == (
        "UnreadableDatabaseError: /History: not a SQLite database (no SQLite header)"
    )
    history.write_bytes(b"")
    [error] = run_parsers(history, tmp_path).errors
    assert error.message.endswith("not a SQLite database (an empty file)")


def test_another_applications_database_of_the_same_name_is_left_alone(tmp_path: Path) -> None:
    history = tmp_path / "History"
    with sqlite3.connect(history) as connection:
        connection.execute("CREATE TABLE entries (id INTEGER PRIMARY KEY, line TEXT)")
        # Views named like Chrome's tables are not tables: nothing in them is run.
        connection.execute(
            "CREATE VIEW urls AS SELECT 1 AS id, 'x' AS url, '' AS title, 0 AS last_visit_time"
        )
        connection.execute("CREATE VIEW visits AS SELECT 1 AS id, 1 AS url, 0 AS visit_time")
    connection.close()
    mediator = run_parsers(history, tmp_path)
    assert (mediator.observations, mediator.errors) == ([], [])


def test_locked_database_mid_write_is_read_as_last_committed(
    shared_data: Path, tmp_path: Path
) -> None:
    history = _evidence(shared_data, tmp_path)
    writer = sqlite3.connect(history, isolation_level=None)
    writer.execute("PRAGMA cache_size = 1")  # spill to the file: the journal becomes hot
    writer.execute("BEGIN EXCLUSIVE")
    writer.execute("DELETE FROM visits")
    writer.execute("DELETE FROM urls")
    journal = history.with_name("History-journal")
    assert journal.stat().st_size > 0
    before = (_digest(history), _digest(journal))
    try:
        mediator = run_parsers(history, tmp_path)
        after = (_digest(history), _digest(journal))
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert mediator.errors == []
    # The private copy's hot journal was rolled back: the committed 69 visits, as plaso sees.
    assert len(of_kind(mediator, "browser_visit")) == 69
    assert after == before
    assert not history.with_name("History-shm").exists()


def test_wal_evidence_is_not_changed(shared_data: Path, tmp_path: Path) -> None:
    history = _evidence(shared_data, tmp_path)
    writer = sqlite3.connect(history)
    writer.execute("PRAGMA journal_mode = wal")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("DELETE FROM visits WHERE id > 60")
    writer.commit()
    wal = history.with_name("History-wal")
    before = (_digest(history), _digest(wal))
    mediator = run_parsers(history, tmp_path)
    after = (_digest(history), _digest(wal))
    writer.close()
    assert mediator.errors == []
    assert len(of_kind(mediator, "browser_visit")) == 60
    assert after == before


class _LockedArtefact(LocalArtefact):
    """A file the operating system will not let anyone read (as Windows does for a live History)."""

    def open(self) -> BinaryIO:
        raise PermissionError(13, "The process cannot access the file", str(self.file_path))


def test_an_unreadable_file_gives_one_error(tmp_path: Path) -> None:
    history = tmp_path / "History"
    history.write_bytes(b"SQLite format 3\x00")
    mediator = ParserMediator(source="fixture")
    assert registry.parse(_LockedArtefact(history, tmp_path), mediator) == 1
    [error] = mediator.errors
    assert error.message.startswith("PermissionError: [Errno 13] The process cannot access")


def test_text_that_is_not_utf8_is_read_with_replacement(shared_data: Path, tmp_path: Path) -> None:
    history = _evidence(shared_data, tmp_path)
    with sqlite3.connect(history) as connection:
        connection.execute("UPDATE urls SET title = CAST(X'4869FF21' AS TEXT) WHERE id = 1")
    connection.close()
    mediator = run_parsers(history, tmp_path)
    assert mediator.errors == []
    visits = of_kind(mediator, "browser_visit")
    assert len(visits) == 69
    assert visits[0].to_dict()["title"] == "Hi\ufffd!"
