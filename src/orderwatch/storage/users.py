"""Teams, user accounts and logins (with throttling). Account changes are admin-only and audited.

Validation errors are InvalidInputError whose `source` is the field at fault (e.g. "username").
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderwatch.domain.access import (
    Actor,
    Role,
    Scope,
    can_change_password,
    can_manage_users,
    person_scope,
)
from orderwatch.domain.errors import NotFoundError
from orderwatch.security.passwords import (
    MIN_PASSWORD_LENGTH,
    burn_verification_time,
    hash_password,
    password_needs_rehash,
    verify_password,
)
from orderwatch.security.throttling import LoginState, ThrottlePolicy
from orderwatch.settings import get_settings
from orderwatch.storage import mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.records import UNSET, LoginAttempt, Team, Unset, UserAccount, UserRef
from orderwatch.storage.scope import invalid, require
from orderwatch.storage.tables import (
    PersonExaminerRow,
    PersonRow,
    TeamRow,
    UserRow,
    VisitRow,
    WebSessionRow,
)

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_LOGIN_FAILED = "wrong user name or password"


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _team_row(session: Session, team_id: int) -> TeamRow:
    row = session.get(TeamRow, team_id)
    if row is None:
        raise invalid("team_id", f"no team with id {team_id}")
    return row


def create_team(session: Session, actor: Actor, name: str) -> Team:
    """A new team; InvalidInputError when the name is blank or taken."""
    require(can_manage_users(actor), "only administrators manage teams")
    name = name.strip()
    if not name:
        raise invalid("name", "a team needs a name")
    if session.scalar(select(TeamRow.id).where(TeamRow.name == name)) is not None:
        raise invalid("name", f"a team named {name!r} already exists")
    row = TeamRow(name=name)
    session.add(row)
    session.flush()
    record_audit(session, actor, "create", "team", row.id, {"name": name})
    return mapping.team(row)


def list_teams(session: Session, actor: Actor) -> list[Team]:
    """Every team by name (any signed-in user may see team names)."""
    return [mapping.team(r) for r in session.scalars(select(TeamRow).order_by(TeamRow.name))]


def rename_team(session: Session, actor: Actor, team_id: int, name: str) -> Team:
    require(can_manage_users(actor), "only administrators manage teams")
    row = _team_row(session, team_id)
    name = name.strip()
    if not name:
        raise invalid("name", "a team needs a name")
    clash = session.scalar(select(TeamRow.id).where(TeamRow.name == name, TeamRow.id != team_id))
    if clash is not None:
        raise invalid("name", f"a team named {name!r} already exists")
    old, row.name = row.name, name
    record_audit(session, actor, "update", "team", team_id, {"name": [old, name]})
    return mapping.team(row)


def delete_team(session: Session, actor: Actor, team_id: int) -> None:
    """Remove an empty team; InvalidInputError while users still belong to it."""
    require(can_manage_users(actor), "only administrators manage teams")
    row = _team_row(session, team_id)
    members = session.scalar(select(func.count()).where(UserRow.team_id == team_id))
    if members:
        raise invalid("team_id", f"team {row.name!r} still has {members} member(s)")
    session.delete(row)
    record_audit(session, actor, "delete", "team", team_id, {"name": row.name})


def _check_user_fields(
    session: Session, role: Role, team_id: int | None, email: str | None
) -> None:
    if team_id is not None:
        _team_row(session, team_id)
    if role is Role.SUPERVISOR and team_id is None:
        raise invalid("team_id", "a supervisor needs a team")
    if email is not None and not _EMAIL.match(email):
        raise invalid("email", f"{email!r} is not an e-mail address")


def _account(session: Session, row: UserRow) -> UserAccount:
    team_name = session.scalar(select(TeamRow.name).where(TeamRow.id == row.team_id))
    return mapping.user_account(row, team_name)


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    role: Role,
    password: str,
    full_name: str | None = None,
    email: str | None = None,
    team_id: int | None = None,
) -> UserAccount:
    """A new active account (admin or command line); the password is stored as an argon2 hash."""
    require(can_manage_users(actor), "only administrators create accounts")
    username = normalise_username(username)
    if not _USERNAME.match(username):
        raise invalid(
            "username",
            f"{username!r} is not a valid user name (2-80 of a-z 0-9 . _ -, starting with a "
            "letter or digit)",
        )
    if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise invalid("username", f"the user name {username!r} is taken")
    role = Role(role)
    email = (email or "").strip() or None
    _check_user_fields(session, role, team_id, email)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid("password", f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    row = UserRow(
        username=username,
        full_name=(full_name or "").strip() or username,
        email=email,
        role=role.value,
        team_id=team_id,
        password_hash=hash_password(password),
        active=True,
        failed_logins=0,
    )
    session.add(row)
    session.flush()
    detail = {"username": username, "role": role.value, "team_id": team_id}
    record_audit(session, actor, "create", "user", row.id, detail)
    return _account(session, row)


def _user_row(session: Session, actor: Actor, user_id: int) -> UserRow:
    row = session.get(UserRow, user_id)
    if row is None or not (can_manage_users(actor) or actor.user_id == user_id):
        raise NotFoundError(f"no user {user_id}")
    return row


def get_user(session: Session, actor: Actor, user_id: int) -> UserAccount:
    """One account (admins any; everyone else only their own), else NotFoundError."""
    return _account(session, _user_row(session, actor, user_id))


def get_user_by_username(session: Session, actor: Actor, username: str) -> UserAccount:
    name = normalise_username(username)
    user_id = session.scalar(select(UserRow.id).where(UserRow.username == name))
    if user_id is None:
        raise NotFoundError(f"no user named {name!r}")
    return get_user(session, actor, user_id)


def list_users(
    session: Session, actor: Actor, *, role: Role | None = None, team_id: int | None = None
) -> list[UserAccount]:
    """Accounts by user name (admins only)."""
    require(can_manage_users(actor), "only administrators list accounts")
    query = (
        select(UserRow, TeamRow.name)
        .outerjoin(TeamRow, TeamRow.id == UserRow.team_id)
        .order_by(UserRow.username)
    )
    if role is not None:
        query = query.where(UserRow.role == Role(role).value)
    if team_id is not None:
        query = query.where(UserRow.team_id == team_id)
    return [mapping.user_account(row, name) for row, name in session.execute(query)]


def list_assignable_officers(session: Session, actor: Actor) -> list[UserRef]:
    """Officers the actor may make responsible for a person: themselves, or their team's."""
    query = select(UserRow).where(UserRow.active.is_(True), UserRow.role == Role.OFFICER.value)
    scope = person_scope(actor)
    if scope is Scope.OWN:
        query = query.where(UserRow.id == actor.user_id)
    elif scope is Scope.TEAM:
        query = query.where(UserRow.team_id == actor.team_id)
    elif scope is not Scope.ALL:
        return []
    return [mapping.user_ref(r) for r in session.scalars(query.order_by(UserRow.username))]


