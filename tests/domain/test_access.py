from __future__ import annotations

import pytest

from orderwatch.domain.access import (
    Actor,
    PersonReach,
    Role,
    Scope,
    can_assign_officer,
    can_change_password,
    can_create_persons,
    can_edit_person,
    can_manage_users,
    can_read_audit,
    can_view_person,
    can_view_team,
    person_scope,
)

OFFICER = Actor(1, "ofc.a1", Role.OFFICER, team_id=10)
OTHER_OFFICER = Actor(2, "ofc.a2", Role.OFFICER, team_id=10)
SUPERVISOR = Actor(3, "sup.a", Role.SUPERVISOR, team_id=10)
OTHER_SUPERVISOR = Actor(4, "sup.b", Role.SUPERVISOR, team_id=20)
EXAMINER = Actor(5, "exam", Role.EXAMINER)
ADMIN = Actor(6, "admin", Role.ADMIN)
AUDITOR = Actor(7, "auditor", Role.AUDITOR)
SYSTEM = Actor.command_line("tests")

# A person managed by officer 1 (team 10) and assigned to examiner 5.
REACH = PersonReach(officer_id=1, officer_team_id=10, examiner_ids=frozenset({5}))


@pytest.mark.parametrize(
    ("actor", "view", "edit"),
    [
        (OFFICER, True, True),
        (OTHER_OFFICER, False, False),
        (SUPERVISOR, True, True),
        (OTHER_SUPERVISOR, False, False),
        (EXAMINER, True, False),
        (ADMIN, False, False),
        (AUDITOR, False, False),
        (SYSTEM, True, True),
    ],
    ids=lambda v: v.username if isinstance(v, Actor) else str(v),
)
def test_who_may_view_and_edit_a_person(actor: Actor, view: bool, edit: bool) -> None:
    assert can_view_person(actor, REACH) is view
    assert can_edit_person(actor, REACH) is edit


def test_examiner_not_assigned_sees_nothing() -> None:
    unassigned = PersonReach(officer_id=1, officer_team_id=10, examiner_ids=frozenset({99}))
    assert not can_view_person(EXAMINER, unassigned)


def test_supervisor_without_team_reaches_nobody() -> None:
    lost = Actor(8, "sup.none", Role.SUPERVISOR, team_id=None)
    assert person_scope(lost) is Scope.NONE
    assert not can_view_person(lost, PersonReach(1, None))
    assert not can_view_team(lost)


def test_person_without_team_is_not_visible_to_teamless_supervisor_match() -> None:
    # None == None must not count as "same team".
    orphan = PersonReach(officer_id=42, officer_team_id=None)
    assert not can_view_person(SUPERVISOR, orphan)


def test_scopes() -> None:
    assert person_scope(OFFICER) is Scope.OWN
    assert person_scope(SUPERVISOR) is Scope.TEAM
    assert person_scope(EXAMINER) is Scope.ASSIGNED
    assert person_scope(ADMIN) is Scope.NONE
    assert person_scope(AUDITOR) is Scope.NONE
    assert person_scope(SYSTEM) is Scope.ALL


def test_assigning_officers() -> None:
    assert can_assign_officer(OFFICER, 1, 10)
    assert not can_assign_officer(OFFICER, 2, 10)
    assert can_assign_officer(SUPERVISOR, 2, 10)
    assert not can_assign_officer(SUPERVISOR, 9, 20)
    assert not can_assign_officer(ADMIN, 1, 10)
    assert can_assign_officer(SYSTEM, 9, None)


def test_role_capabilities() -> None:
    assert [a.username for a in (OFFICER, SUPERVISOR, SYSTEM) if can_create_persons(a)] == [
        "ofc.a1",
        "sup.a",
        "system (tests)",
    ]
    assert not can_create_persons(EXAMINER) and not can_create_persons(ADMIN)
    assert can_manage_users(ADMIN) and not can_manage_users(SUPERVISOR)
    assert can_read_audit(AUDITOR) and not can_read_audit(ADMIN)
    assert can_view_team(SUPERVISOR) and not can_view_team(OFFICER)
    assert can_change_password(OFFICER, 1) and not can_change_password(OFFICER, 2)
    assert can_change_password(ADMIN, 2)


def test_command_line_actor_is_marked_system() -> None:
    actor = Actor.command_line("command line: alice")
    assert actor.system and actor.user_id is None
    assert actor.username == "system (command line: alice)"
