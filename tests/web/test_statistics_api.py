"""The JSON API for investigations, exhibits and statistics: the same rules as the pages
(reach, dates in order, no negative counts, no second booking out) as 4xx with the field."""

from __future__ import annotations

from datetime import date, timedelta

from web_unit import Client, Unit

DAY = (date.today() - timedelta(days=8)).isoformat()


def _send(client: Client, method: str, path: str, body: object = None) -> tuple[int, object]:
    response = client.request(method, path, json=body, headers={"X-CSRF-Token": client.csrf})
    return response.status_code, response.json()


def test_records_exhibits_and_statistics_over_the_api(unit: Unit) -> None:
    client = unit.client("off.a")
    code, created = _send(
        client,
        "POST",
        "/api/v1/investigations",
        {"officer_id": unit.users["off.a"], "opened_on": DAY, "person_id": unit.persons["a"]},
    )
    assert code == 201, created
    assert isinstance(created, dict)
    base = f"/api/v1/investigations/{created['id']}"
    code, body = _send(
        client,
        "POST",
        f"{base}/warrants",
        {"applied_on": DAY, "address": "1 Road", "executed_on": "2001-01-01"},
    )
    assert code == 422 and body == {
        "detail": [
            {
                "field": "executed_on",
                "message": f"executed before it was applied for (2001-01-01 is before {DAY})",
            }
        ]
    }
    code, body = _send(client, "POST", f"{base}/safeguarding", {"recorded_on": DAY, "children": -1})
    assert code == 422 and body["detail"][0]["field"] == "children"  # type: ignore[index]
    assert _send(client, "POST", f"{base}/arrests", {"arrested_on": DAY})[0] == 201
    code, whole = _send(
        client,
        "POST",
        f"{base}/bail",
        {"granted_on": DAY, "conditions": [{"type": "no_contact_with_children"}]},
    )
    assert code == 201 and whole["bail"][0]["conditions"] == [{"type": "no_contact_with_children"}]  # type: ignore[index]
    code, exhibit = _send(
        client,
        "POST",
        f"{base}/exhibits",
        {"description": "Phone", "device_kind": "phone", "seized_on": DAY, "seized_by": "DC"},
    )
    assert code == 201 and exhibit["custody"][0]["action"] == "seized"  # type: ignore[index]
    path = f"/api/v1/exhibits/{exhibit['summary']['id']}/custody"  # type: ignore[index]
    moment = f"{(date.today() - timedelta(days=1)).isoformat()}T10:00:00+00:00"
    code, naive = _send(
        client,
        "POST",
        path,
        {"action": "booked_in", "at": moment[:19], "holder": "Store", "reason": "in"},
    )
    assert code == 422 and "time zone" in str(naive)
    assert (
        _send(
            client,
            "POST",
            path,
            {"action": "booked_in", "at": moment, "holder": "Store", "reason": "in"},
        )[0]
        == 201
    )
    later = moment.replace("T10", "T11")
    assert (
        _send(
            client,
            "POST",
            path,
            {"action": "booked_out", "at": later, "holder": "Lab", "reason": "exam"},
        )[0]
        == 201
    )
    code, twice = _send(
        client,
        "POST",
        path,
        {"action": "booked_out", "at": later, "holder": "Court", "reason": "trial"},
    )
    assert code == 422 and twice["detail"][0]["field"] == "action"  # type: ignore[index]
    assert _send(unit.client("off.c"), "GET", base)[0] == 404
    code, stats = _send(unit.client("sup.a"), "GET", "/api/v1/statistics?preset=six_months")
    assert code == 200
    figures = {f["key"]: f for f in stats["figures"]}  # type: ignore[index]
    assert figures["arrests"]["this_period"] >= 1 and figures["devices_seized"]["this_period"] >= 1
    assert [line["label"] for line in stats["officers"]] == ["Staff off.a", "Staff off.b"]  # type: ignore[index]
    code, bad = _send(
        unit.client("sup.a"),
        "GET",
        "/api/v1/statistics?preset=custom&start=2025-02-01&end=2025-01-01",
    )
    assert code == 422 and "end:" in str(bad)
    for who in ("exam", "admin", "auditor"):
        assert _send(unit.client(who), "GET", "/api/v1/statistics")[0] == 403
    paths = unit.client().get("/api/v1/openapi.json").json()["paths"]
    for expected in (
        "/api/v1/investigations",
        "/api/v1/exhibits/{exhibit_id}/custody",
        "/api/v1/statistics",
    ):
        assert expected in paths
