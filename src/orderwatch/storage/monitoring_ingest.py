"""The storage half of batch ingestion: a handful of statements per batch, none per observation.

One query finds the device, its order version and any earlier batch with the same id; the
observations go in with one multi-row INSERT that skips ids already stored; findings fold into
open incidents with one SELECT and bulk INSERT/UPDATEs. The caller's transaction commits it all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from pydantic_core import to_json
from sqlalchemy import Table, and_, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from orderwatch.domain.conditions import CONDITION_LABELS
from orderwatch.domain.rules_findings import Severity
from orderwatch.monitor.alert_states import NOTIFY_SEVERITIES, OPEN_STATES, AlertState
from orderwatch.storage.database import Database
from orderwatch.storage.monitoring_records import (
    DeviceContext,
    FoldedAlert,
    IncidentInput,
    NewObservation,
    StoredBatch,
)
from orderwatch.storage.monitoring_tables import (
    AlertObservationRow,
    AlertRow,
    BatchRow,
    MonitoredDeviceRow,
    NotificationRow,
    ObservationRow,
    OrderVersionRow,
)
from orderwatch.storage.tables import PersonRow, UserRow, UtcDateTime

# Observations linked as evidence to one incident; later repeats only raise its count.
EVIDENCE_CAP = 50
_OPEN = [s.value for s in OPEN_STATES]
# Core tables for the bulk statements (no ORM unit-of-work on the hot path).
_OBSERVATIONS = cast(Table, ObservationRow.__table__)
_ALERTS = cast(Table, AlertRow.__table__)
_LINKS = cast(Table, AlertObservationRow.__table__)
_BATCHES = cast(Table, BatchRow.__table__)
_DEVICES = cast(Table, MonitoredDeviceRow.__table__)
_NOTIFICATIONS = cast(Table, NotificationRow.__table__)


class ConcurrentBatchError(Exception):
    """The batch's transaction hit a uniqueness conflict: a twin of it committed first."""


@contextmanager
def batch_session(database: Database) -> Iterator[Session]:
    """One transaction for one batch; a uniqueness conflict becomes ConcurrentBatchError."""
    try:
        with database.session() as session:
            yield session
    except IntegrityError as error:
        raise ConcurrentBatchError(str(error.orig).splitlines()[0]) from error


_VERSIONS = cast(Table, OrderVersionRow.__table__)
# Built once: constructing statements costs more than running them on the hot path.
_DEVICE_FOR_BATCH = (
    select(
        _DEVICES.c.id,
        _DEVICES.c.person_id,
        _DEVICES.c.label,
        _DEVICES.c.revoked_at,
        _DEVICES.c.last_heartbeat_at,
        func.coalesce(_VERSIONS.c.version, 0),
        _BATCHES.c.body_sha256,
        _BATCHES.c.result,
    )
    .select_from(
        _DEVICES.outerjoin(_VERSIONS, _VERSIONS.c.person_id == _DEVICES.c.person_id).outerjoin(
            _BATCHES,
            and_(
                _BATCHES.c.device_id == _DEVICES.c.id,
                _BATCHES.c.batch_id == bindparam("batch_id"),
            ),
        )
    )
    .where(_DEVICES.c.credential_sha256 == bindparam("digest"))
)
_STORED_BATCH = select(_BATCHES.c.body_sha256, _BATCHES.c.result).where(
    _BATCHES.c.device_id == bindparam("device_id"), _BATCHES.c.batch_id == bindparam("batch_id")
)
# The rows go in as one JSON document unpacked by the database (PostgreSQL json_array_elements,
# SQLite json_each): the statement text is constant, so it is parsed and prepared once, and no
# parameter needs escaping. Rows whose (device, client id) is stored already are skipped. Run on
# the driver's own cursor (its paramstyle): SQLAlchemy's result rows cost more than the insert.
_INSERT_OBSERVATIONS = {
    "postgresql": (
        "INSERT INTO monitor_observations "
        "(person_id, device_id, client_id, kind, observed_at, received_at, payload) "
        "SELECT %(person_id)s, %(device_id)s, r->>'c', r->>'k', CAST(r->>'t' AS timestamptz), "
        "%(received_at)s, r->'p' FROM json_array_elements(CAST(%(rows)s AS json)) AS r "
        "ON CONFLICT (device_id, client_id) DO NOTHING "
        "RETURNING client_id, id"
    ),
    "sqlite": (
        "INSERT INTO monitor_observations "
        "(person_id, device_id, client_id, kind, observed_at, received_at, payload) "
        "SELECT :person_id, :device_id, json_extract(value, '$.c'), json_extract(value, '$.k'), "
        "json_extract(value, '$.t'), :received_at, json_extract(value, '$.p') "
        "FROM json_each(:rows) WHERE true "  # WHERE: SQLite's INSERT ... SELECT ... ON CONFLICT
        "ON CONFLICT (device_id, client_id) DO NOTHING "
        "RETURNING client_id, id"
    ),
}
_OPEN_ALERTS = (
    select(
        _ALERTS.c.id,
        _ALERTS.c.key,
        _ALERTS.c.severity,
        _ALERTS.c.occurrences,
        _ALERTS.c.first_seen,
        _ALERTS.c.last_seen,
    )
    .where(
        _ALERTS.c.person_id == bindparam("person_id"),
        _ALERTS.c.key.in_(bindparam("keys", expanding=True)),
        _ALERTS.c.state.in_(_OPEN),
        _ALERTS.c.opened_at >= bindparam("since"),
    )
    .order_by(_ALERTS.c.id)
)
_LOCK_PERSON = text("SELECT pg_advisory_xact_lock(7001, :person_id)")  # 7001: "monitoring"
_UPDATE_ALERTS = (
    update(_ALERTS)
    .where(_ALERTS.c.id == bindparam("b_id"))
    .values(
        occurrences=_ALERTS.c.occurrences + bindparam("b_count"),
        severity=bindparam("b_severity"),
        severity_rank=bindparam("b_rank"),
        first_seen=bindparam("b_first"),
        last_seen=bindparam("b_last"),
        updated_at=bindparam("b_now"),
    )
)
_INSERT_ALERTS = insert(_ALERTS).returning(_ALERTS.c.key, _ALERTS.c.id)
_OFFICER_OF = (
    select(PersonRow.reference, UserRow.id, UserRow.email)
    .join(UserRow, UserRow.id == PersonRow.officer_id)
    .where(PersonRow.id == bindparam("person_id"))
)


