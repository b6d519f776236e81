"""What the repositories take and return: plain dataclasses, never ORM rows.

The web layer and the CLI read these; the mapping from tables lives in storage/mapping.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import (
    ManagementLevel,
    OrderKind,
    OrderStatus,
    RiskLevel,
    VisitOutcome,
    order_status,
)
from orderwatch.domain.conditions import Condition
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice


class Unset(Enum):
    """Marks a keyword argument left out of an update (None means "clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True)
class Team:
    id: int
    name: str


@dataclass(frozen=True)
class UserRef:
    """A user as shown beside a record (responsible officer, examiner, visiting officer)."""

    id: int
    username: str
    full_name: str


@dataclass(frozen=True)
class UserAccount:
    """An account as the admin pages and the login see it (never its password hash)."""

    id: int
    username: str
    full_name: str
    email: str | None
    role: Role
    team_id: int | None
    team_name: str | None
    active: bool
    failed_logins: int
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    @property
    def actor(self) -> Actor:
        """The actor to pass to repository functions on this user's behalf."""
        return Actor(self.id, self.username, self.role, self.team_id)

    @property
    def ref(self) -> UserRef:
        return UserRef(self.id, self.username, self.full_name)


@dataclass(frozen=True)
class LoginAttempt:
    """The result of `authenticate`: the account, or a message to show and any lockout end."""

    user: UserAccount | None
    message: str | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.user is not None


@dataclass(frozen=True)
class WebSession:
    """A live login: the user, the CSRF token forms must echo, and when it ends."""

    user: UserAccount
    csrf_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class NewWebSession:
    """A session just opened: `token` goes in the cookie and is never stored (only its digest)."""

    token: str
    session: WebSession


@dataclass(frozen=True)
class PersonInput:
    """Everything a create or edit form sets on a managed person."""

    reference: str
    full_name: str
    risk_level: RiskLevel
    management_level: ManagementLevel
    officer_id: int
    managed_since: date
    date_of_birth: date | None = None
    address: str | None = None
    aliases: tuple[str, ...] = ()
    examiner_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ManagedPerson:
    id: int
    reference: str
    full_name: str
    aliases: tuple[str, ...]
    date_of_birth: date | None
    address: str | None
    risk_level: RiskLevel
    management_level: ManagementLevel
    managed_since: date
    officer: UserRef
    team_id: int | None
    examiners: tuple[UserRef, ...]
    created_at: datetime
    updated_at: datetime

    def as_input(self) -> PersonInput:
        """The editable fields, e.g. to pre-fill an edit form."""
        return PersonInput(
            reference=self.reference,
            full_name=self.full_name,
            risk_level=self.risk_level,
            management_level=self.management_level,
            officer_id=self.officer.id,
            managed_since=self.managed_since,
            date_of_birth=self.date_of_birth,
            address=self.address,
            aliases=self.aliases,
            examiner_ids=tuple(e.id for e in self.examiners),
        )


@dataclass(frozen=True)
class StoredOrder:
    id: int
    person_id: int
    kind: OrderKind
    court: str | None
    made: date
    expires: date | None
    conditions: tuple[Condition, ...]

    def status(self, today: date) -> OrderStatus:
        return order_status(self.made, self.expires, today)


@dataclass(frozen=True)
class StoredDevice:
    id: int
    person_id: int
    kind: str
    make: str | None
    model: str | None
    serial: str | None
    imei: str | None
    mac: str | None
    vendor: str | None
    product: str | None
    declared_on: date | None

    def as_declared(self) -> DeclaredDevice:
        return DeclaredDevice(
            kind=self.kind,
            make=self.make,
            model=self.model,
            serial=self.serial,
            imei=self.imei,
            mac=self.mac,
            vendor=self.vendor,
            product=self.product,
            declared_on=self.declared_on,
        )


@dataclass(frozen=True)
class StoredAccount:
    id: int
    person_id: int
    service: str
    identifier: str

    def as_declared(self) -> DeclaredAccount:
        return DeclaredAccount(self.service, self.identifier)


@dataclass(frozen=True)
class VisitReport:
    """What an officer records about a visit made."""

    done_on: date
    outcome: VisitOutcome
    devices_inspected: tuple[int, ...] = ()  # ids of the person's declared devices
    notes: str | None = None


@dataclass(frozen=True)
class StoredVisit:
    id: int
    person_id: int
    due_on: date
    done_on: date | None
    outcome: VisitOutcome | None
    devices_inspected: tuple[int, ...]
    notes: str | None
    officer: UserRef | None

    @property
    def done(self) -> bool:
        return self.done_on is not None


@dataclass(frozen=True)
class PersonFile:
    """A person's whole record, as the person page shows it (reading it is audited)."""

    person: ManagedPerson
    order: StoredOrder | None
    devices: tuple[StoredDevice, ...]
    accounts: tuple[StoredAccount, ...]
    visits: tuple[StoredVisit, ...]  # newest due date first
    last_visit: date | None
    next_visit_due: date | None
    overdue_days: int

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


@dataclass(frozen=True)
class CaseloadEntry:
    """One row of a caseload listing."""

    person_id: int
    reference: str
    full_name: str
    risk_level: RiskLevel
    management_level: ManagementLevel
    officer: UserRef
    last_visit: date | None
    next_visit_due: date | None
    overdue_days: int
    order_kind: OrderKind | None
    order_expires: date | None
    open_alerts: int = 0

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


@dataclass(frozen=True)
class OfficerSummary:
    """One officer's line in a supervisor's team view."""

    officer: UserRef
    persons: int
    overdue: int
    very_high: int
    high: int
    open_alerts: int


@dataclass(frozen=True)
class TeamCaseload:
    team: Team
    officers: tuple[OfficerSummary, ...]
    entries: tuple[CaseloadEntry, ...]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int | None
    username: str
    action: str
    entity: str
    entity_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditVerification:
    """The result of walking the audit chain: ok, or the first broken row and why."""

    rows_checked: int
    first_broken_id: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_broken_id is None
