"""A day of live monitoring for the demo unit: some persons' devices enrolled, a day of their
synthetic traffic ingested in time order, a share of the alerts already under review.

Kept to a couple of seconds on SQLite: about one person in eight, 36 observations each (half
of them heartbeats), sent as one batch per person per half day.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from orderwatch.domain.access import Actor
from orderwatch.monitor.alert_states import AlertState
from orderwatch.monitor.ingest import IngestionService
from orderwatch.monitor.simulate import (
    InProcessAgent,
    TrafficProfile,
    batches,
    synthetic_observations,
)
from orderwatch.settings import Settings
from orderwatch.storage import Database
from orderwatch.storage.monitoring_alerts import change_alert_state, list_alerts
from orderwatch.storage.monitoring_devices import (
    BulkEnrolment,
    bulk_enrol_devices,
    first_declared_devices,
)

DEMO = Actor.command_line("demo generator")
SLICES = 2  # batches per person over the day


@dataclass(frozen=True)
class DemoMonitoring:
    devices: int
    observations: int
    alerts: int
    under_review: int
    seconds: float


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def seed_demo_monitoring(
    database: Database,
    settings: Settings,
    *,
    share: float = 0.12,
    events: int = 36,
    seed: int = 2024,
    now: datetime | None = None,
) -> DemoMonitoring:
    """Enrol `share` of the persons' first declared devices and ingest a day of traffic."""
    started = time.perf_counter()
    rng = random.Random(seed)
    end = now or datetime.now(UTC)
    start = end - timedelta(days=1)
    with database.session() as session:
        candidates = [c for c in first_declared_devices(session, DEMO) if rng.random() < share]
        enrolments = [
            BulkEnrolment(person_id, device_id, label, f"owd_demo_{seed}_{person_id}")
            for person_id, device_id, label in candidates
        ]
        bulk_enrol_devices(session, DEMO, enrolments, now=start)
    clock = _Clock(start)
    service = IngestionService(database, settings, clock=clock, order_max_age=timedelta(days=2))
    # Heartbeats every 80 minutes: inside the default 90-minute threshold, so no gap alerts.
    profile = TrafficProfile(share_flagged=0.15, special_chance=0.35, heartbeat_minutes=80)
    slices: list[list[tuple[InProcessAgent, dict[str, object]]]] = [[] for _ in range(SLICES)]
    step = (end - start) / SLICES
    sent = 0
    for enrolment in enrolments:
        agent = InProcessAgent(service, enrolment.credential)
        traffic = synthetic_observations(
            rng, events, start, end, prefix=f"demo-{enrolment.person_id}", profile=profile
        )
        sent += len(traffic)
        for number in range(SLICES):
            low, high = start + step * number, start + step * (number + 1)
            part = [o for o in traffic if low <= _when(o) < high]
            if part:
                prefix = f"demo-{enrolment.person_id}-s{number}"
                slices[number] += [(agent, b) for b in batches(part, 100, prefix)]
    for number, work in enumerate(slices):
        clock.now = start + step * (number + 1)
        for agent, batch in work:
            agent(batch)
    return DemoMonitoring(
        devices=len(enrolments),
        observations=sent,
        alerts=_count_alerts(database),
        under_review=_start_reviews(database, rng, end),
        seconds=time.perf_counter() - started,
    )


def _when(observation: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(observation["time"]).replace("Z", "+00:00"))


def _count_alerts(database: Database) -> int:
    with database.session() as session:
        return list_alerts(session, DEMO, states=list(AlertState), limit=1).total


def _start_reviews(database: Database, rng: random.Random, now: datetime) -> int:
    """About one alert in twelve already under review, as if officers had started the day."""
    with database.session() as session:
        alerts = list_alerts(session, DEMO, limit=500).alerts
        chosen = [a for a in alerts if rng.random() < 0.08]
        for alert in chosen:
            who = Actor(alert.officer.id, alert.officer.username, DEMO.role, system=True)
            change_alert_state(
                session, who, alert.id, AlertState.UNDER_REVIEW, "Looking into it.", now=now
            )
    return len(chosen)
