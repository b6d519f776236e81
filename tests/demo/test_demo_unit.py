from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest

from orderwatch.demo import build_demo_unit
from orderwatch.demo.names import imei, mac
from orderwatch.domain.access import Actor, Role
from orderwatch.domain.errors import OrderwatchError
from orderwatch.storage import (
    Database,
    authenticate,
    get_person,
    list_audit,
    list_caseload,
    list_users,
    team_caseload,
    verify_audit_chain,
)

SYSTEM = Actor.command_line("tests")
TODAY = date(2025, 6, 1)


def test_full_demo_unit(database: Database) -> None:
    unit = build_demo_unit(database, seed=7, today=TODAY, password="demo-password-1")
    assert (unit.persons, unit.officers, unit.teams) == (1300, 28, 4)
    with database.session() as session:
        staff = list_users(session, SYSTEM)
        roles = Counter(u.role for u in staff)
        entries = list_caseload(session, SYSTEM, today=TODAY)
        officer01 = next(u for u in staff if u.username == "officer01").actor
        own = list_caseload(session, officer01, today=TODAY)
        team = team_caseload(
            session, next(u for u in staff if u.username == "sup.north").actor, today=TODAY
        )
        file = get_person(session, officer01, own[0].person_id, today=TODAY)
        assert authenticate(session, "officer01", "demo-password-1").ok
        assert verify_audit_chain(session).ok
        audit = list_audit(session, SYSTEM, limit=10)
    assert roles == {
        Role.OFFICER: 28,
        Role.SUPERVISOR: 4,
        Role.EXAMINER: 1,
        Role.ADMIN: 1,
        Role.AUDITOR: 1,
    }
    assert len(entries) == 1300
    assert sum(e.overdue for e in entries) == unit.overdue
    assert 0.05 < unit.overdue / 1300 < 0.25  # some overdue, most not
    assert entries[0].overdue and not entries[-1].overdue
    assert all(e.full_name.split()[-1].startswith("Demo") for e in entries)
    assert entries[0].reference.startswith("DEMO-")
    assert {e.officer.username for e in entries} == {f"officer{n:02d}" for n in range(1, 29)}
    assert len(team.officers) == 7 and sum(s.persons for s in team.officers) == len(team.entries)
    assert file.order is not None and file.order.conditions and file.devices and file.accounts
    assert all(a.identifier.endswith("@example.org") for a in file.accounts if a.service == "email")
    # Bulk loading writes one summary audit row per batch, not one per person.
    assert [a.action for a in audit].count("bulk_create") == 4  # users + 3 batches of persons
    assert {r.username for r in unit.logins} == {
        "officer01",
        "sup.north",
        "examiner",
        "admin",
        "auditor",
    }


def test_same_seed_same_unit(database: Database, tmp_path: object) -> None:
    build_demo_unit(database, persons=40, officers=3, seed=11, today=TODAY, password="p" * 12)
    other = Database(f"sqlite:///{tmp_path}/other.sqlite3")
    other.upgrade()
    build_demo_unit(other, persons=40, officers=3, seed=11, today=TODAY, password="q" * 12)
    with database.read_session() as first, other.read_session() as second:
        a = [
            (e.reference, e.full_name, e.next_visit_due)
            for e in list_caseload(first, SYSTEM, today=TODAY)
        ]
        b = [
            (e.reference, e.full_name, e.next_visit_due)
            for e in list_caseload(second, SYSTEM, today=TODAY)
        ]
    other.dispose()
    assert a == b and len(a) == 40


def test_refuses_a_database_that_is_not_empty(database: Database) -> None:
    build_demo_unit(database, persons=5, officers=1, today=TODAY)
    with pytest.raises(OrderwatchError, match="needs an empty database"):
        build_demo_unit(database, persons=5, officers=1, today=TODAY)


def test_identifiers_are_well_formed_and_fictional() -> None:
    rng = random.Random(3)
    for _ in range(50):
        number = imei(rng)
        digits = [int(d) for d in number]
        total = sum(
            d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)
        )
        assert len(number) == 15 and total % 10 == 0  # Luhn-valid
        assert int(mac(rng).split(":")[0], 16) & 0x02  # locally administered
