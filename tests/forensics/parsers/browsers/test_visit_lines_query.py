"""The rows read by SQLite in C (`_visitlines.query_visit_lines`, `visit_figures`) give what the
rows sqlite3 fetches give to the list loop and to the Python loops: on generated tables holding
every type a column may (texts with JSON's special characters, floats, BLOBs, NULLs, extreme
ids), text that is not UTF-8 (anywhere in the row), databases SQLite cannot read, and real
histories with deleted visits."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from browser_fixtures import (
    PRTIME_2025,
    add_firefox_visit,
    add_then_delete,
    default_profile,
    firefox_profile,
    shared_artefact,
)
from test_visit_lines_native import ENGINES, HEAD, LABELS, RECORD, SEARCH, VISIT, _rows

from orderwatch.forensics.parsers import _visitlines
from orderwatch.forensics.parsers.browser_times import TimeFormat, integer_time_format
from orderwatch.forensics.parsers.interface import (
    LINE_SEPARATOR,
    expand_records,
    python_expand_records,
)
from orderwatch.forensics.parsers.search_engines import extract_search
from orderwatch.forensics.parsers.sqlite_plugins.interface import DatabaseFiles
from orderwatch.forensics.parsers.sqlite_plugins.visit_lines import (
    python_visit_figures,
    python_visit_lines,
)

if not hasattr(_visitlines, "query_visit_lines"):  # pragma: no cover
    assert os.environ.get("CI") != "true", "_visitlines was built without sqlite3.h"
    pytest.skip("_visitlines was built without sqlite3.h", allow_module_level=True)

SELECT = "SELECT id, stored, url, title, n, url_id FROM visits ORDER BY id"
FIGURES = "SELECT id, time FROM visits WHERE typeof(id) = 'integer' ORDER BY 1"
NOT_UTF8 = [b"ab\xff", b"\xc0\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80"]


def _uri(path: Path) -> str:
    return DatabaseFiles(path).read_only_uri()


def _storable(value: Any) -> Any:
    """A generated value SQLite can hold (no lone surrogates, no integer past 64 bits)."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode()
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return float(value)
    return value


def _visits_table(path: Path, rows: list[tuple[Any, ...]]) -> None:
    with sqlite3.connect(path) as connection:  # no declared types: every value keeps its own
        connection.execute("CREATE TABLE visits (id, stored, url, title, n, url_id)")
        connection.executemany(
            "INSERT INTO visits VALUES (?, ?, ?, ?, ?, ?)",
            [tuple(map(_storable, row)) for row in rows],
        )
    connection.close()


