"""Helpers for storage tests: the small unit's staff, actors, and a PersonInput factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import ManagementLevel, RiskLevel
from orderwatch.storage import Database, PersonInput
from orderwatch.storage.bulk import BulkUser

PASSWORD = "correct-horse-battery"
SYSTEM = Actor.command_line("tests")


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
