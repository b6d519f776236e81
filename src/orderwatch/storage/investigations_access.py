"""Who reaches which investigation and exhibit, applied to queries and single loads.

An investigation follows its investigating officer: the officer reaches their own, a supervisor
their team's officers', an examiner those whose subject is assigned to them or with an exhibit
assigned to them (examiners change exhibits only). Admins and auditors reach none. Outside reach
is a NotFoundError, the same answer as for something that does not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role, Scope, person_scope
from orderwatch.domain.errors import NotFoundError, PermissionDeniedError
from orderwatch.storage.exhibits_tables import ExhibitRow
from orderwatch.storage.investigations_tables import InvestigationRow
from orderwatch.storage.tables import PersonExaminerRow, UserRow


def investigation_filter(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on InvestigationRow keeping only what the actor reaches."""
    scope = person_scope(actor)
    if scope is Scope.ALL:
        return true()
    if scope is Scope.OWN and actor.user_id is not None:
        return InvestigationRow.officer_id == actor.user_id
    if scope is Scope.TEAM and actor.team_id is not None:
        team = select(UserRow.id).where(UserRow.team_id == actor.team_id)
        return InvestigationRow.officer_id.in_(team)
    if scope is Scope.ASSIGNED and actor.user_id is not None:
        assigned = select(PersonExaminerRow.person_id).where(
            PersonExaminerRow.user_id == actor.user_id
        )
        has_exhibit = exists().where(
            ExhibitRow.investigation_id == InvestigationRow.id,
            ExhibitRow.examiner_id == actor.user_id,
        )
        return or_(InvestigationRow.person_id.in_(assigned), has_exhibit)
    return false()


def exhibit_filter(actor: Actor) -> ColumnElement[bool]:
    """A WHERE clause on ExhibitRow joined to InvestigationRow."""
    if person_scope(actor) is Scope.ASSIGNED and actor.user_id is not None:
        assigned = select(PersonExaminerRow.person_id).where(
            PersonExaminerRow.user_id == actor.user_id
        )
        return or_(
            ExhibitRow.examiner_id == actor.user_id, InvestigationRow.person_id.in_(assigned)
        )
    return investigation_filter(actor)


def may_edit_investigations(actor: Actor) -> bool:
    """Examiners see investigations but change only exhibits; the rest edit what they reach."""
    return actor.system or actor.role in (Role.OFFICER, Role.SUPERVISOR)


def not_found(what: str, ident: object) -> NotFoundError:
    return NotFoundError(f"no {what} {ident}")


def load_investigation(
    session: Session, actor: Actor, investigation_id: int, *, for_edit: bool = False
) -> InvestigationRow:
    """The row if the actor reaches it (NotFoundError otherwise; PermissionDeniedError when
    `for_edit` and the actor may only look)."""
    row = session.scalar(
        select(InvestigationRow).where(
            InvestigationRow.id == investigation_id, investigation_filter(actor)
        )
    )
    if row is None:
        raise not_found("investigation", investigation_id)
    if for_edit and not may_edit_investigations(actor):
        raise PermissionDeniedError(f"{actor.username} may view but not change investigations")
    return row


def load_exhibit(session: Session, actor: Actor, exhibit_id: int) -> ExhibitRow:
    """The exhibit if the actor reaches it; anyone who reaches one may work on it."""
    row = session.scalar(
        select(ExhibitRow)
        .join(InvestigationRow, InvestigationRow.id == ExhibitRow.investigation_id)
        .where(ExhibitRow.id == exhibit_id, exhibit_filter(actor))
    )
    if row is None:
        raise not_found("exhibit", exhibit_id)
    return row
