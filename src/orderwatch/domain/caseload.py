"""Caseload rules: risk levels, visit cadence, next visit due, overdue, order expiry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum


class RiskLevel(StrEnum):
    VERY_HIGH = "very_high"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the highest risk; used to sort caseloads."""
        return list(RiskLevel).index(self)


class ManagementLevel(StrEnum):
    ACTIVE = "active"
    REACTIVE = "reactive"


class OrderKind(StrEnum):
    SHPO = "SHPO"
    SOPO = "SOPO"
    NOTIFICATION = "notification"
    BAIL = "bail"


class OrderStatus(StrEnum):
    NOT_YET_IN_FORCE = "not_yet_in_force"
    IN_FORCE = "in_force"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"


DEFAULT_CADENCE_DAYS: Mapping[str, int] = {"very_high": 28, "high": 56, "medium": 112, "low": 365}


@dataclass(frozen=True)
class VisitCadence:
    """Days between routine home visits, by risk level, for actively managed persons."""

    days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CADENCE_DAYS))

    def __post_init__(self) -> None:
        missing = [r.value for r in RiskLevel if r.value not in self.days]
        if missing:
            raise ValueError(f"visit cadence has no interval for: {', '.join(missing)}")
        bad = [k for k, v in self.days.items() if int(v) <= 0]
        if bad:
            raise ValueError(f"visit cadence intervals must be positive days: {', '.join(bad)}")

    def interval(self, risk: RiskLevel) -> timedelta:
        return timedelta(days=int(self.days[risk.value]))


def next_visit_due(
    risk: RiskLevel,
    management: ManagementLevel,
    last_visit: date | None,
    managed_since: date,
    cadence: VisitCadence | None = None,
) -> date | None:
    """When the next routine visit is due; None for reactive management (no routine visits).

    With no visit yet, the first is due one interval after management began.
    """
    if management is ManagementLevel.REACTIVE:
        return None
    cadence = cadence or VisitCadence()
    base = last_visit or managed_since
    return base + cadence.interval(risk)


def is_overdue(due: date | None, today: date) -> bool:
    """A visit is overdue the day after it was due."""
    return due is not None and today > due


def days_overdue(due: date | None, today: date) -> int:
    """How many days past due (0 when not overdue)."""
    if due is None or today <= due:
        return 0
    return (today - due).days


def order_status(made: date, expires: date | None, today: date, warn_days: int = 60) -> OrderStatus:
    """Whether an order is in force; `expires` None means indefinite."""
    if today < made:
        return OrderStatus.NOT_YET_IN_FORCE
    if expires is not None and today > expires:
        return OrderStatus.EXPIRED
    if expires is not None and (expires - today).days <= warn_days:
        return OrderStatus.EXPIRING_SOON
    return OrderStatus.IN_FORCE


def caseload_sort_key(
    overdue_days: int, due: date | None, risk: RiskLevel
) -> tuple[int, int, date, int]:
    """Overdue first (most overdue first), then by due date, then highest risk."""
    return (0 if overdue_days else 1, -overdue_days, due or date.max, risk.rank)


class VisitOutcome(StrEnum):
    """What came of a home visit."""

    COMPLETED = "completed"
    CONCERNS_RAISED = "concerns_raised"
    NO_ACCESS = "no_access"
    REFUSED = "refused"


def effective_visit_due(
    risk: RiskLevel,
    management: ManagementLevel,
    last_visit: date | None,
    managed_since: date,
    next_booked: date | None,
    cadence: VisitCadence | None = None,
) -> date | None:
    """The earlier of the routine due date and the earliest visit booked but not yet made.

    Booking a visit never postpones the routine cadence; it can only bring the due date forward.
    """
    routine = next_visit_due(risk, management, last_visit, managed_since, cadence)
    dates = [d for d in (routine, next_booked) if d is not None]
    return min(dates) if dates else None
