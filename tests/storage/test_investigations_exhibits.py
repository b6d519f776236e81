"""Exhibits in storage: the chain of custody is append-only and audited; the queue, its
priority and its backlog figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from storage_unit import SYSTEM, Unit

from orderwatch.domain.errors import InvalidInputError, NotFoundError
from orderwatch.domain.investigations import InvestigationInput, OffenceInput
from orderwatch.domain.investigations_exhibits import (
    CustodyAction,
    CustodyEntryInput,
    ExhibitInput,
    ExhibitStatus,
    Priority,
    Whereabouts,
)
from orderwatch.domain.statistics import UNIT_TIME_ZONE
from orderwatch.storage import list_audit, verify_audit_chain
from orderwatch.storage.exhibits import (
    add_custody_entry,
    assign_examiner,
    create_exhibit,
    get_exhibit,
    link_triage_run,
    list_queue,
    queue_figures,
    set_examination_step,
    set_priority,
)
from orderwatch.storage.investigations import create_investigation
from orderwatch.storage.investigations_parts import add_offence

TODAY = date.today()
NOW = datetime.now(UTC)


def _investigation(unit: Unit, officer: str = "ofc.a1") -> int:
    with unit.database.session() as session:
        data = InvestigationInput(
            unit[officer].user_id or 0, TODAY - timedelta(days=200), person_id=unit.persons[officer]
        )
        return create_investigation(session, unit[officer], data).id


def _step(
    action: CustodyAction, hours_ago: float, holder: str, seal: str | None = None
) -> CustodyEntryInput:
    return CustodyEntryInput(
        action, NOW - timedelta(hours=hours_ago), holder, f"{action.value} reason", seal
    )


def test_the_chain_of_custody_is_append_only_and_audited(unit: Unit) -> None:
    investigation = _investigation(unit)
    officer = unit["ofc.a1"]
    seized_on = TODAY - timedelta(days=3)
    with unit.database.session() as session:
        exhibit = create_exhibit(
            session,
            officer,
            investigation,
            ExhibitInput(
                "Black phone", "phone", seized_on, "DC A1", "Bedroom", "SEAL-1", hidden=True
            ),
        )
        exhibit_id = exhibit.summary.id
        add_custody_entry(
            session,
            officer,
            exhibit_id,
            _step(CustodyAction.BOOKED_IN, 48, "Property store", "SEAL-1"),
        )
        add_custody_entry(
            session, officer, exhibit_id, _step(CustodyAction.BOOKED_OUT, 24, "DF lab")
        )
        with pytest.raises(InvalidInputError) as caught:
            add_custody_entry(
                session, officer, exhibit_id, _step(CustodyAction.BOOKED_OUT, 12, "Court")
            )
        assert caught.value.source == "action"
        assert "already booked out to DF lab; book it back in first" in str(caught.value)
        with pytest.raises(InvalidInputError) as caught:
            add_custody_entry(
                session, officer, exhibit_id, _step(CustodyAction.BOOKED_IN, 30, "Store")
            )
        assert caught.value.source == "at"
        add_custody_entry(
            session,
            officer,
            exhibit_id,
            _step(CustodyAction.BOOKED_IN, 2, "Property store", "SEAL-2"),
        )
        whole = get_exhibit(session, unit["sup.a"], exhibit_id)
    assert whole.summary.reference == f"EX-{seized_on.year}-0001"
    assert [(c.seq, c.action, c.holder, c.seal_number) for c in whole.custody] == [
        (1, CustodyAction.SEIZED, "DC A1", "SEAL-1"),
        (2, CustodyAction.BOOKED_IN, "Property store", "SEAL-1"),
        (3, CustodyAction.BOOKED_OUT, "DF lab", None),
        (4, CustodyAction.BOOKED_IN, "Property store", "SEAL-2"),
    ]
    assert whole.custody[0].reason == "seized from Bedroom"
    assert whole.whereabouts is Whereabouts.IN_STORE and whole.current_holder == "Property store"
    assert {c.recorded_by for c in whole.custody} == {"ofc.a1"}

    # the database itself refuses to change or remove an entry
    for statement in (
        "UPDATE exhibit_custody SET holder = 'someone else' WHERE seq = 3",
        "DELETE FROM exhibit_custody WHERE seq = 4",
    ):
        with pytest.raises(DBAPIError, match="append-only"), unit.database.session() as session:
            session.execute(text(statement))
    with unit.database.session() as session:
        again = get_exhibit(session, officer, exhibit_id)
        log = list_audit(session, SYSTEM, entity="exhibit", entity_id=exhibit_id)
        assert verify_audit_chain(session).ok
    assert again.custody == whole.custody
    custody_log = [e.detail for e in reversed(log) if e.action == "custody"]
    assert [(d["seq"], d["action"], d["holder"]) for d in custody_log] == [
        (1, "seized", "DC A1"),
        (2, "booked_in", "Property store"),
        (3, "booked_out", "DF lab"),
        (4, "booked_in", "Property store"),
    ]
    assert [e.username for e in log if e.action == "view"] == ["ofc.a1", "sup.a"]


def test_the_examination_queue(unit: Unit) -> None:
    quiet, child = _investigation(unit), _investigation(unit, "ofc.a2")
    officer, other = unit["ofc.a1"], unit["ofc.a2"]
    with unit.database.session() as session:
        add_offence(session, other, child, OffenceInput("sexual_communication_child", TODAY, True))
        old = create_exhibit(
            session,
            officer,
            quiet,
            ExhibitInput("Laptop", "laptop", TODAY - timedelta(days=100), "DC"),
        )
        new = create_exhibit(
            session,
            officer,
            quiet,
            ExhibitInput("USB", "usb_storage", TODAY - timedelta(days=10), "DC"),
        )
        urgent = create_exhibit(
            session, other, child, ExhibitInput("Phone", "phone", TODAY - timedelta(days=40), "DC")
        )
        gone = create_exhibit(
            session, other, child, ExhibitInput("Tablet", "tablet", TODAY - timedelta(days=5), "DC")
        )
        add_custody_entry(
            session,
            other,
            gone.summary.id,
            _step(CustodyAction.DESTROYED, 1, "Destroyed under court order"),
        )
        # the person (P-A1) is high risk: high; P-A2's child offence raises high to urgent
        assert old.summary.priority is Priority.HIGH and old.summary.priority_reason == "high risk"
        assert urgent.summary.priority is Priority.URGENT
        assert urgent.summary.priority_reason == "high risk, raised: offence against a child"
        with pytest.raises(InvalidInputError) as caught:
            set_examination_step(
                session, officer, new.summary.id, ExhibitStatus.TRIAGED, TODAY - timedelta(days=11)
            )
        assert caught.value.source == "on" and "only seized on" in str(caught.value)
        set_examination_step(session, officer, new.summary.id, ExhibitStatus.TRIAGED, TODAY)
        with pytest.raises(InvalidInputError):
            set_examination_step(session, officer, new.summary.id, ExhibitStatus.TRIAGED, TODAY)
        with pytest.raises(InvalidInputError) as caught:
            set_priority(session, officer, old.summary.id, Priority.URGENT, " ")
        assert caught.value.source == "reason"
        set_priority(
            session, officer, old.summary.id, Priority.LOW, "owner is a witness, not a suspect"
        )
        queue = list_queue(session, unit["sup.a"])
        figures = queue_figures(session, unit["sup.a"], TODAY)
        mine = [e.reference for e in list_queue(session, officer)]
        closed = list_queue(session, unit["sup.a"], statuses=[ExhibitStatus.DESTROYED])
    assert [e.id for e in queue] == [urgent.summary.id, new.summary.id, old.summary.id]
    assert queue[2].priority_set_by == "ofc.a1" and queue[2].priority is Priority.LOW
    assert queue[0].days_waiting(TODAY) == 40 and queue[1].days_waiting(TODAY) is None
    assert (figures.awaiting, figures.triaged, figures.full_examination) == (2, 1, 0)
    assert dict(figures.by_age_band) == {
        "30 days or less": 0,
        "over 30 days": 1,
        "over 90 days": 1,
        "over 180 days": 0,
    }
    assert figures.oldest_days == 100 and figures.median_days_waiting == 70
    assert mine == [new.summary.reference, old.summary.reference]
    # Disposed on the unit's date of the custody entry (an hour ago: yesterday just after midnight)
    destroyed_on = (NOW - timedelta(hours=1)).astimezone(ZoneInfo(UNIT_TIME_ZONE)).date()
    assert [e.id for e in closed] == [gone.summary.id] and closed[0].disposed_on == destroyed_on


def test_an_examiner_works_on_exhibits_assigned_to_them_only(unit: Unit) -> None:
    investigation = _investigation(unit)
    examiner = unit["exam"]
    with unit.database.session() as session:
        exhibit = create_exhibit(
            session, unit["ofc.a1"], investigation, ExhibitInput("Phone", "phone", TODAY, "DC")
        )
        exhibit_id = exhibit.summary.id
        with pytest.raises(NotFoundError):
            get_exhibit(session, examiner, exhibit_id)
        assign_examiner(session, unit["sup.a"], exhibit_id, examiner.user_id)
        link_triage_run(session, examiner, exhibit_id, "/cases/EX-1/triage/report.json")
        with pytest.raises(InvalidInputError):
            link_triage_run(session, examiner, exhibit_id, "/cases/EX-1/triage/report.json")
        done = set_examination_step(
            session, examiner, exhibit_id, ExhibitStatus.FULL_EXAMINATION, TODAY
        )
        with pytest.raises(InvalidInputError) as caught:
            assign_examiner(session, unit["sup.a"], exhibit_id, unit["ofc.a1"].user_id)
        assert caught.value.source == "examiner_id"
        assert [e.id for e in list_queue(session, examiner)] == [exhibit_id]
        assert (
            list_queue(session, unit["ofc.b1"]) == [] and list_queue(session, unit["admin"]) == []
        )
    assert done.triage_runs == ("/cases/EX-1/triage/report.json",)
    assert (
        done.summary.status is ExhibitStatus.FULL_EXAMINATION
        and done.summary.first_exam_on == TODAY
    )
