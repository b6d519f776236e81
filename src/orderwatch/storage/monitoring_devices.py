"""Enrolling a person's devices for monitoring: one-time codes, device credentials, revocation.

Officers act within their reach (audited); agents act only through a code or a credential,
whose SHA-256 digests are all that is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.errors import NotFoundError, PermissionDeniedError
from orderwatch.domain.rules_findings import Declarations
from orderwatch.monitor.credentials import (
    CODE_VALID_FOR,
    code_digest,
    credential_digest,
    new_device_credential,
    new_enrolment_code,
)
from orderwatch.storage import mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.monitoring_records import (
    AgentEnrolment,
    DeviceStatus,
    EnrolmentCode,
    MonitoredDevice,
    MonitoringOrder,
)
from orderwatch.storage.monitoring_tables import MonitoredDeviceRow
from orderwatch.storage.scope import invalid, load_person, require
from orderwatch.storage.tables import AccountRow, DeviceRow, OrderRow, PersonRow

UNKNOWN_CODE = "enrolment code unknown, already used or expired; ask the officer for a new one"


class DeviceRevokedError(PermissionDeniedError):
    """The credential is genuine but its device was revoked (HTTP 403)."""


def device_actor(device_id: int) -> Actor:
    """Whom the audit log names for what an agent does (no user account behind it)."""
    return Actor(None, f"agent (monitored device {device_id})", Role.OFFICER)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def device_status(row: MonitoredDeviceRow, now: datetime) -> DeviceStatus:
    if row.revoked_at is not None:
        return DeviceStatus.REVOKED
    if row.enrolled_at is not None:
        return DeviceStatus.ACTIVE
    if row.code_expires_at is None or row.code_expires_at <= now:
        return DeviceStatus.CODE_EXPIRED
    return DeviceStatus.AWAITING_ENROLMENT


def monitored_device(row: MonitoredDeviceRow, now: datetime | None = None) -> MonitoredDevice:
    return MonitoredDevice(
        id=row.id,
        person_id=row.person_id,
        declared_device_id=row.declared_device_id,
        label=row.label,
        status=device_status(row, _now(now)),
        hostname=row.hostname,
        agent_version=row.agent_version,
        created_at=row.created_at,
        code_expires_at=row.code_expires_at,
        enrolled_at=row.enrolled_at,
        revoked_at=row.revoked_at,
        last_batch_at=row.last_batch_at,
        last_heartbeat_at=row.last_heartbeat_at,
    )


def device_label(row: DeviceRow) -> str:
    """ "laptop Dell Latitude 5420 (serial ABC123)": how a declared device is named on alerts."""
    name = " ".join(p for p in (row.make or row.vendor, row.model or row.product) if p)
    label = f"{row.kind.replace('_', ' ')} {name}".strip()
    ident = row.serial or row.imei or row.mac
    return f"{label} ({ident})" if ident else label


def issue_enrolment_code(
    session: Session,
    actor: Actor,
    person_id: int,
    declared_device_id: int,
    *,
    now: datetime | None = None,
) -> EnrolmentCode:
    """A one-time code (valid 24 h) for the agent to install on one of the person's declared
    devices. The code is returned this once; only its digest is kept."""
    load_person(session, actor, person_id, for_edit=True)
    declared = session.get(DeviceRow, declared_device_id)
    if declared is None or declared.person_id != person_id:
        raise invalid("declared_device_id", "choose one of this person's declared devices")
    now = _now(now)
    code = new_enrolment_code()
    row = MonitoredDeviceRow(
        person_id=person_id,
        declared_device_id=declared_device_id,
        label=device_label(declared),
        code_sha256=code_digest(code),
        code_expires_at=now + CODE_VALID_FOR,
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    detail = {"person_id": person_id, "declared_device_id": declared_device_id}
    record_audit(session, actor, "issue_code", "monitored_device", row.id, detail)
    return EnrolmentCode(monitored_device(row, now), code, now + CODE_VALID_FOR)


def exchange_enrolment_code(
    session: Session,
    code: str,
    *,
    hostname: str,
    agent_version: str,
    now: datetime | None = None,
) -> AgentEnrolment:
    """The agent's side: a valid code becomes this device's credential (returned once).

    NotFoundError for a code that is unknown, used, expired or revoked.
    """
    now = _now(now)
    row = session.scalar(
        select(MonitoredDeviceRow).where(MonitoredDeviceRow.code_sha256 == code_digest(code))
    )
    if row is None or device_status(row, now) is not DeviceStatus.AWAITING_ENROLMENT:
        raise NotFoundError(UNKNOWN_CODE)
    credential = new_device_credential()
    row.code_sha256 = None  # one use only
    row.credential_sha256 = credential_digest(credential)
    row.enrolled_at = now
    row.hostname = hostname.strip()[:255]
    row.agent_version = agent_version.strip()[:64]
    session.flush()
    detail = {"person_id": row.person_id, "hostname": row.hostname, "agent": row.agent_version}
    record_audit(session, device_actor(row.id), "enrol", "monitored_device", row.id, detail)
    order = monitoring_order(session, row.person_id)
    return AgentEnrolment(row.id, row.person_id, credential, order.conditions)


def revoke_monitored_device(
    session: Session, actor: Actor, monitored_device_id: int, *, now: datetime | None = None
) -> MonitoredDevice:
    """Stop a device's credential (and any unused code) working; its data stays."""
    row = session.get(MonitoredDeviceRow, monitored_device_id)
    if row is None:
        raise NotFoundError(f"no monitored device {monitored_device_id}")
    try:
        load_person(session, actor, row.person_id, for_edit=True)
    except NotFoundError:
        raise NotFoundError(f"no monitored device {monitored_device_id}") from None
    now = _now(now)
    if row.revoked_at is None:
        row.revoked_at, row.revoked_by, row.code_sha256 = now, actor.user_id, None
        session.flush()
        detail = {"person_id": row.person_id}
        record_audit(session, actor, "revoke", "monitored_device", row.id, detail)
    return monitored_device(row, now)