def list_examiners(session: Session, actor: Actor) -> list[UserRef]:
    """Active examiners (to assign to persons)."""
    query = select(UserRow).where(UserRow.active.is_(True), UserRow.role == Role.EXAMINER.value)
    return [mapping.user_ref(r) for r in session.scalars(query.order_by(UserRow.username))]


def update_user(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    full_name: str | Unset = UNSET,
    email: str | Unset | None = UNSET,
    role: Role | Unset = UNSET,
    team_id: int | Unset | None = UNSET,
    active: bool | Unset = UNSET,
) -> UserAccount:
    """Change an account (admins); deactivating ends its web sessions."""
    require(can_manage_users(actor), "only administrators change accounts")
    row = _user_row(session, actor, user_id)
    new_role = Role(row.role) if isinstance(role, Unset) else Role(role)
    new_team = row.team_id if isinstance(team_id, Unset) else team_id
    new_email = row.email if isinstance(email, Unset) else ((email or "").strip() or None)
    _check_user_fields(session, new_role, new_team, new_email)
    changes: dict[str, list[object]] = {}
    updates: dict[str, object] = {"role": new_role.value, "team_id": new_team, "email": new_email}
    if not isinstance(full_name, Unset):
        updates["full_name"] = full_name.strip() or row.username
    if not isinstance(active, Unset):
        updates["active"] = bool(active)
    for name, value in updates.items():
        if getattr(row, name) != value:
            changes[name] = [getattr(row, name), value]
            setattr(row, name, value)
    if changes.get("active") == [True, False]:
        session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))
    if changes:
        record_audit(session, actor, "update", "user", user_id, changes)
    return _account(session, row)


