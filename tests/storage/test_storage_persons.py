from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import text
from storage_unit import SYSTEM, Unit, person_input

from orderwatch.domain.caseload import ManagementLevel, OrderKind, RiskLevel, VisitOutcome
from orderwatch.domain.conditions import parse_condition
from orderwatch.domain.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.storage import (
    VisitReport,
    add_account,
    add_device,
    create_person,
    delete_person,
    get_person,
    get_person_by_reference,
    list_audit,
    record_visit,
    set_order,
    update_person,
)


def test_create_and_read_back_everything(unit: Unit) -> None:
    officer = unit["ofc.a1"]
    data = person_input(
        "OW-0100",
        officer.user_id or 0,
        full_name="  Tavo Demoson ",
        aliases=("T. Demo", " ", "T. Demo", "Tav"),
        date_of_birth=date(1980, 2, 3),
        address="1 Sample Row",
        examiner_ids=(unit["exam"].user_id,),
        risk_level=RiskLevel.VERY_HIGH,
    )
    with unit.database.session() as session:
        created = create_person(session, officer, data)
        assert created.full_name == "Tavo Demoson"
        assert created.aliases == ("T. Demo", "Tav")
        assert created.officer.username == "ofc.a1" and created.team_id == officer.team_id
        assert [e.username for e in created.examiners] == ["exam"]
        file = get_person(session, officer, created.id, today=date(2024, 3, 1))
    assert file.person == created
    assert file.person.as_input() == replace(
        data, full_name="Tavo Demoson", aliases=("T. Demo", "Tav")
    )
    assert (file.order, file.devices, file.accounts, file.visits) == (None, (), (), ())
    # very_high: first visit due 28 days after management began (2024-01-01)
    assert file.next_visit_due == date(2024, 1, 29)
    assert file.overdue_days == 32 and file.overdue


INVALID = [
    ({"reference": "P-A2"}, "reference", "already in use"),
    ({"reference": "bad ref!"}, "reference", "a reference is"),
    ({"full_name": "  "}, "full_name", "a name is required"),
    ({"date_of_birth": date.today() + timedelta(days=1)}, "date_of_birth", "future"),
    ({"officer_id": 99999}, "officer_id", "no active officer"),
    ({"examiner_ids": (99999,)}, "examiner_ids", "no examiner with id 99999"),
]


def test_validation_names_the_field(unit: Unit) -> None:
    for changes, field, message in INVALID:
        data = replace(person_input("OW-0200", unit["ofc.a1"].user_id or 0), **changes)
        with pytest.raises(InvalidInputError) as caught, unit.database.session() as session:
            create_person(session, unit["ofc.a1"], data)
        assert (caught.value.source, message in str(caught.value)) == (field, True), changes


def test_officer_cannot_create_for_someone_else_but_supervisor_can(unit: Unit) -> None:
    other = unit["ofc.a2"].user_id or 0
    with unit.database.session() as session:
        with pytest.raises(InvalidInputError, match="not an officer you may assign"):
            create_person(session, unit["ofc.a1"], person_input("OW-1", other))
        with pytest.raises(InvalidInputError, match="not an officer you may assign"):
            create_person(session, unit["sup.b"], person_input("OW-1", other))
        assert (
            create_person(session, unit["sup.a"], person_input("OW-1", other)).officer.id == other
        )
        for name in ("exam", "admin", "auditor"):
            with pytest.raises(PermissionDeniedError):
                create_person(session, unit[name], person_input("OW-2", other))


def test_update_audits_changed_fields_without_personal_values(unit: Unit) -> None:
    person_id = unit.persons["ofc.a1"]
    new_officer = unit["ofc.a2"].user_id or 0
    data = person_input("P-A1", new_officer, address="2 Secret Street", risk_level=RiskLevel.LOW)
    with unit.database.session() as session:
        updated = update_person(session, unit["sup.a"], person_id, data)
        assert updated.officer.username == "ofc.a2" and updated.address == "2 Secret Street"
        # The old officer no longer reaches the person.
        with pytest.raises(NotFoundError):
            get_person(session, unit["ofc.a1"], person_id)
        entry = list_audit(session, unit["auditor"], entity="person", entity_id=person_id)[0]
    assert entry.detail["changed"] == {
        "address": "changed",
        "risk_level": ["high", "low"],
        "officer_id": [unit["ofc.a1"].user_id, new_officer],
    }
    assert "Secret" not in str(entry.detail)


def test_unchanged_update_writes_no_audit_row(unit: Unit) -> None:
    person_id = unit.persons["ofc.a1"]
    with unit.database.session() as session:
        before = len(list_audit(session, unit["auditor"], limit=1000))
        update_person(
            session, unit["ofc.a1"], person_id, person_input("P-A1", unit["ofc.a1"].user_id or 0)
        )
        assert len(list_audit(session, unit["auditor"], limit=1000)) == before


def test_delete_removes_everything_attached(unit: Unit) -> None:
    officer = unit["ofc.a1"]
    person_id = unit.persons["ofc.a1"]
    order = OrderRecord(
        OrderKind.SHPO,
        "Demo Court",
        date(2024, 1, 1),
        None,
        (parse_condition({"type": "retain_history"}),),
    )
    with unit.database.session() as session:
        set_order(session, officer, person_id, order)
        device = add_device(
            session, officer, person_id, DeclaredDevice("phone", imei="35693803564380")
        )
        add_account(session, officer, person_id, DeclaredAccount("email", "a@example.org"))
        record_visit(
            session,
            officer,
            person_id,
            VisitReport(date(2024, 2, 1), VisitOutcome.COMPLETED, (device.id,)),
        )
        delete_person(session, officer, person_id)
    with unit.database.read_session() as session:
        for table in ("persons", "orders", "devices", "accounts", "visits", "person_examiners"):
            column = "id" if table == "persons" else "person_id"
            sql = f"SELECT count(*) FROM {table} WHERE {column} = :p"
            assert session.execute(text(sql), {"p": person_id}).scalar() == 0, table
        with pytest.raises(NotFoundError):
            get_person_by_reference(session, SYSTEM, "P-A1")
        entry = list_audit(session, unit["auditor"], entity="person", entity_id=person_id)[0]
    assert (entry.action, entry.detail) == (
        "delete",
        {"reference": "P-A1", "visits": 1, "devices": 1},
    )


def test_get_by_reference_is_audited_as_a_view(unit: Unit) -> None:
    with unit.database.session() as session:
        file = get_person_by_reference(session, unit["sup.b"], "P-B1")
        assert file.person.id == unit.persons["ofc.b1"]
        with pytest.raises(NotFoundError):
            get_person_by_reference(session, unit["sup.b"], "P-A1")
        entry = list_audit(session, unit["auditor"], limit=1)[0]
    assert (entry.action, entry.username, entry.entity_id) == ("view", "sup.b", str(file.person.id))


def test_reactive_management_has_no_due_date(unit: Unit) -> None:
    person_id = unit.persons["ofc.b1"]
    data = person_input(
        "P-B1", unit["ofc.b1"].user_id or 0, management_level=ManagementLevel.REACTIVE
    )
    with unit.database.session() as session:
        update_person(session, unit["ofc.b1"], person_id, data)
        file = get_person(session, unit["ofc.b1"], person_id, today=date(2030, 1, 1))
    assert file.next_visit_due is None and file.overdue_days == 0
