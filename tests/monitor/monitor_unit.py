"""A small monitored unit for the monitoring tests: staff in two teams, three persons under a
full order, one enrolled device each, an ingestion service on a clock the tests move."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import ManagementLevel, OrderKind, RiskLevel
from orderwatch.domain.conditions import parse_condition
from orderwatch.domain.observations import format_time
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.forensics.hashsets import HashSetCollection
from orderwatch.monitor.ingest import IngestionService, IngestResult
from orderwatch.settings import Settings
from orderwatch.storage import (
    Database,
    PersonInput,
    add_account,
    add_device,
    create_person,
    get_user_by_username,
    set_order,
)
from orderwatch.storage.bulk import BulkUser, bulk_create_users
from orderwatch.storage.monitoring_devices import exchange_enrolment_code, issue_enrolment_code

SYSTEM = Actor.command_line("monitor tests")
START = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)

STAFF = [
    BulkUser("ofc.a1", "Officer A One", Role.OFFICER, "Team A", "a1@example.org"),
    BulkUser("ofc.a2", "Officer A Two", Role.OFFICER, "Team A", "a2@example.org"),
    BulkUser("ofc.b1", "Officer B One", Role.OFFICER, "Team B"),
    BulkUser("sup.a", "Supervisor A", Role.SUPERVISOR, "Team A"),
    BulkUser("sup.b", "Supervisor B", Role.SUPERVISOR, "Team B"),
    BulkUser("exam", "Examiner", Role.EXAMINER),
]
# person key -> responsible officer
PERSONS = {"a1": "ofc.a1", "a2": "ofc.a2", "b1": "ofc.b1"}

FULL_ORDER = (
    {"type": "declare_devices", "within_days": 3},
    {"type": "retain_history"},
    {"type": "no_encryption_or_wiping"},
    {"type": "no_anonymisation"},
    {"type": "declare_accounts"},
    {"type": "declare_cloud_storage"},
    {"type": "no_indecent_images"},
    {"type": "no_adult_pornography", "domains": ["adult-site.example"]},
    {"type": "no_contact_with_children"},
    {"type": "prohibited_words", "words": ["example-banned-word"]},
    {"type": "prohibited_apps_or_sites", "apps": ["Kik"], "domains": ["example-chat-site.test"]},
    {"type": "keep_monitoring"},
    {"type": "inspection_on_request"},
)


class MovableClock:
    """The ingestion service's "now", moved on by the tests."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


_ids = itertools.count(1)


def obs(kind: str, *, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """One observation in the wire format, with a fresh id (time: START unless given)."""
    return {
        "id": f"t-{next(_ids):07d}",
        "kind": kind,
        "time": format_time(at or START),
        **fields,
    }


def batch_body(observations: list[dict[str, Any]], batch_id: str | None = None) -> bytes:
    return json.dumps(
        {"batch_id": batch_id or f"batch-{next(_ids):07d}", "observations": observations}
    ).encode()


def order_record(conditions: tuple[dict[str, Any], ...] = FULL_ORDER) -> OrderRecord:
    return OrderRecord(
        OrderKind.SHPO,
        "Example Crown Court",
        date(2024, 1, 10),
        date(2029, 1, 10),
        tuple(parse_condition(c) for c in conditions),
    )


@dataclass
class MonitorUnit:
    database: Database
    settings: Settings
    clock: MovableClock
    service: IngestionService
    actors: dict[str, Actor]
    persons: dict[str, int] = field(default_factory=dict)
    declared: dict[str, int] = field(default_factory=dict)  # declared device ids
    devices: dict[str, int] = field(default_factory=dict)  # monitored device ids
    credentials: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, username: str) -> Actor:
        return self.actors[username]

    def send(
        self, who: str, observations: list[dict[str, Any]], batch_id: str | None = None
    ) -> IngestResult:
        """Ingest a batch from person `who`'s device."""
        return self.service.ingest(self.credentials[who], batch_body(observations, batch_id))

    def enrol_another(self, who: str) -> tuple[int, str]:
        """A second monitored device on the person's declared laptop: (device id, credential)."""
        with self.database.session() as session:
            code = issue_enrolment_code(
                session, SYSTEM, self.persons[who], self.declared[who], now=self.clock.now
            )
        with self.database.session() as session:
            enrolled = exchange_enrolment_code(
                session, code.code, hostname="extra", agent_version="test", now=self.clock.now
            )
        return enrolled.device_id, enrolled.credential

    def stored(self, items: list[dict[str, Any]]) -> int:
        """How many rows hold these observations (by their ids)."""
        ids = ", ".join(f"'{i['id']}'" for i in items)
        return self.count("monitor_observations", f"client_id IN ({ids})")

    def count(self, table: str, where: str = "1=1") -> int:
        with self.database.read_session() as session:
            return int(
                session.execute(text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar()
            )

    def alert_rows(self, who: str) -> list[Any]:
        with self.database.read_session() as session:
            return list(
                session.execute(
                    text(
                        "SELECT id, condition, severity, key, title, occurrences, state "
                        "FROM monitor_alerts WHERE person_id = :p ORDER BY id"
                    ),
                    {"p": self.persons[who]},
                )
            )


def build_unit(
    database: Database,
    settings: Settings,
    password_hash: str,
    *,
    clock: MovableClock | None = None,
    hashsets: HashSetCollection | None = None,
) -> MonitorUnit:
    """Staff, three persons with the full order, a declared laptop and accounts, enrolled."""
    clock = clock or MovableClock()
    service = IngestionService(database, settings, hashsets=hashsets, clock=clock)
    with database.session() as session:
        bulk_create_users(session, SYSTEM, STAFF, password_hash=password_hash)
        actors = {
            u.username: get_user_by_username(session, SYSTEM, u.username).actor for u in STAFF
        }
    unit = MonitorUnit(database, settings, clock, service, actors)
    with database.session() as session:
        for key, officer in PERSONS.items():
            person = create_person(
                session,
                SYSTEM,
                PersonInput(
                    reference=f"P-{key.upper()}",
                    full_name=f"Person {key.upper()}",
                    risk_level=RiskLevel.HIGH,
                    management_level=ManagementLevel.ACTIVE,
                    officer_id=actors[officer].user_id or 0,
                    managed_since=date(2024, 1, 1),
                ),
            )
            unit.persons[key] = person.id
            set_order(session, SYSTEM, person.id, order_record())
            laptop = DeclaredDevice(
                kind="laptop", make="Dell", model="Latitude", serial=f"SER-{key}"
            )
            unit.declared[key] = add_device(session, SYSTEM, person.id, laptop).id
            add_account(session, SYSTEM, person.id, DeclaredAccount("email", f"{key}@example.net"))
            add_account(session, SYSTEM, person.id, DeclaredAccount("facebook", f"{key}.handle"))
    for key in PERSONS:
        with database.session() as session:
            code = issue_enrolment_code(
                session, SYSTEM, unit.persons[key], unit.declared[key], now=clock.now
            )
        with database.session() as session:
            enrolled = exchange_enrolment_code(
                session, code.code, hostname=f"host-{key}", agent_version="test", now=clock.now
            )
        unit.devices[key] = enrolled.device_id
        unit.credentials[key] = enrolled.credential
    return unit
