"""Pages and their forms: caseload order, person record, create/edit flows, errors kept in place."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from web_unit import Client, Unit

from orderwatch.storage.caseload import register_open_alert_counter, unregister_open_alert_counter


def _person_form(unit: Unit, reference: str, **changes: str) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "reference": reference,
        "full_name": "Formperson " + reference,
        "aliases": "Shadow\nGhost",
        "date_of_birth": "1975-06-07",
        "address": "2 Example Road",
        "risk_level": "very_high",
        "management_level": "active",
        "officer_id": str(unit.users["off.a"]),
        "managed_since": "2024-01-15",
    }
    form.update(changes)
    return form


def _create(client: Client, form: Mapping[str, str | list[str]]) -> int:
    response = client.form("/persons/new", dict(form))
    assert response.status_code == 303, response.text[:500]
    match = re.fullmatch(r"/persons/(\d+)\?done=person-created", response.headers["location"])
    assert match is not None
    return int(match.group(1))


def _field_error(page: str, name: str) -> str:
    """The error text shown beside a field (empty when none)."""
    match = re.search(rf'<div class="error" id="e-{re.escape(name)}">([^<]*)</div>', page)
    return html.unescape(match.group(1)) if match else ""


def _order_in_page(page: str, references: Sequence[str]) -> list[int]:
    return [page.index(f">{r}</a>") for r in references]


def test_caseload_lists_overdue_first_with_open_alerts(unit: Unit) -> None:
    a = unit.persons["a"]

    def counter(_session: object, person_ids: Sequence[int]) -> dict[int, int]:
        return {a: 3} if a in person_ids else {}

    register_open_alert_counter(counter)
    try:
        page = unit.client("sup.a").get("/caseload").text
    finally:
        unregister_open_alert_counter(counter)
    first, second = _order_in_page(page, ["OW-B", "OW-A"])
    assert first < second, "OW-B (no visit for 400 days) is overdue and comes first"
    row_b = page[first : page.index("</tr>", first)]
    row_a = page[second : page.index("</tr>", second)]
    assert "days overdue" in row_b and "days overdue" not in row_a
    assert '<span class="badge alerts-open">3</span>' in row_a
    assert "OW-C" not in page  # another team's person
    assert re.search(r'<div class="n">3</div><div class="l">open alerts</div>', page)


def test_caseload_filters_by_search_and_risk(unit: Unit) -> None:
    client = unit.client("sup.a")
    assert "OW-A" in client.get("/caseload?q=ow-a").text
    assert "OW-B" not in client.get("/caseload?q=ow-a").text
    by_risk = client.get("/caseload?risk=medium").text
    assert "OW-B" in by_risk and "OW-A" not in by_risk
    overdue_only = client.get("/caseload?overdue=true").text
    assert "OW-B" in overdue_only and "OW-A" not in overdue_only


def test_person_page_shows_the_whole_record(unit: Unit) -> None:
    page = unit.client("off.a").get(f"/persons/{unit.persons['a']}").text
    for expected in (
        "Testperson OW-A",
        "Alias OW-A",
        "1 Example Street",
        "SHPO",
        "Example Crown Court",
        "Declare all devices",
        "within days:</span> 3",
        "example-word",
        "SER-a",
        "a@example.org",
        "all fine",
        "phone Pa",  # the visit lists the device inspected
    ):
        assert expected in page, expected


def test_creating_a_person_puts_them_on_the_caseload(unit: Unit) -> None:
    client = unit.client("off.a")
    person_id = _create(client, _person_form(unit, "PG-NEW-1"))
    page = client.get(f"/persons/{person_id}?done=person-created").text
    assert "Person added." in page and "Formperson PG-NEW-1" in page and "Shadow, Ghost" in page
    assert "PG-NEW-1" in client.get("/caseload").text
    assert "PG-NEW-1" not in unit.client("off.c").get("/caseload").text


def test_invalid_fields_re_render_the_form_with_errors_and_what_was_typed(unit: Unit) -> None:
    client = unit.client("off.a")
    form = _person_form(
        unit, "PG-BAD-1", full_name="", date_of_birth="31/02/1975", risk_level="extreme"
    )
    form["address"] = 'Flat <1> "B"'
    response = client.form("/persons/new", form)
    assert response.status_code == 422
    page = response.text
    assert _field_error(page, "full_name") == "Name is required."
    assert "must be a date like 2024-03-31" in _field_error(page, "date_of_birth")
    assert "Risk level must be one of" in _field_error(page, "risk_level")
    assert 'value="PG-BAD-1"' in page and 'value="31/02/1975"' in page
    assert "Flat &lt;1&gt; &#34;B&#34;" in page  # kept, and escaped
    assert "Shadow\nGhost</textarea>" in page
    assert "PG-BAD-1" not in client.get("/caseload").text


def test_storage_errors_land_beside_their_field(unit: Unit) -> None:
    client = unit.client("off.a")
    taken = client.form("/persons/new", _person_form(unit, "OW-B"))
    assert taken.status_code == 422
    assert "already in use" in _field_error(taken.text, "reference")
    not_mine = client.form(
        "/persons/new", _person_form(unit, "PG-OTHER-1", officer_id=str(unit.users["off.c"]))
    )
    assert not_mine.status_code == 422
    assert "not an officer you may assign" in _field_error(not_mine.text, "officer_id")


def test_editing_a_person_keeps_other_fields(unit: Unit) -> None:
    client = unit.client("sup.a")
    person_id = _create(client, _person_form(unit, "PG-EDIT-1"))
    edit = client.get(f"/persons/{person_id}/edit").text
    assert 'value="PG-EDIT-1"' in edit and "Shadow\nGhost</textarea>" in edit
    changed = _person_form(unit, "PG-EDIT-1", risk_level="low", officer_id=str(unit.users["off.b"]))
    assert client.form(f"/persons/{person_id}/edit", changed).status_code == 303
    page = client.get(f"/persons/{person_id}").text
    assert "low risk" in page and "Staff off.b" in page and "2 Example Road" in page
    assert "PG-EDIT-1" in unit.client("off.b").get("/caseload").text


def test_order_form_saves_conditions_with_their_parameters(unit: Unit) -> None:
    client = unit.client("off.a")
    person_id = _create(client, _person_form(unit, "PG-ORDER-1"))
    blank = client.get(f"/persons/{person_id}/order").text
    assert "Prohibited apps or sites" in blank and 'name="prohibited_words.words"' in blank
    order = {
        "kind": "SHPO",
        "court": "Testbury Crown Court",
        "made": "2023-05-10",
        "expires": "2028-05-09",
        "cond.declare_devices": "on",
        "declare_devices.within_days": "5",
        "cond.prohibited_words": "on",
        "prohibited_words.words": "alpha\nbeta",
        "prohibited_words.phrases": "are you home alone",
        "cond.no_anonymisation": "on",
        "prohibited_apps_or_sites.apps": "typed but not ticked",
    }
    assert client.form(f"/persons/{person_id}/order", order).status_code == 303
    record = client.get(f"/api/v1/persons/{person_id}/order").json()
    conditions = {c["type"]: c["params"] for c in record["conditions"]}
    assert set(conditions) == {"declare_devices", "prohibited_words", "no_anonymisation"}
    assert conditions["declare_devices"] == {"within_days": 5}
    assert conditions["prohibited_words"] == {
        "words": ["alpha", "beta"],
        "phrases": ["are you home alone"],
    }
    assert record["court"] == "Testbury Crown Court" and record["expires"] == "2028-05-09"
    again = client.get(f"/persons/{person_id}/order").text
    assert 'name="cond.prohibited_words" value="on" checked' in again
    assert "alpha\nbeta</textarea>" in again


def test_order_form_errors_keep_ticks_and_parameters(unit: Unit) -> None:
    client = unit.client("off.a")
    person_id = unit.persons["a"]
    order = {
        "kind": "SHPO",
        "made": "2023-05-10",
        "expires": "2022-01-01",
        "cond.declare_devices": "on",
        "declare_devices.within_days": "soon",
        "cond.prohibited_words": "on",
        "prohibited_words.words": "kept-word",
    }
    response = client.form(f"/persons/{person_id}/order", order)
    assert response.status_code == 422
    page = response.text
    assert _field_error(page, "expires") == "The order expires before it was made."
    assert "whole number" in _field_error(page, "declare_devices.within_days")
    assert 'name="cond.prohibited_words" value="on" checked' in page
    assert "kept-word</textarea>" in page and 'value="soon"' in page
    stored = client.get(f"/api/v1/persons/{person_id}/order").json()
    assert stored["kind"] == "SHPO" and stored["expires"] != "2022-01-01"


def test_devices_and_accounts_are_declared_edited_and_removed(unit: Unit) -> None:
    client = unit.client("off.a")
    person_id = _create(client, _person_form(unit, "PG-DECL-1"))
    missing = client.form(f"/persons/{person_id}/devices/new", {"kind": "laptop", "make": "Acme"})
    assert missing.status_code == 422
    assert "at least one of serial" in _field_error(missing.text, "serial")
    assert 'value="Acme"' in missing.text
    device = {"kind": "laptop", "make": "Acme", "model": "Book 13", "serial": "ACME-77"}
    assert client.form(f"/persons/{person_id}/devices/new", device).status_code == 303
    devices = client.get(f"/api/v1/persons/{person_id}/devices").json()
    assert [(d["make"], d["serial"]) for d in devices] == [("Acme", "ACME-77")]
    device_id = devices[0]["id"]
    edited = {**device, "serial": "ACME-78", "mac": "02:00:00:00:00:01"}
    path = f"/persons/{person_id}/devices/{device_id}/edit"
    assert client.form(path, edited).status_code == 303
    assert client.get(f"/api/v1/persons/{person_id}/devices").json()[0]["serial"] == "ACME-78"
    account = {"service": "email", "identifier": "decl@example.org"}
    assert client.form(f"/persons/{person_id}/accounts/new", account).status_code == 303
    twice = client.form(f"/persons/{person_id}/accounts/new", account)
    assert twice.status_code == 422
    assert "already declared" in _field_error(twice.text, "identifier")
    path = f"/persons/{person_id}/devices/{device_id}/delete"
    assert client.form(path, {}).status_code == 303
    assert client.get(f"/api/v1/persons/{person_id}/devices").json() == []


def test_a_device_of_another_person_is_not_edited_through_this_one(unit: Unit) -> None:
    client = unit.client("sup.a")  # reaches both a and b
    a, b = unit.persons["a"], unit.persons["b"]
    path = f"/persons/{a}/devices/{unit.devices['b']}/edit"
    response = client.form(path, {"kind": "phone", "serial": "HIJACK"})
    assert response.status_code == 404
    serials = [d["serial"] for d in client.get(f"/api/v1/persons/{b}/devices").json()]
    assert "HIJACK" not in serials


def test_recording_and_booking_visits(unit: Unit) -> None:
    client = unit.client("off.a")
    person_id = _create(client, _person_form(unit, "PG-VISIT-1", risk_level="high"))
    device = {"kind": "phone", "serial": "VIS-1"}
    assert client.form(f"/persons/{person_id}/devices/new", device).status_code == 303
    device_id = client.get(f"/api/v1/persons/{person_id}/devices").json()[0]["id"]
    future = (date.today() + timedelta(days=3)).isoformat()
    bad = client.form(
        f"/persons/{person_id}/visits/new",
        {"done_on": future, "outcome": "completed", "notes": "typed notes"},
    )
    assert bad.status_code == 422
    assert _field_error(bad.text, "done_on") == "Visited on is in the future."
    assert "typed notes</textarea>" in bad.text
    made = (date.today() - timedelta(days=2)).isoformat()
    visit = {
        "done_on": made,
        "outcome": "concerns_raised",
        "devices_inspected": [str(device_id)],
        "notes": "new tablet seen",
    }
    assert client.form(f"/persons/{person_id}/visits/new", visit).status_code == 303
    record = client.get(f"/api/v1/persons/{person_id}").json()
    assert record["last_visit"] == made
    assert (
        record["next_visit_due"] == (date.today() - timedelta(days=2) + timedelta(56)).isoformat()
    )
    assert record["visits"][0]["devices_inspected"] == [device_id]
    soon = (date.today() + timedelta(days=7)).isoformat()
    assert client.form(f"/persons/{person_id}/visits/book", {"due_on": soon}).status_code == 303
    assert client.get(f"/api/v1/persons/{person_id}").json()["next_visit_due"] == soon
    page = client.get(f"/persons/{person_id}").text
    assert "new tablet seen" in page and "concerns raised" in page and "booked" in page


def test_team_page_summarises_each_officer(unit: Unit) -> None:
    page = unit.client("sup.a").get("/team").text
    assert "Team: North" in page
    assert "Staff off.a" in page and "Staff off.b" in page and "Staff off.c" not in page
    row_b = page[page.index("Staff off.b") : page.index("</tr>", page.index("Staff off.b"))]
    cells = re.findall(r'<td class="num">(?:<span class="late">)?(\d+)', row_b)
    assert int(cells[0]) >= 1 and int(cells[1]) >= 1  # persons, overdue (OW-B)


def test_admin_creates_accounts_and_sees_errors_beside_fields(unit: Unit) -> None:
    client = unit.client("admin")
    short = {"username": "new.officer", "role": "officer", "password": "shortpw"}
    response = client.form("/admin/users", short)
    assert response.status_code == 422
    assert "at least 10 characters" in _field_error(response.text, "password")
    assert 'value="new.officer"' in response.text
    assert "shortpw" not in response.text  # a password is never sent back
    good = {**short, "password": "a-long-enough-password", "full_name": "New Officer"}
    assert client.form("/admin/users", good).status_code == 303
    assert "New Officer" in client.get("/admin/users").text
    no_team = {"username": "new.sup", "role": "supervisor", "password": "a-long-enough-pw"}
    response = client.form("/admin/users", no_team)
    assert "a supervisor needs a team" in response.text.lower()


def test_audit_page_shows_views_and_verifies_the_chain(unit: Unit) -> None:
    unit.client("off.c").get(f"/persons/{unit.persons['c']}")
    client = unit.client("auditor")
    page = client.get("/audit?entity=person&username=off.c").text
    assert re.search(r"<td>off\.c</td><td>view</td>\s*<td>person " + str(unit.persons["c"]), page)
    verified = client.get("/audit?verify=true").text
    assert "Chain intact" in verified


def test_caseload_marks_an_expired_order(unit: Unit) -> None:
    client = unit.client("off.a")
    person_id = _create(client, _person_form(unit, "PG-EXPIRED-1"))
    order = {"kind": "bail", "made": "2019-01-01", "expires": "2020-02-03"}
    assert client.form(f"/persons/{person_id}/order", order).status_code == 303
    page = client.get("/caseload?q=PG-EXPIRED-1").text
    assert 'bail <span class="expired">expired 3 Feb 2020</span>' in page
    assert "expired" in client.get(f"/persons/{person_id}").text


def test_removing_a_person_from_their_edit_page(unit: Unit) -> None:
    client = unit.client("off.a")
    person_id = _create(client, _person_form(unit, "PG-GONE-1"))
    assert "Remove this person" in client.get(f"/persons/{person_id}/edit").text
    response = client.form(f"/persons/{person_id}/delete", {})
    assert response.status_code == 303 and response.headers["location"] == "/caseload"
    assert client.get(f"/persons/{person_id}").status_code == 404
    assert "PG-GONE-1" not in client.get("/caseload").text
