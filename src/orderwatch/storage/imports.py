"""Importing order files (domain/orderfile.py) into the database, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.orderfile import OrderDocument
from orderwatch.storage.records import ManagedPerson


def import_order_document(
    session: Session, actor: Actor, document: OrderDocument, *, source: str = "order file"
) -> ManagedPerson:
    """Create or update the person by reference, replace their order, add the devices and
    accounts not yet declared (nothing is removed). Raises InvalidInputError (naming `source`)
    when the officer does not exist; the caller's transaction then stores nothing.
    """
    raise NotImplementedError


def import_order_documents(
    session: Session, actor: Actor, documents: Sequence[tuple[str, OrderDocument]]
) -> list[ManagedPerson]:
    """Import several (source, document) pairs; every unknown officer is named before any write."""
    raise NotImplementedError
