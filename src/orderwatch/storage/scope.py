"""Applying domain/access.py to queries: which rows an actor reaches, and loading one safely."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from orderwatch.domain.access import (
    Actor,
    PersonReach,
    Scope,
    can_edit_person,
    can_view_person,
    person_scope,
)
from orderwatch.domain.errors import (
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
)
from orderwatch.storage.tables import PersonExaminerRow, PersonRow, UserRow


def person_filter(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on PersonRow keeping only the persons the actor reaches."""
    scope = person_scope(actor)
    if scope is Scope.ALL:
        return true()
    if scope is Scope.OWN and actor.user_id is not None:
        return PersonRow.officer_id == actor.user_id
    if scope is Scope.TEAM and actor.team_id is not None:
        team_officers = select(UserRow.id).where(UserRow.team_id == actor.team_id)
        return PersonRow.officer_id.in_(team_officers)
    if scope is Scope.ASSIGNED and actor.user_id is not None:
        assigned = select(PersonExaminerRow.person_id).where(
            PersonExaminerRow.user_id == actor.user_id
        )
        return PersonRow.id.in_(assigned)
    return false()


def person_reach(session: Session, row: PersonRow) -> PersonReach:
    """The facts access rules need about one person."""
    team_id = session.scalar(select(UserRow.team_id).where(UserRow.id == row.officer_id))
    examiners = session.scalars(
        select(PersonExaminerRow.user_id).where(PersonExaminerRow.person_id == row.id)
    )
    return PersonReach(row.officer_id, team_id, frozenset(examiners))


def not_found(person_id: object) -> NotFoundError:
    """The same answer for a person who does not exist and one outside the actor's reach."""
    return NotFoundError(f"no managed person {person_id}")


def load_person(
    session: Session, actor: Actor, person_id: int, *, for_edit: bool = False
) -> PersonRow:
    """The person's row if the actor reaches them (NotFoundError otherwise).

    With `for_edit`, an actor who may see but not change the person gets PermissionDeniedError.
    """
    row = session.get(PersonRow, person_id)
    if row is None:
        raise not_found(person_id)
    reach = person_reach(session, row)
    if not can_view_person(actor, reach):
        raise not_found(person_id)
    if for_edit and not can_edit_person(actor, reach):
        raise PermissionDeniedError(f"{actor.username} may view but not change this person")
    return row


def invalid(field: str, message: str) -> InvalidInputError:
    """A one-problem InvalidInputError naming the field (forms show it beside the field)."""
    return InvalidInputError(field, [Problem(0, message)])


def require(allowed: bool, message: str) -> None:
    """PermissionDeniedError unless allowed."""
    if not allowed:
        raise PermissionDeniedError(message)