def set_password(session: Session, actor: Actor, user_id: int, password: str) -> None:
    """A new password (the user themselves, or an admin); ends the user's web sessions."""
    require(can_change_password(actor, user_id), "you may change only your own password")
    row = _user_row(session, actor, user_id)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid("password", f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    row.password_hash = hash_password(password)
    session.execute(delete(WebSessionRow).where(WebSessionRow.user_id == user_id))
    record_audit(session, actor, "set_password", "user", user_id, {"username": row.username})


def unlock_user(session: Session, actor: Actor, user_id: int) -> UserAccount:
    """Clear a login lockout (admins)."""
    require(can_manage_users(actor), "only administrators unlock accounts")
    row = _user_row(session, actor, user_id)
    row.failed_logins, row.locked_until = 0, None
    record_audit(session, actor, "unlock", "user", user_id, {"username": row.username})
    return _account(session, row)


def delete_user(session: Session, actor: Actor, user_id: int) -> None:
    """Remove an account never referenced by a record; otherwise deactivate it instead."""
    require(can_manage_users(actor), "only administrators delete accounts")
    row = _user_row(session, actor, user_id)
    if actor.user_id == user_id:
        raise invalid("user_id", "you cannot delete your own account")
    referenced = session.scalar(
        select(
            or_(
                exists().where(PersonRow.officer_id == user_id),
                exists().where(VisitRow.officer_id == user_id),
                exists().where(PersonExaminerRow.user_id == user_id),
            )
        )
    )
    if referenced:
        raise invalid(
            "user_id",
            f"{row.username} is named on persons or visits; reassign them or deactivate the "
            "account instead",
        )
    username = row.username
    try:
        # Other areas' records (investigations, exhibits, alerts ...) name users too: the
        # database's foreign keys have the last word, inside a savepoint so the session survives.
        with session.begin_nested():
            session.delete(row)
            session.flush()
    except IntegrityError:
        raise invalid(
            "user_id",
            f"{username} is named on other records (investigations, exhibits or alerts); "
            "deactivate the account instead",
        ) from None
    record_audit(session, actor, "delete", "user", user_id, {"username": username})


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    policy: ThrottlePolicy | None = None,
    now: datetime | None = None,
) -> LoginAttempt:
    """Check credentials; the attempt carries the account, or the one-line reason it failed.

    Returned, not raised, so the caller commits the failure count. Failures are counted and
    audited; `policy.max_failures` in a row lock the account for `policy.lockout`, during which
    even the right password is refused. Unknown names and wrong passwords read the same.
    """
    policy = policy or ThrottlePolicy.from_settings(get_settings())
    now = now or datetime.now(UTC)
    name = normalise_username(username)
    # Row-locked (PostgreSQL) so that concurrent failures are all counted.
    row = session.scalar(select(UserRow).where(UserRow.username == name).with_for_update())
    if row is None:
        burn_verification_time(password)
        # The name typed is not recorded: it may be a password typed in the wrong field.
        who = Actor(None, "(unknown user name)", Role.OFFICER)
        record_audit(session, who, "login_failed", "user", None, {"reason": "unknown user name"})
        return LoginAttempt(None, _LOGIN_FAILED)
    actor = Actor(row.id, row.username, Role(row.role), row.team_id)
    state = LoginState(row.failed_logins, row.locked_until)
    if policy.is_locked(state, now):
        record_audit(session, actor, "login_refused", "user", row.id, {"reason": "locked"})
        return LoginAttempt(None, _locked_message(state.locked_until), state.locked_until)
    if not verify_password(row.password_hash, password) or not row.active:
        after = policy.after_failure(state, now)
        row.failed_logins, row.locked_until = after.failed_logins, after.locked_until
        reason = "wrong password" if row.active else "inactive account"
        detail = {
            "reason": reason,
            "failures": after.failed_logins,
            "locked": after.locked_until is not None,
        }
        record_audit(session, actor, "login_failed", "user", row.id, detail)
        if after.locked_until is not None:
            return LoginAttempt(None, _locked_message(after.locked_until), after.locked_until)
        return LoginAttempt(None, _LOGIN_FAILED)
    if password_needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
    record_audit(session, actor, "login", "user", row.id)
    return LoginAttempt(_account(session, row))


def _locked_message(until: datetime | None) -> str:
    when = f" until {until:%H:%M} UTC" if until else ""
    return f"too many failed logins: this account is locked{when}"
