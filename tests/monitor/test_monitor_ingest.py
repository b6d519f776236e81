"""Ingestion: idempotent batches, whole-batch refusal of bad input, device credentials.

The unit is shared by the module's tests, so each counts only its own observations and alerts.
"""

from __future__ import annotations

import json
import threading

import pytest
from monitor_unit import START, MonitorUnit, batch_body, obs

from orderwatch.domain.errors import NotFoundError
from orderwatch.monitor.batch_schema import BatchRejected
from orderwatch.monitor.ingest import AgentAuthError
from orderwatch.storage.monitoring_devices import revoke_monitored_device


def _new_alerts(unit: MonitorUnit, who: str, before: set[int]) -> list[tuple[str, int]]:
    return [(r.key, r.occurrences) for r in unit.alert_rows(who) if r.id not in before]


def _ids(unit: MonitorUnit, who: str) -> set[int]:
    return {r.id for r in unit.alert_rows(who)}


def test_a_replayed_batch_is_stored_once_and_answered_the_same(module_unit: MonitorUnit) -> None:
    unit = module_unit
    before = _ids(unit, "a1")
    items = [obs("account", service="Kik", identifier="replay.one"), obs("heartbeat")]
    first = unit.send("a1", items, batch_id="replay-1")
    again = unit.send("a1", items, batch_id="replay-1")
    assert first.body == {
        "batch_id": "replay-1",
        "device_id": unit.devices["a1"],
        "received": 2,
        "stored": 2,
        "duplicates": 0,
    }
    assert (again.body, again.replayed, first.replayed) == (first.body, True, False)
    assert unit.stored(items) == 2
    assert unit.count("monitor_batches", "batch_id = 'replay-1'") == 1
    assert _new_alerts(unit, "a1", before) == [("declare_accounts:account:kik:replay.one", 1)]


def test_an_observation_replayed_in_another_batch_is_stored_and_counted_once(
    module_unit: MonitorUnit,
) -> None:
    unit = module_unit
    before = _ids(unit, "a1")
    first = obs("account", service="Kik", identifier="replay.two")
    second = obs("account", service="kik", identifier="Replay.Two")
    unit.send("a1", [first])
    answer = unit.send("a1", [first, second])
    assert (answer.body["stored"], answer.body["duplicates"]) == (1, 1)
    assert unit.stored([first, second]) == 2
    assert _new_alerts(unit, "a1", before) == [("declare_accounts:account:kik:replay.two", 2)]


def test_a_repeated_id_inside_one_batch_is_kept_once(module_unit: MonitorUnit) -> None:
    item = obs("heartbeat")
    result = module_unit.send("a1", [item, dict(item, agent_version="again")])
    assert (result.body["received"], result.body["stored"], result.body["duplicates"]) == (2, 1, 1)
    assert module_unit.stored([item]) == 1


def test_the_same_observation_id_from_two_devices_is_two_observations(
    module_unit: MonitorUnit,
) -> None:
    item = obs("heartbeat")
    module_unit.send("a1", [item])
    module_unit.send("a2", [item])
    assert module_unit.stored([item]) == 2


def test_a_batch_id_reused_for_other_observations_is_refused(module_unit: MonitorUnit) -> None:
    kept, refused_item = obs("heartbeat"), obs("heartbeat")
    module_unit.send("a1", [kept], batch_id="reused")
    with pytest.raises(BatchRejected) as refused:
        module_unit.send("a1", [refused_item], batch_id="reused")
    assert refused.value.status == 409
    assert refused.value.problems[0].field == "batch_id"
    assert module_unit.stored([kept, refused_item]) == 1


def test_concurrent_copies_of_a_batch_store_it_once(module_unit: MonitorUnit) -> None:
    unit = module_unit
    before = _ids(unit, "b1")
    item = obs("account", service="Kik", identifier="twin.batch")
    body = batch_body([item], "twins")
    answers: list[dict[str, object]] = []

    def send() -> None:
        answers.append(unit.service.ingest(unit.credentials["b1"], body).body)

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 3 and answers[0] == answers[1] == answers[2]
    assert unit.stored([item]) == 1
    assert _new_alerts(unit, "b1", before) == [("declare_accounts:account:kik:twin.batch", 1)]


