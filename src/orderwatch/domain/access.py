"""Who may see and change what: pure authorisation rules, enforced by the storage repositories.

An officer reaches only the persons they manage; a supervisor those managed by their team's
officers; an examiner those assigned to them; an admin manages accounts but sees no persons; an
auditor reads the audit log only. The command line runs as a system actor that may do anything
(whoever runs it already holds the database).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    EXAMINER = "examiner"
    ADMIN = "admin"
    AUDITOR = "auditor"


class Scope(StrEnum):
    """Which managed persons an actor's listings cover."""

    ALL = "all"
    OWN = "own"
    TEAM = "team"
    ASSIGNED = "assigned"
    NONE = "none"


@dataclass(frozen=True)
class Actor:
    """The user (or the command line) on whose behalf a repository function runs."""

    user_id: int | None
    username: str
    role: Role
    team_id: int | None = None
    system: bool = False

    @classmethod
    def command_line(cls, who: str = "command line") -> Actor:
        """The actor for `orderwatch` commands run by someone holding the database."""
        return cls(user_id=None, username=f"system ({who})", role=Role.ADMIN, system=True)


@dataclass(frozen=True)
class PersonReach:
    """The facts about a managed person that decide who may reach them."""

    officer_id: int | None
    officer_team_id: int | None
    examiner_ids: frozenset[int] = frozenset()


def person_scope(actor: Actor) -> Scope:
    """The set of persons an actor's caseload and searches cover."""
    if actor.system:
        return Scope.ALL
    if actor.role is Role.OFFICER:
        return Scope.OWN
    if actor.role is Role.SUPERVISOR:
        return Scope.TEAM if actor.team_id is not None else Scope.NONE
    if actor.role is Role.EXAMINER:
        return Scope.ASSIGNED
    return Scope.NONE


def can_view_person(actor: Actor, reach: PersonReach) -> bool:
    """Whether the actor may open this person's record (otherwise it does not exist for them)."""
    scope = person_scope(actor)
    if scope is Scope.ALL:
        return True
    if scope is Scope.OWN:
        return reach.officer_id is not None and reach.officer_id == actor.user_id
    if scope is Scope.TEAM:
        return reach.officer_team_id is not None and reach.officer_team_id == actor.team_id
    if scope is Scope.ASSIGNED:
        return actor.user_id is not None and actor.user_id in reach.examiner_ids
    return False


def can_edit_person(actor: Actor, reach: PersonReach) -> bool:
    """Whether the actor may change the person, their order, declarations and visits.

    Examiners see the persons assigned to them but change nothing.
    """
    if actor.role is Role.EXAMINER and not actor.system:
        return False
    return can_view_person(actor, reach)


def can_assign_officer(actor: Actor, officer_id: int, officer_team_id: int | None) -> bool:
    """Whether the actor may make this officer responsible for a person (create or reassign)."""
    scope = person_scope(actor)
    if scope is Scope.ALL:
        return True
    if scope is Scope.OWN:
        return officer_id == actor.user_id
    if scope is Scope.TEAM:
        return officer_team_id is not None and officer_team_id == actor.team_id
    return False


def can_create_persons(actor: Actor) -> bool:
    """Officers (for themselves), supervisors (for their team) and the command line."""
    return actor.system or actor.role in (Role.OFFICER, Role.SUPERVISOR)


def can_view_team(actor: Actor) -> bool:
    """The team view (every officer's caseload side by side) is for supervisors."""
    return actor.system or (actor.role is Role.SUPERVISOR and actor.team_id is not None)


def can_manage_users(actor: Actor) -> bool:
    """Creating, changing and removing accounts and teams."""
    return actor.system or actor.role is Role.ADMIN


def can_read_audit(actor: Actor) -> bool:
    """Reading the audit log."""
    return actor.system or actor.role is Role.AUDITOR


def can_change_password(actor: Actor, user_id: int) -> bool:
    """Everyone may change their own password; admins anyone's."""
    return can_manage_users(actor) or actor.user_id == user_id
