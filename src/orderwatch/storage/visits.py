"""Home visits: schedule one, record one made. Audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.storage.records import StoredVisit, VisitReport


def schedule_visit(session: Session, actor: Actor, person_id: int, due_on: date) -> StoredVisit:
    """Book a visit due on a date (shown, and counted for overdue, until recorded)."""
    raise NotImplementedError


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
    raise NotImplementedError


def delete_visit(session: Session, actor: Actor, visit_id: int) -> None:
    """Remove a visit booked or recorded by mistake."""
    raise NotImplementedError
