"""Incidents: repeats fold within the window, severity rises and notifies, orders recompile when
they change, heartbeats reveal gaps and silent agents. One unit per module and engine, so each
test uses its own key (device serial, account name) and moves the shared clock only forward."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, timedelta

from monitor_unit import FULL_ORDER, SYSTEM, MonitorUnit, batch_body, obs, order_record
from sqlalchemy import text

from orderwatch.domain.caseload import ManagementLevel, RiskLevel
from orderwatch.domain.orderfile import DeclaredDevice
from orderwatch.monitor.alert_states import AlertState
from orderwatch.monitor.heartbeats import check_silent_agents
from orderwatch.storage import (
    PersonInput,
    add_device,
    create_person,
    delete_person,
    set_order,
    update_person,
)
from orderwatch.storage.monitoring_alerts import change_alert_state, get_alert
from orderwatch.storage.monitoring_ingest import EVIDENCE_CAP
from orderwatch.storage.monitoring_notices import list_notifications


def _rows(unit: MonitorUnit, who: str, key_part: str) -> list[tuple[int, str, int, str]]:
    return [
        (r.id, r.severity, r.occurrences, r.state)
        for r in unit.alert_rows(who)
        if key_part in r.key
    ]


def test_repeats_within_the_window_fold_into_one_incident(module_unit: MonitorUnit) -> None:
    unit = module_unit
    first = obs("account", service="Snapchat", identifier="fold.one", at=unit.clock.now)
    unit.send("a1", [first])
    later = unit.clock.advance(hours=5)
    again = obs("account", service="snapchat", identifier="Fold.One", at=later)
    third = obs("account", service="Snapchat", identifier="fold.one", at=later)
    unit.send("a1", [again, third])
    rows = _rows(unit, "a1", "fold.one")
    assert [(severity, count) for _, severity, count, _ in rows] == [("high", 3)]
    with unit.database.session() as session:
        file = get_alert(session, SYSTEM, rows[0][0])
    assert [e.client_id for e in file.evidence] == [first["id"], again["id"], third["id"]]
    assert [e.observed_at for e in file.evidence] == [later - timedelta(hours=5), later, later]
    assert (file.alert.first_seen, file.alert.last_seen) == (
        unit.clock.now - timedelta(hours=5),
        later,
    )


def test_after_the_window_or_once_closed_a_repeat_opens_a_new_incident(
    module_unit: MonitorUnit,
) -> None:
    unit = module_unit
    unit.send("a2", [obs("account", service="Snapchat", identifier="fold.two", at=unit.clock.now)])
    unit.clock.advance(minutes=unit.settings.incident_window_minutes + 1)
    unit.send("a2", [obs("account", service="Snapchat", identifier="fold.two", at=unit.clock.now)])
    rows = _rows(unit, "a2", "fold.two")
    assert [count for _, _, count, _ in rows] == [1, 1]
    with unit.database.session() as session:
        change_alert_state(session, unit["ofc.a2"], rows[1][0], AlertState.UNDER_REVIEW)
        change_alert_state(session, unit["ofc.a2"], rows[1][0], AlertState.CLOSED_NO_ACTION)
    unit.clock.advance(minutes=10)
    unit.send("a2", [obs("account", service="Snapchat", identifier="fold.two", at=unit.clock.now)])
    assert [(count, state) for _, _, count, state in _rows(unit, "a2", "fold.two")] == [
        (1, "new"),
        (1, "closed_no_action"),
        (1, "new"),
    ]


def test_evidence_is_capped_but_every_repeat_is_counted(module_unit: MonitorUnit) -> None:
    unit = module_unit
    repeats = [
        obs("account", service="Snapchat", identifier="many.times", at=unit.clock.now)
        for _ in range(EVIDENCE_CAP + 10)
    ]
    unit.send("b1", repeats[:30])
    unit.send("b1", repeats[30:])
    rows = _rows(unit, "b1", "many.times")
    assert [count for _, _, count, _ in rows] == [EVIDENCE_CAP + 10]
    with unit.database.session() as session:
        file = get_alert(session, SYSTEM, rows[0][0])
    assert len(file.evidence) == EVIDENCE_CAP
    assert file.evidence_not_shown == 10


def test_a_rising_severity_notifies_the_officer_once(module_unit: MonitorUnit) -> None:
    unit = module_unit
    now = unit.clock.now
    recent = obs("usb_device", serial="RISING-1", first_seen=(now - timedelta(days=1)).isoformat())
    unit.send("a1", [recent])
    assert [s for _, s, _, _ in _rows(unit, "a1", "RISING-1")] == ["low"]
    with unit.database.read_session() as session:
        before = list_notifications(session, unit["ofc.a1"], limit=200)
    old = obs("usb_device", serial="RISING-1", first_seen=(now - timedelta(days=9)).isoformat())
    unit.send("a1", [old])
    unit.send("a1", [dict(old, id=old["id"] + "-again")])
    rows = _rows(unit, "a1", "RISING-1")
    assert [(s, count) for _, s, count, _ in rows] == [("high", 3)]
    with unit.database.read_session() as session:
        after = list_notifications(session, unit["ofc.a1"], limit=200)
        other = list_notifications(session, unit["ofc.a2"], limit=200)
    new = [n for n in after if n not in before]
    assert [(n.alert_id, n.message) for n in new] == [
        (rows[0][0], "High alert for P-A1: Declare all devices")
    ]
    assert new[0].email_status == "none"  # no SMTP server configured
    assert all(n.alert_id != rows[0][0] for n in other)


def test_a_changed_order_or_declaration_is_recompiled_at_once(module_unit: MonitorUnit) -> None:
    unit = module_unit
    word = obs("text", app="SMS", text="meet at the quarry-gate later", at=unit.clock.now)
    unit.send("b1", [word])
    compiled = unit.service.orders.compilations
    unit.send("b1", [obs("heartbeat", at=unit.clock.now)])
    assert unit.service.orders.compilations == compiled  # cached while nothing changed
    assert _rows(unit, "b1", "quarry-gate") == []
    conditions = tuple(
        {"type": "prohibited_words", "words": ["quarry-gate"]}
        if c["type"] == "prohibited_words"
        else c
        for c in FULL_ORDER
    )
    with unit.database.session() as session:
        set_order(session, SYSTEM, unit.persons["b1"], order_record(conditions))
    unit.send("b1", [dict(word, id=word["id"] + "-2")])
    assert unit.service.orders.compilations == compiled + 1
    assert [s for _, s, _, _ in _rows(unit, "b1", "quarry-gate")] == ["medium"]

    stick = obs("usb_device", vendor="Lexar", product="JumpDrive", serial="LATE-DECLARED")
    with unit.database.session() as session:
        add_device(
            session,
            SYSTEM,
            unit.persons["b1"],
            DeclaredDevice(kind="usb_storage", serial="late-declared"),
        )
    unit.send("b1", [stick])
    assert _rows(unit, "b1", "LATE-DECLARED") == []


def test_order_versions_follow_every_change_and_person_deletion(module_unit: MonitorUnit) -> None:
    unit = module_unit
    with unit.database.session() as session:
        person = create_person(
            session,
            SYSTEM,
            PersonInput(
                "P-GONE",
                "Person Gone",
                RiskLevel.LOW,
                ManagementLevel.ACTIVE,
                unit["ofc.b1"].user_id or 0,
                date(2024, 1, 1),
            ),
        )
        set_order(session, SYSTEM, person.id, order_record())
        add_device(session, SYSTEM, person.id, DeclaredDevice(kind="phone", serial="GONE-1"))
    query = text("SELECT version FROM monitor_order_versions WHERE person_id = :p")
    with unit.database.read_session() as session:
        assert session.execute(query, {"p": person.id}).scalar() == 2  # the order, the device
    details = PersonInput(
        "P-GONE",
        "Person Gone",
        RiskLevel.HIGH,  # not read by the rules: no new version
        ManagementLevel.ACTIVE,
        unit["ofc.b1"].user_id or 0,
        date(2024, 1, 1),
    )
    for changed, expected in (
        (details, 2),
        (replace(details, aliases=("Gone Again",)), 3),  # the rules read names and aliases
        (replace(details, aliases=("Gone Again",), full_name="Person Gone-Later"), 4),
    ):
        with unit.database.session() as session:
            update_person(session, SYSTEM, person.id, changed)
        with unit.database.read_session() as session:
            assert session.execute(query, {"p": person.id}).scalar() == expected, changed
    with unit.database.session() as session:
        delete_person(session, SYSTEM, person.id)  # cascades without tripping the triggers
    with unit.database.read_session() as session:
        assert session.execute(query, {"p": person.id}).scalar() is None


def test_a_heartbeat_after_a_long_silence_raises_a_gap(module_unit: MonitorUnit) -> None:
    unit = module_unit
    device_id, credential = unit.enrol_another("a2")
    start = unit.clock.now
    unit.service.ingest(credential, batch_body([obs("heartbeat", at=start)]))
    unit.clock.advance(hours=3)
    late = obs("heartbeat", at=unit.clock.now)
    unit.service.ingest(credential, batch_body([late]))
    rows = [r for r in unit.alert_rows("a2") if f"gap:device{device_id}:" in r.key]
    assert [(r.condition, r.severity) for r in rows] == [("keep_monitoring", "high")]
    assert rows[0].title.endswith("was silent for 3.0 h")


def test_silent_agents_get_one_alert_per_window(module_unit: MonitorUnit) -> None:
    unit = module_unit
    device_id, credential = unit.enrol_another("b1")
    unit.service.ingest(credential, batch_body([obs("heartbeat", at=unit.clock.now)]))
    later = unit.clock.advance(hours=2)
    for others in ("a1", "a2", "b1"):  # the unit's other agents are alive
        unit.send(others, [obs("heartbeat", at=later)])
    first = check_silent_agents(unit.database, unit.settings, now=later)
    again = check_silent_agents(unit.database, unit.settings, now=later + timedelta(minutes=5))
    rows = [
        r for r in unit.alert_rows("b1") if r.key == f"keep_monitoring:silent:device{device_id}"
    ]
    assert len(rows) == 1
    assert rows[0].title == "Monitoring agent on laptop Dell Latitude (SER-b1) silent for 2 h"
    assert first.alerts_created >= 1 and again.alerts_created == 0


def test_two_devices_of_one_person_at_once_fold_into_one_incident(
    module_unit: MonitorUnit,
) -> None:
    unit = module_unit
    _, second = unit.enrol_another("a1")
    bodies = [
        (credential, batch_body([obs("account", service="Kik", identifier="both.devices",
                                     at=unit.clock.now)]))
        for credential in (unit.credentials["a1"], second)
        for _ in range(3)
    ]  # fmt: skip

    def send(credential: str, body: bytes) -> None:
        unit.service.ingest(credential, body)

    threads = [threading.Thread(target=send, args=pair) for pair in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [count for _, _, count, _ in _rows(unit, "a1", "both.devices")] == [6]
