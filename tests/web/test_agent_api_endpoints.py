"""The agent's HTTP API (device credentials, not sessions) and the alerts JSON API: status codes,
JSON errors naming the field, idempotent replays, and who may do what."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
import pytest
from alerts_web import alert_ids, body, enrol, item, new_alert_ids
from web_unit import Client, Unit

AGENT = "/api/v1/agent"


def _post(client: Client, credential: str | None, content: bytes, **headers: str) -> httpx.Response:
    if credential is not None:
        headers["Authorization"] = f"Bearer {credential}"
    return client.post(f"{AGENT}/batches", content=content, headers=headers)


def _api(client: Client, method: str, path: str, json: Any = None) -> httpx.Response:
    return client.request(
        method, "/api/v1" + path, json=json, headers={"X-CSRF-Token": client.csrf}
    )


@pytest.fixture(scope="module")
def device(unit: Unit) -> tuple[int, str]:
    """An officer issues a code through the API; an agent exchanges it."""
    officer = unit.client("off.a")
    issued = _api(
        officer, "POST", f"/persons/{unit.persons['a']}/monitored-devices",
        {"declared_device_id": unit.devices["a"]},
    )  # fmt: skip
    assert issued.status_code == 201, issued.text
    assert issued.json()["device"]["status"] == "awaiting_enrolment"
    agent = unit.client()
    answer = agent.post(
        f"{AGENT}/enrol",
        json={"code": issued.json()["code"], "hostname": "phone-a", "agent_version": "1.0"},
    )
    assert answer.status_code == 201, answer.text
    enrolled = answer.json()
    assert enrolled["conditions"] == [
        {"type": "declare_devices", "label": "Declare all devices", "collect": ["usb_device"]},
        {
            "type": "prohibited_words",
            "label": "Prohibited words",
            "collect": ["text", "search_term", "browser_visit", "download"],
        },
    ]
    assert enrolled["max_batch_observations"] == 1000
    again = agent.post(
        f"{AGENT}/enrol",
        json={"code": issued.json()["code"], "hostname": "phone-a", "agent_version": "1.0"},
    )
    assert again.status_code == 401
    assert "already used or expired" in again.json()["detail"]
    return enrolled["device_id"], enrolled["credential"]


def test_a_batch_is_acknowledged_and_a_replay_gets_the_same_answer(
    unit: Unit, device: tuple[int, str]
) -> None:
    device_id, credential = device
    before = alert_ids(unit, "a")
    content = body([item("text", app="SMS", text="example-word"), item("heartbeat")])
    first = _post(unit.client(), credential, content)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "batch_id": first.json()["batch_id"],
        "device_id": device_id,
        "received": 2,
        "stored": 2,
        "duplicates": 0,
    }
    assert "idempotent-replay" not in first.headers
    replay = _post(unit.client(), credential, content)
    assert (replay.status_code, replay.json()) == (200, first.json())
    assert replay.headers["idempotent-replay"] == "true"
    assert len(new_alert_ids(unit, "a", before)) == 1
    config = unit.client().get(f"{AGENT}/config", headers={"Authorization": f"Bearer {credential}"})
    assert config.status_code == 200 and config.json()["device_id"] == device_id


@pytest.mark.parametrize(
    ("content", "status", "field"),
    [
        (b'{"batch_id": "x", "observations": [{"id": "1", "kind": "text"', 422, "body"),
        (body([item("selfie", path="/x")]), 422, "observations[0].kind"),
        (body([item("text", app=["SMS"], text="x")]), 422, "observations[0].app"),
        (body([item("heartbeat", time="2999-01-01T00:00:00Z")]), 422, "observations[0].time"),
        (body([item("heartbeat") for _ in range(1001)]), 413, "observations"),
    ],
)
def test_bad_batches_get_a_json_error_naming_the_field(
    unit: Unit, device: tuple[int, str], content: bytes, status: int, field: str
) -> None:
    response = _post(unit.client(), device[1], content)
    assert response.status_code == status
    assert response.json()["detail"][0]["field"] == field


def test_a_declared_oversize_body_is_refused_before_it_is_read(
    unit: Unit, device: tuple[int, str]
) -> None:
    big = b'{"batch_id": "big", "observations": []}' + b" " * (4 * 1024 * 1024)
    response = _post(unit.client(), device[1], big)
    assert response.status_code == 413
    assert response.json()["detail"] == [{"field": "body", "message": "more than 4,194,304 bytes"}]


def test_credentials(unit: Unit, device: tuple[int, str]) -> None:
    content = body([item("heartbeat")])
    missing = _post(unit.client(), None, content)
    assert (missing.status_code, missing.headers["www-authenticate"]) == (401, "Bearer")
    assert "Authorization: Bearer" in missing.json()["detail"]
    assert _post(unit.client(), "owd_wrong", content).status_code == 401
    basic = unit.client().post(
        f"{AGENT}/batches", content=content, headers={"Authorization": "Basic eDp5"}
    )
    assert basic.status_code == 401
    session_only = unit.client("off.a").post(f"{AGENT}/batches", content=content)
    assert session_only.status_code == 401  # an officer's session is not a device credential


def test_a_device_cannot_post_for_another_and_a_revoked_one_cannot_post(
    unit: Unit, device: tuple[int, str]
) -> None:
    other_id, other_credential = enrol(unit, "b")
    before = alert_ids(unit, "b")
    spoof = body([item("text", app="SMS", text="example-word")], device_id=other_id)
    response = _post(unit.client(), device[1], spoof)
    assert response.status_code == 403
    assert f"belongs to monitored device {device[0]}" in response.json()["detail"]
    assert new_alert_ids(unit, "b", before) == []
    revoked = _api(unit.client("off.b"), "POST", f"/monitored-devices/{other_id}/revoke")
    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    refused = _post(unit.client(), other_credential, body([item("heartbeat")]))
    assert refused.status_code == 403 and "revoked" in refused.json()["detail"]
    config = unit.client().get(
        f"{AGENT}/config", headers={"Authorization": f"Bearer {other_credential}"}
    )
    assert config.status_code == 403


def test_the_alerts_api_follows_reach_and_the_workflow(unit: Unit, device: tuple[int, str]) -> None:
    before = alert_ids(unit, "a")
    _post(unit.client(), device[1], body([item("usb_device", serial="API-USB-9")]))
    (alert_id,) = new_alert_ids(unit, "a", before)
    mine = _api(unit.client("off.a"), "GET", "/alerts?severity=high,low")
    assert alert_id in [a["id"] for a in mine.json()["alerts"]]
    theirs = _api(unit.client("off.b"), "GET", "/alerts?state=all")
    assert alert_id not in [a["id"] for a in theirs.json()["alerts"]]
    assert _api(unit.client("off.b"), "GET", f"/alerts/{alert_id}").status_code == 404
    file = _api(unit.client("sup.a"), "GET", f"/alerts/{alert_id}").json()
    assert file["alert"]["condition"] == "declare_devices"
    assert file["evidence"][0]["payload"]["serial"] == "API-USB-9"
    assert file["transitions"] == ["under_review"]
    wrong = _api(
        unit.client("off.a"), "POST", f"/alerts/{alert_id}/state", {"state": "closed_no_action"}
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["field"] == "state"
    for state in ("under_review", "referred_for_arrest"):
        moved = _api(unit.client("off.a"), "POST", f"/alerts/{alert_id}/state", {"state": state})
        assert moved.status_code == 200, moved.text
    assert moved.json()["outcome"]["kind"] == "referral_for_arrest"
    no_csrf = unit.client("off.a").post(f"/api/v1/alerts/{alert_id}/state", json={"state": "new"})
    assert no_csrf.status_code == 403
    assert _api(unit.client("exam"), "GET", "/alerts").status_code == 403
    assert _api(unit.client(), "GET", "/alerts").status_code == 401


def test_the_openapi_schema_documents_the_agent_batch(unit: Unit) -> None:
    schema = unit.client().get("/api/v1/openapi.json").json()
    batch = schema["paths"]["/api/v1/agent/batches"]["post"]
    properties = batch["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"batch_id", "observations", "device_id"} <= set(properties)
