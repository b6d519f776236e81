"""What the investigation and exhibit repositories return: plain dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from orderwatch.domain.caseload import RiskLevel
from orderwatch.domain.conditions import Condition, ConditionType
from orderwatch.domain.investigations import (
    ChargeResult,
    InvestigationOutcome,
    ReferralSource,
)
from orderwatch.domain.investigations_exhibits import (
    CustodyAction,
    ExhibitStatus,
    Priority,
    Whereabouts,
)
from orderwatch.storage.records import UserRef


@dataclass(frozen=True)
class Referral:
    id: int
    received_on: date
    source: ReferralSource
    online: bool
    reference: str | None
    note: str | None


@dataclass(frozen=True)
class Warrant:
    id: int
    applied_on: date
    executed_on: date | None
    address: str
    note: str | None


@dataclass(frozen=True)
class Arrest:
    id: int
    arrested_on: date
    note: str | None


@dataclass(frozen=True)
class Offence:
    id: int
    offence_type: str
    label: str
    identified_on: date
    cyber: bool
    breach: bool
    breach_condition: ConditionType | None
    alert_id: int | None
    note: str | None


@dataclass(frozen=True)
class Charge:
    id: int
    charged_on: date
    offence_id: int | None
    result: ChargeResult
    result_on: date | None
    note: str | None


@dataclass(frozen=True)
class Safeguarding:
    id: int
    recorded_on: date
    children: int
    note: str | None


@dataclass(frozen=True)
class Bail:
    id: int
    granted_on: date
    return_on: date | None
    conditions: tuple[Condition, ...]
    note: str | None


@dataclass(frozen=True)
class InvestigationSummary:
    """One line of an investigation listing."""

    id: int
    reference: str
    subject_name: str
    person_id: int | None
    person_reference: str | None
    officer: UserRef
    opened_on: date
    outcome: InvestigationOutcome | None
    closed_on: date | None
    exhibits: int
    arrests: int
    charges: int


@dataclass(frozen=True)
class ExhibitSummary:
    """One line of the examination queue or of an investigation's exhibit list."""

    id: int
    reference: str
    investigation_id: int
    investigation_reference: str
    subject_name: str
    description: str
    device_kind: str
    seized_on: date
    hidden: bool
    undeclared: bool
    status: ExhibitStatus
    priority: Priority
    priority_reason: str
    priority_set_by: str | None
    examiner: UserRef | None
    first_exam_on: date | None
    disposed_on: date | None

    def days_waiting(self, today: date) -> int | None:
        """Days since seizure while awaiting examination (None once examined or closed)."""
        if self.status is not ExhibitStatus.AWAITING:
            return None
        return max(0, (today - self.seized_on).days)


@dataclass(frozen=True)
class Investigation:
    """A whole investigation, as its page shows it (reading it is audited)."""

    id: int
    reference: str
    subject_name: str
    person_id: int | None
    person_reference: str | None
    person_risk: RiskLevel | None
    officer: UserRef
    team_id: int | None
    opened_on: date
    summary: str | None
    outcome: InvestigationOutcome | None
    outcome_on: date | None
    closed_on: date | None
    referrals: tuple[Referral, ...]
    warrants: tuple[Warrant, ...]
    arrests: tuple[Arrest, ...]
    offences: tuple[Offence, ...]
    charges: tuple[Charge, ...]
    safeguarding: tuple[Safeguarding, ...]
    bail: tuple[Bail, ...]
    exhibits: tuple[ExhibitSummary, ...]

    @property
    def children_safeguarded(self) -> int:
        return sum(s.children for s in self.safeguarding)


@dataclass(frozen=True)
class CustodyEntry:
    seq: int
    action: CustodyAction
    at: datetime
    holder: str
    reason: str
    seal_number: str | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Exhibit:
    """An exhibit with its whole chain of custody and triage-run links."""

    summary: ExhibitSummary
    seized_from: str | None
    triaged_on: date | None
    full_exam_on: date | None
    triage_runs: tuple[str, ...]
    custody: tuple[CustodyEntry, ...]
    whereabouts: Whereabouts
    current_holder: str | None


@dataclass(frozen=True)
class QueueFigures:
    """The backlog at a glance: what waits, for how long, and what is under examination."""

    awaiting: int
    triaged: int
    full_examination: int
    by_age_band: tuple[tuple[str, int], ...]
    oldest_days: int | None
    median_days_waiting: float | None
