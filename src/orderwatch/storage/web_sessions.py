"""Web sessions: only the SHA-256 of the cookie token is stored, with a CSRF token and an expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.errors import NotFoundError
from orderwatch.security.tokens import new_token, token_digest
from orderwatch.storage import mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.records import NewWebSession, WebSession
from orderwatch.storage.tables import TeamRow, UserRow, WebSessionRow


def create_web_session(
    session: Session, user_id: int, *, max_age: timedelta, now: datetime | None = None
) -> NewWebSession:
    """Open a session for a user who just logged in; the raw token is returned once only."""
    now = now or datetime.now(UTC)
    user = session.get(UserRow, user_id)
    if user is None or not user.active:
        raise NotFoundError(f"no active user {user_id}")
    token = new_token()
    row = WebSessionRow(
        token_sha256=token_digest(token),
        user_id=user_id,
        csrf_token=new_token(),
        created_at=now,
        expires_at=now + max_age,
    )
    session.add(row)
    session.flush()
    team_name = session.scalar(select(TeamRow.name).where(TeamRow.id == user.team_id))
    account = mapping.user_account(user, team_name)
    return NewWebSession(token, WebSession(account, row.csrf_token, row.created_at, row.expires_at))


def lookup_web_session(
    session: Session, token: str, *, now: datetime | None = None
) -> WebSession | None:
    """The live session for a cookie token; None when unknown, expired or the user inactive."""
    now = now or datetime.now(UTC)
    found = session.execute(
        select(WebSessionRow, UserRow, TeamRow.name)
        .join(UserRow, UserRow.id == WebSessionRow.user_id)
        .outerjoin(TeamRow, TeamRow.id == UserRow.team_id)
        .where(WebSessionRow.token_sha256 == token_digest(token))
    ).first()
    if found is None:
        return None
    row, user, team_name = found
    if row.expires_at <= now or not user.active:
        return None
    account = mapping.user_account(user, team_name)
    return WebSession(account, row.csrf_token, row.created_at, row.expires_at)


def delete_web_session(session: Session, token: str) -> None:
    """Log out: forget the session (no error when it is already gone); audited as a logout."""
    found = session.execute(
        select(WebSessionRow.id, UserRow)
        .join(UserRow, UserRow.id == WebSessionRow.user_id)
        .where(WebSessionRow.token_sha256 == token_digest(token))
    ).first()
    if found is None:
        return
    session_id, user = found
    session.execute(delete(WebSessionRow).where(WebSessionRow.id == session_id))
    actor = Actor(user.id, user.username, Role(user.role), user.team_id)
    record_audit(session, actor, "logout", "user", user.id)


def purge_expired_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete every expired session; returns how many."""
    now = now or datetime.now(UTC)
    expired = list(session.scalars(select(WebSessionRow.id).where(WebSessionRow.expires_at <= now)))
    if expired:
        session.execute(delete(WebSessionRow).where(WebSessionRow.id.in_(expired)))
    return len(expired)
