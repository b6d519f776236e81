"""Exhibit tables (migration 0003): seized or inspected devices in the examination queue, and
their chain of custody, which the database itself keeps append-only (triggers refuse UPDATE
and DELETE, as for the audit log).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from orderwatch.storage.tables import Base, UtcDateTime


class ExhibitRow(Base):
    __tablename__ = "exhibits"
    __table_args__ = (Index("ix_exhibits_status_priority", "status", "priority"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigations.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    device_kind: Mapped[str] = mapped_column(String(40))
    seized_on: Mapped[date] = mapped_column(Date, index=True)
    seized_from: Mapped[str | None] = mapped_column(String(300))
    hidden: Mapped[bool] = mapped_column(Boolean)
    undeclared: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer)
    priority_reason: Mapped[str] = mapped_column(String(300))
    priority_set_by: Mapped[str | None] = mapped_column(String(120))  # None: derived
    examiner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    triaged_on: Mapped[date | None] = mapped_column(Date)
    full_exam_on: Mapped[date | None] = mapped_column(Date)
    first_exam_on: Mapped[date | None] = mapped_column(Date, index=True)
    disposed_on: Mapped[date | None] = mapped_column(Date)
    triage_runs: Mapped[list[str]] = mapped_column(JSON)  # report paths or run ids
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CustodyRow(Base):
    """One step of an exhibit's chain: numbered 1, 2, 3 ... per exhibit; never changed."""

    __tablename__ = "exhibit_custody"
    __table_args__ = (UniqueConstraint("exhibit_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exhibit_id: Mapped[int] = mapped_column(ForeignKey("exhibits.id"))
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    holder: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    seal_number: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[int | None] = mapped_column(Integer)  # user id; no FK, like the audit log
    recorded_by_name: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
