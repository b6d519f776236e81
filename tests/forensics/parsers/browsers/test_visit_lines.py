"""Histories parsed for a triage that keeps visits only as report.json lines give exactly the
lines their observation objects give (the line path does most of its work in SQLite)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from browser_fixtures import (
    PRTIME_2025,
    WEBKIT_2026,
    add_firefox_visit,
    add_then_delete,
    default_profile,
    firefox_profile,
    shared_artefact,
)

from orderwatch.forensics.parsers.interface import LocalArtefact, ParserMediator
from orderwatch.forensics.parsers.manager import registry
from orderwatch.forensics.parsers.sqlite_plugins import visit_lines
from orderwatch.triage.encoded import REPORT_LINES, encode_observation

PLASO_HISTORY = "log2timeline_plaso/test_data/chrome/History"


def _both_ways(
    path: Path, root: Path, objects_for: frozenset[str] = frozenset()
) -> tuple[list[str], list[str], ParserMediator]:
    """(lines from the objects, lines as a triage makes them, the triage's mediator), sorted."""
    artefact = LocalArtefact(path, root)
    objects = ParserMediator(source="src %s")
    registry.parse(artefact, objects)
    lines = ParserMediator(source="src %s", lines=REPORT_LINES, object_kinds=objects_for)
    registry.parse(artefact, lines)
    assert [(e.parser, e.message) for e in lines.errors] == [
        (e.parser, e.message) for e in objects.errors
    ]
    # lines written without their object (recovered visits ...): the object's every key too
    assert set(lines.encoded) <= {encode_observation(o) for o in objects.observations}
    made = [e[-1] for e in lines.encoded + [encode_observation(o) for o in lines.observations]]
    made += [text for block in lines.blocks for text in block.texts()]
    expected = [encode_observation(o)[-1] for o in objects.observations]
    return sorted(expected), sorted(made), lines


def _kind(line: str) -> str:
    return str(json.loads(line)["kind"])


def test_plaso_history_gives_the_same_lines(shared_data: Path) -> None:
    history = shared_artefact(shared_data, PLASO_HISTORY)
    expected, made, mediator = _both_ways(history, shared_data)
    assert made == expected
    assert len(made) == 76 and mediator.observations == []
    assert sum(_kind(e) == "browser_visit" for e in made) == 69


def test_only_the_kinds_asked_for_stay_objects(shared_data: Path) -> None:
    history = shared_artefact(shared_data, PLASO_HISTORY)
    expected, made, mediator = _both_ways(history, shared_data, frozenset({"download"}))
    assert made == expected
    assert [o.KIND for o in mediator.observations] == ["download", "download"]


@pytest.mark.parametrize("objects_for", [frozenset(), frozenset({"search_term"})])
def test_firefox_with_deleted_places_gives_the_same_lines(
    tmp_path: Path, objects_for: frozenset[str]
) -> None:
    profile = firefox_profile(tmp_path)
    with sqlite3.connect(profile / "places.sqlite") as connection:
        connection.execute("PRAGMA secure_delete = OFF")
        for n in range(400):
            url = f"https://www.bing.com/search?q=term+{n}&form=QBLH"
            add_firefox_visit(connection, url, f"term {n} - Search", PRTIME_2025 + n * 1_000_001)
        connection.execute("DELETE FROM moz_historyvisits WHERE id % 3 = 0")
        connection.execute("DELETE FROM moz_places WHERE id % 3 = 0")
    connection.close()
    expected, made, mediator = _both_ways(profile / "places.sqlite", tmp_path, objects_for)
    assert made == expected
    assert {o.KIND for o in mediator.observations} == set(objects_for)
    kinds = Counter(map(_kind, made))
    assert kinds["browser_visit"] > 300 and kinds["search_term"] > 250
    assert any('"recovered": true' in e for e in made)


@pytest.mark.parametrize("dangling", [False, True])
def test_deletion_figures_come_from_the_line_loop_when_it_met_every_visit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dangling: bool
) -> None:
    """The visits' deletion figures are the line loop's when it met every row of the visits
    table; a visit whose place is gone (the join leaves it out) sends them to a pass of their
    own. Either way the indicators are the object path's."""
    profile = firefox_profile(tmp_path)
    with sqlite3.connect(profile / "places.sqlite") as connection:
        for n in range(200):
            add_firefox_visit(connection, f"https://e.test/{n}", f"page {n}", PRTIME_2025 + n)
        connection.execute("DELETE FROM moz_historyvisits WHERE id % 7 IN (0, 1) OR id > 190")
        if dangling:
            connection.execute("DELETE FROM moz_places WHERE id = 100")  # visit 100 stays
    connection.close()
    passes: list[object] = []
    alone = visit_lines._visit_figures
    assert alone is not None

    def counted(*args: str) -> object:
        passes.append(args)
        return alone(*args)

    monkeypatch.setattr(visit_lines, "_visit_figures", counted)
    expected, made, _ = _both_ways(profile / "places.sqlite", tmp_path)
    assert made == expected
    gaps = [json.loads(e) for e in made if _kind(e) == "history_deletion"]
    assert [g["indicator"] for g in gaps] == ["visit_id_gaps"]
    assert "52 visit id(s) missing inside the kept range 2-188 (26 gap(s)" in gaps[0]["detail"]
    assert len(passes) == (2 if dangling else 1)  # the object path's, and the lines' if need be


