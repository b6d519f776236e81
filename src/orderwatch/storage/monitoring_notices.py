"""Officers' notifications of high-severity alerts: read in the app, e-mailed when configured.

E-mails are an outbox: ingestion leaves them "pending" in its own transaction; a sender claims
some (pending -> sending), sends them after the commit, and marks each sent or failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.conditions import CONDITION_LABELS, ConditionType
from orderwatch.storage.monitoring_records import NotificationRecord, PendingEmail
from orderwatch.storage.monitoring_tables import AlertRow, NotificationRow
from orderwatch.storage.scope import person_filter
from orderwatch.storage.tables import PersonRow, UserRow


def _mine(actor: Actor) -> list[object]:
    """The actor's notifications about persons still in their reach."""
    return [NotificationRow.user_id == actor.user_id, person_filter(actor)]


def list_notifications(
    session: Session, actor: Actor, *, unread_only: bool = True, limit: int = 20
) -> list[NotificationRecord]:
    """The actor's newest notifications (unread ones unless told otherwise)."""
    if actor.user_id is None:
        return []
    query = (
        select(NotificationRow)
        .join(AlertRow, AlertRow.id == NotificationRow.alert_id)
        .join(PersonRow, PersonRow.id == AlertRow.person_id)
        .where(*_mine(actor))  # type: ignore[arg-type]
        .order_by(NotificationRow.id.desc())
        .limit(max(1, min(limit, 200)))
    )
    if unread_only:
        query = query.where(NotificationRow.read_at.is_(None))
    return [
        NotificationRecord(n.id, n.alert_id, n.message, n.created_at, n.read_at, n.email_status)
        for n in session.scalars(query)
    ]


def unread_notifications(session: Session, actor: Actor) -> int:
    if actor.user_id is None:
        return 0
    count = session.scalar(
        select(func.count())
        .select_from(NotificationRow)
        .where(NotificationRow.user_id == actor.user_id, NotificationRow.read_at.is_(None))
    )
    return int(count or 0)


def mark_notifications_read(
    session: Session,
    actor: Actor,
    notification_ids: Sequence[int] | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Mark the actor's own notifications read (all unread ones when no ids are given)."""
    if actor.user_id is None:
        return 0
    query = update(NotificationRow).where(
        NotificationRow.user_id == actor.user_id, NotificationRow.read_at.is_(None)
    )
    if notification_ids is not None:
        query = query.where(NotificationRow.id.in_(list(notification_ids)))
    result = session.execute(
        query.values(read_at=now or datetime.now(UTC)).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim_pending_emails(session: Session, limit: int = 50) -> list[PendingEmail]:
    """Take up to `limit` pending e-mails for sending (each claimed by one sender only)."""
    found = session.execute(
        select(
            NotificationRow.id,
            UserRow.email,
            NotificationRow.alert_id,
            AlertRow.severity,
            AlertRow.condition,
            PersonRow.reference,
        )
        .join(UserRow, UserRow.id == NotificationRow.user_id)
        .join(AlertRow, AlertRow.id == NotificationRow.alert_id)
        .join(PersonRow, PersonRow.id == AlertRow.person_id)
        .where(NotificationRow.email_status == "pending")
        .order_by(NotificationRow.id)
        .limit(limit)
    ).all()
    claimed = []
    for notification_id, email, alert_id, severity, condition, reference in found:
        taken = session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id, NotificationRow.email_status == "pending")
            .values(email_status="sending")
            .execution_options(synchronize_session=False)
        )
        if not getattr(taken, "rowcount", 0) or not email:
            continue
        label = CONDITION_LABELS[ConditionType(condition)]
        subject = f"orderwatch: {severity} alert #{alert_id} for {reference}"
        body = (
            f"A {severity}-severity alert needs your attention.\n\n"
            f"Person: {reference}\nCondition: {label}\nAlert: #{alert_id}\n\n"
            f"Open orderwatch and go to Alerts (/alerts/{alert_id}) to see the evidence.\n"
            "Details stay in orderwatch; this message carries none.\n"
        )
        claimed.append(PendingEmail(notification_id, email, subject, body))
    return claimed


def finish_email(
    session: Session, notification_id: int, *, sent: bool, error: str | None = None
) -> None:
    """Record how sending went (failed ones are retried by `orderwatch monitor check`)."""
    session.execute(
        update(NotificationRow)
        .where(NotificationRow.id == notification_id)
        .values(
            email_status="sent" if sent else "failed", email_error=(error or None) and error[:500]
        )
        .execution_options(synchronize_session=False)
    )


def retry_failed_emails(session: Session) -> int:
    """Put failed e-mails back in the queue; returns how many."""
    result = session.execute(
        update(NotificationRow)
        .where(NotificationRow.email_status == "failed")
        .values(email_status="pending")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
