"""Fixtures for storage tests: a small unit of staff and persons on each database."""

from __future__ import annotations

import pytest
from storage_unit import PASSWORD, STAFF, SYSTEM, Unit, person_input

from orderwatch.security import hash_password
from orderwatch.storage import Database, create_person, get_user_by_username
from orderwatch.storage.bulk import bulk_create_users


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2 hash for every fixture account (hashing is slow on purpose)."""
    return hash_password(PASSWORD)


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
