"""Investigations: open, edit, view (audited), list and delete, within the actor's reach.

Validation errors are InvalidInputError whose `source` is the field at fault; the records an
investigation holds are added and removed in investigations_parts.py.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role, can_assign_officer
from orderwatch.domain.caseload import RiskLevel
from orderwatch.domain.errors import NotFoundError
from orderwatch.domain.investigations import (
    InvestigationInput,
    OffenceTypes,
    check_investigation,
    invalid,
    load_offence_types,
)
from orderwatch.storage import investigations_mapping as mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.exhibits_tables import ExhibitRow
from orderwatch.storage.investigations_access import (
    investigation_filter,
    load_investigation,
    may_edit_investigations,
)
from orderwatch.storage.investigations_records import Investigation, InvestigationSummary
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
from orderwatch.storage.records import UserRef
from orderwatch.storage.scope import load_person, require
from orderwatch.storage.tables import PersonRow, UserRow

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")


def next_reference(session: Session, prefix: str, column: Any, year: int) -> str:
    """PREFIX-<year>-<n>, one more than the highest number used that year."""
    stem = f"{prefix}-{year}-"
    used = session.scalars(select(column).where(column.like(stem + "%")))
    numbers = [int(r[len(stem) :]) for r in used if r[len(stem) :].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1:04d}"


def _check_reference(session: Session, reference: str, own_id: int | None) -> str:
    reference = reference.strip()
    if not _REFERENCE.match(reference):
        raise invalid("reference", "a reference is 1-64 letters, digits or / _ . -")
    clash = session.scalar(
        select(InvestigationRow.id).where(InvestigationRow.reference == reference)
    )
    if clash is not None and clash != own_id:
        raise invalid("reference", f"the reference {reference} is already in use")
    return reference


def _values(
    session: Session, actor: Actor, data: InvestigationInput, own_id: int | None
) -> dict[str, Any]:
    """Column values from a checked input: officer assignable, person in reach, subject named."""
    check_investigation(data, date.today())
    officer = session.get(UserRow, data.officer_id)
    if officer is None or officer.role != Role.OFFICER.value or not officer.active:
        raise invalid("officer_id", f"no active officer with id {data.officer_id}")
    if not can_assign_officer(actor, officer.id, officer.team_id):
        raise invalid("officer_id", f"{officer.username} is not an officer you may assign")
    subject = (data.subject_name or "").strip()
    if data.person_id is not None:
        try:
            person = load_person(session, actor, data.person_id)
        except NotFoundError:
            raise invalid("person_id", f"no managed person {data.person_id} you reach") from None
        subject = person.full_name
    if len(subject) > 200:
        raise invalid("subject_name", "the name is longer than 200 characters")
    values: dict[str, Any] = {
        "person_id": data.person_id,
        "subject_name": subject,
        "officer_id": officer.id,
        "opened_on": data.opened_on,
        "summary": (data.summary or "").strip() or None,
        "outcome": data.outcome.value if data.outcome else None,
        "outcome_on": data.outcome_on,
        "closed_on": data.closed_on,
    }
    if data.reference and data.reference.strip():
        values["reference"] = _check_reference(session, data.reference, own_id)
    return values


def create_investigation(session: Session, actor: Actor, data: InvestigationInput) -> Investigation:
    """Open an investigation (reference INV-<year>-<n> unless one is given)."""
    require(may_edit_investigations(actor), f"{actor.role.value}s do not open investigations")
    values = _values(session, actor, data, None)
    values.setdefault(
        "reference",
        next_reference(session, "INV", InvestigationRow.reference, data.opened_on.year),
    )
    now = datetime.now(UTC)
    row = InvestigationRow(**values, created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    detail = {"reference": row.reference, "person_id": row.person_id, "officer_id": row.officer_id}
    record_audit(session, actor, "create", "investigation", row.id, detail)
    return _whole(session, row, load_offence_types())


def update_investigation(
    session: Session, actor: Actor, investigation_id: int, data: InvestigationInput
) -> Investigation:
    """Replace the details (subject, officer, dates, outcome); the audit lists what changed."""
    row = load_investigation(session, actor, investigation_id, for_edit=True)
    values = _values(session, actor, data, investigation_id)
    changed = {}
    for name, value in values.items():
        if getattr(row, name) != value:
            changed[name] = (
                "changed" if name in ("summary", "subject_name") else [getattr(row, name), value]
            )
            setattr(row, name, value)
    if changed:
        row.updated_at = datetime.now(UTC)
        session.flush()
        record_audit(session, actor, "update", "investigation", row.id, {"changed": changed})
    return _whole(session, row, load_offence_types())


def get_investigation(
    session: Session, actor: Actor, investigation_id: int, types: OffenceTypes | None = None
) -> Investigation:
    """The whole investigation with every record and exhibit; audited as a view."""
    row = load_investigation(session, actor, investigation_id)
    record_audit(session, actor, "view", "investigation", row.id, {"reference": row.reference})
    return _whole(session, row, types or load_offence_types())


def delete_investigation(session: Session, actor: Actor, investigation_id: int) -> None:
    """Remove an investigation opened by mistake; refused once it has exhibits (their chain
    of custody is kept for good)."""
    row = load_investigation(session, actor, investigation_id, for_edit=True)
    exhibits = session.scalar(
        select(func.count()).select_from(ExhibitRow).where(ExhibitRow.investigation_id == row.id)
    )
    if exhibits:
        raise invalid("investigation", f"it has {exhibits} exhibit(s); their custody is kept")
    detail = {"reference": row.reference, "subject": "kept out of the log"}
    session.delete(row)
    session.flush()
    record_audit(session, actor, "delete", "investigation", investigation_id, detail)


def list_investigations(
    session: Session, actor: Actor, *, open_only: bool = False, limit: int = 500
) -> list[InvestigationSummary]:
    """Investigations in reach, newest first, with exhibit, arrest and charge counts."""

    def count(table: Any) -> Any:
        return (
            select(func.count())
            .select_from(table)
            .where(table.investigation_id == InvestigationRow.id)
            .correlate(InvestigationRow)
            .scalar_subquery()
        )

    query = (
        select(
            InvestigationRow,
            UserRow,
            PersonRow.reference,
            count(ExhibitRow),
            count(ArrestRow),
            count(ChargeRow),
        )
        .join(UserRow, UserRow.id == InvestigationRow.officer_id)
        .outerjoin(PersonRow, PersonRow.id == InvestigationRow.person_id)
        .where(investigation_filter(actor))
        .order_by(InvestigationRow.opened_on.desc(), InvestigationRow.id.desc())
        .limit(max(1, min(limit, 5000)))
    )
    if open_only:
        query = query.where(InvestigationRow.closed_on.is_(None))
    return [
        mapping.investigation_summary(row, officer, person_ref, exhibits, arrests, charges)
        for row, officer, person_ref, exhibits, arrests, charges in session.execute(query)
    ]


def _whole(session: Session, row: InvestigationRow, types: OffenceTypes) -> Investigation:
    officer = session.get(UserRow, row.officer_id)
    assert officer is not None  # foreign key
    person = session.get(PersonRow, row.person_id) if row.person_id is not None else None

    def children(table: Any, order: Any) -> list[Any]:
        return list(
            session.scalars(
                select(table).where(table.investigation_id == row.id).order_by(order, table.id)
            )
        )

    from orderwatch.storage.exhibits import exhibit_summaries

    return Investigation(
        id=row.id,
        reference=row.reference,
        subject_name=row.subject_name,
        person_id=row.person_id,
        person_reference=person.reference if person else None,
        person_risk=RiskLevel(person.risk_level) if person else None,
        officer=UserRef(officer.id, officer.username, officer.full_name),
        team_id=officer.team_id,
        opened_on=row.opened_on,
        summary=row.summary,
        outcome=mapping.outcome(row.outcome),
        outcome_on=row.outcome_on,
        closed_on=row.closed_on,
        referrals=tuple(map(mapping.referral, children(ReferralRow, ReferralRow.received_on))),
        warrants=tuple(map(mapping.warrant, children(WarrantRow, WarrantRow.applied_on))),
        arrests=tuple(map(mapping.arrest, children(ArrestRow, ArrestRow.arrested_on))),
        offences=tuple(
            mapping.offence(o, types) for o in children(OffenceRow, OffenceRow.identified_on)
        ),
        charges=tuple(map(mapping.charge, children(ChargeRow, ChargeRow.charged_on))),
        safeguarding=tuple(
            map(mapping.safeguarding, children(SafeguardingRow, SafeguardingRow.recorded_on))
        ),
        bail=tuple(map(mapping.bail, children(BailRow, BailRow.granted_on))),
        exhibits=tuple(exhibit_summaries(session, investigation_id=row.id)),
    )
