"""Each role x each route: who gets 200, who 403 (not their role) and who 404 (outside reach).

Persons: "a" is off.a's (team North, examiner `exam` assigned), "b" is off.b's (team North), "c"
is off.c's (team South). A person outside the caller's reach is a 404, never a 403.
"""

from __future__ import annotations

from datetime import date

from web_unit import Client, Unit

ROLES = ("off.a", "off.b", "sup.a", "off.c", "exam", "admin", "auditor")


def _expect(**codes: int) -> dict[str, int]:
    """Expected status per user; unnamed users get `other`."""
    other = codes.pop("other")
    return {user: codes.get(user.replace(".", "_"), other) for user in ROLES}


CASEWORK_ONLY = _expect(admin=403, auditor=403, other=200)
SEES_A = _expect(off_a=200, sup_a=200, exam=200, other=404)
EDITS_A = _expect(off_a=200, sup_a=200, exam=403, other=404)
SEES_B = _expect(off_b=200, sup_a=200, other=404)
SEES_C = _expect(off_c=200, other=404)


def _read_matrix(unit: Unit) -> dict[str, dict[str, int]]:
    a, b, c = unit.persons["a"], unit.persons["b"], unit.persons["c"]
    dev_a, acc_a = unit.devices["a"], unit.accounts["a"]
    return {
        "/caseload": CASEWORK_ONLY,
        "/team": _expect(sup_a=200, other=403),
        "/admin/users": _expect(admin=200, other=403),
        f"/admin/users/{unit.users['off.b']}": _expect(admin=200, other=403),
        "/account": _expect(other=200),
        "/audit": _expect(auditor=200, other=403),
        "/persons/new": _expect(off_a=200, off_b=200, sup_a=200, off_c=200, other=403),
        f"/persons/{a}": SEES_A,
        f"/persons/{b}": SEES_B,
        f"/persons/{c}": SEES_C,
        f"/persons/{a}/edit": EDITS_A,
        f"/persons/{a}/order": EDITS_A,
        f"/persons/{a}/devices/new": EDITS_A,
        f"/persons/{a}/devices/{dev_a}/edit": EDITS_A,
        f"/persons/{a}/accounts/new": EDITS_A,
        f"/persons/{a}/accounts/{acc_a}/edit": EDITS_A,
        f"/persons/{a}/visits/new": EDITS_A,
        f"/persons/{c}/edit": SEES_C,
        f"/persons/{c}/devices/{unit.devices['c']}/edit": SEES_C,
        f"/persons/{a}/devices/{unit.devices['c']}/edit": _expect(exam=403, other=404),
        "/api/v1/caseload": CASEWORK_ONLY,
        "/api/v1/team": _expect(sup_a=200, other=403),
        "/api/v1/persons": CASEWORK_ONLY,
        f"/api/v1/persons/{a}": SEES_A,
        f"/api/v1/persons/{b}": SEES_B,
        f"/api/v1/persons/{c}": SEES_C,
        f"/api/v1/persons/{a}/order": SEES_A,
        f"/api/v1/persons/{a}/devices": SEES_A,
        f"/api/v1/persons/{a}/accounts": SEES_A,
        f"/api/v1/persons/{a}/visits": SEES_A,
        f"/api/v1/persons/{c}/visits": SEES_C,
        "/api/v1/me": _expect(other=200),
    }


def test_reading_every_route_as_every_role(unit: Unit) -> None:
    clients = {user: unit.client(user) for user in ROLES}
    wrong = []
    for path, expected in _read_matrix(unit).items():
        for user, code in expected.items():
            got = clients[user].get(path).status_code
            if got != code:
                wrong.append(f"{user} GET {path}: {got}, expected {code}")
    assert wrong == []


def test_outside_reach_and_not_found_look_the_same(unit: Unit) -> None:
    client = unit.client("off.a")
    outside = client.get(f"/persons/{unit.persons['c']}")
    missing = client.get("/persons/987654")
    assert outside.status_code == missing.status_code == 404
    assert outside.text.replace("987654", "") == missing.text.replace("987654", "")
    api_outside = client.get(f"/api/v1/persons/{unit.persons['c']}").json()
    assert api_outside == client.get("/api/v1/persons/987654").json()


