"""Teams, user accounts and logins (with throttling). Account changes are admin-only and audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role
from orderwatch.security.throttling import ThrottlePolicy
from orderwatch.storage.records import UNSET, LoginAttempt, Team, Unset, UserAccount, UserRef


def create_team(session: Session, actor: Actor, name: str) -> Team:
    """A new team; InvalidInputError when the name is taken."""
    raise NotImplementedError


def list_teams(session: Session, actor: Actor) -> list[Team]:
    """Every team by name (any signed-in user may see team names)."""
    raise NotImplementedError


def rename_team(session: Session, actor: Actor, team_id: int, name: str) -> Team:
    raise NotImplementedError


def delete_team(session: Session, actor: Actor, team_id: int) -> None:
    """Remove an empty team; InvalidInputError while users still belong to it."""
    raise NotImplementedError


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
    raise NotImplementedError


def get_user(session: Session, actor: Actor, user_id: int) -> UserAccount:
    """One account (admins any; everyone else only their own), else NotFoundError."""
    raise NotImplementedError


def get_user_by_username(session: Session, actor: Actor, username: str) -> UserAccount:
    raise NotImplementedError


def list_users(
    session: Session, actor: Actor, *, role: Role | None = None, team_id: int | None = None
) -> list[UserAccount]:
    """Accounts by user name (admins only)."""
    raise NotImplementedError


def list_assignable_officers(session: Session, actor: Actor) -> list[UserRef]:
    """Officers the actor may make responsible for a person: themselves, or their team's."""
    raise NotImplementedError


def list_examiners(session: Session, actor: Actor) -> list[UserRef]:
    """Active examiners (to assign to persons)."""
    raise NotImplementedError


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
    raise NotImplementedError


def set_password(session: Session, actor: Actor, user_id: int, password: str) -> None:
    """A new password (the user themselves, or an admin); ends the user's other sessions."""
    raise NotImplementedError


def unlock_user(session: Session, actor: Actor, user_id: int) -> UserAccount:
    """Clear a login lockout (admins)."""
    raise NotImplementedError


def delete_user(session: Session, actor: Actor, user_id: int) -> None:
    """Remove an account never referenced by a record; otherwise deactivate it instead."""
    raise NotImplementedError


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
    raise NotImplementedError
