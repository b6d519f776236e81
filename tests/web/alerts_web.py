"""Helpers for the alert page and agent API tests: enrol a device of the web unit's persons and
send it traffic through the ingestion service (the HTTP path has its own tests)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from web_unit import SYSTEM, Unit

from orderwatch.monitor.ingest import IngestionService
from orderwatch.storage.monitoring_devices import exchange_enrolment_code, issue_enrolment_code

_ids = itertools.count(1)


def enrol(unit: Unit, key: str) -> tuple[int, str]:
    """A monitored device on the person's declared phone: (device id, credential)."""
    with unit.database.session() as session:
        issued = issue_enrolment_code(session, SYSTEM, unit.persons[key], unit.devices[key])
    with unit.database.session() as session:
        enrolled = exchange_enrolment_code(
            session, issued.code, hostname=f"phone-{key}", agent_version="test"
        )
    return enrolled.device_id, enrolled.credential


def item(kind: str, **fields: Any) -> dict[str, Any]:
    when = datetime.now(UTC) - timedelta(minutes=5)
    return {"id": f"w-{next(_ids):06d}", "kind": kind, "time": when.isoformat(), **fields}


def body(observations: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps(
        {"batch_id": f"wb-{next(_ids):06d}", "observations": observations, **extra}
    ).encode()


def send(unit: Unit, credential: str, observations: list[dict[str, Any]]) -> dict[str, Any]:
    service = IngestionService(unit.database, unit.settings)
    return service.ingest(credential, body(observations)).body


def new_alert_ids(unit: Unit, key: str, before: set[int]) -> list[int]:
    from sqlalchemy import text

    with unit.database.read_session() as session:
        found = session.execute(
            text("SELECT id FROM monitor_alerts WHERE person_id = :p ORDER BY id"),
            {"p": unit.persons[key]},
        ).scalars()
        return [i for i in found if i not in before]


def alert_ids(unit: Unit, key: str) -> set[int]:
    return set(new_alert_ids(unit, key, set()))
