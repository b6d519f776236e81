"""Enrolment: one-time codes valid 24 h, exchanged once for a device credential; only digests
are stored; officers enrol only their own persons' declared devices; revocation."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from monitor_unit import SYSTEM, MonitorUnit
from sqlalchemy import text

from orderwatch.domain.errors import InvalidInputError, NotFoundError
from orderwatch.monitor.agent_conditions import agent_conditions, kinds_to_collect
from orderwatch.monitor.credentials import normalise_code
from orderwatch.storage import list_audit
from orderwatch.storage.monitoring_devices import (
    DeviceRevokedError,
    agent_configuration,
    exchange_enrolment_code,
    issue_enrolment_code,
    list_monitored_devices,
    revoke_monitored_device,
)


def _row(unit: MonitorUnit, device_id: int) -> dict[str, object]:
    with unit.database.read_session() as session:
        found = session.execute(
            text("SELECT * FROM monitor_devices WHERE id = :id"), {"id": device_id}
        ).one()
    return dict(found._mapping)


def test_a_code_is_shown_once_and_only_its_digest_kept(module_unit: MonitorUnit) -> None:
    unit = module_unit
    now = unit.clock.now
    with unit.database.session() as session:
        issued = issue_enrolment_code(
            session, unit["ofc.a1"], unit.persons["a1"], unit.declared["a1"], now=now
        )
    assert len(normalise_code(issued.code)) == 20 and issued.code.count("-") == 3
    assert issued.expires_at == now + timedelta(hours=24)
    assert issued.device.status.value == "awaiting_enrolment"
    row = _row(unit, issued.device.id)
    assert issued.code not in {str(v) for v in row.values()}
    assert normalise_code(issued.code) not in {str(v) for v in row.values()}
    assert row["code_sha256"] is not None and len(str(row["code_sha256"])) == 64
    assert row["credential_sha256"] is None

    typed = " " + issued.code.lower().replace("-", " ").replace("0", "o") + " "
    with unit.database.session() as session:
        enrolled = exchange_enrolment_code(
            session,
            typed,
            hostname="laptop-a1",
            agent_version="0.1.0",
            now=now + timedelta(hours=23),
        )
    row = _row(unit, issued.device.id)
    assert row["code_sha256"] is None  # one use only
    assert row["credential_sha256"] == hashlib.sha256(enrolled.credential.encode()).hexdigest()
    assert enrolled.credential not in {str(v) for v in row.values()}
    assert (row["hostname"], row["agent_version"]) == ("laptop-a1", "0.1.0")
    assert enrolled.person_id == unit.persons["a1"]
    used = pytest.raises(NotFoundError, match="unknown, already used or expired")
    with used, unit.database.session() as session:
        exchange_enrolment_code(session, issued.code, hostname="again", agent_version="x")
    with unit.database.session() as session:
        audit = list_audit(session, SYSTEM, entity="monitored_device", entity_id=issued.device.id)
    assert [(a.action, a.username) for a in reversed(audit)] == [
        ("issue_code", "ofc.a1"),
        ("enrol", f"agent (monitored device {issued.device.id})"),
    ]
    assert all(issued.code not in str(a.detail) for a in audit)


def test_an_expired_code_does_not_enrol(module_unit: MonitorUnit) -> None:
    unit = module_unit
    now = unit.clock.now
    with unit.database.session() as session:
        issued = issue_enrolment_code(
            session, unit["ofc.a2"], unit.persons["a2"], unit.declared["a2"], now=now
        )
    with pytest.raises(NotFoundError), unit.database.session() as session:
        exchange_enrolment_code(
            session, issued.code, hostname="h", agent_version="v", now=now + timedelta(hours=25)
        )
    with unit.database.read_session() as session:
        devices = list_monitored_devices(
            session, unit["ofc.a2"], unit.persons["a2"], now=now + timedelta(hours=25)
        )
    assert {d.id: d.status.value for d in devices}[issued.device.id] == "code_expired"


def test_only_the_persons_officers_enrol_and_only_declared_devices(
    module_unit: MonitorUnit,
) -> None:
    unit = module_unit
    for outsider in ("ofc.a2", "ofc.b1", "sup.b", "exam"):
        with pytest.raises(NotFoundError), unit.database.session() as session:
            issue_enrolment_code(session, unit[outsider], unit.persons["a1"], unit.declared["a1"])
    with pytest.raises(InvalidInputError) as wrong, unit.database.session() as session:
        issue_enrolment_code(session, unit["ofc.a1"], unit.persons["a1"], unit.declared["b1"])
    assert wrong.value.source == "declared_device_id"
    with unit.database.session() as session:  # the team's supervisor may
        issue_enrolment_code(session, unit["sup.a"], unit.persons["a1"], unit.declared["a1"])


def test_the_agent_learns_what_to_collect_and_a_revoked_one_learns_nothing(
    module_unit: MonitorUnit,
) -> None:
    unit = module_unit
    device_id, credential = unit.enrol_another("b1")
    with unit.database.read_session() as session:
        config = agent_configuration(session, credential)
    assert config.device_id == device_id and config.credential == ""
    listed = agent_conditions(config.conditions)
    assert {"type": "keep_monitoring", "label": "Keep monitoring installed",
            "collect": ["heartbeat", "tamper"]} in listed  # fmt: skip
    assert "example-banned-word" not in str(listed)  # word lists stay on the server
    assert kinds_to_collect(config.conditions) == sorted(
        {
            "account", "app_event", "browser_visit", "download", "encrypted_container",
            "hash_match", "heartbeat", "history_deletion", "image", "installed_software",
            "search_term", "tamper", "text", "usb_device",
        }
    )  # fmt: skip
    with unit.database.session() as session:
        revoke_monitored_device(session, unit["ofc.b1"], device_id)
    with pytest.raises(DeviceRevokedError), unit.database.read_session() as session:
        agent_configuration(session, credential)
    with pytest.raises(NotFoundError), unit.database.read_session() as session:
        agent_configuration(session, "owd_unknown")
