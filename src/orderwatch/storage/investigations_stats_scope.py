"""Whose statistics an actor may see: their own (officers), their team's with a line per
officer, or the unit's with a line per team (supervisors); the command line any team."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.errors import PermissionDeniedError
from orderwatch.domain.investigations import invalid
from orderwatch.storage.tables import TeamRow, UserRow


class ScopeKind(StrEnum):
    OWN = "own"
    TEAM = "team"
    UNIT = "unit"


@dataclass(frozen=True)
class OfficerInfo:
    id: int
    username: str
    full_name: str
    team_id: int | None
    team_name: str | None


@dataclass(frozen=True)
class StatisticsScope:
    """Whose figures are counted, and which breakdowns the actor may see."""

    kind: ScopeKind
    label: str
    team_id: int | None
    officers: dict[int, OfficerInfo]  # every officer whose figures are counted
    officer_lines: frozenset[int]  # officers whose own line the actor may see
    team_lines: bool  # whether the per-team breakdown is shown


def _officers(session: Session, team_id: int | None = None) -> dict[int, OfficerInfo]:
    query = (
        select(UserRow.id, UserRow.username, UserRow.full_name, UserRow.team_id, TeamRow.name)
        .outerjoin(TeamRow, TeamRow.id == UserRow.team_id)
        .where(UserRow.role == Role.OFFICER.value)
        .order_by(UserRow.username)
    )
    if team_id is not None:
        query = query.where(UserRow.team_id == team_id)
    return {r[0]: OfficerInfo(*r) for r in session.connection().execute(query)}


def statistics_scope(
    session: Session, actor: Actor, kind: ScopeKind, team_id: int | None = None
) -> StatisticsScope:
    """Officers see their own figures; supervisors their team's (each officer's line) or the
    unit's (each team's line); the command line any. Others: PermissionDeniedError."""
    if not (actor.system or actor.role in (Role.OFFICER, Role.SUPERVISOR)):
        raise PermissionDeniedError("statistics are for officers and supervisors")
    if kind is ScopeKind.OWN:
        if actor.role is not Role.OFFICER or actor.user_id is None:
            raise invalid("scope", "only an officer has figures of their own; choose team or unit")
        officers = {k: v for k, v in _officers(session).items() if k == actor.user_id}
        return StatisticsScope(
            kind, "Your investigations and caseload", None, officers, frozenset(officers), False
        )
    if actor.role is Role.OFFICER and not actor.system:
        raise PermissionDeniedError("team and unit figures are for supervisors")
    if kind is ScopeKind.TEAM:
        if not actor.system:
            if team_id is not None and team_id != actor.team_id:
                raise invalid("team_id", "supervisors see their own team's figures")
            team_id = actor.team_id
        team = session.get(TeamRow, team_id) if team_id is not None else None
        if team is None:
            raise invalid("team_id", "name a team")
        officers = _officers(session, team.id)
        return StatisticsScope(
            kind,
            team.name,
            team.id,
            officers,
            frozenset(officers),
            False,
        )
    officers = _officers(session)
    own_team = frozenset(
        o.id for o in officers.values() if actor.system or o.team_id == actor.team_id
    )
    return StatisticsScope(kind, "Whole unit", None, officers, own_team, True)
