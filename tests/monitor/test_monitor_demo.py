"""The demo unit's day of monitoring: alerts in the officers' queues, some already under review,
no heartbeat-gap noise (the simulated agents beat inside the threshold)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from orderwatch.demo import build_demo_unit
from orderwatch.domain.access import Actor
from orderwatch.monitor.alert_states import AlertState
from orderwatch.monitor.demo import seed_demo_monitoring
from orderwatch.settings import Settings
from orderwatch.storage import Database, get_user_by_username
from orderwatch.storage.monitoring_alerts import list_alerts

SYSTEM = Actor.command_line("demo test")


def test_a_day_of_alerts_lands_in_the_officers_queues(database: Database, tmp_path: Path) -> None:
    build_demo_unit(database, persons=80, officers=4, password="demo-test-password")
    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    seeded = seed_demo_monitoring(database, Settings(data_dir=tmp_path), share=0.5, now=now)
    assert seeded.devices > 20 and seeded.observations == seeded.devices * 36
    with database.session() as session:
        everything = list_alerts(session, SYSTEM, states=list(AlertState), limit=500).alerts
        queues = {
            name: list_alerts(session, get_user_by_username(session, SYSTEM, name).actor).total
            for name in ("officer01", "officer02", "officer03", "officer04")
        }
    assert len(everything) == seeded.alerts > 0
    assert sum(queues.values()) == seeded.alerts  # every alert is in its officer's queue
    assert sum(1 for a in everything if a.state is AlertState.UNDER_REVIEW) == seeded.under_review
    assert not [a for a in everything if "silent for" in a.title]  # no heartbeat gaps
    assert all(now - timedelta(days=1) < a.opened_at <= now for a in everything)
