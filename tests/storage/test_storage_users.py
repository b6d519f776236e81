from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from storage_unit import PASSWORD, SYSTEM, Unit

from orderwatch.domain.access import Role
from orderwatch.domain.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from orderwatch.security import ThrottlePolicy, token_digest
from orderwatch.storage import (
    Database,
    authenticate,
    create_team,
    create_user,
    create_web_session,
    delete_team,
    delete_user,
    delete_web_session,
    get_user,
    list_assignable_officers,
    list_audit,
    list_examiners,
    list_users,
    lookup_web_session,
    purge_expired_sessions,
    set_password,
    unlock_user,
    update_user,
)

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(max_failures=3, lockout=timedelta(minutes=15))


def test_create_user_stores_only_an_argon2_hash(database: Database) -> None:
    with database.session() as session:
        team = create_team(session, SYSTEM, "Team Z")
        account = create_user(
            session,
            SYSTEM,
            username="  DC.Smith ",
            role=Role.OFFICER,
            password="a long enough password",
            full_name="DC Smith",
            email="dc.smith@example.org",
            team_id=team.id,
        )
    assert (account.username, account.role, account.team_name) == ("dc.smith", "officer", "Team Z")
    assert account.active and account.failed_logins == 0
    with database.read_session() as session:
        stored = session.execute(text("SELECT password_hash FROM users")).scalar_one()
        audit = session.execute(text("SELECT detail FROM audit_log")).scalars().all()
    assert stored.startswith("$argon2id$")
    assert not any("a long enough password" in d for d in audit)


INVALID = [
    ({"username": "x"}, "username", "not a valid user name"),
    ({"username": "ofc.a1"}, "username", "is taken"),
    ({"password": "short"}, "password", "at least 10"),
    ({"role": Role.SUPERVISOR}, "team_id", "a supervisor needs a team"),
    ({"team_id": 9999}, "team_id", "no team with id 9999"),
    ({"email": "not-an-address"}, "email", "is not an e-mail address"),
]


def test_create_user_validation_names_the_field(unit: Unit) -> None:
    for changes, field, message in INVALID:
        values: dict[str, object] = {
            "username": "new.user",
            "role": Role.OFFICER,
            "password": PASSWORD,
            **changes,
        }
        with pytest.raises(InvalidInputError) as caught, unit.database.session() as session:
            create_user(session, SYSTEM, **values)  # type: ignore[arg-type]
        assert (caught.value.source, message in str(caught.value)) == (field, True), changes


def test_only_admins_manage_accounts(unit: Unit) -> None:
    with unit.database.session() as session:
        for name in ("ofc.a1", "sup.a", "exam", "auditor"):
            with pytest.raises(PermissionDeniedError):
                create_user(session, unit[name], username="x.y", role=Role.ADMIN, password=PASSWORD)
            with pytest.raises(PermissionDeniedError):
                list_users(session, unit[name])
        made = create_user(
            session, unit["admin"], username="new.admin", role=Role.ADMIN, password=PASSWORD
        )
        assert made.username == "new.admin"
        # Non-admins see their own account only; others "do not exist".
        own = get_user(session, unit["ofc.a1"], unit["ofc.a1"].user_id or 0)
        assert own.username == "ofc.a1"
        with pytest.raises(NotFoundError):
            get_user(session, unit["ofc.a1"], unit["ofc.a2"].user_id or 0)


def test_login_success_and_failure(unit: Unit) -> None:
    with unit.database.session() as session:
        ok = authenticate(session, "OFC.A1", PASSWORD, policy=POLICY, now=NOW)
        wrong = authenticate(session, "ofc.a1", "wrong password!", policy=POLICY, now=NOW)
        unknown = authenticate(session, "nobody", PASSWORD, policy=POLICY, now=NOW)
    assert ok.ok and ok.user is not None and ok.user.username == "ofc.a1"
    assert ok.user.last_login_at == NOW
    assert not wrong.ok and wrong.message == "wrong user name or password"
    assert unknown.message == wrong.message  # no hint whether the account exists
    with unit.database.read_session() as session:
        actions = [e.action for e in list_audit(session, unit["auditor"], entity="user")]
        typed = session.execute(text("SELECT username, detail FROM audit_log")).all()
    assert actions[:3] == ["login_failed", "login_failed", "login"]
    assert not any("nobody" in f"{u}{d}" for u, d in typed)  # typed names are not logged


