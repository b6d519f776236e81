"""The statistics pages: who may open them, the six-month preset by default, bad periods as
form errors, an honest empty state, and CSV / PDF exports that are audited."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from web_unit import SYSTEM, Unit

from orderwatch.storage import list_audit

TODAY = date.today()


def _error(page: str, name: str) -> str:
    match = re.search(rf'<div class="error" id="e-{re.escape(name)}">([^<]*)</div>', page)
    return html.unescape(match.group(1)) if match else ""


def _tile(page: str, key: str) -> str:
    match = re.search(rf'data-figure="{key}"><div class="n">([^<]*)</div>', page)
    return match.group(1) if match else ""


def test_who_opens_the_dashboard(unit: Unit) -> None:
    codes = {u: unit.client(u).get("/statistics").status_code for u in unit.users}
    assert codes == {
        "off.a": 200,
        "off.b": 200,
        "sup.a": 200,
        "off.c": 200,
        "exam": 403,
        "admin": 403,
        "auditor": 403,
    }
    for path in ("/statistics/export.csv", "/statistics/press.pdf"):
        assert unit.client("auditor").get(path).status_code == 403
        assert unit.client().get(path).status_code == 303  # to the login page


def test_a_supervisor_reads_six_months_against_the_six_before(unit: Unit) -> None:
    officer = unit.client("off.a")
    opened = officer.form(
        "/investigations/new",
        {
            "person_id": str(unit.persons["a"]),
            "officer_id": str(unit.users["off.a"]),
            "opened_on": (TODAY - timedelta(days=30)).isoformat(),
        },
    )
    base = opened.headers["location"].split("?")[0]
    for day in (5, 6):
        arrest = {"arrested_on": (TODAY - timedelta(days=day)).isoformat()}
        assert officer.form(f"{base}/arrests/new", arrest).status_code == 303
    page = unit.client("sup.a").get("/statistics")
    assert page.status_code == 200
    text = page.text
    assert "Last six months vs the six before" in text
    assert _tile(text, "arrests") == "2" and "new (none before)" in text
    assert "<h2>By officer</h2>" in text and "Staff off.a" in text and "Staff off.c" not in text
    assert text.count("<svg") == 5  # the comparison bars and four trends, inline
    unit_page = unit.client("sup.a").get("/statistics?scope=unit").text
    assert "<h2>By team</h2>" in unit_page and "South" in unit_page
    own = unit.client("off.c").get("/statistics").text
    assert _tile(own, "arrests") == "0"


def test_bad_periods_come_back_as_form_errors(unit: Unit) -> None:
    client = unit.client("sup.a")
    cases = {
        "preset=custom&start=2025-03-01&end=2025-02-01": ("end", "The period ends (2025-02-01)"),
        "preset=custom&start=2025-13-01&end=2025-02-01": ("start", "From must be a date"),
        "preset=custom&end=2025-02-01": ("start", "Give the first day"),
        f"preset=custom&start=2025-01-01&end={TODAY + timedelta(days=3)}": ("end", "future"),
        "preset=sometime": ("preset", "Period must be one of"),
        "scope=own": ("scope", "Choose one of the scopes offered."),
    }
    for query, (field, words) in cases.items():
        response = client.get(f"/statistics?{query}")
        assert response.status_code == 422, query
        assert words in _error(response.text, field), (query, _error(response.text, field))
        assert 'data-figure="arrests"' not in response.text
        export = client.get(f"/statistics/export.csv?{query}")
        assert export.status_code == 422 and "text/html" in export.headers["content-type"]


def test_a_period_with_no_data_says_so(unit: Unit) -> None:
    page = unit.client("sup.a").get("/statistics?preset=custom&start=2001-01-01&end=2001-06-30")
    assert page.status_code == 200
    assert "Nothing was recorded in either period" in page.text
    assert 'data-figure="arrests"' not in page.text


def test_exports_match_the_page_and_are_audited(unit: Unit) -> None:
    client = unit.client("sup.a")
    query = "preset=twelve_months&scope=team"
    csv = client.get(f"/statistics/export.csv?{query}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"].startswith('attachment; filename="orderwatch-')
    assert "section,line,figure,this period,previous period,change,per cent" in csv.text
    assert re.search(r"^Enforcement,North,Arrests,\d+,0,\d+,\r?$", csv.text, re.MULTILINE)
    pdf = client.get(f"/statistics/press.pdf?{query}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    with unit.database.session() as session:
        log = list_audit(session, SYSTEM, entity="statistics", username="sup.a", limit=2)
    assert [e.action for e in log] == ["export", "export"]
    assert log[0].detail["scope"] == "team"
