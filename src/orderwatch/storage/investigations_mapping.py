"""The one place where investigation and exhibit rows become the records callers see."""

from __future__ import annotations

from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.investigations import (
    ChargeResult,
    InvestigationOutcome,
    OffenceTypes,
    ReferralSource,
)
from orderwatch.domain.investigations_exhibits import CustodyAction, ExhibitStatus, Priority
from orderwatch.storage.exhibits_tables import CustodyRow, ExhibitRow
from orderwatch.storage.investigations_records import (
    Arrest,
    Bail,
    Charge,
    CustodyEntry,
    ExhibitSummary,
    InvestigationSummary,
    Offence,
    Referral,
    Safeguarding,
    Warrant,
)
from orderwatch.storage.investigations_tables import (
    ArrestRow,
    BailRow,
    ChargeRow,
    InvestigationRow,
    OffenceRow,
    ReferralRow,
    SafeguardingRow,
    WarrantRow,
)
from orderwatch.storage.mapping import conditions_from_json
from orderwatch.storage.records import UserRef
from orderwatch.storage.tables import UserRow


def user_ref(row: UserRow | None) -> UserRef | None:
    return UserRef(row.id, row.username, row.full_name) if row is not None else None


def outcome(value: str | None) -> InvestigationOutcome | None:
    return InvestigationOutcome(value) if value else None


def referral(row: ReferralRow) -> Referral:
    return Referral(
        row.id, row.received_on, ReferralSource(row.source), row.online, row.reference, row.note
    )


def warrant(row: WarrantRow) -> Warrant:
    return Warrant(row.id, row.applied_on, row.executed_on, row.address, row.note)


def arrest(row: ArrestRow) -> Arrest:
    return Arrest(row.id, row.arrested_on, row.note)


def offence(row: OffenceRow, types: OffenceTypes) -> Offence:
    return Offence(
        id=row.id,
        offence_type=row.offence_type,
        label=types.label(row.offence_type),
        identified_on=row.identified_on,
        cyber=row.cyber,
        breach=row.breach,
        breach_condition=ConditionType(row.breach_condition) if row.breach_condition else None,
        alert_id=row.alert_id,
        note=row.note,
    )


def charge(row: ChargeRow) -> Charge:
    return Charge(
        row.id, row.charged_on, row.offence_id, ChargeResult(row.result), row.result_on, row.note
    )


def safeguarding(row: SafeguardingRow) -> Safeguarding:
    return Safeguarding(row.id, row.recorded_on, row.children, row.note)


def bail(row: BailRow) -> Bail:
    return Bail(
        row.id, row.granted_on, row.return_on, conditions_from_json(row.conditions), row.note
    )


def investigation_summary(
    row: InvestigationRow,
    officer: UserRow,
    person_reference: str | None,
    exhibits: int,
    arrests: int,
    charges: int,
) -> InvestigationSummary:
    return InvestigationSummary(
        id=row.id,
        reference=row.reference,
        subject_name=row.subject_name,
        person_id=row.person_id,
        person_reference=person_reference,
        officer=UserRef(officer.id, officer.username, officer.full_name),
        opened_on=row.opened_on,
        outcome=outcome(row.outcome),
        closed_on=row.closed_on,
        exhibits=int(exhibits or 0),
        arrests=int(arrests or 0),
        charges=int(charges or 0),
    )


def exhibit_summary(
    row: ExhibitRow, investigation: InvestigationRow, examiner: UserRow | None
) -> ExhibitSummary:
    return ExhibitSummary(
        id=row.id,
        reference=row.reference,
        investigation_id=investigation.id,
        investigation_reference=investigation.reference,
        subject_name=investigation.subject_name,
        description=row.description,
        device_kind=row.device_kind,
        seized_on=row.seized_on,
        hidden=row.hidden,
        undeclared=row.undeclared,
        status=ExhibitStatus(row.status),
        priority=Priority(row.priority),
        priority_reason=row.priority_reason,
        priority_set_by=row.priority_set_by,
        examiner=user_ref(examiner),
        first_exam_on=row.first_exam_on,
        disposed_on=row.disposed_on,
    )


def custody_entry(row: CustodyRow) -> CustodyEntry:
    return CustodyEntry(
        seq=row.seq,
        action=CustodyAction(row.action),
        at=row.at,
        holder=row.holder,
        reason=row.reason,
        seal_number=row.seal_number,
        recorded_by=row.recorded_by_name,
        recorded_at=row.recorded_at,
    )
