"""The audit log: append-only, hash-chained, written by the repositories themselves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.storage.records import AuditEntry, AuditVerification


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object | None = None,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Append one row to the chain (in the caller's transaction); returns its id.

    Serialised across connections (PostgreSQL advisory lock; SQLite's write lock), so two
    writers never chain onto the same previous row. Never put secrets in `detail`.
    """
    raise NotImplementedError


def list_audit(
    session: Session,
    actor: Actor,
    *,
    limit: int = 100,
    before_id: int | None = None,
    entity: str | None = None,
    entity_id: object | None = None,
    username: str | None = None,
) -> list[AuditEntry]:
    """Newest audit rows first (page with before_id); for auditors only."""
    raise NotImplementedError


def verify_audit_chain(session: Session) -> AuditVerification:
    """Walk the whole chain; names the first row whose link or content does not check out."""
    raise NotImplementedError
