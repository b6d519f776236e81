"""Home visits: schedule one, record one made. Audited."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.caseload import VisitOutcome
from orderwatch.domain.errors import NotFoundError
from orderwatch.storage import mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.records import StoredVisit, VisitReport
from orderwatch.storage.scope import invalid, load_person
from orderwatch.storage.tables import DeviceRow, UserRow, VisitRow

# How far ahead a visit may be booked, and how far back one may be recorded (typing mistakes).
_FURTHEST_BOOKING = timedelta(days=3 * 366)


def _stored(session: Session, row: VisitRow) -> StoredVisit:
    officer = session.get(UserRow, row.officer_id) if row.officer_id is not None else None
    return mapping.stored_visit(row, officer)


def schedule_visit(session: Session, actor: Actor, person_id: int, due_on: date) -> StoredVisit:
    """Book a visit due on a date (shown, and counted for overdue, until recorded)."""
    load_person(session, actor, person_id, for_edit=True)
    if due_on > date.today() + _FURTHEST_BOOKING:
        raise invalid("due_on", "a visit cannot be booked more than three years ahead")
    row = VisitRow(
        person_id=person_id,
        due_on=due_on,
        devices_inspected=[],
        officer_id=actor.user_id,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    detail = {"person_id": person_id, "due_on": due_on}
    record_audit(session, actor, "create", "visit", row.id, detail)
    return _stored(session, row)


def record_visit(
    session: Session,
    actor: Actor,
    person_id: int,
    report: VisitReport,
    *,
    visit_id: int | None = None,
) -> StoredVisit:
    """Record a visit made: completes the scheduled visit `visit_id`, or the earliest open one,
    or adds a new visit (due the day it was made). `devices_inspected` must be the person's.
    """
    load_person(session, actor, person_id, for_edit=True)
    if report.done_on > date.today():
        raise invalid("done_on", "a visit cannot be recorded as made in the future")
    outcome = VisitOutcome(report.outcome)
    inspected = sorted(set(report.devices_inspected))
    if inspected:
        owned = set(
            session.scalars(
                select(DeviceRow.id).where(
                    DeviceRow.person_id == person_id, DeviceRow.id.in_(inspected)
                )
            )
        )
        foreign = [d for d in inspected if d not in owned]
        if foreign:
            listed = ", ".join(map(str, foreign))
            raise invalid("devices_inspected", f"not devices declared by this person: {listed}")
    if visit_id is not None:
        row = session.get(VisitRow, visit_id)
        if row is None or row.person_id != person_id:
            raise NotFoundError(f"no visit {visit_id} for this person")
    else:
        row = session.scalar(
            select(VisitRow)
            .where(VisitRow.person_id == person_id, VisitRow.done_on.is_(None))
            .order_by(VisitRow.due_on, VisitRow.id)
            .limit(1)
        )
    action = "update"
    if row is None:
        action = "create"
        row = VisitRow(person_id=person_id, due_on=report.done_on, created_at=datetime.now(UTC))
        session.add(row)
    row.done_on = report.done_on
    row.outcome = outcome.value
    row.devices_inspected = inspected
    row.notes = (report.notes or "").strip() or None
    row.officer_id = actor.user_id
    session.flush()
    detail = {
        "person_id": person_id,
        "done_on": report.done_on,
        "outcome": outcome.value,
        "devices_inspected": inspected,
    }
    record_audit(session, actor, action, "visit", row.id, detail)
    return _stored(session, row)


def delete_visit(session: Session, actor: Actor, visit_id: int) -> None:
    """Remove a visit booked or recorded by mistake."""
    row = session.get(VisitRow, visit_id)
    if row is None:
        raise NotFoundError(f"no visit {visit_id}")
    try:
        load_person(session, actor, row.person_id, for_edit=True)
    except NotFoundError:
        raise NotFoundError(f"no visit {visit_id}") from None
    detail = {"person_id": row.person_id, "due_on": row.due_on, "done_on": row.done_on}
    session.delete(row)
    session.flush()
    record_audit(session, actor, "delete", "visit", visit_id, detail)
