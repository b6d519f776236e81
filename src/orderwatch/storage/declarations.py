"""A person's order (with its conditions) and declared devices and accounts. All audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.storage.records import StoredAccount, StoredDevice, StoredOrder


def set_order(session: Session, actor: Actor, person_id: int, order: OrderRecord) -> StoredOrder:
    """Set or replace the person's order and its conditions."""
    raise NotImplementedError


def remove_order(session: Session, actor: Actor, person_id: int) -> None:
    raise NotImplementedError


def add_device(
    session: Session, actor: Actor, person_id: int, device: DeclaredDevice
) -> StoredDevice:
    raise NotImplementedError


def update_device(
    session: Session, actor: Actor, device_id: int, device: DeclaredDevice
) -> StoredDevice:
    raise NotImplementedError


def remove_device(session: Session, actor: Actor, device_id: int) -> None:
    raise NotImplementedError


def add_account(
    session: Session, actor: Actor, person_id: int, account: DeclaredAccount
) -> StoredAccount:
    raise NotImplementedError


def update_account(
    session: Session, actor: Actor, account_id: int, account: DeclaredAccount
) -> StoredAccount:
    raise NotImplementedError


def remove_account(session: Session, actor: Actor, account_id: int) -> None:
    raise NotImplementedError
