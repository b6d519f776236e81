"""Every role against every person operation, at the repository level (the web only relays)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.orm import Session
from storage_unit import SYSTEM, Unit, person_input

from orderwatch.domain.access import Actor
from orderwatch.domain.caseload import OrderKind, VisitOutcome
from orderwatch.domain.errors import NotFoundError, PermissionDeniedError
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.storage import (
    VisitReport,
    add_account,
    add_device,
    delete_person,
    get_person,
    list_caseload,
    record_visit,
    schedule_visit,
    set_order,
    update_person,
)

Operation = Callable[[Session, Actor, int, Unit], object]

OPERATIONS: dict[str, Operation] = {
    "view": lambda s, a, p, u: get_person(s, a, p),
    "update": lambda s, a, p, u: update_person(
        s, a, p, person_input("P-A1", u["ofc.a1"].user_id or 0, full_name="Renamed")
    ),
    "set_order": lambda s, a, p, u: set_order(
        s, a, p, OrderRecord(OrderKind.SHPO, None, date(2024, 1, 1), None, ())
    ),
    "add_device": lambda s, a, p, u: add_device(s, a, p, DeclaredDevice("phone", imei="1234")),
    "add_account": lambda s, a, p, u: add_account(s, a, p, DeclaredAccount("email", "x@y.z")),
    "schedule_visit": lambda s, a, p, u: schedule_visit(s, a, p, date(2025, 1, 1)),
    "record_visit": lambda s, a, p, u: record_visit(
        s, a, p, VisitReport(date(2025, 1, 1), VisitOutcome.COMPLETED)
    ),
    "delete": lambda s, a, p, u: delete_person(s, a, p),
}

# Expected outcome for person P-A1 (officer ofc.a1, Team A; examiner "exam" assigned).
ALLOWED, HIDDEN, DENIED = "allowed", "not found", "denied"
READ_ONLY = {op: (ALLOWED if op == "view" else DENIED) for op in OPERATIONS}
EXPECTED: dict[str, dict[str, str]] = {
    "ofc.a1": dict.fromkeys(OPERATIONS, ALLOWED),
    "ofc.a2": dict.fromkeys(OPERATIONS, HIDDEN),
    "ofc.b1": dict.fromkeys(OPERATIONS, HIDDEN),
    "sup.a": dict.fromkeys(OPERATIONS, ALLOWED),
    "sup.b": dict.fromkeys(OPERATIONS, HIDDEN),
    "exam": READ_ONLY,
    "admin": dict.fromkeys(OPERATIONS, HIDDEN),
    "auditor": dict.fromkeys(OPERATIONS, HIDDEN),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_authorisation_matrix(unit: Unit, operation: str) -> None:
    person_id = unit.persons["ofc.a1"]
    with unit.database.session() as session:
        update_person(
            session,
            SYSTEM,
            person_id,
            person_input("P-A1", unit["ofc.a1"].user_id or 0, examiner_ids=(unit["exam"].user_id,)),
        )
    outcomes = {}
    for actor_name in EXPECTED:
        try:
            with unit.database.session() as session:
                OPERATIONS[operation](session, unit[actor_name], person_id, unit)
                session.rollback()  # leave the person as it was for the next actor
            outcomes[actor_name] = ALLOWED
        except NotFoundError as error:
            assert str(error) == f"no managed person {person_id}"  # same words as "absent"
            outcomes[actor_name] = HIDDEN
        except PermissionDeniedError:
            outcomes[actor_name] = DENIED
    assert outcomes == {name: row[operation] for name, row in EXPECTED.items()}


def test_out_of_reach_reads_exactly_like_absent(unit: Unit) -> None:
    with unit.database.session() as session:
        with pytest.raises(NotFoundError) as hidden:
            get_person(session, unit["ofc.a2"], unit.persons["ofc.a1"])
        with pytest.raises(NotFoundError) as absent:
            get_person(session, unit["ofc.a2"], 987654)
    assert str(hidden.value).replace(str(unit.persons["ofc.a1"]), "N") == str(absent.value).replace(
        "987654", "N"
    )


@pytest.mark.parametrize(
    ("actor_name", "expected"),
    [
        ("ofc.a1", ["P-A1"]),
        ("ofc.a2", ["P-A2"]),
        ("sup.a", ["P-A1", "P-A2"]),
        ("sup.b", ["P-B1"]),
        ("exam", []),
        ("admin", []),
        ("auditor", []),
    ],
)
def test_caseload_listing_reach(unit: Unit, actor_name: str, expected: list[str]) -> None:
    with unit.database.read_session() as session:
        listed = [e.reference for e in list_caseload(session, unit[actor_name])]
    assert sorted(listed) == expected
