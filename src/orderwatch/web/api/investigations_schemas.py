"""JSON schemas for investigations, their records, exhibits and custody (separate from the ORM
tables and the domain types; Out models read the storage records with from_attributes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.investigations import ChargeResult, InvestigationOutcome, ReferralSource
from orderwatch.domain.investigations_exhibits import CustodyAction, ExhibitStatus, Whereabouts
from orderwatch.web.schemas import UserRefOut

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class InvestigationIn(BaseModel):
    officer_id: int
    opened_on: date
    person_id: int | None = None
    subject_name: Short | None = None
    reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    summary: Note | None = None
    outcome: InvestigationOutcome | None = None
    outcome_on: date | None = None
    closed_on: date | None = None


class ReferralIn(BaseModel):
    received_on: date
    source: ReferralSource
    online: bool
    reference: Annotated[str, StringConstraints(max_length=120)] | None = None
    note: Note | None = None


class WarrantIn(BaseModel):
    applied_on: date
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
    executed_on: date | None = None
    note: Note | None = None


class ArrestIn(BaseModel):
    arrested_on: date
    note: Note | None = None


class OffenceIn(BaseModel):
    offence_type: Annotated[str, StringConstraints(max_length=60)]
    identified_on: date
    cyber: bool
    breach_condition: ConditionType | None = None
    alert_id: int | None = None
    note: Note | None = None


class ChargeIn(BaseModel):
    charged_on: date
    offence_id: int | None = None
    result: ChargeResult = ChargeResult.PENDING
    result_on: date | None = None
    note: Note | None = None


class SafeguardingIn(BaseModel):
    """A count only: never a child's name."""

    recorded_on: date
    children: int
    note: Note | None = None


class ConditionIn(BaseModel):
    type: ConditionType
    params: dict[str, Any] = Field(default_factory=dict)


class BailIn(BaseModel):
    granted_on: date
    conditions: list[ConditionIn] = Field(max_length=20)
    return_on: date | None = None
    note: Note | None = None


class ReferralOut(_Out):
    id: int
    received_on: date
    source: ReferralSource
    online: bool
    reference: str | None
    note: str | None


class WarrantOut(_Out):
    id: int
    applied_on: date
    executed_on: date | None
    address: str
    note: str | None


class ArrestOut(_Out):
    id: int
    arrested_on: date
    note: str | None


class OffenceOut(_Out):
    id: int
    offence_type: str
    label: str
    identified_on: date
    cyber: bool
    breach: bool
    breach_condition: ConditionType | None
    alert_id: int | None
    note: str | None


class ChargeOut(_Out):
    id: int
    charged_on: date
    offence_id: int | None
    result: ChargeResult
    result_on: date | None
    note: str | None


class SafeguardingOut(_Out):
    id: int
    recorded_on: date
    children: int
    note: str | None


class BailOut(BaseModel):
    id: int
    granted_on: date
    return_on: date | None
    conditions: list[dict[str, Any]]
    note: str | None


class ExhibitSummaryOut(_Out):
    id: int
    reference: str
    investigation_id: int
    investigation_reference: str
    description: str
    device_kind: str
    seized_on: date
    hidden: bool
    undeclared: bool
    status: ExhibitStatus
    priority: int
    priority_reason: str
    priority_set_by: str | None
    examiner: UserRefOut | None
    first_exam_on: date | None
    disposed_on: date | None


class InvestigationSummaryOut(_Out):
    id: int
    reference: str
    subject_name: str
    person_id: int | None
    person_reference: str | None
    officer: UserRefOut
    opened_on: date
    outcome: InvestigationOutcome | None
    closed_on: date | None
    exhibits: int
    arrests: int
    charges: int


class InvestigationOut(_Out):
    id: int
    reference: str
    subject_name: str
    person_id: int | None
    person_reference: str | None
    officer: UserRefOut
    opened_on: date
    summary: str | None
    outcome: InvestigationOutcome | None
    outcome_on: date | None
    closed_on: date | None
    referrals: list[ReferralOut]
    warrants: list[WarrantOut]
    arrests: list[ArrestOut]
    offences: list[OffenceOut]
    charges: list[ChargeOut]
    safeguarding: list[SafeguardingOut]
    bail: list[BailOut]
    exhibits: list[ExhibitSummaryOut]
    children_safeguarded: int


class ExhibitIn(BaseModel):
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
    device_kind: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
    seized_on: date
    seized_by: Short
    seized_from: Annotated[str, StringConstraints(max_length=300)] | None = None
    seal_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    hidden: bool = False
    undeclared: bool = False
    reference: Annotated[str, StringConstraints(max_length=64)] | None = None
    examiner_id: int | None = None
    priority: Annotated[int, Field(ge=1, le=4)] | None = None


class CustodyIn(BaseModel):
    action: CustodyAction
    at: datetime
    holder: Short
    reason: Note
    seal_number: Annotated[str, StringConstraints(max_length=64)] | None = None


class StatusIn(BaseModel):
    status: ExhibitStatus
    on: date


class PriorityIn(BaseModel):
    priority: Annotated[int, Field(ge=1, le=4)] | None = None  # None: derive again
    reason: Annotated[str, StringConstraints(max_length=300)] = ""


class CustodyOut(_Out):
    seq: int
    action: CustodyAction
    at: datetime
    holder: str
    reason: str
    seal_number: str | None
    recorded_by: str
    recorded_at: datetime


class ExhibitOut(_Out):
    summary: ExhibitSummaryOut
    seized_from: str | None
    triaged_on: date | None
    full_exam_on: date | None
    triage_runs: list[str]
    custody: list[CustodyOut]
    whereabouts: Whereabouts
    current_holder: str | None
