"""Periodic monitoring upkeep: the retention purge and finding agents that went silent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.conditions import Condition
from orderwatch.monitor.alert_states import OPEN_STATES, OUTCOME_KINDS
from orderwatch.storage.audit import record_audit
from orderwatch.storage.mapping import conditions_from_json
from orderwatch.storage.monitoring_tables import (
    AlertObservationRow,
    AlertRow,
    BatchRow,
    MonitoredDeviceRow,
    ObservationRow,
)
from orderwatch.storage.scope import require
from orderwatch.storage.tables import OrderRow

# Evidence kept past the retention period: what open alerts and recorded breaches rest on.
_KEEP_STATES = [s.value for s in (*OPEN_STATES, *OUTCOME_KINDS)]


@dataclass(frozen=True)
class PurgeReport:
    observations: int  # deleted
    batches: int  # replay records deleted
    kept_as_evidence: int  # older than the cut-off but behind open alerts or recorded breaches


def purge_observations(session: Session, actor: Actor, cutoff: datetime) -> PurgeReport:
    """Delete observations (and batch replay records) older than `cutoff`, except the evidence
    of open alerts and of recorded breaches or referrals. Command line only; audited."""
    require(actor.system, "the retention purge is run from the command line")
    evidence = (
        select(AlertObservationRow.observation_id)
        .join(AlertRow, AlertRow.id == AlertObservationRow.alert_id)
        .where(AlertRow.state.in_(_KEEP_STATES))
    )
    old = ObservationRow.observed_at < cutoff
    kept = session.scalar(
        select(func.count()).select_from(ObservationRow).where(old, ObservationRow.id.in_(evidence))
    )
    deleted = session.execute(
        delete(ObservationRow)
        .where(old, ObservationRow.id.not_in(evidence))
        .execution_options(synchronize_session=False)
    )
    batches = session.execute(
        delete(BatchRow)
        .where(BatchRow.received_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    report = PurgeReport(
        int(getattr(deleted, "rowcount", 0) or 0),
        int(getattr(batches, "rowcount", 0) or 0),
        int(kept or 0),
    )
    detail = {"cutoff": cutoff.isoformat(), **report.__dict__}
    record_audit(session, actor, "purge", "monitor_observation", None, detail)
    return report


@dataclass(frozen=True)
class SilentDevice:
    """An enrolled, unrevoked device whose last heartbeat (or enrolment) is before a cut-off."""

    device_id: int
    person_id: int
    label: str
    last_heartbeat_at: datetime | None
    enrolled_at: datetime
    conditions: tuple[Condition, ...]


def silent_devices(session: Session, cutoff: datetime) -> list[SilentDevice]:
    found = session.execute(
        select(
            MonitoredDeviceRow.id,
            MonitoredDeviceRow.person_id,
            MonitoredDeviceRow.label,
            MonitoredDeviceRow.last_heartbeat_at,
            MonitoredDeviceRow.enrolled_at,
            OrderRow.conditions,
        )
        .outerjoin(OrderRow, OrderRow.person_id == MonitoredDeviceRow.person_id)
        .where(
            MonitoredDeviceRow.enrolled_at.is_not(None),
            MonitoredDeviceRow.revoked_at.is_(None),
            or_(
                MonitoredDeviceRow.last_heartbeat_at < cutoff,
                (MonitoredDeviceRow.last_heartbeat_at.is_(None))
                & (MonitoredDeviceRow.enrolled_at < cutoff),
            ),
        )
        .order_by(MonitoredDeviceRow.id)
    ).all()
    return [
        SilentDevice(r[0], r[1], r[2], r[3], r[4], conditions_from_json(r[5] or ())) for r in found
    ]


def recent_alert_keys(
    session: Session, wanted: Sequence[tuple[int, str]], since: datetime
) -> set[tuple[int, str]]:
    """Which (person id, key) pairs already have an alert, in any state, opened since `since`."""
    if not wanted:
        return set()
    pairs = set(wanted)
    found: Any = session.execute(
        select(AlertRow.person_id, AlertRow.key).where(
            AlertRow.key.in_(sorted({k for _, k in pairs})), AlertRow.opened_at >= since
        )
    )
    return {(p, k) for p, k in found if (p, k) in pairs}
