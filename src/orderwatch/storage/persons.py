"""Managed persons: create, view (audited), edit, delete, within the actor's reach only.

A person outside the actor's reach raises NotFoundError, exactly like one that does not exist.
Validation errors are InvalidInputError whose `source` is the field at fault.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role, can_assign_officer, can_create_persons
from orderwatch.domain.caseload import VisitCadence, days_overdue, effective_visit_due
from orderwatch.storage import mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.records import ManagedPerson, PersonFile, PersonInput
from orderwatch.storage.scope import invalid, load_person, not_found, require
from orderwatch.storage.tables import (
    AccountRow,
    DeviceRow,
    OrderRow,
    PersonExaminerRow,
    PersonRow,
    UserRow,
    VisitRow,
)

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")
_AUDITED_VALUES = ("risk_level", "management_level", "officer_id")


def _validate(session: Session, actor: Actor, data: PersonInput, person_id: int | None) -> None:
    reference = data.reference.strip()
    if not _REFERENCE.match(reference):
        raise invalid("reference", "a reference is 1-64 letters, digits or / _ . -, e.g. OW-0001")
    clash = session.scalar(select(PersonRow.id).where(PersonRow.reference == reference))
    if clash is not None and clash != person_id:
        raise invalid("reference", f"the reference {reference} is already in use")
    if not data.full_name.strip():
        raise invalid("full_name", "a name is required")
    if data.date_of_birth is not None and data.date_of_birth > date.today():
        raise invalid("date_of_birth", "the date of birth is in the future")
    officer = session.get(UserRow, data.officer_id)
    if officer is None or officer.role != Role.OFFICER.value or not officer.active:
        raise invalid("officer_id", f"no active officer with id {data.officer_id}")
    if not can_assign_officer(actor, officer.id, officer.team_id):
        raise invalid("officer_id", f"{officer.username} is not an officer you may assign")
    if data.examiner_ids:
        found = set(
            session.scalars(
                select(UserRow.id).where(
                    UserRow.id.in_(data.examiner_ids), UserRow.role == Role.EXAMINER.value
                )
            )
        )
        missing = sorted(set(data.examiner_ids) - found)
        if missing:
            raise invalid("examiner_ids", f"no examiner with id {', '.join(map(str, missing))}")


def _values(data: PersonInput) -> dict[str, Any]:
    aliases = list(dict.fromkeys(a.strip() for a in data.aliases if a.strip()))
    return {
        "reference": data.reference.strip(),
        "full_name": data.full_name.strip(),
        "aliases": aliases,
        "date_of_birth": data.date_of_birth,
        "address": (data.address or "").strip() or None,
        "risk_level": data.risk_level.value,
        "management_level": data.management_level.value,
        "officer_id": data.officer_id,
        "managed_since": data.managed_since,
    }


def _set_examiners(session: Session, person_id: int, examiner_ids: tuple[int, ...]) -> None:
    session.execute(delete(PersonExaminerRow).where(PersonExaminerRow.person_id == person_id))
    for user_id in dict.fromkeys(examiner_ids):
        session.add(PersonExaminerRow(person_id=person_id, user_id=user_id))
    session.flush()


def _managed(session: Session, row: PersonRow) -> ManagedPerson:
    officer = session.get(UserRow, row.officer_id)
    assert officer is not None  # enforced by the foreign key
    examiners = session.scalars(
        select(UserRow)
        .join(PersonExaminerRow, PersonExaminerRow.user_id == UserRow.id)
        .where(PersonExaminerRow.person_id == row.id)
    )
    return mapping.managed_person(row, officer, examiners)


def create_person(session: Session, actor: Actor, data: PersonInput) -> ManagedPerson:
    """A new managed person; InvalidInputError for a taken reference or a bad officer/examiner."""
    require(can_create_persons(actor), f"{actor.role.value}s do not create managed persons")
    _validate(session, actor, data, None)
    now = datetime.now(UTC)
    row = PersonRow(**_values(data), created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    _set_examiners(session, row.id, data.examiner_ids)
    detail = {"reference": row.reference, "officer_id": row.officer_id, "risk": row.risk_level}
    record_audit(session, actor, "create", "person", row.id, detail)
    return _managed(session, row)


def _person_file(
    session: Session, actor: Actor, row: PersonRow, cadence: VisitCadence | None, today: date
) -> PersonFile:
    person = _managed(session, row)
    order_row = session.scalar(select(OrderRow).where(OrderRow.person_id == row.id))
    devices = session.scalars(
        select(DeviceRow).where(DeviceRow.person_id == row.id).order_by(DeviceRow.id)
    )
    accounts = session.scalars(
        select(AccountRow).where(AccountRow.person_id == row.id).order_by(AccountRow.id)
    )
    visit_rows = session.execute(
        select(VisitRow, UserRow)
        .outerjoin(UserRow, UserRow.id == VisitRow.officer_id)
        .where(VisitRow.person_id == row.id)
        .order_by(VisitRow.due_on.desc(), VisitRow.id.desc())
    ).all()
    visits = tuple(mapping.stored_visit(v, officer) for v, officer in visit_rows)
    done = [v.done_on for v in visits if v.done_on is not None]
    booked = [v.due_on for v in visits if v.done_on is None]
    last_visit = max(done) if done else None
    due = effective_visit_due(
        person.risk_level,
        person.management_level,
        last_visit,
        person.managed_since,
        min(booked) if booked else None,
        cadence,
    )
    record_audit(session, actor, "view", "person", row.id, {"reference": row.reference})
    return PersonFile(
        person=person,
        order=mapping.stored_order(order_row) if order_row is not None else None,
        devices=tuple(mapping.stored_device(d) for d in devices),
        accounts=tuple(mapping.stored_account(a) for a in accounts),
        visits=visits,
        last_visit=last_visit,
        next_visit_due=due,
        overdue_days=days_overdue(due, today),
    )


def get_person(
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    cadence: VisitCadence | None = None,
    today: date | None = None,
) -> PersonFile:
    """The person's whole record (order, devices, accounts, visits, next due); audited as a view."""
    row = load_person(session, actor, person_id)
    return _person_file(session, actor, row, cadence, today or date.today())


