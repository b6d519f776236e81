"""JSON API schemas (pydantic): separate from the ORM tables and from the domain types.

`*In` models are what clients send; `*Out` models are built from the storage layer's records
with `from_attributes`, so the mapping is declared once, here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from orderwatch.domain.access import Role
from orderwatch.domain.caseload import (
    ManagementLevel,
    OrderKind,
    OrderStatus,
    RiskLevel,
    VisitOutcome,
)
from orderwatch.domain.conditions import ConditionType
from orderwatch.storage import PersonFile, StoredOrder

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserRefOut(_Out):
    id: int
    username: str
    full_name: str


class UserOut(_Out):
    id: int
    username: str
    full_name: str
    role: Role
    team_id: int | None
    team_name: str | None


class SessionIn(BaseModel):
    username: Annotated[str, StringConstraints(max_length=120)]
    password: Annotated[str, StringConstraints(max_length=1000)]


class SessionOut(BaseModel):
    """A login: the cookie is set on the response; send csrf_token as X-CSRF-Token."""

    user: UserOut
    csrf_token: str
    expires_at: datetime


class CaseloadEntryOut(_Out):
    person_id: int
    reference: str
    full_name: str
    risk_level: RiskLevel
    management_level: ManagementLevel
    officer: UserRefOut
    last_visit: date | None
    next_visit_due: date | None
    overdue_days: int
    order_kind: OrderKind | None
    order_expires: date | None
    open_alerts: int


class OfficerSummaryOut(_Out):
    officer: UserRefOut
    persons: int
    overdue: int
    very_high: int
    high: int
    open_alerts: int


class TeamOut(_Out):
    id: int
    name: str


class TeamCaseloadOut(_Out):
    team: TeamOut
    officers: list[OfficerSummaryOut]
    entries: list[CaseloadEntryOut]


class PersonIn(BaseModel):
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    full_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    risk_level: RiskLevel
    management_level: ManagementLevel = ManagementLevel.ACTIVE
    officer_id: int
    managed_since: date
    date_of_birth: date | None = None
    address: Annotated[str, StringConstraints(max_length=1000)] | None = None
    aliases: list[Text] = Field(default_factory=list, max_length=50)
    examiner_ids: list[int] = Field(default_factory=list, max_length=50)


class PersonOut(_Out):
    id: int
    reference: str
    full_name: str
    aliases: list[str]
    date_of_birth: date | None
    address: str | None
    risk_level: RiskLevel
    management_level: ManagementLevel
    managed_since: date
    officer: UserRefOut
    team_id: int | None
    examiners: list[UserRefOut]
    created_at: datetime
    updated_at: datetime


class ConditionIO(_Out):
    """One order condition: its type and parameters (e.g. {"words": [...]}, {"within_days": 3})."""

    type: ConditionType
    params: dict[str, int | list[Text]] = Field(default_factory=dict)


class OrderIn(BaseModel):
    kind: OrderKind
    court: Text | None = None
    made: date
    expires: date | None = None
    conditions: list[ConditionIO] = Field(default_factory=list, max_length=len(ConditionType))


class OrderOut(_Out):
    id: int
    person_id: int
    kind: OrderKind
    court: str | None
    made: date
    expires: date | None
    status: OrderStatus
    conditions: list[ConditionIO]


class DeviceIn(BaseModel):
    kind: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    make: ShortText | None = None
    model: ShortText | None = None
    serial: ShortText | None = None
    imei: Code | None = None
    mac: Code | None = None
    vendor: ShortText | None = None
    product: ShortText | None = None
    declared_on: date | None = None


class DeviceOut(_Out):
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


class AccountIn(BaseModel):
    service: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    identifier: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)
    ]


class AccountOut(_Out):
    id: int
    person_id: int
    service: str
    identifier: str


class VisitIn(BaseModel):
    """A visit made; completes `visit_id` if given, else the earliest booked visit."""

    done_on: date
    outcome: VisitOutcome
    devices_inspected: list[int] = Field(default_factory=list, max_length=200)
    notes: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    visit_id: int | None = None


class VisitBookingIn(BaseModel):
    due_on: date


class VisitOut(_Out):
    id: int
    person_id: int
    due_on: date
    done_on: date | None
    outcome: VisitOutcome | None
    devices_inspected: list[int]
    notes: str | None
    officer: UserRefOut | None


class PersonFileOut(_Out):
    """A person's whole record, as the person page shows it."""

    person: PersonOut
    order: OrderOut | None
    devices: list[DeviceOut]
    accounts: list[AccountOut]
    visits: list[VisitOut]
    last_visit: date | None
    next_visit_due: date | None
    overdue_days: int


def order_out(order: StoredOrder, today: date) -> OrderOut:
    """An order with its status on `today` (in force, expiring soon, expired ...)."""
    return OrderOut(
        id=order.id,
        person_id=order.person_id,
        kind=order.kind,
        court=order.court,
        made=order.made,
        expires=order.expires,
        status=order.status(today),
        conditions=[ConditionIO(type=c.type, params=dict(c.params)) for c in order.conditions],
    )


def person_file_out(file: PersonFile, today: date) -> PersonFileOut:
    return PersonFileOut(
        person=PersonOut.model_validate(file.person),
        order=order_out(file.order, today) if file.order is not None else None,
        devices=[DeviceOut.model_validate(d) for d in file.devices],
        accounts=[AccountOut.model_validate(a) for a in file.accounts],
        visits=[VisitOut.model_validate(v) for v in file.visits],
        last_visit=file.last_visit,
        next_visit_due=file.next_visit_due,
        overdue_days=file.overdue_days,
    )