def list_monitored_devices(
    session: Session, actor: Actor, person_id: int, *, now: datetime | None = None
) -> tuple[MonitoredDevice, ...]:
    """The person's enrolments, newest first (NotFoundError outside the actor's reach)."""
    load_person(session, actor, person_id)
    rows = session.scalars(
        select(MonitoredDeviceRow)
        .where(MonitoredDeviceRow.person_id == person_id)
        .order_by(MonitoredDeviceRow.id.desc())
    )
    return tuple(monitored_device(r, now) for r in rows)


def agent_configuration(session: Session, credential: str) -> AgentEnrolment:
    """For GET /api/v1/agent/config: the device and its person's current conditions
    (the credential field is left empty). NotFoundError / DeviceRevokedError otherwise."""
    row = session.scalar(
        select(MonitoredDeviceRow).where(
            MonitoredDeviceRow.credential_sha256 == credential_digest(credential)
        )
    )
    if row is None:
        raise NotFoundError("unknown device credential")
    if row.revoked_at is not None:
        raise DeviceRevokedError(f"monitored device {row.id} was revoked")
    order = monitoring_order(session, row.person_id)
    return AgentEnrolment(row.id, row.person_id, "", order.conditions)


def monitoring_order(session: Session, person_id: int) -> MonitoringOrder:
    """The person's conditions, declarations and names (small queries; cached by the caller)."""
    order_row = session.scalar(select(OrderRow).where(OrderRow.person_id == person_id))
    conditions = mapping.stored_order(order_row).conditions if order_row is not None else ()
    devices = session.scalars(select(DeviceRow).where(DeviceRow.person_id == person_id))
    accounts = session.scalars(select(AccountRow).where(AccountRow.person_id == person_id))
    person = session.get(PersonRow, person_id)
    declarations = Declarations(
        tuple(mapping.stored_device(d).as_declared() for d in devices),
        tuple(mapping.stored_account(a).as_declared() for a in accounts),
        (person.full_name, *(person.aliases or ())) if person is not None else (),
    )
    return MonitoringOrder(conditions, declarations)


@dataclass(frozen=True)
class BulkEnrolment:
    """A device enrolled directly with a known credential (demo unit, benchmarks)."""

    person_id: int
    declared_device_id: int | None
    label: str
    credential: str


AGENT_DEVICE_KINDS = ("laptop", "desktop", "computer", "phone", "tablet")


def first_declared_devices(session: Session, actor: Actor) -> list[tuple[int, int, str]]:
    """(person id, declared device id, label) per person with a device: the first computer,
    phone or tablet (where an agent runs), else the first device; by person id. Command line
    only (the demo unit and benchmarks enrol these)."""
    require(actor.system, "listing every person's devices is for the command line")
    chosen: dict[int, DeviceRow] = {}
    for row in session.scalars(select(DeviceRow).order_by(DeviceRow.person_id, DeviceRow.id)):
        current = chosen.get(row.person_id)
        if current is None or (
            current.kind not in AGENT_DEVICE_KINDS and row.kind in AGENT_DEVICE_KINDS
        ):
            chosen[row.person_id] = row
    return [(person, row.id, device_label(row)) for person, row in sorted(chosen.items())]


def bulk_enrol_devices(
    session: Session,
    actor: Actor,
    enrolments: Sequence[BulkEnrolment],
    *,
    now: datetime | None = None,
) -> list[int]:
    """Enrol many devices in one statement (command line only); returns their ids in order."""
    require(actor.system, "bulk enrolment is for the command line")
    now = _now(now)
    if not enrolments:
        return []
    digests = [credential_digest(e.credential) for e in enrolments]
    session.execute(
        insert(MonitoredDeviceRow),
        [
            {
                "person_id": e.person_id,
                "declared_device_id": e.declared_device_id,
                "label": e.label,
                "credential_sha256": digest,
                "hostname": "bulk-enrolled",
                "agent_version": "n/a",
                "created_by": None,
                "created_at": now,
                "enrolled_at": now,
            }
            for e, digest in zip(enrolments, digests, strict=True)
        ],
    )
    ids: dict[str | None, int] = {}
    for start in range(0, len(digests), 500):
        chunk = digests[start : start + 500]
        found = session.execute(
            select(MonitoredDeviceRow.credential_sha256, MonitoredDeviceRow.id).where(
                MonitoredDeviceRow.credential_sha256.in_(chunk)
            )
        )
        ids.update({digest: device_id for digest, device_id in found})
    record_audit(session, actor, "bulk_enrol", "monitored_device", None, {"devices": len(ids)})
    return [ids[d] for d in digests]
