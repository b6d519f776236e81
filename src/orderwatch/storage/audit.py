"""The audit log: append-only, hash-chained, written by the repositories themselves.

Row n stores hash_n = SHA-256(hash_{n-1} + "\\n" + canonical content of row n), where the content
is the JSON array [id, time, user id, user name, action, entity, entity id, detail JSON]. Ids are
given by the chain (1, 2, 3, ...), so a deleted row shows as a gap; a changed row no longer
matches its hash; the database refuses UPDATE and DELETE on the table as well.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, can_read_audit
from orderwatch.domain.errors import PermissionDeniedError
from orderwatch.storage.records import AuditEntry, AuditVerification
from orderwatch.storage.tables import AuditRow

GENESIS_HASH = "0" * 64
# pg_advisory_xact_lock key serialising appends (arbitrary, fixed: "owaudit" in ASCII).
_ADVISORY_KEY = 0x6F776175646974


class ReadSessionError(RuntimeError):
    """An audited call was made in Database.read_session(); it needs Database.session()."""


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """The detail as stored and hashed: JSON with sorted keys (dates and the like as text)."""
    return json.dumps(
        dict(detail or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def chain_hash(prev_hash: str, row: AuditRow) -> str:
    """The hash row `row` must carry when it follows a row whose hash is `prev_hash`."""
    content = json.dumps(
        [
            row.id,
            row.at.astimezone(UTC).isoformat(timespec="microseconds"),
            row.user_id,
            row.username,
            row.action,
            row.entity,
            row.entity_id,
            row.detail,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    connection = session.connection()
    if connection.get_execution_options().get("sqlite_begin") == "DEFERRED":
        raise ReadSessionError("audited calls need Database.session(), not read_session()")
    if connection.dialect.name == "postgresql":
        # Held until commit; READ COMMITTED then shows the last committed row to the next holder.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
    # SQLite: Database.session() began with BEGIN IMMEDIATE, so this transaction already holds
    # the only write lock.


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
    _lock_chain(session)
    last = session.execute(
        select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
    row = AuditRow(
        id=prev_id + 1,
        at=datetime.now(UTC),
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        detail=canonical_detail(detail),
        prev_hash=prev_hash,
    )
    row.hash = chain_hash(prev_hash, row)
    session.add(row)
    session.flush()
    return row.id


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
    if not can_read_audit(actor):
        raise PermissionDeniedError("only auditors may read the audit log")
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(max(1, min(limit, 1000)))
    if before_id is not None:
        query = query.where(AuditRow.id < before_id)
    if entity is not None:
        query = query.where(AuditRow.entity == entity)
    if entity_id is not None:
        query = query.where(AuditRow.entity_id == str(entity_id))
    if username is not None:
        query = query.where(AuditRow.username == username)
    return [
        AuditEntry(
            id=row.id,
            at=row.at,
            user_id=row.user_id,
            username=row.username,
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            detail=_parse_detail(row.detail),
        )
        for row in session.scalars(query)
    ]


def _parse_detail(stored: str) -> dict[str, Any]:
    try:
        value = json.loads(stored)
    except ValueError:
        return {"unreadable": stored}
    return value if isinstance(value, dict) else {"value": value}


def verify_audit_chain(session: Session) -> AuditVerification:
    """Walk the whole chain; names the first row whose link or content does not check out."""
    expected_id, prev_hash, checked = 1, GENESIS_HASH, 0
    for row in _rows_in_order(session):
        if row.id != expected_id:
            missing = (
                f"row {expected_id} is missing"
                if row.id == expected_id + 1
                else f"rows {expected_id} to {row.id - 1} are missing"
            )
            return AuditVerification(checked, row.id, f"{missing} before row {row.id}")
        if row.prev_hash != prev_hash:
            where = f"row {row.id - 1}" if row.id > 1 else "the start of the chain"
            return AuditVerification(
                checked, row.id, f"row {row.id} does not link to {where} (previous hash differs)"
            )
        if chain_hash(prev_hash, row) != row.hash:
            return AuditVerification(
                checked, row.id, f"row {row.id} was changed after it was written (hash mismatch)"
            )
        prev_hash, expected_id = row.hash, row.id + 1
        checked += 1
    return AuditVerification(checked)


def _rows_in_order(session: Session, page: int = 2000) -> Iterator[AuditRow]:
    """Every row by id, a page at a time (keyset paging: no cursor left open on early exit)."""
    after = None
    while True:
        query = select(AuditRow).order_by(AuditRow.id).limit(page)
        if after is not None:
            query = query.where(AuditRow.id > after)
        rows = list(session.scalars(query))
        yield from rows
        if len(rows) < page:
            return
        after = rows[-1].id
