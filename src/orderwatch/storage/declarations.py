"""A person's order (with its conditions) and declared devices and accounts. All audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.errors import NotFoundError
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.storage import mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.records import StoredAccount, StoredDevice, StoredOrder
from orderwatch.storage.scope import invalid, load_person
from orderwatch.storage.tables import AccountRow, DeviceRow, OrderRow


def _check_order(order: OrderRecord) -> None:
    if order.expires is not None and order.expires < order.made:
        raise invalid("expires", "the order expires before it was made")
    seen: set[str] = set()
    for condition in order.conditions:
        if condition.type.value in seen:
            raise invalid("conditions", f"condition {condition.type.value} appears twice")
        seen.add(condition.type.value)


def set_order(session: Session, actor: Actor, person_id: int, order: OrderRecord) -> StoredOrder:
    """Set or replace the person's order and its conditions."""
    load_person(session, actor, person_id, for_edit=True)
    _check_order(order)
    row = session.scalar(select(OrderRow).where(OrderRow.person_id == person_id))
    action = "update" if row is not None else "create"
    if row is None:
        row = OrderRow(person_id=person_id)
        session.add(row)
    for name, value in mapping.order_values(order).items():
        setattr(row, name, value)
    session.flush()
    detail = {
        "person_id": person_id,
        "kind": order.kind.value,
        "made": order.made,
        "expires": order.expires,
        "conditions": [c.type.value for c in order.conditions],
    }
    record_audit(session, actor, action, "order", row.id, detail)
    return mapping.stored_order(row)


def remove_order(session: Session, actor: Actor, person_id: int) -> None:
    load_person(session, actor, person_id, for_edit=True)
    row = session.scalar(select(OrderRow).where(OrderRow.person_id == person_id))
    if row is None:
        raise invalid("order", f"person {person_id} has no order to remove")
    session.delete(row)
    session.flush()
    record_audit(session, actor, "delete", "order", row.id, {"person_id": person_id})


def _reach_owner(session: Session, actor: Actor, person_id: int, missing: str) -> None:
    """Outside the actor's reach, a device or account does not exist either."""
    try:
        load_person(session, actor, person_id, for_edit=True)
    except NotFoundError:
        raise NotFoundError(missing) from None


def _check_device(device: DeclaredDevice) -> None:
    if not device.kind.strip():
        raise invalid("kind", "a device needs a kind (laptop, phone, usb_storage, ...)")
    if not any(
        (v or "").strip()
        for v in (device.serial, device.imei, device.mac, device.model, device.product)
    ):
        raise invalid("serial", "give at least one of serial, IMEI, MAC, model or product")


def _device_row(session: Session, actor: Actor, device_id: int) -> DeviceRow:
    row = session.get(DeviceRow, device_id)
    if row is None:
        raise NotFoundError(f"no declared device {device_id}")
    _reach_owner(session, actor, row.person_id, f"no declared device {device_id}")
    return row


def add_device(
    session: Session, actor: Actor, person_id: int, device: DeclaredDevice
) -> StoredDevice:
    load_person(session, actor, person_id, for_edit=True)
    _check_device(device)
    row = DeviceRow(person_id=person_id, **mapping.device_values(device))
    session.add(row)
    session.flush()
    detail = {"person_id": person_id, "kind": row.kind}
    record_audit(session, actor, "create", "device", row.id, detail)
    return mapping.stored_device(row)


def update_device(
    session: Session, actor: Actor, device_id: int, device: DeclaredDevice
) -> StoredDevice:
    row = _device_row(session, actor, device_id)
    _check_device(device)
    changed = []
    for name, value in mapping.device_values(device).items():
        if getattr(row, name) != value:
            changed.append(name)
            setattr(row, name, value)
    session.flush()
    if changed:
        detail = {"person_id": row.person_id, "changed": changed}
        record_audit(session, actor, "update", "device", device_id, detail)
    return mapping.stored_device(row)


def remove_device(session: Session, actor: Actor, device_id: int) -> None:
    row = _device_row(session, actor, device_id)
    session.delete(row)
    session.flush()
    detail = {"person_id": row.person_id, "kind": row.kind}
    record_audit(session, actor, "delete", "device", device_id, detail)


def _check_account(session: Session, person_id: int, account: DeclaredAccount, own: int) -> None:
    if not account.service.strip() or not account.identifier.strip():
        raise invalid("identifier", "an account needs a service and an identifier")
    clash = session.scalar(
        select(AccountRow.id).where(
            AccountRow.person_id == person_id,
            AccountRow.service == account.service.strip(),
            AccountRow.identifier == account.identifier.strip(),
        )
    )
    if clash is not None and clash != own:
        raise invalid("identifier", "this account is already declared")


def _account_row(session: Session, actor: Actor, account_id: int) -> AccountRow:
    row = session.get(AccountRow, account_id)
    if row is None:
        raise NotFoundError(f"no declared account {account_id}")
    _reach_owner(session, actor, row.person_id, f"no declared account {account_id}")
    return row


def add_account(
    session: Session, actor: Actor, person_id: int, account: DeclaredAccount
) -> StoredAccount:
    load_person(session, actor, person_id, for_edit=True)
    _check_account(session, person_id, account, own=0)
    row = AccountRow(
        person_id=person_id,
        service=account.service.strip(),
        identifier=account.identifier.strip(),
    )
    session.add(row)
    session.flush()
    detail = {"person_id": person_id, "service": row.service}
    record_audit(session, actor, "create", "account", row.id, detail)
    return mapping.stored_account(row)


def update_account(
    session: Session, actor: Actor, account_id: int, account: DeclaredAccount
) -> StoredAccount:
    row = _account_row(session, actor, account_id)
    _check_account(session, row.person_id, account, own=account_id)
    row.service, row.identifier = account.service.strip(), account.identifier.strip()
    session.flush()
    detail = {"person_id": row.person_id, "service": row.service}
    record_audit(session, actor, "update", "account", account_id, detail)
    return mapping.stored_account(row)


def remove_account(session: Session, actor: Actor, account_id: int) -> None:
    row = _account_row(session, actor, account_id)
    session.delete(row)
    session.flush()
    detail = {"person_id": row.person_id, "service": row.service}
    record_audit(session, actor, "delete", "account", account_id, detail)