def _write_requests(unit: Unit, key: str) -> list[tuple[str, str, dict[str, object]]]:
    """Valid writes on person `key` (form data for pages, JSON for the API)."""
    p, dev, acc = unit.persons[key], unit.devices[key], unit.accounts[key]
    today = date.today().isoformat()
    person_form = {
        "reference": f"OW-{key.upper()}",
        "full_name": "Renamed Person",
        "risk_level": "high",
        "management_level": "active",
        "officer_id": str(unit.users["off.a"]),
        "managed_since": "2020-01-01",
    }
    device = {"kind": "laptop", "serial": "MATRIX-1"}
    account = {"service": "matrix", "identifier": "matrix.user"}
    person_json = {**person_form, "officer_id": unit.users["off.a"]}
    return [
        ("POST", f"/persons/{p}/edit", person_form),
        ("POST", f"/persons/{p}/order", {"kind": "SOPO", "made": "2021-01-01"}),
        ("POST", f"/persons/{p}/devices/new", device),
        ("POST", f"/persons/{p}/devices/{dev}/edit", device),
        ("POST", f"/persons/{p}/accounts/new", account),
        ("POST", f"/persons/{p}/accounts/{acc}/edit", account),
        ("POST", f"/persons/{p}/visits/new", {"done_on": today, "outcome": "completed"}),
        ("POST", f"/persons/{p}/visits/book", {"due_on": today}),
        ("POST", f"/persons/{p}/devices/{dev}/delete", {}),
        ("POST", f"/persons/{p}/accounts/{acc}/delete", {}),
        ("POST", f"/persons/{p}/order/delete", {}),
        ("POST", f"/persons/{p}/delete", {}),
        ("PUT", f"/api/v1/persons/{p}", person_json),
        ("PUT", f"/api/v1/persons/{p}/order", {"kind": "SOPO", "made": "2021-01-01"}),
        ("POST", f"/api/v1/persons/{p}/devices", device),
        ("PUT", f"/api/v1/devices/{dev}", device),
        ("PUT", f"/api/v1/accounts/{acc}", account),
        ("POST", f"/api/v1/persons/{p}/accounts", account),
        ("POST", f"/api/v1/persons/{p}/visits", {"done_on": today, "outcome": "completed"}),
        ("POST", f"/api/v1/persons/{p}/visits/booked", {"due_on": today}),
        ("DELETE", f"/api/v1/devices/{dev}", {}),
        ("DELETE", f"/api/v1/accounts/{acc}", {}),
        ("DELETE", f"/api/v1/persons/{p}/order", {}),
        ("DELETE", f"/api/v1/persons/{p}", {}),
    ]


def _send(client: Client, method: str, path: str, body: dict[str, object]) -> int:
    if path.startswith("/api/"):
        headers = {"X-CSRF-Token": client.csrf}
        if method == "DELETE":
            return client.request(method, path, headers=headers).status_code
        return client.request(method, path, json=body, headers=headers).status_code
    return client.form(path, {k: str(v) for k, v in body.items()}).status_code


def test_writes_outside_reach_are_404_and_change_nothing(unit: Unit) -> None:
    before = unit.client("off.c").get(f"/api/v1/persons/{unit.persons['c']}").json()
    wrong = []
    for user in ("off.a", "sup.a", "exam", "admin", "auditor"):
        client = unit.client(user)
        for method, path, body in _write_requests(unit, "c"):
            got = _send(client, method, path, body)
            if got != 404:
                wrong.append(f"{user} {method} {path}: {got}")
    assert wrong == []
    after = unit.client("off.c").get(f"/api/v1/persons/{unit.persons['c']}").json()
    assert after["person"] == before["person"]
    assert after["order"] == before["order"]
    assert after["devices"] == before["devices"] and after["accounts"] == before["accounts"]
    assert after["visits"] == before["visits"]


def test_an_examiner_sees_an_assigned_person_but_changes_nothing(unit: Unit) -> None:
    wrong = []
    client = unit.client("exam")
    for method, path, body in _write_requests(unit, "a"):
        got = _send(client, method, path, body)
        if got != 403:
            wrong.append(f"exam {method} {path}: {got}")
    assert wrong == []
    page = unit.client("exam").get(f"/persons/{unit.persons['a']}")
    assert "Testperson OW-A" in page.text
    assert "Edit details" not in page.text and "Record a visit" not in page.text


def test_admin_pages_refuse_other_roles_on_post(unit: Unit) -> None:
    new_user = {"username": "intruder", "role": "admin", "password": "long-enough-password"}
    for user in ("off.a", "sup.a", "exam", "auditor"):
        client = unit.client(user)
        assert client.form("/admin/users", new_user).status_code == 403, user
        assert client.form("/admin/teams", {"name": "Rogue"}).status_code == 403, user
        target = f"/admin/users/{unit.users['off.b']}/active"
        assert client.form(target, {"active": "false"}).status_code == 403, user
    users = unit.client("admin").get("/admin/users").text
    assert "intruder" not in users and "Rogue" not in users