def _bad_cases() -> list[tuple[bytes, int, str, str]]:
    future = START.replace(year=2031)
    return [
        (b'{"batch_id": "x", "observations": [', 422, "body", "not valid JSON"),
        (b"[1, 2]", 422, "body", "should be an object"),
        (
            batch_body([obs("heartbeat"), obs("chat_message", text="hi")]),
            422,
            "observations[1].kind",
            "unknown observation kind 'chat_message'",
        ),
        (batch_body([obs("text", app="SMS", text=42)]), 422, "observations[0].text", "string"),
        (batch_body([obs("heartbeat", surprise=True)]), 422, "observations[0].surprise", "unknown"),
        (
            batch_body([{"id": "x1", "kind": "heartbeat", "time": 1741597200}]),
            422,
            "observations[0].time",
            "valid datetime",
        ),
        (
            batch_body([obs("heartbeat"), obs("heartbeat", at=future)]),
            422,
            "observations[1].time",
            "2031-03-10T09:00:00Z is in the future",
        ),
        (
            batch_body([obs("usb_device", serial="S", first_seen=future.isoformat())]),
            422,
            "observations[0].first_seen",
            "is in the future",
        ),
        (
            batch_body([obs("image", path="/a.jpg", md5="not-a-hash")]),
            422,
            "observations[0].md5",
            "should match pattern",
        ),
        (json.dumps({"observations": []}).encode(), 422, "batch_id", "Field required"),
        (batch_body([obs("heartbeat") for _ in range(1001)]), 413, "observations", "at most 1,000"),
        (
            batch_body([obs("text", app="SMS", text="x" * 60_000) for _ in range(80)]),
            413,
            "body",
            "at most 4,194,304",
        ),
    ]


@pytest.mark.parametrize(("body", "status", "field", "message"), _bad_cases())
def test_bad_batches_are_refused_whole_naming_the_field(
    module_unit: MonitorUnit, body: bytes, status: int, field: str, message: str
) -> None:
    observations = module_unit.count("monitor_observations")
    batches = module_unit.count("monitor_batches")
    with pytest.raises(BatchRejected) as refused:
        module_unit.service.ingest(module_unit.credentials["a1"], body)
    assert refused.value.status == status
    assert refused.value.problems[0].field == field
    assert message in refused.value.problems[0].message
    assert module_unit.count("monitor_observations") == observations
    assert module_unit.count("monitor_batches") == batches


def test_missing_or_unknown_credentials_are_refused(module_unit: MonitorUnit) -> None:
    item = obs("heartbeat")
    for credential in (None, "", "owd_not-a-real-one"):
        with pytest.raises(AgentAuthError) as refused:
            module_unit.service.ingest(credential, batch_body([item]))
        assert refused.value.status == 401
    assert module_unit.stored([item]) == 0


def test_a_revoked_device_is_refused_and_only_it(module_unit: MonitorUnit) -> None:
    unit = module_unit
    device_id, credential = unit.enrol_another("a2")
    first, second = obs("heartbeat"), obs("heartbeat")
    unit.service.ingest(credential, batch_body([first]))
    with pytest.raises(NotFoundError), unit.database.session() as session:
        revoke_monitored_device(session, unit["ofc.b1"], device_id)  # not b1's person
    with unit.database.session() as session:
        revoked = revoke_monitored_device(session, unit["ofc.a2"], device_id)
    assert revoked.status.value == "revoked"
    with pytest.raises(AgentAuthError) as refused:
        unit.service.ingest(credential, batch_body([second]))
    assert refused.value.status == 403
    assert "revoked" in str(refused.value)
    assert unit.stored([first, second]) == 1
    assert unit.send("a2", [second]).body["stored"] == 1  # the other device carries on


def test_a_device_cannot_submit_for_another_device(module_unit: MonitorUnit) -> None:
    unit = module_unit
    before = _ids(unit, "a2")
    item = obs("account", service="Kik", identifier="spoofed.one")
    body = {"batch_id": "spoof", "device_id": unit.devices["a2"], "observations": [item]}
    with pytest.raises(AgentAuthError) as refused:
        unit.service.ingest(unit.credentials["a1"], json.dumps(body).encode())
    assert refused.value.status == 403
    assert f"belongs to monitored device {unit.devices['a1']}, not" in str(refused.value)
    assert unit.stored([item]) == 0
    assert _new_alerts(unit, "a2", before) == []
    body["device_id"] = unit.devices["a1"]
    assert unit.service.ingest(unit.credentials["a1"], json.dumps(body).encode()).body["stored"]
    where = f"client_id = '{item['id']}' AND person_id = {unit.persons['a1']}"
    assert unit.count("monitor_observations", where) == 1