def _fetched(path: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(_uri(path), uri=True)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


@pytest.mark.parametrize("time_format", [TimeFormat.WEBKIT, TimeFormat.PRTIME, TimeFormat.POSIX])
@pytest.mark.parametrize("seed", [1, 2])
def test_rows_stepped_in_c_give_the_lines_of_the_fetched_rows(
    tmp_path: Path, time_format: TimeFormat, seed: int
) -> None:
    units = integer_time_format(time_format)
    assert units is not None
    path = tmp_path / "History"
    _visits_table(path, _rows(seed, units, 3000))
    fetched = _fetched(path, SELECT)
    for search in (SEARCH, None):
        args = (HEAD, VISIT, search, RECORD, units, LABELS, ENGINES, extract_search)
        stepped = _visitlines.query_visit_lines(_uri(path), SELECT, *args)
        assert stepped == _visitlines.visit_lines(fetched, *args)
        assert stepped == python_visit_lines(fetched, *args)
        assert stepped is not None
        lines, visits, searches, unusual, hits, _ = stepped
        assert unusual and visits > 1500 and lines.count(b'"time": null') > 10
        assert (searches > 100) if search else (searches == 0 and len(hits) > 100)


def test_an_empty_table_gives_no_lines(tmp_path: Path) -> None:
    path = tmp_path / "History"
    _visits_table(path, [])
    units = integer_time_format(TimeFormat.WEBKIT)
    args = (HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
    empty = (b"", 0, 0, False, [], (None, None, None, None, [], 0))
    assert _visitlines.query_visit_lines(_uri(path), SELECT, *args) == empty


def test_lines_written_to_a_file_are_compact_records_of_the_same_lines(tmp_path: Path) -> None:
    """Given a file descriptor and offset, the lines go there through a buffer of 1 MiB (many
    times over here) as compact records (the slots' texts without the templates' pieces), and
    their size comes back instead of their bytes; the rest is the same. Expanded (in C or in
    Python) with the templates, the records are the lines. What lies before the offset is left
    alone."""
    units = integer_time_format(TimeFormat.WEBKIT)
    assert units is not None
    path = tmp_path / "History"
    _visits_table(path, _rows(4, units, 3000) * 8)  # ids repeat: lines need not be unique here
    args = (HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
    made = _visitlines.query_visit_lines(_uri(path), SELECT, *args)
    assert made is not None and len(made[0]) > 3 * 2**20
    assert made[2] > 0  # searches among them: both templates are used
    spool = tmp_path / "spool"
    spool.write_bytes(b"kept")
    descriptor = os.open(spool, os.O_RDWR)
    try:
        written = _visitlines.query_visit_lines(_uri(path), SELECT, *args, descriptor, 4)
        with pytest.raises(ValueError, match="offset"):
            _visitlines.query_visit_lines(_uri(path), SELECT, *args, descriptor, -1)
    finally:
        os.close(descriptor)
    records = spool.read_bytes()
    assert records[:4] == b"kept" and written[0] == len(records) - 4
    assert written[1:] == made[1:]
    assert written[0] < len(made[0])  # (these test templates are short; a report's are not)
    templates = (VISIT[0], SEARCH[0])
    assert expand_records(records[4:], templates) == made[0]
    assert python_expand_records(records[4:], templates, True) == made[0]
    assert expand_records(records[4:], templates, False) == made[0][len(LINE_SEPARATOR) :]
    out = tmp_path / "report.json"
    out.write_bytes(b"[")
    descriptor = os.open(out, os.O_WRONLY | os.O_APPEND)
    try:  # to a file, through a buffer of 1 MiB: its size comes back
        assert expand_records(records[4:], templates, False, descriptor) == len(made[0]) - 6
    finally:
        os.close(descriptor)
    assert out.read_bytes() == b"[" + made[0][len(LINE_SEPARATOR) :]


@pytest.mark.parametrize("expand", [expand_records, python_expand_records])
def test_records_that_do_not_fit_their_templates_are_refused(expand: Any) -> None:
    templates = ((b"{", b", ", b"}"),)
    assert expand(b"\x1e1a\x1fb\x1e1c\x1fd", templates, True) == b",\n    {a, b},\n    {c, d}"
    for bad in (b"x\x1e1a\x1fb", b"\x1e3a\x1fb", b"\x1e1a", b"\x1e1a\x1fb\x1fc", b"\x1e"):
        with pytest.raises(ValueError, match="compact record"):
            expand(bad, templates, True)


def test_a_file_that_cannot_be_written_raises_oserror(tmp_path: Path) -> None:
    units = integer_time_format(TimeFormat.WEBKIT)
    path = tmp_path / "History"
    _visits_table(path, _rows(5, units, 200))
    args = (HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
    (tmp_path / "read-only").write_bytes(b"")
    descriptor = os.open(tmp_path / "read-only", os.O_RDONLY)
    try:
        with pytest.raises(OSError):
            _visitlines.query_visit_lines(_uri(path), SELECT, *args, descriptor, 0)
    finally:
        os.close(descriptor)


@pytest.mark.parametrize("bad", NOT_UTF8)
@pytest.mark.parametrize("column", ["url", "title", "id", "url_id"])
def test_text_that_is_not_utf8_anywhere_gives_none_where_fetchall_raises(
    tmp_path: Path, bad: bytes, column: str
) -> None:
    path = tmp_path / "History"
    rows = [(n, 13_350_000_000_000_000, f"https://e.test/{n}", "t", n, n) for n in range(50)]
    _visits_table(path, rows)
    with sqlite3.connect(path) as connection:  # the last row's, once most lines are written
        connection.execute(f"UPDATE visits SET {column} = CAST(? AS TEXT) WHERE n = 49", (bad,))
    connection.close()
    with pytest.raises(sqlite3.OperationalError, match="decode"):
        _fetched(path, SELECT)
    units = integer_time_format(TimeFormat.WEBKIT)
    args = (HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
    assert _visitlines.query_visit_lines(_uri(path), SELECT, *args) is None


def test_every_valid_utf8_width_is_read_as_python_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "History"
    texts = ["a", "\u00e9", "\u07ff", "\u0800", "\ud7ff", "\ue000", "\uffff", "\U00010000",
             "\U0010ffff", "x" * 17 + "\u00e9" + "y" * 9, "\x00nul"]  # fmt: skip
    host = "https://www.google.com/search?q="
    rows = [(n, 13_350_000_000_000_000, host + text, text, n, n) for n, text in enumerate(texts)]
    _visits_table(path, rows)
    units = integer_time_format(TimeFormat.WEBKIT)
    args = (HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
    stepped = _visitlines.query_visit_lines(_uri(path), SELECT, *args)
    assert stepped == python_visit_lines(_fetched(path, SELECT), *args)
    assert stepped is not None and stepped[1:4] == (len(texts), len(texts), False)


def test_what_sqlite_cannot_read_raises_its_error(tmp_path: Path) -> None:
    path = tmp_path / "History"
    _visits_table(path, [(1, 2, "u", None, 1, 1)])
    units = integer_time_format(TimeFormat.WEBKIT)
    args = (HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        _visitlines.query_visit_lines(_uri(path), SELECT.replace("visits", "gone"), *args)
    with pytest.raises(sqlite3.OperationalError, match="cannot open"):
        _visitlines.query_visit_lines(_uri(tmp_path / "absent"), SELECT, *args)
    with pytest.raises(sqlite3.OperationalError):
        _visitlines.visit_figures(_uri(path), "SELECT id, time FROM gone")
    (tmp_path / "junk").write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    with pytest.raises(sqlite3.OperationalError):
        _visitlines.visit_figures(_uri(tmp_path / "junk"), FIGURES)
    with pytest.raises(ValueError, match="id, stored, url, title"):
        _visitlines.query_visit_lines(_uri(path), "SELECT id, stored FROM visits", *args)
    with pytest.raises(ValueError, match=r"\(id, time\)"):
        _visitlines.visit_figures(_uri(path), "SELECT id FROM visits")


def test_a_wal_database_is_read_with_its_wal(tmp_path: Path) -> None:
    """Rows only the -wal file holds (a browser open when copied): read as the copy's companion
    (mode=ro), as the Python connection reads them."""
    live = tmp_path / "live" / "History"
    live.parent.mkdir()
    rows = [(n, 13_350_000_000_000_000 + n, f"https://e.test/{n}", "t", n, n) for n in range(40)]
    _visits_table(live, rows[:10])
    writer = sqlite3.connect(live)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.executemany("INSERT INTO visits VALUES (?, ?, ?, ?, ?, ?)", rows[10:])
    writer.commit()
    copy = tmp_path / "History"
    shutil.copyfile(live, copy)
    shutil.copyfile(f"{live}-wal", f"{copy}-wal")
    writer.close()
    files = DatabaseFiles(copy, wal=Path(f"{copy}-wal"))
    connection = sqlite3.connect(files.read_only_uri(), uri=True)
    fetched = connection.execute(SELECT).fetchall()
    units = integer_time_format(TimeFormat.WEBKIT)
    args = (HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
    stepped = _visitlines.query_visit_lines(files.read_only_uri(), SELECT, *args)
    connection.close()
    assert len(fetched) == 40 and stepped == _visitlines.visit_lines(fetched, *args)
    assert stepped is not None and stepped[1] == 40


# --- the deletion indicators' figures


def _figures_table(path: Path, rows: list[tuple[Any, Any]]) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE visits (id, time)")
        connection.executemany("INSERT INTO visits VALUES (?, ?)", rows)
    connection.close()


def _both_figures(path: Path, sql: str = FIGURES) -> Any:
    stepped = _visitlines.visit_figures(_uri(path), sql)
    fetched = python_visit_figures(_fetched(path, sql))
    assert stepped == fetched
    # the same types too: 5 and 5.0 are equal but are not the same stored value
    assert repr(stepped) == repr(fetched)
    return stepped


def _awkward_times(rng: random.Random, count: int) -> list[tuple[Any, Any]]:
    rows: list[tuple[Any, Any]] = []
    ident = rng.choice([-(2**63), -5, 0, 1, 2**62])
    for _ in range(count):
        ident += rng.choice([1, 1, 1, 2, 3, 50])
        if ident >= 2**63:
            break
        time = rng.choice([
            rng.randrange(1, 10**17), rng.randrange(1, 10**17) + 0.5, 5, 5.0, 4.999999, 0, 0.0,
            -1, -0.5, None, "13350000000000000", "x", b"\x01", 2**63 - 1, 9.3e18, 1e300,
            float("inf"), -(2**63), 2**53 + 1, float(2**53),
        ])  # fmt: skip
        rows.append((ident, time))
        if rng.random() < 0.05:
            rows.append(("7", 1))  # a text id: not selected
    return rows


@pytest.mark.parametrize("seed", range(6))
def test_figures_of_awkward_times_and_ids(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "History"
    _figures_table(path, _awkward_times(rng, 400))
    first, last, oldest, newest, gaps = _both_figures(path)
    assert first < last and oldest < newest and len(gaps) > 10


@pytest.mark.parametrize(
    "rows",
    [
        [],
        [(5, None)],
        [(1, 0), (2, -3)],
        [(1, 5), (2, 5.0), (9, 5), (10, 5.0)],  # ties: the first met, of its type
        [(1, 5.0), (3, 5), (4, 2**53 + 1), (8, float(2**53))],
        [(1, 5), (2, 5.5), (3, 4.5), (5, 4), (6, 4.0)],  # int and float of one whole part
        [(1, 2**63 - 1), (2, float(2**63)), (3, 1), (4, 0.5)],  # 2**63: past every int64
        [(-(2**63), 1.5), (2**63 - 1, 2)],  # a gap wider than 64 bits hold signed
        [(1, "12"), (4, b"\xff"), (6, None), (7, 3.25)],
    ],
)
def test_figures_of_small_tables(tmp_path: Path, rows: list[tuple[Any, Any]]) -> None:
    path = tmp_path / "History"
    _figures_table(path, rows)
    _both_figures(path)


def test_figures_with_a_time_that_is_not_utf8_are_left_to_python(tmp_path: Path) -> None:
    path = tmp_path / "History"
    _figures_table(path, [(1, 5), (3, 6)])
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE visits SET time = CAST(X'61FF' AS TEXT) WHERE id = 3")
    connection.close()
    assert _visitlines.visit_figures(_uri(path), FIGURES) is None


def _usual_rows(rng: random.Random, count: int) -> list[tuple[Any, ...]]:
    """Rows the line loop writes every one of (integer ids ascending with gaps, integer times of
    every sign and size, text URLs and titles)."""
    rows: list[tuple[Any, ...]] = []
    ident = rng.choice([-(2**63), -5, 0, 1, 2**62])
    for n in range(count):
        if ident >= 2**63:
            break
        stored = rng.choice([rng.randrange(1, 10**17), 0, -1, 5, 2**63 - 1, -(2**63), 1])
        rows.append((ident, stored, f"https://e.test/{n}", rng.choice([None, "t"]), n, n))
        ident += rng.choice([1, 1, 1, 2, 3, 50, 2**40])
    return rows


def _stepped(tmp_path: Path, rows: list[tuple[Any, ...]]) -> tuple[Path, tuple[Any, ...], Any]:
    """A visits table of `rows`, the line loop's arguments (WebKit times), what C gives."""
    path = tmp_path / "History"
    _visits_table(path, rows)
    units = integer_time_format(TimeFormat.WEBKIT)
    assert units is not None
    args = (HEAD, VISIT, SEARCH, RECORD, units, LABELS, ENGINES, extract_search)
    stepped = _visitlines.query_visit_lines(_uri(path), SELECT, *args)
    assert stepped is not None
    return path, args, stepped


@pytest.mark.parametrize("seed", range(4))
def test_the_line_loops_figures_are_visit_figures_of_its_rows(tmp_path: Path, seed: int) -> None:
    """The figures the line loop gives (so the indicators need no second pass) are what
    visit_figures reads from the same (id, stored) rows, with how many rows there were; the
    list loop and the Python loop give the same."""
    rows = _usual_rows(random.Random(seed), 400)
    path, args, stepped = _stepped(tmp_path, rows)
    assert not stepped[3]
    figures = stepped[5]
    assert figures is not None and figures[5] == len(rows) > 100
    alone = _both_figures(path, "SELECT id, stored FROM visits ORDER BY 1")
    assert repr(figures[:5]) == repr(alone) and len(alone[4]) > 50
    fetched = _fetched(path, SELECT)
    assert stepped == _visitlines.visit_lines(fetched, *args) == python_visit_lines(fetched, *args)


@pytest.mark.parametrize(
    "odd",
    [
        (3, 7, "https://e.test/again", "t", 0, 0),  # an id met twice: not the table's rows
        (9, "13350000000000000", "https://e.test/x", "t", 0, 0),  # an unusual row (text time)
    ],
)
def test_the_line_loop_gives_no_figures_it_cannot_vouch_for(
    tmp_path: Path, odd: tuple[Any, ...]
) -> None:
    rows = [(1, 5, "https://e.test/1", "t", 0, 0), (3, 6, "https://e.test/3", "t", 0, 0), odd]
    path, args, stepped = _stepped(tmp_path, rows)
    assert stepped[5] is None
    assert stepped == python_visit_lines(_fetched(path, SELECT), *args)


def _history_figures(path: Path, table: str, time: str) -> Any:
    sql = f"SELECT id, {time} FROM {table} WHERE typeof(id) = 'integer' ORDER BY 1"
    return _both_figures(path, sql)


def test_figures_of_a_real_chrome_history(shared_data: Path) -> None:
    history = shared_artefact(shared_data, "log2timeline_plaso/test_data/chrome/History")
    first, last, oldest, newest, gaps = _history_figures(history, "visits", "visit_time")
    assert (first, last, gaps) == (1, 69, []) and oldest < newest


def test_figures_of_a_firefox_history_with_deleted_visits(tmp_path: Path) -> None:
    places = firefox_profile(tmp_path) / "places.sqlite"
    with sqlite3.connect(places) as connection:
        for n in range(300):
            add_firefox_visit(connection, f"https://e.test/{n}", f"page {n}", PRTIME_2025 + n)
        connection.execute("DELETE FROM moz_historyvisits WHERE id % 7 IN (0, 1) OR id > 290")
        connection.execute("UPDATE moz_historyvisits SET visit_date = NULL WHERE id % 11 = 0")
        connection.execute("UPDATE moz_historyvisits SET visit_date = visit_date + 0.5 "
                           "WHERE id % 13 = 0")  # fmt: skip
    connection.close()
    *_, gaps = _history_figures(places, "moz_historyvisits", "visit_date")
    assert len(gaps) > 30 and any(isinstance(g[1], float) or g[1] is None for g in gaps)


@pytest.mark.slow
def test_figures_of_a_chromium_history_with_deleted_visits(chromium_copy: Path) -> None:
    history = default_profile(chromium_copy) / "History"
    add_then_delete(history, rows=300, keep_every=6)
    *_, gaps = _history_figures(history, "visits", "visit_time")
    assert len(gaps) > 40