@pytest.mark.slow
def test_chromium_with_deleted_rows_gives_the_same_lines(chromium_copy: Path) -> None:
    history = default_profile(chromium_copy) / "History"
    add_then_delete(history, rows=300, keep_every=6)
    expected, made, _ = _both_ways(history, chromium_copy)
    assert made == expected
    assert sum('"recovered": true' in e for e in made) > 150


def _odd_history(path: Path) -> None:
    """A Chromium-schema History whose rows have every type and text the line path must write
    exactly as the objects would be: odd times, NULL and empty titles, JSON's special
    characters, a URL that is a number (its column has no type), a search URL."""
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE urls (id INTEGER PRIMARY KEY, url, title LONGVARCHAR, "
            "last_visit_time INTEGER)"
        )
        connection.execute(
            "CREATE TABLE visits (id INTEGER PRIMARY KEY, url INTEGER, visit_time INTEGER)"
        )
        odd = '"quoted" \\ back\x01slash\n\ttab caf\u00e9 \u2603 100% %s'
        rows: list[tuple[object, object, object]] = [
            ("https://example.test/a", "Plain", WEBKIT_2026),
            ("https://example.test/b", None, WEBKIT_2026 + 1),
            ("https://example.test/c", "", WEBKIT_2026 + 1_000_000),  # title None too
            (f"https://example.test/{odd}", odd, WEBKIT_2026 + 123_456),
            (None, "no url", WEBKIT_2026 + 2),
            ("", "empty url", 0),
            ("https://example.test/neg", "negative", -5),
            ("https://example.test/huge", "huge", 2**62),
            ("https://example.test/text", "text time", str(WEBKIT_2026)),
            ("https://example.test/real", "real time", float(WEBKIT_2026) + 0.5),
            ("https://example.test/null", "null time", None),
            (12345, "number url", WEBKIT_2026 + 3),
            ("https://example.test/blob", b"blob title", WEBKIT_2026 + 4),
            ("https://www.google.com/search?q=caf%C3%A9+%25", "caf\u00e9 %", WEBKIT_2026 + 5),
            ("https://example.test/1601", "first", 1),
            ("https://example.test/2100", "late", 15_746_918_400_000_000 - 1),
        ]
        for url, title, when in rows:
            url_id = connection.execute(
                "INSERT INTO urls (url, title, last_visit_time) VALUES (?, ?, ?)",
                (url, title, when),
            ).lastrowid
            connection.execute("INSERT INTO visits (url, visit_time) VALUES (?, ?)", (url_id, when))
        connection.execute("INSERT INTO visits (id, url, visit_time) VALUES (40, 1, 7)")
    connection.close()


def test_odd_values_give_the_same_lines(tmp_path: Path) -> None:
    history = tmp_path / "Users" / "100% sam" / "AppData/Local/Google/Chrome/User Data" / "Default"
    _odd_history(history / "History")
    expected, made, mediator = _both_ways(history / "History", tmp_path)
    assert made == expected
    [error] = mediator.errors  # the number URL: the object path's own complaint, both ways
    assert "TypeError" in error.message
    visits = [json.loads(e) for e in made if _kind(e) == "browser_visit"]
    assert len(visits) == 17
    times = {v["title"]: v["time"] for v in visits}
    assert (times[None], times["Plain"]) == ("2025-12-23T21:46:41Z", "2025-12-23T21:46:40Z")
    assert times["text time"] == "2025-12-23T21:46:40Z" and times["negative"] is None
    assert times["huge"] is None and times["first"] is None and times["null time"] is None
    assert times["late"] == "2099-12-31T23:59:59.999999Z"
    assert any(v["url"] == 12345 for v in visits)  # as the object path writes it


def test_text_that_is_not_utf8_gives_the_same_lines(tmp_path: Path) -> None:
    history = tmp_path / "Default" / "History"
    _odd_history(history)
    with sqlite3.connect(history) as connection:
        connection.execute("UPDATE urls SET title = CAST(X'4361FE66' AS TEXT) WHERE id = 1")
    connection.close()
    expected, made, _ = _both_ways(history, tmp_path)
    assert made == expected
    assert any('"title": "Ca\ufffdf"' in e for e in made)
