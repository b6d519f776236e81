"""Alerts, enrolments and notifications as JSON, for officers and supervisors (session login).

Outside the caller's reach an alert, a person or a monitored device is a 404. Reads and
changes are audited by the repositories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.errors import InvalidInputError, Problem
from orderwatch.domain.rules_findings import Severity
from orderwatch.monitor.alert_states import MAX_NOTE_LENGTH, AlertState, parse_state
from orderwatch.storage.monitoring_alerts import change_alert_state, get_alert, list_alerts
from orderwatch.storage.monitoring_devices import (
    issue_enrolment_code,
    list_monitored_devices,
    revoke_monitored_device,
)
from orderwatch.storage.monitoring_notices import list_notifications, mark_notifications_read
from orderwatch.storage.monitoring_records import AlertFile, MonitoredDevice
from orderwatch.web.deps import DatabaseDep, EditorUser

router = APIRouter(tags=["alerts"])


@dataclass(frozen=True)
class AlertFilters:
    """The queue's filters as typed in a query string (several values, or comma-separated)."""

    states: tuple[AlertState, ...] | None
    severities: tuple[Severity, ...]
    conditions: tuple[ConditionType, ...]

    @classmethod
    def parse(
        cls, state: list[str] | None, severity: list[str] | None, condition: list[str] | None
    ) -> AlertFilters:
        """InvalidInputError naming the filter and the values it accepts."""
        states = _split(state)
        parsed_states = None
        if states == ["all"]:
            parsed_states = tuple(AlertState)
        elif states and states != ["open"]:
            parsed_states = tuple(parse_state(s, "state") for s in states)
        return cls(
            parsed_states,
            tuple(_choice(Severity, s, "severity") for s in _split(severity)),
            tuple(_choice(ConditionType, c, "condition") for c in _split(condition)),
        )


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or () for v in value.split(",") if v.strip()]


def _choice(enum: Any, value: str, field: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(e.value for e in enum)
        raise InvalidInputError(field, [Problem(0, f"{value!r} is not one of {known}")]) from None


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserRefOut(_Out):
    id: int
    username: str
    full_name: str


class AlertOut(_Out):
    id: int
    person_id: int
    person_reference: str
    person_name: str
    officer: UserRefOut
    condition: ConditionType
    severity: Severity
    title: str
    occurrences: int
    first_seen: datetime
    last_seen: datetime
    opened_at: datetime
    state: AlertState
    device_label: str | None


class AlertPageOut(BaseModel):
    total: int
    alerts: list[AlertOut]


class EvidenceOut(_Out):
    observation_id: int
    client_id: str
    kind: str
    observed_at: datetime
    received_at: datetime
    device_label: str | None
    payload: dict[str, Any]
    matched: str | None


class EventOut(_Out):
    at: datetime
    username: str
    from_state: AlertState
    to_state: AlertState
    note: str | None


class OutcomeOut(_Out):
    id: int
    kind: str
    condition: ConditionType
    note: str | None
    recorded_by: str | None
    recorded_at: datetime


class AlertFileOut(_Out):
    alert: AlertOut
    detail: str | None
    evidence: list[EvidenceOut]
    evidence_not_shown: int
    events: list[EventOut]
    outcome: OutcomeOut | None
    transitions: list[AlertState]


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: AlertState
    note: Annotated[str, Field(max_length=MAX_NOTE_LENGTH)] | None = None


class MonitoredDeviceOut(_Out):
    id: int
    person_id: int
    declared_device_id: int | None
    label: str
    status: str
    hostname: str | None
    agent_version: str | None
    created_at: datetime
    code_expires_at: datetime | None
    enrolled_at: datetime | None
    revoked_at: datetime | None
    last_batch_at: datetime | None
    last_heartbeat_at: datetime | None


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    declared_device_id: int


class EnrolmentOut(BaseModel):
    """The code is shown this once; give it to whoever installs the agent."""

    device: MonitoredDeviceOut
    code: str
    expires_at: datetime


class NotificationOut(_Out):
    id: int
    alert_id: int
    message: str
    created_at: datetime
    read_at: datetime | None


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[int] | None = None


def alert_file_out(file: AlertFile) -> AlertFileOut:
    return AlertFileOut.model_validate(file)


def device_out(device: MonitoredDevice) -> MonitoredDeviceOut:
    return MonitoredDeviceOut.model_validate(device)


Values = Annotated[list[str] | None, Query()]


@router.get("/alerts", response_model=AlertPageOut)
def alert_queue(
    user: EditorUser,
    database: DatabaseDep,
    state: Values = None,
    severity: Values = None,
    condition: Values = None,
    person_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AlertPageOut:
    """Open alerts by default (state=all for every one), highest severity then oldest first."""
    filters = AlertFilters.parse(state, severity, condition)
    with database.session() as session:
        page = list_alerts(
            session,
            user.actor,
            states=filters.states,
            severities=filters.severities,
            conditions=filters.conditions,
            person_id=person_id,
            limit=limit,
            offset=offset,
        )
    return AlertPageOut(total=page.total, alerts=[AlertOut.model_validate(a) for a in page.alerts])


@router.get("/alerts/{alert_id}", response_model=AlertFileOut)
def alert(alert_id: int, user: EditorUser, database: DatabaseDep) -> AlertFileOut:
    with database.session() as session:
        return alert_file_out(get_alert(session, user.actor, alert_id))


@router.post("/alerts/{alert_id}/state", response_model=AlertFileOut)
def alert_state(
    alert_id: int, body: StateIn, user: EditorUser, database: DatabaseDep
) -> AlertFileOut:
    """Move the alert on (new -> under_review -> a closing decision); 422 for a wrong step."""
    with database.session() as session:
        file = change_alert_state(session, user.actor, alert_id, body.state, body.note)
    return alert_file_out(file)


@router.get("/persons/{person_id}/monitored-devices", response_model=list[MonitoredDeviceOut])
def monitored_devices(
    person_id: int, user: EditorUser, database: DatabaseDep
) -> list[MonitoredDeviceOut]:
    with database.read_session() as session:
        return [device_out(d) for d in list_monitored_devices(session, user.actor, person_id)]


@router.post("/persons/{person_id}/monitored-devices", response_model=EnrolmentOut, status_code=201)
def enrol_device(
    person_id: int, body: EnrolmentIn, user: EditorUser, database: DatabaseDep
) -> EnrolmentOut:
    """A one-time enrolment code (valid 24 h) for one of the person's declared devices."""
    with database.session() as session:
        issued = issue_enrolment_code(session, user.actor, person_id, body.declared_device_id)
    return EnrolmentOut(
        device=device_out(issued.device), code=issued.code, expires_at=issued.expires_at
    )


@router.post("/monitored-devices/{device_id}/revoke", response_model=MonitoredDeviceOut)
def revoke_device(device_id: int, user: EditorUser, database: DatabaseDep) -> MonitoredDeviceOut:
    with database.session() as session:
        return device_out(revoke_monitored_device(session, user.actor, device_id))


@router.get("/notifications", response_model=list[NotificationOut])
def notifications(
    user: EditorUser, database: DatabaseDep, unread: bool = True
) -> list[NotificationOut]:
    with database.read_session() as session:
        found = list_notifications(session, user.actor, unread_only=unread, limit=100)
    return [NotificationOut.model_validate(n) for n in found]


@router.post("/notifications/read")
def notifications_read(body: ReadIn, user: EditorUser, database: DatabaseDep) -> dict[str, int]:
    with database.session() as session:
        count = mark_notifications_read(session, user.actor, body.ids)
    return {"marked_read": count}
