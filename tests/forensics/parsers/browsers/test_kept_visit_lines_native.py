"""Visits kept only as lines, one by one (recovered and unusual rows), are written in C
(`_visitlines.kept_visit_lines`): on generated rows of every type a row may hold (keys that are
ints, tuples, text; times in and out of range, None, floats, text; BLOB and empty titles; lone
surrogates; search URLs of every engine, plain and awkward) produce_visits appends the same
entries in the same order with the C writer as with the Python one, and both are what the
objects encode to."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from test_visit_lines import _odd_history
from test_visit_lines_searches import _urls

from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.sqlite_plugins import visit_lines
from orderwatch.forensics.parsers.sqlite_plugins.browser_database import (
    BrowserDatabasePlugin,
    _KeptVisitLines,
)
from orderwatch.forensics.parsers.sqlite_plugins.interface import SQLiteContext
from orderwatch.triage.encoded import REPORT_LINES, EncodedObservation, encode_observation

NATIVE = visit_lines.kept_visit_lines
if NATIVE is None:  # pragma: no cover
    pytest.skip("_visitlines is not built", allow_module_level=True)

WEBKIT_2026 = 13_410_000_000_000_000


class _Key:
    """A key whose str() is its own (the C writer asks str() for it)."""

    def __str__(self) -> str:
        return "key \u00e9"


class _BadKey:
    def __str__(self) -> str:
        raise RuntimeError("no text")


@pytest.fixture(name="database")
def _database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[BrowserDatabasePlugin, SQLiteContext]:
    """A Chrome plugin and its context after parsing a small History for a triage keeping
    visits as lines (their recovery step is where it stops)."""
    history = tmp_path / "Users/sam/AppData/Local/Google/Chrome/User Data/Default/History"
    _odd_history(history)
    found: list[tuple[BrowserDatabasePlugin, SQLiteContext]] = []

    def stop(self: BrowserDatabasePlugin, context: SQLiteContext) -> None:
        found.append((self, context))

    monkeypatch.setattr(BrowserDatabasePlugin, "recover_deleted", stop)
    mediator = ParserMediator(source="src %s", lines=REPORT_LINES, object_kinds=frozenset())
    registry.parse(LocalArtefact(history, tmp_path), mediator)
    [database] = found
    return database


def _key(rng: random.Random, n: int) -> object:
    return rng.choice(
        [
            n, -n, 2**63 - 1 - n, 2**64 + n, ("recovered", "database", n), ("recovered", "wal", n),
            ("it's", n), ("back\\slash", n), ("caf\u00e9", n), ("tab\t", n), (n,), ("x",), (),
            ((1, 2), n), (None, n), (1.5, n), (True, n), (2**70, n), f"text {n}", "\ud800",
            ("\udcff", n), None, 1.5, _Key(),
        ]
    )  # fmt: skip


def _stored(rng: random.Random) -> object:
    earliest, latest = 11_644_473_600_000_000 + 86_400_000_000, 15_746_918_400_000_000
    return rng.choice(
        [
            None, 0, -5, 1, earliest - 1, earliest, latest - 1, latest, 2**63 - 1, 2**64,
            WEBKIT_2026, WEBKIT_2026 - WEBKIT_2026 % 1_000_000, rng.randrange(earliest, latest),
            rng.randrange(earliest, latest), 1.5, float(WEBKIT_2026), str(WEBKIT_2026), "x",
            True, b"1",
        ]
    )  # fmt: skip


def _text(rng: random.Random) -> str:
    return "".join(rng.choice('ab "\\\n\t\x00\x1f\u00e9\u2028\U0001f600%') for _ in range(8))


def _rows(seed: int, count: int) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    urls = _urls(seed, count)
    rows = []
    for n in range(count):
        url = rng.choice(urls) if rng.random() < 0.7 else f"https://site{n}.test/{_text(rng)}"
        title = rng.choice([None, "", _text(rng), "Plain", b"blob \xff", "\ud800 lone"])
        record = rng.choice([f"deleted urls record {n}", _text(rng), "\udcff record", ""])
        rows.append((_key(rng, n), url, title, _stored(rng), record))
    return rows


def _produced(
    database: tuple[BrowserDatabasePlugin, SQLiteContext],
    rows: list[tuple[Any, ...]],
    recovered: bool,
    native: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[list[EncodedObservation], str | None]:
    """The entries produce_visits appends (the C writer or, `native` None, the Python one) and
    the error it raised, if any."""
    plugin, context = database
    monkeypatch.setattr(visit_lines, "kept_visit_lines", native)
    context.mediator.encoded.clear()
    context.mediator.observations.clear()
    try:
        plugin.produce_visits(context, rows, recovered)
    except Exception as error:  # both ways must raise the same
        return list(context.mediator.encoded), f"{type(error).__name__}: {error}"
    return list(context.mediator.encoded), None


def _objects(
    database: tuple[BrowserDatabasePlugin, SQLiteContext],
    rows: list[tuple[Any, ...]],
    recovered: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> list[EncodedObservation]:
    """What the observation objects of the rows encode to (the reference of both writers)."""
    plugin, context = database
    monkeypatch.setattr(context.mediator, "object_kinds", None)
    context.mediator.observations.clear()
    plugin.produce_visits(context, rows, recovered)
    monkeypatch.setattr(context.mediator, "object_kinds", frozenset())
    return [encode_observation(o) for o in context.mediator.observations]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("recovered", [True, False])
def test_c_and_python_writers_append_the_same_entries(
    database: tuple[BrowserDatabasePlugin, SQLiteContext],
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    recovered: bool,
) -> None:
    rows = _rows(seed, 3000)
    native, error = _produced(database, rows, recovered, NATIVE, monkeypatch)
    python, python_error = _produced(database, rows, recovered, None, monkeypatch)
    assert error is None and python_error is None
    assert native == python
    assert native == _objects(database, rows, recovered, monkeypatch)
    kinds = [entry[2] for entry in native]
    assert kinds.count("browser_visit") == len(rows) and kinds.count("search_term") > 1000
    assert sum(entry[1] is None for entry in native) > 300  # times None, out of range, text


@pytest.mark.parametrize("search_objects", [False, True])
def test_usual_rows_are_written_in_c(
    database: tuple[BrowserDatabasePlugin, SQLiteContext],
    monkeypatch: pytest.MonkeyPatch,
    search_objects: bool,
) -> None:
    """Rows as recovery gives them: none left to the Python writer, the searches read in C but
    for the URLs the matcher is unsure of; their lines written there too, right after their
    visits', unless the order's rules read searches (then each hit goes back as a call, for its
    object)."""
    plugin, context = database
    if search_objects:
        monkeypatch.setattr(context.mediator, "object_kinds", frozenset({"search_term"}))
    kept_rows = [
        (("recovered", "database", n), url, "Title", WEBKIT_2026 + n, f"record {n}")
        for n, url in enumerate(_urls(6, 2000))
    ]
    kept = _KeptVisitLines(plugin, context, True)
    written = kept.lines(kept_rows)
    assert written is not None
    entries, calls = written
    found = [c[2] for c in calls]
    assert None not in found and found.count(...) > 100
    kinds = [entry[2] for entry in entries]
    assert kinds.count("browser_visit") == len(kept_rows)
    hits_in_c = sum(isinstance(f, tuple) for f in found)
    if search_objects:
        assert hits_in_c > 400 and "search_term" not in kinds
    else:
        assert hits_in_c == 0 and kinds.count("search_term") > 400
        follows = [entries[i - 1][2] for i, k in enumerate(kinds) if k == "search_term"]
        assert set(follows) == {"browser_visit"}  # each right after its visit


@pytest.mark.parametrize("seed", [4, 5])
def test_searches_kept_as_objects_are_the_same_both_ways(
    database: tuple[BrowserDatabasePlugin, SQLiteContext],
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
) -> None:
    """An order that reads searches: the visits stay lines, each search an object, both ways."""
    _, context = database
    monkeypatch.setattr(context.mediator, "object_kinds", frozenset({"search_term"}))
    rows = _rows(seed, 1500)
    made = {}
    for writer in (NATIVE, None):
        native_or_python, error = _produced(database, rows, True, writer, monkeypatch)
        objects = [encode_observation(o) for o in context.mediator.observations]
        made[writer is None] = (native_or_python, error, objects)
    assert made[False] == made[True]
    entries, error, objects = made[False]
    assert error is None and len(objects) > 500
    assert {e[2] for e in entries} == {"browser_visit"} and {o[2] for o in objects} == {
        "search_term"
    }


@pytest.mark.parametrize(
    "bad",
    [
        (1, 12345, None, 1, "r"),
        (1, "https://www.google.com/search?q=\udcff", None, 1, "r"),
        (1, "u", None, 1),
        "not a row",
        (1, "u", None, 1, None),
    ],
)
def test_rows_the_python_writer_rejects_raise_the_same_both_ways(
    database: tuple[BrowserDatabasePlugin, SQLiteContext],
    monkeypatch: pytest.MonkeyPatch,
    bad: Any,
) -> None:
    """A URL that is a number or holds a lone surrogate, a short row, no tuple: the Python
    writer raises (read_visits reports it), after the rows before it were appended."""
    rows = [*_rows(7, 50), bad, *_rows(8, 50)]
    native, error = _produced(database, rows, False, NATIVE, monkeypatch)
    assert (native, error) == _produced(database, rows, False, None, monkeypatch)
    assert error is not None and len(native) >= 50


def test_a_key_whose_str_raises_raises_both_ways(
    database: tuple[BrowserDatabasePlugin, SQLiteContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [*_rows(9, 20), (_BadKey(), "https://e.test/", None, None, "r")]
    native, error = _produced(database, rows, True, NATIVE, monkeypatch)
    assert (native, error) == _produced(database, rows, True, None, monkeypatch)
    assert error == "RuntimeError: no text"