def device_for_batch(
    session: Session, credential_sha256: str, batch_id: str
) -> DeviceContext | None:
    """The device holding this credential, its person's order version, and the answer given to
    an earlier batch with this id (None when the credential is unknown)."""
    found = (
        session.connection()
        .execute(_DEVICE_FOR_BATCH, {"digest": credential_sha256, "batch_id": batch_id})
        .first()
    )
    if found is None:
        return None
    replay = StoredBatch(found[6], found[7]) if found[6] is not None else None
    return DeviceContext(
        device_id=found[0],
        person_id=found[1],
        label=found[2],
        revoked=found[3] is not None,
        last_heartbeat_at=found[4],
        order_version=int(found[5]),
        replay=replay,
    )


def stored_batch(session: Session, device_id: int, batch_id: str) -> StoredBatch | None:
    """The answer recorded for a batch (after losing a race with its concurrent twin)."""
    found = (
        session.connection()
        .execute(_STORED_BATCH, {"device_id": device_id, "batch_id": batch_id})
        .first()
    )
    return StoredBatch(found[0], found[1]) if found is not None else None


def store_observations(
    session: Session,
    device: DeviceContext,
    observations: Sequence[NewObservation],
    received_at: datetime,
) -> dict[str, int]:
    """Insert the observations not stored before for this device; returns client id -> row id
    of those inserted now (ids already stored are left out)."""
    if not observations:
        return {}
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    # SQLite keeps UTC datetimes naive, in SQLAlchemy's text form; PostgreSQL reads ISO 8601.
    when = _sqlite_time if sqlite else datetime.isoformat
    document = [
        {"c": o.client_id, "k": o.kind, "t": when(o.observed_at), "p": o.payload}
        for o in observations
    ]
    params = {
        "person_id": device.person_id,
        "device_id": device.device_id,
        "received_at": _sqlite_time(received_at) if sqlite else received_at,
        "rows": to_json(document).decode(),
    }
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_INSERT_OBSERVATIONS["sqlite" if sqlite else "postgresql"], params)
        return dict(cursor.fetchall())
    finally:
        cursor.close()


