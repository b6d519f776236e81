"""Live-monitoring tables (migration 0002) on the shared metadata: enrolled devices, batches,
observations, alerts (one row per incident), their evidence, history, outcomes, notifications.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from orderwatch.storage.tables import Base, UtcDateTime

# Observation ids outgrow 32 bits at national scale; SQLite's rowid is 64-bit as INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class MonitoredDeviceRow(Base):
    """One enrolment of a person's device: a one-time code, then a device credential.

    Only SHA-256 digests of the code and the credential are kept.
    """

    __tablename__ = "monitor_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    declared_device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL"), index=True
    )
    label: Mapped[str] = mapped_column(String(200))
    code_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    credential_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    hostname: Mapped[str | None] = mapped_column(String(255))
    agent_version: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(Integer)  # user id; no FK, like the audit log
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    enrolled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[int | None] = mapped_column(Integer)
    last_batch_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OrderVersionRow(Base):
    """Bumped by database triggers whenever a person's order, devices or accounts change, so a
    cached compiled order is checked with the device lookup, not with a query of its own."""

    __tablename__ = "monitor_order_versions"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)


class BatchRow(Base):
    """A batch acknowledged to a device, with the answer given, so a replay gets the same one."""

    __tablename__ = "monitor_batches"
    __table_args__ = (UniqueConstraint("device_id", "batch_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("monitor_devices.id", ondelete="CASCADE"))
    batch_id: Mapped[str] = mapped_column(String(100))
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


class ObservationRow(Base):
    """One observation as the agent sent it (validated), kept for the retention period."""

    __tablename__ = "monitor_observations"
    __table_args__ = (
        UniqueConstraint("device_id", "client_id"),
        Index("ix_monitor_observations_person_id_observed_at", "person_id", "observed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("monitor_devices.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class AlertRow(Base):
    """An incident: every finding with the same key for one person within the window."""

    __tablename__ = "monitor_alerts"
    __table_args__ = (
        Index("ix_monitor_alerts_person_id_key", "person_id", "key"),
        Index("ix_monitor_alerts_state_severity_rank", "state", "severity_rank"),
        # covering indexes for the statistics dashboard (migration 0004)
        Index("ix_monitor_alerts_opened_at_person_id", "opened_at", "person_id"),
        Index(
            "ix_monitor_alerts_state_changed_at_cover",
            "state_changed_at",
            "person_id",
            "state",
            "condition",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitor_devices.id", ondelete="SET NULL")
    )
    condition: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    severity_rank: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(500))
    detail: Mapped[str | None] = mapped_column(Text)
    occurrences: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(24))
    state_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    state_changed_by: Mapped[int | None] = mapped_column(Integer)


class AlertObservationRow(Base):
    """Evidence: an observation behind an alert, with what matched in it."""

    __tablename__ = "monitor_evidence"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("monitor_alerts.id", ondelete="CASCADE"), primary_key=True
    )
    observation_id: Mapped[int] = mapped_column(
        ForeignKey("monitor_observations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    detail: Mapped[str | None] = mapped_column(Text)


class AlertEventRow(Base):
    """One change of an alert's state: who, when, from what to what, and why."""

    __tablename__ = "monitor_alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("monitor_alerts.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(120))
    from_state: Mapped[str] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)


class AlertOutcomeRow(Base):
    """The outcome record an alert closed as a breach (or a referral for arrest) links to."""

    __tablename__ = "monitor_alert_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("monitor_alerts.id", ondelete="CASCADE"), unique=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    condition: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(24))  # breach | referral_for_arrest
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class NotificationRow(Base):
    """An in-app notification to an officer, and whether its e-mail went out."""

    __tablename__ = "monitor_notifications"
    __table_args__ = (Index("ix_monitor_notifications_user_id_read_at", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("monitor_alerts.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    email_status: Mapped[str] = mapped_column(String(10), index=True)  # none|pending|sent|failed
    email_error: Mapped[str | None] = mapped_column(String(500))
