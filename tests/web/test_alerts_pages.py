"""Alert pages: the queue per officer, the alert page with its evidence, working an alert with
CSRF-protected forms, counts on the caseload and person pages, enrolment and revocation."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from alerts_web import alert_ids, enrol, item, new_alert_ids, send
from web_unit import SYSTEM, Unit

from orderwatch.domain.caseload import OrderKind
from orderwatch.domain.conditions import parse_condition
from orderwatch.domain.orderfile import OrderRecord
from orderwatch.storage import set_order

OLD = (datetime.now(UTC) - timedelta(days=30)).isoformat()


@pytest.fixture(scope="module")
def alerts(unit: Unit) -> dict[str, int]:
    """Person a: a medium word alert, a high USB alert, a medium image alert; person c: one."""
    conditions = (
        parse_condition({"type": "declare_devices", "within_days": 3}),
        parse_condition({"type": "prohibited_words", "words": ["example-word"]}),
        parse_condition({"type": "no_adult_pornography"}),
    )
    with unit.database.session() as session:
        order = OrderRecord(OrderKind.SHPO, None, datetime(2024, 1, 1).date(), None, conditions)
        set_order(session, SYSTEM, unit.persons["a"], order)
    _, credential_a = enrol(unit, "a")
    _, credential_c = enrol(unit, "c")
    found = {}
    sends = [
        ("a", credential_a, "word", item("text", app="WhatsApp", text="the Example-W0rd again")),
        (
            "a",
            credential_a,
            "usb",
            item("usb_device", vendor="Lexar", serial="PG-USB-1", first_seen=OLD),
        ),
        (
            "a",
            credential_a,
            "image",
            item(
                "image",
                path="/home/a/Pictures/IMG_0001.jpg",
                md5="0cc175b9c0f1b6a831c399e269772661",
                sha1="86f7e437faa5a7fce15d1ddcb9eaeaea377667b8",
                scores={"porn": 0.97},
            ),
        ),
        ("c", credential_c, "word", item("text", app="SMS", text="example-word")),
    ]
    for key, credential, name, observation in sends:
        before = alert_ids(unit, key)
        send(unit, credential, [observation])
        (found[f"{key}-{name}"],) = new_alert_ids(unit, key, before)
    return found


def _rows(page: str) -> list[str]:
    body = page.split('<table class="grid alerts">', 1)[1].split("</table>", 1)[0]
    return [
        html.unescape(re.sub(r"\s+", " ", r)) for r in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_queue_shows_the_officers_alerts_worst_first(
    unit: Unit, alerts: dict[str, int]
) -> None:
    response = unit.client("off.a").get("/alerts")
    assert response.status_code == 200
    rows = _rows(response.text)[1:]  # after the header
    assert [re.search(r'href="/alerts/(\d+)"', r).group(1) for r in rows if "/alerts/" in r] == [  # type: ignore[union-attr]
        str(alerts["a-usb"]),
        str(alerts["a-word"]),
        str(alerts["a-image"]),
    ]
    assert "OW-C" not in response.text
    assert "Undeclared USB storage device: Lexar (serial PG-USB-1)" in rows[0]
    assert "Officer" not in _rows(response.text)[0]  # officers see only their own
    filtered = unit.client("off.a").get("/alerts?severity=high").text
    assert (
        f"/alerts/{alerts['a-usb']}" in filtered and f"/alerts/{alerts['a-word']}" not in filtered
    )


def test_supervisors_see_the_team_and_others_see_nothing(
    unit: Unit, alerts: dict[str, int]
) -> None:
    team = unit.client("sup.a").get("/alerts").text
    assert f"/alerts/{alerts['a-usb']}" in team and f"/alerts/{alerts['c-word']}" not in team
    assert "Staff off.a" in team  # the officer column
    alert = f"/alerts/{alerts['a-word']}"
    assert unit.client("sup.a").get(alert).status_code == 200
    for outsider in ("off.b", "off.c"):
        page = unit.client(outsider).get(alert)
        assert page.status_code == 404, outsider
        assert "example-word" not in page.text.lower()
    assert unit.client("exam").get("/alerts").status_code == 403
    assert unit.client("exam").get(alert).status_code == 403
    assert unit.client("off.a").get("/alerts?state=bogus").status_code == 422


def test_the_alert_page_explains_and_shows_the_evidence_but_never_an_image(
    unit: Unit, alerts: dict[str, int]
) -> None:
    page = unit.client("off.a").get(f"/alerts/{alerts['a-word']}").text
    assert "Prohibited words" in page and "prohibited_words" in page
    assert "Prohibited word &#34;example-word&#34; in WhatsApp text" in page
    assert "the Example-W0rd again" in page  # what the agent reported
    assert "&#34;Example-W0rd&#34;" in page  # what matched
    image = unit.client("off.a").get(f"/alerts/{alerts['a-image']}").text
    assert "0cc175b9c0f1b6a831c399e269772661" in image
    assert "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8" in image
    assert "porn: 0.97" in image
    assert "<img" not in image and "Images are never shown" in image


def test_working_an_alert_through_its_states(unit: Unit, alerts: dict[str, int]) -> None:
    client = unit.client("off.a")
    path = f"/alerts/{alerts['a-word']}"
    refused = client.post(path + "/state", data={"state": "under_review"})  # no CSRF token
    assert refused.status_code == 403
    skipped = client.form(path + "/state", {"state": "breach_recorded", "note": "typed note"})
    assert skipped.status_code == 422
    assert "cannot become breach_recorded" in html.unescape(skipped.text)
    assert "typed note" in skipped.text  # the note is kept
    moved = client.form(path + "/state", {"state": "under_review", "note": ""})
    assert (moved.status_code, moved.headers["location"]) == (303, path + "?done=state")
    page = client.get(path + "?done=state").text
    assert "Alert updated." in page and "Under review" in page
    assert 'value="advice_given"' in page and 'value="under_review"' not in page
    done = client.form(path + "/state", {"state": "advice_given", "note": "Discussed at visit."})
    assert done.status_code == 303
    page = html.unescape(client.get(path).text)
    assert "Closed: advice given" in page and "Discussed at visit." in page
    history = re.findall(
        r"<tr><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", page
    )
    assert history == [
        ("off.a", "New", "Under review"),
        ("off.a", "Under review", "Closed: advice given"),
    ]
    assert '<form class="stack" method="post"' not in page  # nothing left to do


def test_counts_on_the_caseload_and_the_person_page(unit: Unit, alerts: dict[str, int]) -> None:
    caseload = unit.client("off.c").get("/caseload").text
    assert '<span class="badge alerts-open">1</span>' in caseload
    person = unit.client("off.c").get(f"/persons/{unit.persons['c']}").text
    assert "Monitoring and alerts" in person
    assert re.search(r'alerts-open">1</span> open alert:\s+1 medium', person)
    assert "1 device monitored" in person
    examiner = unit.client("exam").get(f"/persons/{unit.persons['a']}").text
    assert "Monitoring and alerts" not in examiner  # alerts are for officers and supervisors


def test_high_alerts_notify_in_the_app(unit: Unit, alerts: dict[str, int]) -> None:
    page = unit.client("off.a").get("/alerts").text
    assert "New high-severity alerts (1)" in page
    assert "High alert for OW-A: Declare all devices" in page
    done = unit.client("off.a").form("/alerts/notifications/read", {})
    assert done.status_code == 303
    assert "New high-severity alerts" not in unit.client("off.a").get("/alerts").text


def test_enrolling_and_revoking_a_device_from_the_person_page(unit: Unit) -> None:
    client = unit.client("off.b")
    person = unit.persons["b"]
    page = client.get(f"/persons/{person}/monitoring")
    assert page.status_code == 200 and "No device enrolled yet." in page.text
    issued = client.form(
        f"/persons/{person}/monitoring/enrol", {"declared_device_id": str(unit.devices["b"])}
    )
    assert issued.status_code == 200
    code = re.search(r'id="enrolment-code">([0-9A-Z-]+)<', issued.text).group(1)  # type: ignore[union-attr]
    assert len(code) == 23 and "awaiting enrolment" in issued.text
    assert code not in client.get(f"/persons/{person}/monitoring").text  # shown once only
    enrolled = client.post(
        "/api/v1/agent/enrol",
        json={"code": code, "hostname": "phone-b", "agent_version": "1.0"},
    )
    assert enrolled.status_code == 201
    listing = client.get(f"/persons/{person}/monitoring").text
    assert "phone-b" in listing and "<td>active</td>" in listing
    device_id = enrolled.json()["device_id"]
    assert (
        unit.client("off.a")
        .form(f"/persons/{person}/monitoring/{device_id}/revoke", {})
        .status_code
        == 404
    )
    revoked = client.form(f"/persons/{person}/monitoring/{device_id}/revoke", {})
    assert revoked.status_code == 303
    assert "Device revoked" in client.get(revoked.headers["location"]).text
    refused = client.post(
        "/api/v1/agent/batches",
        content=b'{"batch_id": "x", "observations": []}',
        headers={"Authorization": f"Bearer {enrolled.json()['credential']}"},
    )
    assert refused.status_code == 403
    other = unit.client("off.a").form(
        f"/persons/{person}/monitoring/enrol", {"declared_device_id": str(unit.devices["b"])}
    )
    assert other.status_code == 404


def test_navigation_offers_alerts_to_officers_and_supervisors_only(unit: Unit) -> None:
    assert 'href="/alerts"' in unit.client("off.a").get("/caseload").text
    assert 'href="/alerts"' in unit.client("sup.a").get("/caseload").text
    assert 'href="/alerts"' not in unit.client("exam").get("/caseload").text
