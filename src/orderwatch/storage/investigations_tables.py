"""Investigation tables (migration 0003) on the shared metadata: investigations and what they
record (referrals, warrants, arrests, offences, charges, safeguarding, bail).

An investigation belongs to its investigating officer (reach follows the officer, as for
persons); its subject is a managed person or a named, unmanaged suspect. When a managed person
is deleted the investigation stays (person_id becomes NULL, the subject's name is kept), so the
unit's statistics do not change behind its back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from orderwatch.storage.tables import Base, UtcDateTime


class InvestigationRow(Base):
    __tablename__ = "investigations"
    __table_args__ = (Index("ix_investigations_officer_id_opened_on", "officer_id", "opened_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="SET NULL"), index=True
    )
    subject_name: Mapped[str] = mapped_column(String(200))
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(40))
    outcome_on: Mapped[date | None] = mapped_column(Date, index=True)
    closed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


def _parent() -> Mapped[int]:
    return mapped_column(ForeignKey("investigations.id", ondelete="CASCADE"), index=True)


class ReferralRow(Base):
    __tablename__ = "investigation_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = _parent()
    received_on: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(40))
    online: Mapped[bool] = mapped_column(Boolean)
    reference: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)


class WarrantRow(Base):
    __tablename__ = "investigation_warrants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = _parent()
    applied_on: Mapped[date] = mapped_column(Date)
    executed_on: Mapped[date | None] = mapped_column(Date, index=True)
    address: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class ArrestRow(Base):
    __tablename__ = "investigation_arrests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = _parent()
    arrested_on: Mapped[date] = mapped_column(Date, index=True)
    note: Mapped[str | None] = mapped_column(Text)


class OffenceRow(Base):
    __tablename__ = "investigation_offences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = _parent()
    offence_type: Mapped[str] = mapped_column(String(60))
    identified_on: Mapped[date] = mapped_column(Date, index=True)
    cyber: Mapped[bool] = mapped_column(Boolean)
    breach: Mapped[bool] = mapped_column(Boolean)  # the type was a breach when recorded
    breach_condition: Mapped[str | None] = mapped_column(String(40))
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("monitor_alerts.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str | None] = mapped_column(Text)


class ChargeRow(Base):
    __tablename__ = "investigation_charges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = _parent()
    offence_id: Mapped[int | None] = mapped_column(
        ForeignKey("investigation_offences.id", ondelete="SET NULL")
    )
    charged_on: Mapped[date] = mapped_column(Date, index=True)
    result: Mapped[str] = mapped_column(String(20))
    result_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class SafeguardingRow(Base):
    """Children safeguarded: a count, never names."""

    __tablename__ = "investigation_safeguarding"
    __table_args__ = (CheckConstraint("children >= 0", name="children_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = _parent()
    recorded_on: Mapped[date] = mapped_column(Date, index=True)
    children: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class BailRow(Base):
    """Bail with its own conditions (the order-condition vocabulary, as JSON records)."""

    __tablename__ = "investigation_bail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    investigation_id: Mapped[int] = _parent()
    granted_on: Mapped[date] = mapped_column(Date)
    return_on: Mapped[date | None] = mapped_column(Date)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
