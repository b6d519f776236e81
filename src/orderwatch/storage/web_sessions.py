"""Web sessions: only the SHA-256 of the cookie token is stored, with a CSRF token and an expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from orderwatch.storage.records import NewWebSession, WebSession


def create_web_session(
    session: Session, user_id: int, *, max_age: timedelta, now: datetime | None = None
) -> NewWebSession:
    """Open a session for a user who just logged in; the raw token is returned once only."""
    raise NotImplementedError


def lookup_web_session(
    session: Session, token: str, *, now: datetime | None = None
) -> WebSession | None:
    """The live session for a cookie token; None when unknown, expired or the user inactive."""
    raise NotImplementedError


def delete_web_session(session: Session, token: str) -> None:
    """Log out: forget the session (no error when it is already gone)."""
    raise NotImplementedError


def purge_expired_sessions(session: Session, *, now: datetime | None = None) -> int:
    """Delete every expired session; returns how many."""
    raise NotImplementedError