def test_lockout_after_max_failures_even_with_the_right_password(unit: Unit) -> None:
    db = unit.database
    for minute in range(3):
        with db.session() as session:
            attempt = authenticate(
                session,
                "ofc.a2",
                "bad password",
                policy=POLICY,
                now=NOW + timedelta(minutes=minute),
            )
    assert attempt.locked_until == NOW + timedelta(minutes=2 + 15)
    assert attempt.message is not None and "locked until 09:17 UTC" in attempt.message
    with db.session() as session:
        refused = authenticate(
            session, "ofc.a2", PASSWORD, policy=POLICY, now=NOW + timedelta(minutes=10)
        )
    assert not refused.ok and refused.locked_until == attempt.locked_until
    with db.session() as session:
        later = authenticate(
            session, "ofc.a2", PASSWORD, policy=POLICY, now=NOW + timedelta(hours=1)
        )
    assert later.ok and later.user is not None and later.user.failed_logins == 0
    with db.read_session() as session:
        audit = list_audit(session, unit["auditor"], entity="user", username="ofc.a2")
    assert [e.action for e in audit] == ["login", "login_refused", *["login_failed"] * 3]
    assert audit[2].detail == {"reason": "wrong password", "failures": 3, "locked": True}


def test_admin_unlocks_and_inactive_accounts_cannot_log_in(unit: Unit) -> None:
    db = unit.database
    user_id = unit["ofc.b1"].user_id or 0
    with db.session() as session:
        for _ in range(3):
            authenticate(session, "ofc.b1", "bad password", policy=POLICY, now=NOW)
    with db.session() as session:
        assert unlock_user(session, unit["admin"], user_id).locked_until is None
        assert authenticate(session, "ofc.b1", PASSWORD, policy=POLICY, now=NOW).ok
        update_user(session, unit["admin"], user_id, active=False)
        assert not authenticate(session, "ofc.b1", PASSWORD, policy=POLICY, now=NOW).ok


def test_web_sessions_store_only_a_digest(unit: Unit) -> None:
    db = unit.database
    user_id = unit["sup.a"].user_id or 0
    with db.session() as session:
        opened = create_web_session(session, user_id, max_age=timedelta(hours=8), now=NOW)
    with db.read_session() as session:
        stored = session.execute(text("SELECT token_sha256 FROM web_sessions")).scalar_one()
        found = lookup_web_session(session, opened.token, now=NOW + timedelta(hours=1))
        expired = lookup_web_session(session, opened.token, now=NOW + timedelta(hours=8))
        assert lookup_web_session(session, "not-a-token", now=NOW) is None
    assert stored == token_digest(opened.token) != opened.token
    assert found is not None and found.user.username == "sup.a"
    assert found.csrf_token == opened.session.csrf_token and len(found.csrf_token) >= 43
    assert found.user.actor.team_id == unit["sup.a"].team_id
    assert expired is None
    with db.session() as session:
        delete_web_session(session, opened.token)
        assert lookup_web_session(session, opened.token, now=NOW) is None
        delete_web_session(session, opened.token)  # already gone: no error


