"""Agents that stopped reporting: a keep_monitoring alert per silent device.

Run by `orderwatch monitor check` (e.g. from cron) and, at most once a minute, when an officer
opens the alert queue. One alert per device per incident window, whatever its state, so a
device that stays silent is not re-alerted on every check.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.rules import missed_heartbeat_finding
from orderwatch.settings import Settings
from orderwatch.storage import Database
from orderwatch.storage.monitoring_ingest import fold_incidents, notify_officer
from orderwatch.storage.monitoring_records import IncidentInput
from orderwatch.storage.monitoring_upkeep import SilentDevice, recent_alert_keys, silent_devices

_last_run: dict[str, float] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class SilentCheck:
    devices_silent: int  # silent devices whose order requires monitoring
    alerts_created: int
    emails_pending: int


def silent_key(device: SilentDevice) -> str:
    return f"keep_monitoring:silent:device{device.device_id}"


def check_silent_agents(
    database: Database, settings: Settings, *, now: datetime | None = None
) -> SilentCheck:
    """Raise keep_monitoring alerts for enrolled devices silent longer than the threshold."""
    now = now or datetime.now(UTC)
    threshold = timedelta(minutes=settings.heartbeat_missed_after_minutes)
    window = timedelta(minutes=settings.incident_window_minutes)
    created = pending = 0
    with database.session() as session:
        devices = [
            d
            for d in silent_devices(session, now - threshold)
            if any(c.type is ConditionType.KEEP_MONITORING for c in d.conditions)
        ]
        done = recent_alert_keys(
            session, [(d.person_id, silent_key(d)) for d in devices], now - window
        )
        for device in devices:
            if (device.person_id, silent_key(device)) in done:
                continue
            incident = _incident(device, now, threshold)
            folded = fold_incidents(
                session, device.person_id, device.device_id, [incident], now, window
            )
            created += sum(1 for f in folded if f.created)
            pending += notify_officer(
                session, device.person_id, folded, now, email_enabled=bool(settings.smtp_host)
            )
    return SilentCheck(len(devices), created, pending)


def _incident(device: SilentDevice, now: datetime, threshold: timedelta) -> IncidentInput:
    finding = missed_heartbeat_finding(device.last_heartbeat_at, now, threshold)
    assert finding is not None  # silent_devices only lists devices past the threshold
    if device.last_heartbeat_at is None:
        title = f"Monitoring agent on {device.label} has not reported since it was enrolled"
        detail = f"enrolled {device.enrolled_at:%Y-%m-%d %H:%M} UTC; no heartbeat since"
        since = device.enrolled_at
    else:
        hours = (now - device.last_heartbeat_at).total_seconds() / 3600
        title = f"Monitoring agent on {device.label} silent for {hours:.0f} h"
        detail = finding.detail or ""
        since = device.last_heartbeat_at
    return IncidentInput(
        key=silent_key(device),
        condition=finding.condition,
        severity=finding.severity,
        title=title,
        detail=detail,
        first_seen=since,
        last_seen=now,
        count=1,
        evidence=(),
    )


def check_silent_agents_now_and_then(
    database: Database, settings: Settings, min_interval: float = 60.0
) -> SilentCheck | None:
    """check_silent_agents at most once per `min_interval` seconds per database (page loads)."""
    with _lock:
        last = _last_run.get(database.url)
        if last is not None and time.monotonic() - last < min_interval:
            return None
        _last_run[database.url] = time.monotonic()
    return check_silent_agents(database, settings)
