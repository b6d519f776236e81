"""Investigation and exhibit pages: reach by role, forms that come back with their errors in
place (dates out of order, negative counts, an exhibit booked out twice), never a 500."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from web_unit import Client, Unit

TODAY = date.today()
DAY = (TODAY - timedelta(days=10)).isoformat()


def _error(page: str, name: str) -> str:
    match = re.search(rf'<div class="error" id="e-{re.escape(name)}">([^<]*)</div>', page)
    return html.unescape(match.group(1)) if match else ""


def _open(client: Client, unit: Unit, person: str = "a", officer: str = "off.a") -> int:
    form = {
        "person_id": str(unit.persons[person]),
        "officer_id": str(unit.users[officer]),
        "opened_on": DAY,
        "summary": "Referral from an online platform",
    }
    response = client.form("/investigations/new", form)
    assert response.status_code == 303, response.text[:800]
    match = re.fullmatch(r"/investigations/(\d+)\?done=opened", response.headers["location"])
    assert match is not None
    return int(match.group(1))


def _book_exhibit(client: Client, investigation: int) -> int:
    form = {
        "description": "Black phone",
        "device_kind": "phone",
        "seized_on": DAY,
        "seized_by": "DC Test",
        "seal_number": "SEAL-9",
        "hidden": "on",
    }
    response = client.form(f"/investigations/{investigation}/exhibits/new", form)
    assert response.status_code == 303, response.text[:800]
    return int(response.headers["location"].split("/")[2].split("?")[0])


def test_pages_by_role(unit: Unit) -> None:
    officer = unit.client("off.a")
    investigation = _open(officer, unit)
    exhibit = _book_exhibit(officer, investigation)
    expected = {
        "off.a": 200,
        "sup.a": 200,
        "off.b": 404,
        "off.c": 404,
        "exam": 200,  # OW-A is assigned to the examiner
        "admin": 403,
        "auditor": 403,
    }
    wrong = []
    for user, code in expected.items():
        client = unit.client(user)
        for path in (f"/investigations/{investigation}", f"/exhibits/{exhibit}"):
            got = client.get(path).status_code
            if got != code:
                wrong.append(f"{user} {path}: {got}, expected {code}")
        listing = client.get("/investigations")
        assert listing.status_code == (403 if code == 403 else 200), user
        assert (f'href="/investigations/{investigation}"' in listing.text) == (code == 200), user
    assert wrong == []
    nav = unit.client("sup.a").get("/caseload").text
    assert 'href="/statistics"' in nav and 'href="/exhibits"' in nav
    assert 'href="/statistics"' not in unit.client("exam").get("/caseload").text


def test_record_forms_keep_input_and_name_the_fault(unit: Unit) -> None:
    client = unit.client("off.a")
    investigation = _open(client, unit)
    base = f"/investigations/{investigation}"
    bad_warrant = {
        "applied_on": DAY,
        "executed_on": (TODAY - timedelta(days=12)).isoformat(),
        "address": "9 Lane",
    }
    response = client.form(f"{base}/warrants/new", bad_warrant)
    assert response.status_code == 422
    assert _error(response.text, "executed_on").startswith("Executed before it was applied for")
    assert 'value="9 Lane"' in response.text or ">9 Lane</textarea>" in response.text
    response = client.form(f"{base}/safeguarding/new", {"recorded_on": DAY, "children": "-3"})
    assert response.status_code == 422
    assert _error(response.text, "children") == "Children safeguarded cannot be negative."
    response = client.form(
        f"{base}/offences/new", {"offence_type": "made_up", "identified_on": DAY}
    )
    assert (
        response.status_code == 422
        and _error(response.text, "offence_type") == "Choose an offence from the list."
    )
    response = client.form(f"{base}/nonsense/new", {"x": "1"})
    assert response.status_code == 404
    for section, form in (
        ("warrants", {"applied_on": DAY, "executed_on": DAY, "address": "9 Lane"}),
        ("arrests", {"arrested_on": DAY}),
        ("offences", {"offence_type": "iioc_making", "identified_on": DAY, "cyber": "on"}),
        ("safeguarding", {"recorded_on": DAY, "children": "2"}),
        ("referrals", {"received_on": DAY, "source": "ceop_nca", "online": "on"}),
        ("bail", {"granted_on": DAY, "cond.no_contact_with_children": "on"}),
    ):
        response = client.form(f"{base}/{section}/new", form)
        assert response.status_code == 303, (section, response.text[:600])
    page = client.get(base).text
    assert "<td>Making indecent images of children</td>" in page
    assert "9 Lane" in page and "No contact with children" in page and "CEOP / NCA referral" in page
    assert re.search(r'<div class="n">2</div><div class="l">children safeguarded</div>', page)


def test_an_exhibit_booked_out_twice_is_a_form_error(unit: Unit) -> None:
    client = unit.client("off.a")
    exhibit = _book_exhibit(client, _open(client, unit))
    base = f"/exhibits/{exhibit}"
    moment = (TODAY - timedelta(days=2)).isoformat()
    steps = [
        {
            "action": "booked_in",
            "at": f"{moment}T09:00",
            "holder": "Property store",
            "reason": "into store",
        },
        {
            "action": "booked_out",
            "at": f"{moment}T10:00",
            "holder": "DF lab",
            "reason": "examination",
        },
    ]
    for step in steps:
        assert client.form(f"{base}/custody", step).status_code == 303
    again = {"action": "booked_out", "at": f"{moment}T11:00", "holder": "Court", "reason": "trial"}
    response = client.form(f"{base}/custody", again)
    assert response.status_code == 422
    assert (
        _error(response.text, "action")
        == "The exhibit is already booked out to DF lab; book it back in first"
    )
    assert 'value="Court"' in response.text
    bad_time = {**again, "action": "booked_in", "at": "yesterday"}
    assert "must be a date and time" in _error(client.form(f"{base}/custody", bad_time).text, "at")
    page = client.get(base).text
    assert page.count('<tr><td class="num">') == 3  # seized, booked in, booked out
    assert "SEAL-9" in page and "found hidden" in page
    response = client.form(
        f"{base}/status", {"status": "triaged", "on": (TODAY - timedelta(days=30)).isoformat()}
    )
    assert response.status_code == 422 and "only seized on" in _error(response.text, "on")
    assert (
        client.form(f"{base}/status", {"status": "triaged", "on": TODAY.isoformat()}).status_code
        == 303
    )
    assert client.form(f"{base}/priority", {"priority": "1", "reason": ""}).status_code == 422
    assert (
        client.form(f"{base}/priority", {"priority": "1", "reason": "court date"}).status_code
        == 303
    )
    queue = client.get("/exhibits").text
    assert f'href="/exhibits/{exhibit}"' in queue and "1 Urgent" in queue
