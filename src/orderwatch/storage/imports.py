"""Importing order files (domain/orderfile.py) into the database, all or nothing.

Everything is checked before anything is written; the caller's transaction makes the writes one
unit, so a failure part-way stores nothing either.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role, can_create_persons
from orderwatch.domain.errors import InvalidInputError, NotFoundError, Problem
from orderwatch.domain.orderfile import DeclaredDevice, OrderDocument
from orderwatch.storage import mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.declarations import add_account, add_device, set_order
from orderwatch.storage.persons import create_person, update_person
from orderwatch.storage.records import ManagedPerson, PersonInput
from orderwatch.storage.scope import load_person, require
from orderwatch.storage.tables import (
    AccountRow,
    DeviceRow,
    PersonExaminerRow,
    PersonRow,
    UserRow,
)

_IDENTITY = ("kind", "make", "model", "serial", "imei", "mac", "vendor", "product")


def import_order_document(
    session: Session, actor: Actor, document: OrderDocument, *, source: str = "order file"
) -> ManagedPerson:
    """Create or update the person by reference, replace their order, add the devices and
    accounts not yet declared (nothing is removed). Raises InvalidInputError (naming `source`)
    when the officer does not exist; the caller's transaction then stores nothing.
    """
    return import_order_documents(session, actor, [(source, document)])[0]


def import_order_documents(
    session: Session, actor: Actor, documents: Sequence[tuple[str, OrderDocument]]
) -> list[ManagedPerson]:
    """Import several (source, document) pairs; every unknown officer is named before any write."""
    require(can_create_persons(actor), f"{actor.role.value}s do not import orders")
    officers, problems = _resolve_officers(session, actor, documents)
    seen: dict[str, str] = {}
    for source, document in documents:
        ref = document.person.ref
        if ref in seen:
            problems.append((source, f"person.ref {ref} is also in {seen[ref]}"))
        seen.setdefault(ref, source)
    if problems:
        raise _problems_error(problems)
    imported = []
    for source, document in documents:
        try:
            imported.append(_import_one(session, actor, document, officers))
        except InvalidInputError as error:
            raise InvalidInputError(source, error.problems) from None
        except NotFoundError:
            reason = f"the reference {document.person.ref} is already in use"
            raise InvalidInputError(source, [Problem(0, reason)]) from None
    if imported:
        record_audit(
            session,
            actor,
            "import",
            "person",
            None,
            {"sources": [s for s, _ in documents], "references": [p.reference for p in imported]},
        )
    return imported


def _resolve_officers(
    session: Session, actor: Actor, documents: Sequence[tuple[str, OrderDocument]]
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    names = {d.person.officer for _, d in documents if d.person.officer}
    rows = session.execute(
        select(UserRow.username, UserRow.id).where(
            UserRow.username.in_(names),
            UserRow.role == Role.OFFICER.value,
            UserRow.active.is_(True),
        )
    ).all()
    officers = {name: user_id for name, user_id in rows}
    problems = []
    for source, document in documents:
        name = document.person.officer
        if name is None:
            if actor.role is not Role.OFFICER or actor.system:
                problems.append((source, "person.officer is required (the officer's user name)"))
        elif name not in officers:
            problems.append((source, f"officer {name!r} does not exist (or is not an officer)"))
    return officers, problems


def _problems_error(problems: list[tuple[str, str]]) -> InvalidInputError:
    sources = list(dict.fromkeys(s for s, _ in problems))
    if len(sources) == 1:
        return InvalidInputError(sources[0], [Problem(0, m) for _, m in problems])
    return InvalidInputError(
        f"{len(sources)} order files", [Problem(0, f"{s}: {m}") for s, m in problems]
    )


def _import_one(
    session: Session, actor: Actor, document: OrderDocument, officers: dict[str, int]
) -> ManagedPerson:
    record = document.person
    officer_id = officers[record.officer] if record.officer else actor.user_id
    assert officer_id is not None  # _resolve_officers refused documents without an officer
    existing = session.scalar(select(PersonRow).where(PersonRow.reference == record.ref))
    if existing is not None:
        load_person(session, actor, existing.id, for_edit=True)
        examiners = tuple(
            session.scalars(
                select(PersonExaminerRow.user_id).where(PersonExaminerRow.person_id == existing.id)
            )
        )
        since = existing.managed_since
    else:
        examiners = ()
        since = document.order.made if document.order else date.today()
    data = PersonInput(
        reference=record.ref,
        full_name=record.name,
        risk_level=record.risk_level,
        management_level=record.management,
        officer_id=officer_id,
        managed_since=since,
        date_of_birth=record.date_of_birth,
        address=record.address,
        aliases=record.aliases,
        examiner_ids=examiners,
    )
    if existing is not None:
        person = update_person(session, actor, existing.id, data)
    else:
        person = create_person(session, actor, data)
    if document.order is not None:
        set_order(session, actor, person.id, document.order)
    _add_new_declarations(session, actor, person.id, document)
    return person


def _identity(device: DeclaredDevice) -> tuple[str | None, ...]:
    values = mapping.device_values(device)
    return tuple((values[k] or "").lower() or None for k in _IDENTITY)


def _add_new_declarations(
    session: Session, actor: Actor, person_id: int, document: OrderDocument
) -> None:
    known_devices = {
        _identity(mapping.stored_device(row).as_declared())
        for row in session.scalars(select(DeviceRow).where(DeviceRow.person_id == person_id))
    }
    for device in document.declared_devices:
        if _identity(device) not in known_devices:
            add_device(session, actor, person_id, device)
            known_devices.add(_identity(device))
    known_accounts = {
        (service, identifier)
        for service, identifier in session.execute(
            select(AccountRow.service, AccountRow.identifier).where(
                AccountRow.person_id == person_id
            )
        )
    }
    for account in document.declared_accounts:
        key = (account.service.strip(), account.identifier.strip())
        if key not in known_accounts:
            add_account(session, actor, person_id, account)
            known_accounts.add(key)
