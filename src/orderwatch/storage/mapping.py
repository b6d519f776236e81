"""The one place where ORM rows become the dataclasses callers see (and back)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from orderwatch.domain.access import Role
from orderwatch.domain.caseload import ManagementLevel, OrderKind, RiskLevel, VisitOutcome
from orderwatch.domain.conditions import Condition, parse_condition
from orderwatch.domain.orderfile import DeclaredDevice, OrderRecord
from orderwatch.storage.records import (
    ManagedPerson,
    StoredAccount,
    StoredDevice,
    StoredOrder,
    StoredVisit,
    Team,
    UserAccount,
    UserRef,
)
from orderwatch.storage.tables import (
    AccountRow,
    DeviceRow,
    OrderRow,
    PersonRow,
    TeamRow,
    UserRow,
    VisitRow,
)

DEVICE_FIELDS = ("kind", "make", "model", "serial", "imei", "mac", "vendor", "product")


def team(row: TeamRow) -> Team:
    return Team(row.id, row.name)


def user_ref(row: UserRow) -> UserRef:
    return UserRef(row.id, row.username, row.full_name)


def user_account(row: UserRow, team_name: str | None) -> UserAccount:
    return UserAccount(
        id=row.id,
        username=row.username,
        full_name=row.full_name,
        email=row.email,
        role=Role(row.role),
        team_id=row.team_id,
        team_name=team_name,
        active=row.active,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        last_login_at=row.last_login_at,
        created_at=row.created_at,
    )


def managed_person(
    row: PersonRow, officer: UserRow, examiners: Iterable[UserRow] = ()
) -> ManagedPerson:
    return ManagedPerson(
        id=row.id,
        reference=row.reference,
        full_name=row.full_name,
        aliases=tuple(row.aliases or ()),
        date_of_birth=row.date_of_birth,
        address=row.address,
        risk_level=RiskLevel(row.risk_level),
        management_level=ManagementLevel(row.management_level),
        managed_since=row.managed_since,
        officer=user_ref(officer),
        team_id=officer.team_id,
        examiners=tuple(user_ref(e) for e in sorted(examiners, key=lambda e: e.username)),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def conditions_to_json(conditions: Iterable[Condition]) -> list[dict[str, Any]]:
    return [c.to_record() for c in conditions]


def conditions_from_json(records: Iterable[Mapping[str, Any]]) -> tuple[Condition, ...]:
    return tuple(parse_condition(r) for r in records)


def order_values(order: OrderRecord) -> dict[str, Any]:
    """Column values for an order row."""
    return {
        "kind": order.kind.value,
        "court": order.court,
        "made": order.made,
        "expires": order.expires,
        "conditions": conditions_to_json(order.conditions),
    }


def stored_order(row: OrderRow) -> StoredOrder:
    return StoredOrder(
        id=row.id,
        person_id=row.person_id,
        kind=OrderKind(row.kind),
        court=row.court,
        made=row.made,
        expires=row.expires,
        conditions=conditions_from_json(row.conditions or ()),
    )


def device_values(device: DeclaredDevice) -> dict[str, Any]:
    """Column values for a device row (blank text stored as NULL)."""
    values: dict[str, Any] = {
        name: (getattr(device, name) or "").strip() or None for name in DEVICE_FIELDS
    }
    values["declared_on"] = device.declared_on
    return values


def stored_device(row: DeviceRow) -> StoredDevice:
    return StoredDevice(
        id=row.id,
        person_id=row.person_id,
        kind=row.kind,
        make=row.make,
        model=row.model,
        serial=row.serial,
        imei=row.imei,
        mac=row.mac,
        vendor=row.vendor,
        product=row.product,
        declared_on=row.declared_on,
    )


def stored_account(row: AccountRow) -> StoredAccount:
    return StoredAccount(row.id, row.person_id, row.service, row.identifier)


def stored_visit(row: VisitRow, officer: UserRow | None) -> StoredVisit:
    return StoredVisit(
        id=row.id,
        person_id=row.person_id,
        due_on=row.due_on,
        done_on=row.done_on,
        outcome=VisitOutcome(row.outcome) if row.outcome else None,
        devices_inspected=tuple(row.devices_inspected or ()),
        notes=row.notes,
        officer=user_ref(officer) if officer is not None else None,
    )
