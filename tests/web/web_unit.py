"""A small unit (two teams, every role, three persons) served in-process.

The unit is built once per test module and engine; tests add their own records and never rely
on what another test wrote. Clients are logged in by opening a server-side session directly
(the login form itself is tested in test_auth.py), which keeps argon2 out of most tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx2 as httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import ManagementLevel, OrderKind, RiskLevel, VisitOutcome
from orderwatch.domain.conditions import parse_condition
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.security.passwords import hash_password
from orderwatch.settings import Settings
from orderwatch.storage import (
    Database,
    PersonInput,
    VisitReport,
    add_account,
    add_device,
    create_person,
    create_web_session,
    record_visit,
    set_order,
)
from orderwatch.storage.bulk import BulkUser, bulk_create_users
from orderwatch.web import create_app
from orderwatch.web.security import SESSION_COOKIE

PASSWORD = "correct-horse-battery"
SYSTEM = Actor.command_line("web tests")

# user name -> (role, team)
STAFF: dict[str, tuple[Role, str | None]] = {
    "off.a": (Role.OFFICER, "North"),
    "off.b": (Role.OFFICER, "North"),
    "sup.a": (Role.SUPERVISOR, "North"),
    "off.c": (Role.OFFICER, "South"),
    "exam": (Role.EXAMINER, None),
    "admin": (Role.ADMIN, None),
    "auditor": (Role.AUDITOR, None),
}


class Client(TestClient):
    """A test client that knows its session's CSRF token."""

    csrf: str = ""

    def form(self, path: str, data: dict[str, str | list[str]]) -> httpx.Response:
        """POST a form the way the browser does, with the session's CSRF token."""
        return self.post(path, data={**data, "csrf_token": self.csrf})


@dataclass
class Unit:
    """The seeded database, its app, and the ids tests refer to."""

    database: Database
    settings: Settings
    app: FastAPI
    users: dict[str, int]
    persons: dict[str, int] = field(default_factory=dict)  # "a" (off.a's), "b", "c"
    devices: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int] = field(default_factory=dict)

    def client(self, username: str | None = None) -> Client:
        """A client logged in as `username` (None: anonymous); its CSRF token on `.csrf`."""
        client = Client(self.app, base_url="http://testserver", follow_redirects=False)
        if username is not None:
            with self.database.session() as session:
                opened = create_web_session(
                    session, self.users[username], max_age=timedelta(hours=1)
                )
            client.cookies.set(SESSION_COOKIE, opened.token)
            client.csrf = opened.session.csrf_token
        return client


def _person(
    reference: str, officer_id: int, risk: RiskLevel, examiners: tuple[int, ...] = ()
) -> PersonInput:
    return PersonInput(
        reference=reference,
        full_name=f"Testperson {reference}",
        risk_level=risk,
        management_level=ManagementLevel.ACTIVE,
        officer_id=officer_id,
        managed_since=date.today() - timedelta(days=400),
        date_of_birth=date(1980, 1, 2),
        address="1 Example Street",
        aliases=("Alias " + reference,),
        examiner_ids=examiners,
    )


def seed(database: Database, settings: Settings) -> Unit:
    """Two teams, every role, and three persons (one per officer) with an order and records."""
    with database.session() as session:
        users = bulk_create_users(
            session,
            SYSTEM,
            [BulkUser(name, f"Staff {name}", role, team) for name, (role, team) in STAFF.items()],
            password_hash=hash_password(PASSWORD),
        )
    unit = Unit(database, settings, create_app(settings, database), users)
    with database.session() as session:
        a = create_person(
            session, SYSTEM, _person("OW-A", users["off.a"], RiskLevel.HIGH, (users["exam"],))
        )
        b = create_person(session, SYSTEM, _person("OW-B", users["off.b"], RiskLevel.MEDIUM))
        c = create_person(session, SYSTEM, _person("OW-C", users["off.c"], RiskLevel.LOW))
        unit.persons = {"a": a.id, "b": b.id, "c": c.id}
        for key, person_id in unit.persons.items():
            order = OrderRecord(
                OrderKind.SHPO,
                "Example Crown Court",
                date.today() - timedelta(days=300),
                date.today() + timedelta(days=900),
                (
                    parse_condition({"type": "declare_devices", "within_days": 3}),
                    parse_condition({"type": "prohibited_words", "words": ["example-word"]}),
                ),
            )
            set_order(session, SYSTEM, person_id, order)
            device = add_device(
                session,
                SYSTEM,
                person_id,
                DeclaredDevice(kind="phone", make="Demo", model=f"P{key}", serial=f"SER-{key}"),
            )
            account = add_account(
                session, SYSTEM, person_id, DeclaredAccount("email", f"{key}@example.org")
            )
            unit.devices[key] = device.id
            unit.accounts[key] = account.id
        record_visit(
            session,
            SYSTEM,
            a.id,
            VisitReport(
                date.today() - timedelta(days=30),
                VisitOutcome.COMPLETED,
                (unit.devices["a"],),
                "all fine",
            ),
        )
    return unit


CSRF_IN_PAGE = re.compile(r'name="csrf_token" value="([^"]+)"')
