"""Managed persons: create, view (audited), edit, delete, within the actor's reach only.

A person outside the actor's reach raises NotFoundError, exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.caseload import VisitCadence
from orderwatch.storage.records import ManagedPerson, PersonFile, PersonInput


def create_person(session: Session, actor: Actor, data: PersonInput) -> ManagedPerson:
    """A new managed person; InvalidInputError for a taken reference or a bad officer/examiner."""
    raise NotImplementedError


def get_person(
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    cadence: VisitCadence | None = None,
    today: date | None = None,
) -> PersonFile:
    """The person's whole record (order, devices, accounts, visits, next due); audited as a view."""
    raise NotImplementedError


def get_person_by_reference(
    session: Session,
    actor: Actor,
    reference: str,
    *,
    cadence: VisitCadence | None = None,
    today: date | None = None,
) -> PersonFile:
    """Like get_person, by the unit's reference (e.g. OW-0001)."""
    raise NotImplementedError


def update_person(
    session: Session, actor: Actor, person_id: int, data: PersonInput
) -> ManagedPerson:
    """Replace the person's details with `data`; the audit row lists the fields changed."""
    raise NotImplementedError


def delete_person(session: Session, actor: Actor, person_id: int) -> None:
    """Remove the person, their order, declarations and visits (the audit log keeps the fact)."""
    raise NotImplementedError
