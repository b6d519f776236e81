"""A small unit for storage tests: two teams, three officers, supervisors and the other roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import ManagementLevel, RiskLevel
from orderwatch.security import hash_password
from orderwatch.storage import Database, PersonInput, create_person, get_user_by_username
from orderwatch.storage.bulk import BulkUser, bulk_create_users

PASSWORD = "correct-horse-battery"
SYSTEM = Actor.command_line("tests")


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash for every fixture account (hashing is slow on purpose)."""
    return hash_password(PASSWORD)


@dataclass
class Unit:
    """Actors by user name, and one person per officer (ids)."""

    database: Database
    actors: dict[str, Actor]
    persons: dict[str, int]

    def __getitem__(self, username: str) -> Actor:
        return self.actors[username]


STAFF = [
    BulkUser("ofc.a1", "Officer A One", Role.OFFICER, "Team A"),
    BulkUser("ofc.a2", "Officer A Two", Role.OFFICER, "Team A"),
    BulkUser("ofc.b1", "Officer B One", Role.OFFICER, "Team B"),
    BulkUser("sup.a", "Supervisor A", Role.SUPERVISOR, "Team A"),
    BulkUser("sup.b", "Supervisor B", Role.SUPERVISOR, "Team B"),
    BulkUser("exam", "Examiner", Role.EXAMINER),
    BulkUser("admin", "Admin", Role.ADMIN),
    BulkUser("auditor", "Auditor", Role.AUDITOR),
]


def person_input(reference: str, officer_id: int, **changes: object) -> PersonInput:
    values: dict[str, object] = {
        "reference": reference,
        "full_name": f"Person {reference}",
        "risk_level": RiskLevel.HIGH,
        "management_level": ManagementLevel.ACTIVE,
        "officer_id": officer_id,
        "managed_since": date(2024, 1, 1),
    }
    values.update(changes)
    return PersonInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def unit(database: Database, password_hash: str) -> Unit:
    """The staff above, and person P-A1 / P-A2 / P-B1 managed by each officer."""
    with database.session() as session:
        bulk_create_users(session, SYSTEM, STAFF, password_hash=password_hash)
        actors = {
            u.username: get_user_by_username(session, SYSTEM, u.username).actor for u in STAFF
        }
        persons = {}
        for officer in ("ofc.a1", "ofc.a2", "ofc.b1"):
            reference = "P-" + officer.split(".")[1].upper()
            created = create_person(
                session, SYSTEM, person_input(reference, actors[officer].user_id or 0)
            )
            persons[officer] = created.id
    return Unit(database, actors, persons)
