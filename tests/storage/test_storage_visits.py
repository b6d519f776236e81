from __future__ import annotations

from datetime import date, timedelta

import pytest
from storage_unit import Unit

from orderwatch.domain.caseload import VisitOutcome
from orderwatch.domain.errors import InvalidInputError, NotFoundError
from orderwatch.domain.orderfile import DeclaredDevice
from orderwatch.storage import (
    VisitReport,
    add_device,
    delete_visit,
    get_person,
    list_audit,
    record_visit,
    schedule_visit,
)


def test_record_completes_the_earliest_booked_visit(unit: Unit) -> None:
    officer, person_id = unit["ofc.a1"], unit.persons["ofc.a1"]
    with unit.database.session() as session:
        phone = add_device(
            session, officer, person_id, DeclaredDevice("phone", imei="490154203237518")
        )
        later = schedule_visit(session, officer, person_id, date(2024, 6, 1))
        earlier = schedule_visit(session, officer, person_id, date(2024, 3, 1))
        # high risk, managed since 2024-01-01: routine due 2024-02-26 (bookings only bring forward)
        before = get_person(session, officer, person_id, today=date(2024, 2, 1))
        made = record_visit(
            session,
            officer,
            person_id,
            VisitReport(date(2024, 3, 2), VisitOutcome.COMPLETED, (phone.id,), " all fine "),
        )
        after = get_person(session, officer, person_id, today=date(2024, 3, 2))
    assert before.next_visit_due == date(2024, 2, 26)
    assert made.id == earlier.id and made.done and made.notes == "all fine"
    assert made.devices_inspected == (phone.id,) and made.officer is not None
    assert made.officer.username == "ofc.a1"
    # the booked 2024-06-01 visit is later than the routine due date 56 days after 2024-03-02
    assert after.last_visit == date(2024, 3, 2)
    assert after.next_visit_due == date(2024, 4, 27)
    assert [v.id for v in after.visits] == [later.id, earlier.id]


def test_booked_visit_brings_the_due_date_forward(unit: Unit) -> None:
    officer, person_id = unit["ofc.a1"], unit.persons["ofc.a1"]
    with unit.database.session() as session:
        schedule_visit(session, officer, person_id, date(2024, 1, 20))
        file = get_person(session, officer, person_id, today=date(2024, 1, 25))
    assert file.next_visit_due == date(2024, 1, 20) and file.overdue_days == 5


def test_record_without_booking_adds_a_visit(unit: Unit) -> None:
    officer, person_id = unit["ofc.a1"], unit.persons["ofc.a1"]
    with unit.database.session() as session:
        made = record_visit(
            session, officer, person_id, VisitReport(date(2024, 2, 1), VisitOutcome.NO_ACCESS)
        )
        entry = list_audit(session, unit["auditor"], entity="visit")[0]
    assert (made.due_on, made.done_on, made.outcome) == (
        date(2024, 2, 1),
        date(2024, 2, 1),
        VisitOutcome.NO_ACCESS,
    )
    assert (entry.action, entry.detail["outcome"]) == ("create", "no_access")


def test_visit_checks(unit: Unit) -> None:
    officer, person_id = unit["ofc.a1"], unit.persons["ofc.a1"]
    with unit.database.session() as session:
        foreign = add_device(
            session, unit["ofc.b1"], unit.persons["ofc.b1"], DeclaredDevice("usb", serial="S1")
        )
        with pytest.raises(
            InvalidInputError, match=f"not devices declared by this person: {foreign.id}"
        ):
            record_visit(
                session,
                officer,
                person_id,
                VisitReport(date(2024, 2, 1), VisitOutcome.COMPLETED, (foreign.id,)),
            )
        with pytest.raises(InvalidInputError, match="in the future"):
            record_visit(
                session,
                officer,
                person_id,
                VisitReport(date.today() + timedelta(days=1), VisitOutcome.COMPLETED),
            )
        with pytest.raises(InvalidInputError, match="three years ahead"):
            schedule_visit(session, officer, person_id, date.today() + timedelta(days=4 * 365))
        other_visit = schedule_visit(
            session, unit["ofc.b1"], unit.persons["ofc.b1"], date(2024, 5, 1)
        )
        with pytest.raises(NotFoundError):
            record_visit(
                session,
                officer,
                person_id,
                VisitReport(date(2024, 2, 1), VisitOutcome.COMPLETED),
                visit_id=other_visit.id,
            )
        with pytest.raises(NotFoundError, match=f"no visit {other_visit.id}"):
            delete_visit(session, officer, other_visit.id)
        delete_visit(session, unit["ofc.b1"], other_visit.id)
        assert get_person(session, unit["ofc.b1"], unit.persons["ofc.b1"]).visits == ()
