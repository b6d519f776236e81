"""The JSON API under /api/v1: the same resources as the pages, with schemas of their own."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx2 as httpx
from web_unit import Client, Unit


def _api(client: Client, method: str, path: str, body: Any = None) -> httpx.Response:
    headers = {"X-CSRF-Token": client.csrf}
    return client.request(method, "/api/v1" + path, json=body, headers=headers)


def _person(unit: Unit, reference: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": reference,
        "full_name": "Apiperson " + reference,
        "risk_level": "high",
        "officer_id": unit.users["off.b"],
        "managed_since": "2024-02-01",
        "aliases": ["Api Alias"],
        "examiner_ids": [unit.users["exam"]],
    }
    body.update(changes)
    return body


def test_person_lifecycle(unit: Unit) -> None:
    client = unit.client("off.b")
    created = _api(client, "POST", "/persons", _person(unit, "API-1"))
    assert created.status_code == 201
    person = created.json()
    assert person["officer"]["username"] == "off.b"
    assert [e["username"] for e in person["examiners"]] == ["exam"]
    assert person["management_level"] == "active"
    file = _api(client, "GET", f"/persons/{person['id']}").json()
    assert file["person"]["aliases"] == ["Api Alias"]
    assert file["order"] is None and file["devices"] == [] and file["visits"] == []
    assert file["next_visit_due"] == (date(2024, 2, 1) + timedelta(days=56)).isoformat()
    assert file["overdue_days"] == (date.today() - date(2024, 3, 28)).days
    changed = _api(
        client, "PUT", f"/persons/{person['id']}", _person(unit, "API-1", risk_level="low")
    )
    assert changed.status_code == 200 and changed.json()["risk_level"] == "low"
    listed = [e["reference"] for e in _api(client, "GET", "/persons").json()]
    assert "API-1" in listed and "OW-A" not in listed
    assert _api(client, "DELETE", f"/persons/{person['id']}").status_code == 204
    assert _api(client, "GET", f"/persons/{person['id']}").status_code == 404


def test_order_with_conditions_round_trips(unit: Unit) -> None:
    client = unit.client("off.b")
    person_id = _api(client, "POST", "/persons", _person(unit, "API-2")).json()["id"]
    order = {
        "kind": "SOPO",
        "court": "Demo Crown Court",
        "made": "2022-03-04",
        "expires": None,
        "conditions": [
            {"type": "no_anonymisation", "params": {"allow": ["Corporate VPN"]}},
            {"type": "keep_monitoring"},
        ],
    }
    saved = _api(client, "PUT", f"/persons/{person_id}/order", order)
    assert saved.status_code == 200
    body = saved.json()
    assert body["status"] == "in_force"
    assert body["conditions"] == [
        {"type": "no_anonymisation", "params": {"allow": ["Corporate VPN"]}},
        {"type": "keep_monitoring", "params": {}},
    ]
    assert _api(client, "GET", f"/persons/{person_id}/order").json() == body
    assert _api(client, "DELETE", f"/persons/{person_id}/order").status_code == 204
    assert _api(client, "GET", f"/persons/{person_id}/order").status_code == 404


def test_bad_condition_is_a_422_naming_the_problem(unit: Unit) -> None:
    client = unit.client("off.a")
    path = f"/persons/{unit.persons['a']}/order"
    unknown_param = {
        "kind": "SHPO",
        "made": "2022-01-01",
        "conditions": [{"type": "retain_history", "params": {"days": 3}}],
    }
    response = _api(client, "PUT", path, unknown_param)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["field"] == "conditions"
    assert "conditions[0]: retain_history does not take parameter 'days'" in detail[0]["message"]
    unknown_type = {**unknown_param, "conditions": [{"type": "no_fun"}]}
    assert _api(client, "PUT", path, unknown_type).status_code == 422
    assert _api(client, "GET", path).json()["kind"] == "SHPO"  # unchanged


def test_schema_validation_and_storage_validation_are_422(unit: Unit) -> None:
    client = unit.client("off.b")
    missing = _api(client, "POST", "/persons", {"reference": "API-X"})
    assert missing.status_code == 422
    fields = {tuple(d["loc"]) for d in missing.json()["detail"]}
    assert ("body", "full_name") in fields and ("body", "risk_level") in fields
    taken = _api(client, "POST", "/persons", _person(unit, "OW-B"))
    assert taken.status_code == 422
    assert taken.json()["detail"][0]["field"] == "reference"
    too_long = _api(client, "POST", "/persons", _person(unit, "X" * 65))
    assert too_long.status_code == 422


def test_devices_accounts_and_visits(unit: Unit) -> None:
    client = unit.client("off.b")
    person_id = _api(client, "POST", "/persons", _person(unit, "API-3")).json()["id"]
    device = {"kind": "usb_storage", "vendor": "SanDisk", "product": "Cruzer", "serial": "4C53"}
    created = _api(client, "POST", f"/persons/{person_id}/devices", device)
    assert created.status_code == 201
    device_id = created.json()["id"]
    assert created.json()["person_id"] == person_id
    changed = _api(client, "PUT", f"/devices/{device_id}", {**device, "serial": "4C54"})
    assert changed.json()["serial"] == "4C54"
    no_identity = _api(client, "POST", f"/persons/{person_id}/devices", {"kind": "phone"})
    assert no_identity.status_code == 422 and no_identity.json()["detail"][0]["field"] == "serial"
    account = _api(
        client, "POST", f"/persons/{person_id}/accounts", {"service": "kik", "identifier": "k1"}
    )
    assert account.status_code == 201
    account_id = account.json()["id"]
    renamed = _api(client, "PUT", f"/accounts/{account_id}", {"service": "kik", "identifier": "k2"})
    assert renamed.json()["identifier"] == "k2"
    booked = _api(
        client,
        "POST",
        f"/persons/{person_id}/visits/booked",
        {"due_on": (date.today() + timedelta(days=10)).isoformat()},
    )
    assert booked.status_code == 201 and booked.json()["done_on"] is None
    made = _api(
        client,
        "POST",
        f"/persons/{person_id}/visits",
        {
            "done_on": date.today().isoformat(),
            "outcome": "completed",
            "devices_inspected": [device_id],
            "visit_id": booked.json()["id"],
        },
    )
    assert made.status_code == 201
    assert made.json()["id"] == booked.json()["id"]
    assert made.json()["officer"]["username"] == "off.b"
    foreign = _api(
        client,
        "POST",
        f"/persons/{person_id}/visits",
        {
            "done_on": date.today().isoformat(),
            "outcome": "completed",
            "devices_inspected": [unit.devices["b"]],
        },
    )
    assert foreign.status_code == 422
    visits = _api(client, "GET", f"/persons/{person_id}/visits").json()
    assert [(v["outcome"], v["devices_inspected"]) for v in visits] == [("completed", [device_id])]
    assert _api(client, "DELETE", f"/accounts/{account_id}").status_code == 204
    assert _api(client, "DELETE", f"/devices/{device_id}").status_code == 204
    assert _api(client, "GET", f"/persons/{person_id}/accounts").json() == []


def test_caseload_and_team_as_json(unit: Unit) -> None:
    caseload = _api(unit.client("sup.a"), "GET", "/caseload").json()
    references = [e["reference"] for e in caseload]
    assert references.index("OW-B") < references.index("OW-A")  # overdue first
    entry = next(e for e in caseload if e["reference"] == "OW-B")
    assert entry["overdue_days"] > 0 and entry["officer"]["username"] == "off.b"
    assert entry["order_kind"] == "SHPO"
    team = _api(unit.client("sup.a"), "GET", "/team").json()
    assert team["team"]["name"] == "North"
    officers = {o["officer"]["username"]: o for o in team["officers"]}
    assert {"off.a", "off.b"} <= set(officers) and "off.c" not in officers
    assert officers["off.b"]["overdue"] >= 1


def test_api_logout_ends_the_session(unit: Unit) -> None:
    client = unit.client("off.c")
    assert _api(client, "DELETE", "/session").status_code == 204
    assert _api(client, "GET", "/me").status_code == 401