def get_person_by_reference(
    session: Session,
    actor: Actor,
    reference: str,
    *,
    cadence: VisitCadence | None = None,
    today: date | None = None,
) -> PersonFile:
    """Like get_person, by the unit's reference (e.g. OW-0001)."""
    person_id = session.scalar(select(PersonRow.id).where(PersonRow.reference == reference.strip()))
    if person_id is None:
        raise not_found(reference)
    return get_person(session, actor, person_id, cadence=cadence, today=today)


def update_person(
    session: Session, actor: Actor, person_id: int, data: PersonInput
) -> ManagedPerson:
    """Replace the person's details with `data`; the audit row lists the fields changed."""
    row = load_person(session, actor, person_id, for_edit=True)
    _validate(session, actor, data, person_id)
    changed: dict[str, Any] = {}
    for name, value in _values(data).items():
        old = getattr(row, name)
        if old != value:
            changed[name] = [old, value] if name in _AUDITED_VALUES else "changed"
            setattr(row, name, value)
    old_examiners = set(
        session.scalars(
            select(PersonExaminerRow.user_id).where(PersonExaminerRow.person_id == person_id)
        )
    )
    if old_examiners != set(data.examiner_ids):
        _set_examiners(session, person_id, data.examiner_ids)
        changed["examiner_ids"] = [sorted(old_examiners), sorted(set(data.examiner_ids))]
    if changed:
        row.updated_at = datetime.now(UTC)
        session.flush()
        detail = {"reference": row.reference, "changed": changed}
        record_audit(session, actor, "update", "person", person_id, detail)
    return _managed(session, row)


def delete_person(session: Session, actor: Actor, person_id: int) -> None:
    """Remove the person, their order, declarations and visits (the audit log keeps the fact)."""
    row = load_person(session, actor, person_id, for_edit=True)
    counts = {
        "visits": session.scalar(
            select(func.count()).select_from(VisitRow).where(VisitRow.person_id == person_id)
        ),
        "devices": session.scalar(
            select(func.count()).select_from(DeviceRow).where(DeviceRow.person_id == person_id)
        ),
    }
    detail = {"reference": row.reference, **counts}
    session.delete(row)
    session.flush()
    record_audit(session, actor, "delete", "person", person_id, detail)
