"""What the monitoring repositories take and return: plain dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from orderwatch.domain.conditions import CONDITION_LABELS, Condition, ConditionType
from orderwatch.domain.rules_findings import Declarations, Severity
from orderwatch.monitor.alert_states import AlertState
from orderwatch.storage.records import UserRef


class DeviceStatus(StrEnum):
    AWAITING_ENROLMENT = "awaiting_enrolment"  # code issued, not yet used
    CODE_EXPIRED = "code_expired"
    ACTIVE = "active"
    REVOKED = "revoked"


@dataclass(frozen=True)
class MonitoredDevice:
    """An enrolment of one of a person's devices, as officers see it (never a secret)."""

    id: int
    person_id: int
    declared_device_id: int | None
    label: str
    status: DeviceStatus
    hostname: str | None
    agent_version: str | None
    created_at: datetime
    code_expires_at: datetime | None
    enrolled_at: datetime | None
    revoked_at: datetime | None
    last_batch_at: datetime | None
    last_heartbeat_at: datetime | None


@dataclass(frozen=True)
class EnrolmentCode:
    """A one-time code just issued: shown once to the officer, only its digest is stored."""

    device: MonitoredDevice
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class AgentEnrolment:
    """A code exchanged by an agent: its device id, its credential (returned this once only)
    and the order conditions it should collect for."""

    device_id: int
    person_id: int
    credential: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class StoredBatch:
    body_sha256: str
    result: dict[str, Any]


@dataclass(frozen=True)
class DeviceContext:
    """Everything ingestion needs about the submitting device, from one query."""

    device_id: int
    person_id: int
    label: str
    revoked: bool
    last_heartbeat_at: datetime | None
    order_version: int
    replay: StoredBatch | None


@dataclass(frozen=True)
class MonitoringOrder:
    """A person's order conditions and declarations, as the rules compile them."""

    conditions: tuple[Condition, ...]
    declarations: Declarations


@dataclass(frozen=True)
class NewObservation:
    """One observation to store; `payload` is the validated JSON the agent sent."""

    client_id: str
    kind: str
    observed_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class IncidentInput:
    """Findings of one key from one batch, folded, with the observations (row ids) behind them."""

    key: str
    condition: ConditionType
    severity: Severity
    title: str
    detail: str | None
    first_seen: datetime
    last_seen: datetime
    count: int
    evidence: tuple[tuple[int, str | None], ...]  # (observation row id, what matched)


@dataclass(frozen=True)
class FoldedAlert:
    """What folding did with one incident input: a new alert, or an existing one updated."""

    alert_id: int
    created: bool
    condition: ConditionType
    severity: Severity
    previous_severity: Severity | None


@dataclass(frozen=True)
class AlertSummary:
    """One alert (incident) as a queue row shows it."""

    id: int
    person_id: int
    person_reference: str
    person_name: str
    officer: UserRef
    condition: ConditionType
    severity: Severity
    title: str
    occurrences: int
    first_seen: datetime
    last_seen: datetime
    opened_at: datetime
    state: AlertState
    device_label: str | None

    @property
    def condition_label(self) -> str:
        return CONDITION_LABELS[self.condition]


@dataclass(frozen=True)
class AlertPage:
    alerts: tuple[AlertSummary, ...]
    total: int


@dataclass(frozen=True)
class AlertEvidence:
    """An observation behind an alert (images appear as hashes and scores only)."""

    observation_id: int
    client_id: str
    kind: str
    observed_at: datetime
    received_at: datetime
    device_label: str | None
    payload: dict[str, Any]
    matched: str | None


@dataclass(frozen=True)
class AlertEvent:
    at: datetime
    username: str
    from_state: AlertState
    to_state: AlertState
    note: str | None


@dataclass(frozen=True)
class AlertOutcome:
    """The outcome record a breach (or a referral for arrest) created."""

    id: int
    kind: str
    condition: ConditionType
    note: str | None
    recorded_by: str | None
    recorded_at: datetime


@dataclass(frozen=True)
class AlertFile:
    """An alert with everything its page shows (reading it is audited)."""

    alert: AlertSummary
    key: str
    detail: str | None
    evidence: tuple[AlertEvidence, ...]
    evidence_not_shown: int  # beyond the evidence cap, or purged after the retention period
    events: tuple[AlertEvent, ...]
    outcome: AlertOutcome | None
    changed_at: datetime | None
    changed_by: str | None
    transitions: tuple[AlertState, ...] = field(default_factory=tuple)  # open to this actor


@dataclass(frozen=True)
class NotificationRecord:
    id: int
    alert_id: int
    message: str
    created_at: datetime
    read_at: datetime | None
    email_status: str


@dataclass(frozen=True)
class PendingEmail:
    """A notification claimed for e-mailing: where to, and what to say."""

    notification_id: int
    to_address: str
    subject: str
    body: str


@dataclass(frozen=True)
class PersonMonitoring:
    """The monitoring block of a person page: devices and open alerts by severity."""

    person_id: int
    devices: tuple[MonitoredDevice, ...]
    open_alerts: int
    open_by_severity: dict[str, int]