def _sqlite_time(value: datetime) -> str:
    """2025-03-10 09:00:00.000000: how SQLAlchemy stores a UtcDateTime in SQLite."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def fold_incidents(
    session: Session,
    person_id: int,
    device_id: int | None,
    incidents: Sequence[IncidentInput],
    now: datetime,
    window: timedelta,
) -> list[FoldedAlert]:
    """Add each incident to the person's open alert with the same key opened within `window`,
    or open a new alert; link the evidence (up to EVIDENCE_CAP observations per alert)."""
    if not incidents:
        return []
    existing: dict[str, Any] = {}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # One folder per person at a time: two devices' batches must not both open the same
        # incident. (SQLite: the transaction already holds the only write lock.)
        connection.execute(_LOCK_PERSON, {"person_id": person_id})
    params = {
        "person_id": person_id,
        "keys": sorted({i.key for i in incidents}),
        "since": now - window,
    }
    for found in connection.execute(_OPEN_ALERTS, params):
        existing[found.key] = found  # the newest open one wins
    folded: list[FoldedAlert] = []
    updates: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    fresh = [i for i in incidents if i.key not in existing]
    for incident in incidents:
        row = existing.get(incident.key)
        if row is None:
            continue
        before = Severity(row.severity)
        severity = max(before, incident.severity, key=lambda s: s.rank)
        updates.append(
            {
                "b_id": row.id,
                "b_count": incident.count,
                "b_severity": severity.value,
                "b_rank": severity.rank,
                "b_first": min(row.first_seen, incident.first_seen),
                "b_last": max(row.last_seen, incident.last_seen),
                "b_now": now,
            }
        )
        room = max(0, EVIDENCE_CAP - row.occurrences)
        links += _links(row.id, incident.evidence[:room])
        folded.append(FoldedAlert(row.id, False, incident.condition, severity, before))
    if updates:
        connection.execute(_UPDATE_ALERTS, updates)
    if fresh:
        created = connection.execute(
            _INSERT_ALERTS, [_new_alert(person_id, device_id, i, now) for i in fresh]
        )
        ids: dict[str, int] = {key: alert_id for key, alert_id in created}
        for incident in fresh:
            alert_id = ids[incident.key]
            links += _links(alert_id, incident.evidence[:EVIDENCE_CAP])
            folded.append(FoldedAlert(alert_id, True, incident.condition, incident.severity, None))
    if links:
        connection.execute(insert(_LINKS), links)
    return folded


def _new_alert(
    person_id: int, device_id: int | None, incident: IncidentInput, now: datetime
) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "device_id": device_id,
        "condition": incident.condition.value,
        "severity": incident.severity.value,
        "severity_rank": incident.severity.rank,
        "key": incident.key,  # at most 300 characters (the caller cuts longer ones)
        "title": incident.title[:500],
        "detail": incident.detail,
        "occurrences": incident.count,
        "first_seen": incident.first_seen,
        "last_seen": incident.last_seen,
        "opened_at": now,
        "updated_at": now,
        "state": AlertState.NEW.value,
    }


def _links(alert_id: int, evidence: Sequence[tuple[int, str | None]]) -> list[dict[str, Any]]:
    return [
        {"alert_id": alert_id, "observation_id": observation_id, "detail": detail}
        for observation_id, detail in evidence
    ]


def needs_notice(alert: FoldedAlert) -> bool:
    """A new high/critical alert, or one that has just risen to high or critical."""
    if alert.severity not in NOTIFY_SEVERITIES:
        return False
    return alert.created or alert.previous_severity not in NOTIFY_SEVERITIES


def notify_officer(
    session: Session,
    person_id: int,
    alerts: Sequence[FoldedAlert],
    now: datetime,
    *,
    email_enabled: bool,
) -> int:
    """In-app notifications to the person's officer for alerts that need notice; returns how
    many wait to be e-mailed (only when SMTP is configured and the officer has an address)."""
    wanted = [a for a in alerts if needs_notice(a)]
    if not wanted:
        return 0
    found = session.connection().execute(_OFFICER_OF, {"person_id": person_id}).first()
    if found is None:
        return 0
    reference, officer_id, email = found
    status = "pending" if email_enabled and email else "none"
    session.execute(
        insert(_NOTIFICATIONS),
        [
            {
                "user_id": officer_id,
                "alert_id": a.alert_id,
                "message": f"{a.severity.value.capitalize()} alert for {reference}: "
                f"{CONDITION_LABELS[a.condition]}",
                "created_at": now,
                "email_status": status,
            }
            for a in wanted
        ],
    )
    return len(wanted) if status == "pending" else 0


_INSERT_BATCH = insert(_BATCHES)
# PostgreSQL: the batch recorded and the device touched in one statement (one round trip less).
_RECORD_BATCH = text(
    "WITH recorded AS (INSERT INTO monitor_batches "
    "(device_id, batch_id, body_sha256, received_at, result) "
    "VALUES (:device_id, :batch_id, :body_sha256, :now, CAST(:result AS json))) "
    "UPDATE monitor_devices SET last_batch_at = :now, "
    "last_heartbeat_at = COALESCE(:heartbeat, last_heartbeat_at) WHERE id = :device_id"
).bindparams(
    bindparam("now", type_=UtcDateTime),
    bindparam("heartbeat", type_=UtcDateTime),
)
_TOUCH_DEVICE = (
    update(_DEVICES)
    .where(_DEVICES.c.id == bindparam("device_id"))
    .values(
        last_batch_at=bindparam("now"),
        last_heartbeat_at=func.coalesce(
            bindparam("heartbeat", type_=UtcDateTime), _DEVICES.c.last_heartbeat_at
        ),
    )
)


def record_batch(
    session: Session,
    device: DeviceContext,
    batch_id: str,
    body_sha256: str,
    result: dict[str, Any],
    now: datetime,
    last_heartbeat: datetime | None,
) -> None:
    """Remember the answer for replays, and when the device last reported."""
    connection = session.connection()
    if last_heartbeat is not None and device.last_heartbeat_at is not None:
        last_heartbeat = max(last_heartbeat, device.last_heartbeat_at)
    params = {"device_id": device.device_id, "now": now, "heartbeat": last_heartbeat}
    if connection.dialect.name == "postgresql":
        answer = to_json(result).decode()
        recorded = {"batch_id": batch_id, "body_sha256": body_sha256, "result": answer}
        connection.execute(_RECORD_BATCH, {**params, **recorded})
        return
    connection.execute(
        _INSERT_BATCH,
        {
            "device_id": device.device_id,
            "batch_id": batch_id,
            "body_sha256": body_sha256,
            "received_at": now,
            "result": result,
        },
    )
    connection.execute(_TOUCH_DEVICE, params)