def test_deactivating_or_new_password_ends_sessions(unit: Unit) -> None:
    db = unit.database
    user_id = unit["ofc.a1"].user_id or 0
    with db.session() as session:
        first = create_web_session(session, user_id, max_age=timedelta(hours=1))
        set_password(session, unit["ofc.a1"], user_id, "another good password")
        assert lookup_web_session(session, first.token) is None
        second = create_web_session(session, user_id, max_age=timedelta(hours=1))
        update_user(session, unit["admin"], user_id, active=False)
        assert lookup_web_session(session, second.token) is None
        with pytest.raises(PermissionDeniedError):
            set_password(session, unit["ofc.a1"], unit["ofc.a2"].user_id or 0, "x" * 12)


def test_purge_expired_sessions(unit: Unit) -> None:
    with unit.database.session() as session:
        for hours in (1, 2, 3):
            create_web_session(
                session, unit["ofc.a1"].user_id or 0, max_age=timedelta(hours=hours), now=NOW
            )
        assert purge_expired_sessions(session, now=NOW + timedelta(hours=2)) == 2
        assert purge_expired_sessions(session, now=NOW + timedelta(hours=2)) == 0


def test_update_user_records_the_changes(unit: Unit) -> None:
    user_id = unit["ofc.a1"].user_id or 0
    team_b = unit["ofc.b1"].team_id
    with unit.database.session() as session:
        changed = update_user(session, unit["admin"], user_id, team_id=team_b, full_name="New")
        assert (changed.team_name, changed.full_name, changed.email) == ("Team B", "New", None)
        audit = list_audit(session, unit["auditor"], entity="user", entity_id=user_id)
    assert audit[0].detail["team_id"] == [unit["ofc.a1"].team_id, team_b]


def test_assignable_officers_follow_reach(unit: Unit) -> None:
    with unit.database.read_session() as session:

        def names(actor_name: str) -> list[str]:
            return [u.username for u in list_assignable_officers(session, unit[actor_name])]

        assert names("ofc.a1") == ["ofc.a1"]
        assert names("sup.a") == ["ofc.a1", "ofc.a2"]
        assert names("sup.b") == ["ofc.b1"]
        assert names("admin") == []
        assert [u.username for u in list_examiners(session, unit["sup.a"])] == ["exam"]


def test_delete_user_and_team_refuse_while_referenced(unit: Unit) -> None:
    with unit.database.session() as session:
        with pytest.raises(InvalidInputError, match="deactivate the account instead"):
            delete_user(session, unit["admin"], unit["ofc.a1"].user_id or 0)
        with pytest.raises(InvalidInputError, match="still has 3 member"):
            delete_team(session, unit["admin"], unit["ofc.a1"].team_id or 0)
        delete_user(session, unit["admin"], unit["auditor"].user_id or 0)
        with pytest.raises(NotFoundError):
            get_user(session, unit["admin"], unit["auditor"].user_id or 0)
        empty = create_team(session, unit["admin"], "Empty")
        delete_team(session, unit["admin"], empty.id)
        with pytest.raises(InvalidInputError, match="already exists"):
            create_team(session, unit["admin"], "Team A")


def test_delete_user_refuses_when_another_area_names_them(unit: Unit) -> None:
    """An investigation's officer is held by a foreign key only: a refusal, not a crash."""
    from datetime import date

    from orderwatch.domain.investigations import InvestigationInput
    from orderwatch.storage.investigations import create_investigation

    with unit.database.session() as session:
        account = create_user(
            session,
            unit["admin"],
            username="ofc.new",
            role=Role.OFFICER,
            password=PASSWORD,
            team_id=unit["ofc.b1"].team_id,
        )
    officer = account.actor
    with unit.database.session() as session:
        create_investigation(
            session,
            officer,
            InvestigationInput(
                officer_id=officer.user_id or 0, opened_on=date(2026, 1, 5), subject_name="X"
            ),
        )
    with (
        unit.database.session() as session,
        pytest.raises(InvalidInputError, match="named on other records"),
    ):
        delete_user(session, unit["admin"], officer.user_id or 0)
    with unit.database.session() as session:
        assert get_user(session, unit["admin"], officer.user_id or 0).username == "ofc.new"
