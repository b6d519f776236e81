"""report.html's timeline rows: the same text as a plain markupsafe-escaped rendering of each
value, whatever characters the values hold (timeline_html escapes them all at once)."""

from __future__ import annotations

from typing import Any

import pytest
from markupsafe import Markup, escape

from orderwatch.triage.html import describe, timeline_html

SPECIAL = "a&b <c> 'd' \"e\" caf\u00e9 \u6f22 \U0001f600 &amp; \\ \u2028\n"


def _reference(rows: list[dict[str, Any]]) -> str:
    """Each row as the template wrote it: every value through markupsafe.escape."""
    out = []
    for o in rows:
        oid, prov = escape(o["id"]), o["provenance"]
        row = (
            f'<tr id="obs-{oid}"><td>{escape(o["time"] or "unknown")}</td>'
            f"<td>{escape(o['kind'])}</td><td>{escape(describe(o))}</td>\n"
            f'<td class="prov">source <code>{escape(prov["source"])}</code><br>parser '
            f"{escape(prov['parser'])}"
        )
        if prov.get("path"):
            row += f"<br>path <code>{escape(prov['path'])}</code>"
        if prov.get("record"):
            row += f"<br>record {escape(prov['record'])}"
        if prov.get("original_time"):
            row += f"<br>stored time {escape(prov['original_time'])}"
        out.append(row + f"<br>id {oid}</td></tr>\n")
    return "".join(out)


def _rows(extra: str = "") -> list[dict[str, Any]]:
    full = {
        "source": "/ev/" + SPECIAL,
        "parser": "chrome<history>",
        "path": "/U/" + SPECIAL,
        "record": "visits.id=1 & 'x'",
        "original_time": '"13350001500000000"',
    }
    return [
        {
            "id": "obs&<1>" + extra,
            "kind": "browser_visit",
            "time": "2024-01-17T21:45:00Z",
            "browser": "chrome",
            "url": "https://x.test/?q=a&b=<c>&d='e'&f=\"g\"" + SPECIAL,
            "title": SPECIAL,
            "recovered": True,
            "provenance": full,
        },
        {  # undated; provenance without path, record and original time
            "id": "o2",
            "kind": "search_term",
            "time": None,
            "engine": "Google",
            "term": SPECIAL,
            "url": "",
            "provenance": {"source": SPECIAL, "parser": "p"},
        },
        {  # empty and falsy values, provenance fields present but empty
            "id": "o3",
            "kind": "usb_device",
            "time": "",
            "vendor": None,
            "count": 0,
            "flag": False,
            "names": ["a<b", "c&d"],
            "more": {},
            "provenance": {
                "source": "",
                "parser": "p",
                "path": None,
                "record": "",
                "original_time": None,
            },
        },
        {
            "id": "o4",
            "kind": "hash_match",
            "time": "2024-01-01T00:00:00Z",
            "path": SPECIAL,
            "hashset": "set<1>",
            "category": "A&B",
            "method": "md5",
            "distance": 0,
            "provenance": {**full, "record": 7},  # not text: as markupsafe writes it
        },
        {
            "id": "o5",
            "kind": "file",
            "time": None,
            "path": "/x/'.hidden'",
            "size": None,
            "provenance": {"source": None, "parser": "hidden_material", "path": "/x"},
        },
    ]


@pytest.mark.parametrize("extra", ["", "\0"])  # a NUL in a value: escaped one by one instead
def test_timeline_rows_are_markupsafe_escaped_values(extra: str) -> None:
    rows = _rows(extra)
    made = timeline_html(rows)
    assert isinstance(made, Markup)
    assert str(made) == _reference(rows)
    assert "&amp;amp;" in made and "&#39;" in made and "&#34;" in made and "caf\u00e9" in made
    assert "<br>path" not in made.split("\n")[3]  # o2's provenance has no path
    assert "<td>unknown</td>" in made


def test_markup_and_objects_with_html_are_not_escaped_twice() -> None:
    rows = _rows()
    rows[0]["provenance"] = {**rows[0]["provenance"], "source": Markup("<b>kept</b>")}
    assert str(timeline_html(rows)) == _reference(rows)
    assert "<code><b>kept</b></code>" in timeline_html(rows)


def test_no_rows() -> None:
    assert timeline_html([]) == Markup("")
