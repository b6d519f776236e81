"""Bulk loading (demo unit, benchmarks, test fixtures): many rows per statement, one audit row
per batch instead of one per row. Command line or admin only; no per-row validation beyond the
database's own constraints, so feed it generated, known-good data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role, can_manage_users
from orderwatch.domain.caseload import VisitOutcome
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.storage import mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.records import PersonInput
from orderwatch.storage.scope import require
from orderwatch.storage.tables import (
    AccountRow,
    DeviceRow,
    OrderRow,
    PersonExaminerRow,
    PersonRow,
    TeamRow,
    UserRow,
    VisitRow,
)


@dataclass(frozen=True)
class BulkUser:
    username: str
    full_name: str
    role: Role
    team: str | None = None  # team name, created when missing
    email: str | None = None


@dataclass(frozen=True)
class BulkVisit:
    due_on: date
    done_on: date | None = None
    outcome: VisitOutcome | None = None
    notes: str | None = None
    officer: str | None = None  # user name
    devices_inspected: int = 0  # how many of the person's devices (the first n)


@dataclass(frozen=True)
class BulkPerson:
    """A person with everything attached; `officer` and `examiners` are user names."""

    data: PersonInput  # officer_id and examiner_ids are ignored in favour of the names below
    officer: str
    examiners: tuple[str, ...] = ()
    order: OrderRecord | None = None
    devices: tuple[DeclaredDevice, ...] = ()
    accounts: tuple[DeclaredAccount, ...] = ()
    visits: tuple[BulkVisit, ...] = field(default_factory=tuple)


def bulk_create_users(
    session: Session, actor: Actor, users: Sequence[BulkUser], *, password_hash: str
) -> dict[str, int]:
    """Create teams and accounts sharing one argon2 hash; returns user name -> id."""
    require(can_manage_users(actor), "only administrators create accounts")
    teams = {name: team_id for team_id, name in session.execute(select(TeamRow.id, TeamRow.name))}
    now = datetime.now(UTC)
    for name in dict.fromkeys(u.team for u in users if u.team and u.team not in teams):
        row = TeamRow(name=name, created_at=now)
        session.add(row)
        session.flush()
        teams[name] = row.id
    if users:
        session.execute(
            insert(UserRow),
            [
                {
                    "username": u.username,
                    "full_name": u.full_name,
                    "email": u.email,
                    "role": Role(u.role).value,
                    "team_id": teams[u.team] if u.team else None,
                    "password_hash": password_hash,
                    "active": True,
                    "failed_logins": 0,
                    "created_at": now,
                }
                for u in users
            ],
        )
    ids = {
        name: user_id
        for name, user_id in session.execute(
            select(UserRow.username, UserRow.id).where(
                UserRow.username.in_([u.username for u in users])
            )
        )
    }
    detail = {"users": len(users), "teams": sorted({u.team for u in users if u.team})}
    record_audit(session, actor, "bulk_create", "user", None, detail)
    return ids


def bulk_create_persons(
    session: Session, actor: Actor, persons: Sequence[BulkPerson], *, batch: str = "bulk load"
) -> dict[str, int]:
    """Create persons with orders, devices, accounts and visits; returns reference -> id."""
    require(actor.system or actor.role is Role.ADMIN, "bulk loading is for the command line")
    users = {
        name: user_id for name, user_id in session.execute(select(UserRow.username, UserRow.id))
    }
    now = datetime.now(UTC)
    if persons:
        session.execute(
            insert(PersonRow),
            [
                {
                    "reference": p.data.reference,
                    "full_name": p.data.full_name,
                    "aliases": list(p.data.aliases),
                    "date_of_birth": p.data.date_of_birth,
                    "address": p.data.address,
                    "risk_level": p.data.risk_level.value,
                    "management_level": p.data.management_level.value,
                    "officer_id": users[p.officer],
                    "managed_since": p.data.managed_since,
                    "created_at": now,
                    "updated_at": now,
                }
                for p in persons
            ],
        )
    refs = [p.data.reference for p in persons]
    ids: dict[str, int] = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        found = session.execute(
            select(PersonRow.reference, PersonRow.id).where(PersonRow.reference.in_(chunk))
        )
        ids.update({reference: person_id for reference, person_id in found})
    _insert_many(
        session,
        OrderRow,
        [
            {"person_id": ids[p.data.reference], **mapping.order_values(p.order)}
            for p in persons
            if p.order is not None
        ],
    )
    _insert_many(
        session,
        PersonExaminerRow,
        [
            {"person_id": ids[p.data.reference], "user_id": users[e]}
            for p in persons
            for e in dict.fromkeys(p.examiners)
        ],
    )
    _insert_many(
        session,
        DeviceRow,
        [
            {"person_id": ids[p.data.reference], **mapping.device_values(d)}
            for p in persons
            for d in p.devices
        ],
    )
    _insert_many(
        session,
        AccountRow,
        [
            {"person_id": ids[p.data.reference], "service": a.service, "identifier": a.identifier}
            for p in persons
            for a in dict.fromkeys(p.accounts)
        ],
    )
    _insert_visits(session, persons, ids, users, now)
    detail = {"batch": batch, "persons": len(persons), "first": refs[:1], "last": refs[-1:]}
    record_audit(session, actor, "bulk_create", "person", None, detail)
    return ids


def _insert_many(session: Session, table: type, rows: list[dict[str, object]]) -> None:
    if rows:
        session.execute(insert(table), rows)


def _insert_visits(
    session: Session,
    persons: Sequence[BulkPerson],
    ids: dict[str, int],
    users: dict[str, int],
    now: datetime,
) -> None:
    wanted = {ids[p.data.reference] for p in persons if any(v.devices_inspected for v in p.visits)}
    devices: dict[int, list[int]] = {}
    if wanted:
        for person_id, device_id in session.execute(
            select(DeviceRow.person_id, DeviceRow.id)
            .where(DeviceRow.person_id.in_(wanted))
            .order_by(DeviceRow.id)
        ):
            devices.setdefault(person_id, []).append(device_id)
    rows: list[dict[str, object]] = []
    for p in persons:
        person_id = ids[p.data.reference]
        for v in p.visits:
            rows.append(
                {
                    "person_id": person_id,
                    "due_on": v.due_on,
                    "done_on": v.done_on,
                    "outcome": v.outcome.value if v.outcome else None,
                    "devices_inspected": devices.get(person_id, [])[: v.devices_inspected],
                    "notes": v.notes,
                    "officer_id": users.get(v.officer) if v.officer else None,
                    "created_at": now,
                }
            )
    _insert_many(session, VisitRow, rows)
