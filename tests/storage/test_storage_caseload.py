from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import pytest
from sqlalchemy.orm import Session
from storage_unit import SYSTEM, Unit, person_input

from orderwatch.domain.caseload import (
    ManagementLevel,
    OrderKind,
    RiskLevel,
    VisitCadence,
    VisitOutcome,
)
from orderwatch.domain.errors import InvalidInputError, PermissionDeniedError
from orderwatch.domain.orderfile import OrderRecord
from orderwatch.storage import (
    VisitReport,
    create_person,
    list_caseload,
    record_visit,
    register_open_alert_counter,
    set_order,
    team_caseload,
)
from orderwatch.storage.caseload import unregister_open_alert_counter

TODAY = date(2024, 6, 1)


def _seed(unit: Unit) -> None:
    """Officer a1 gets four more persons with different risks and visit histories."""
    a1 = unit["ofc.a1"]
    with unit.database.session() as session:
        specs = [
            ("V-1", RiskLevel.VERY_HIGH, ManagementLevel.ACTIVE, date(2024, 5, 20)),  # due 06-17
            ("V-2", RiskLevel.LOW, ManagementLevel.ACTIVE, date(2023, 1, 1)),  # due 2024-01-01
            ("V-3", RiskLevel.MEDIUM, ManagementLevel.ACTIVE, date(2024, 2, 1)),  # due 05-23
            ("V-4", RiskLevel.LOW, ManagementLevel.REACTIVE, None),  # never due
        ]
        for ref, risk, management, visited in specs:
            person = create_person(
                session,
                a1,
                person_input(ref, a1.user_id or 0, risk_level=risk, management_level=management),
            )
            if visited:
                record_visit(session, a1, person.id, VisitReport(visited, VisitOutcome.COMPLETED))
        set_order(
            session,
            a1,
            unit.persons["ofc.a1"],
            OrderRecord(OrderKind.SHPO, None, date(2023, 1, 1), date(2028, 1, 1), ()),
        )


def test_overdue_first_then_by_due_date(unit: Unit) -> None:
    _seed(unit)
    with unit.database.read_session() as session:
        entries = list_caseload(session, unit["ofc.a1"], today=TODAY)
    # P-A1: high, no visit, managed since 2024-01-01 -> due 2024-02-26 (96 days overdue)
    assert [(e.reference, e.next_visit_due, e.overdue_days) for e in entries] == [
        ("V-2", date(2024, 1, 1), 152),
        ("P-A1", date(2024, 2, 26), 96),
        ("V-3", date(2024, 5, 23), 9),
        ("V-1", date(2024, 6, 17), 0),
        ("V-4", None, 0),
    ]
    first = entries[1]
    assert (first.order_kind, first.order_expires, first.last_visit) == (
        OrderKind.SHPO,
        date(2028, 1, 1),
        None,
    )
    assert entries[0].last_visit == date(2023, 1, 1) and entries[0].open_alerts == 0


def test_configured_cadence_is_used(unit: Unit) -> None:
    cadence = VisitCadence({"very_high": 7, "high": 10, "medium": 30, "low": 90})
    with unit.database.read_session() as session:
        entries = list_caseload(session, unit["ofc.a1"], cadence=cadence, today=TODAY)
    assert entries[0].next_visit_due == date(2024, 1, 11)


def test_officer_filter_stays_within_reach(unit: Unit) -> None:
    with unit.database.read_session() as session:
        a2 = unit["ofc.a2"].user_id
        assert [e.reference for e in list_caseload(session, unit["sup.a"], officer_id=a2)] == [
            "P-A2"
        ]
        assert list_caseload(session, unit["sup.b"], officer_id=a2) == []


def test_team_view_summarises_each_officer(unit: Unit) -> None:
    _seed(unit)
    with unit.database.read_session() as session:
        team = team_caseload(session, unit["sup.a"], today=TODAY)
        other = team_caseload(session, SYSTEM, team_id=unit["sup.b"].team_id, today=TODAY)
        for name in ("ofc.a1", "exam", "admin", "auditor"):
            with pytest.raises(PermissionDeniedError):
                team_caseload(session, unit[name])
        with pytest.raises(InvalidInputError, match="own team only"):
            team_caseload(session, unit["sup.a"], team_id=unit["sup.b"].team_id)
    assert team.team.name == "Team A"
    summary = {
        s.officer.username: (s.persons, s.overdue, s.very_high, s.high) for s in team.officers
    }
    assert summary == {"ofc.a1": (5, 3, 1, 1), "ofc.a2": (1, 1, 0, 1)}
    assert len(team.entries) == 6 and team.entries[0].reference == "V-2"
    assert [e.reference for e in other.entries] == ["P-B1"]


def test_open_alert_counters_fill_the_column(unit: Unit) -> None:
    calls: list[Sequence[int]] = []
    target = unit.persons["ofc.a1"]

    def counter(session: Session, person_ids: Sequence[int]) -> Mapping[int, int]:
        calls.append(person_ids)
        return {target: 3}

    register_open_alert_counter(counter)
    try:
        with unit.database.read_session() as session:
            entries = list_caseload(session, unit["sup.a"], today=TODAY)
            team = team_caseload(session, unit["sup.a"], today=TODAY)
    finally:
        unregister_open_alert_counter(counter)
    assert {e.reference: e.open_alerts for e in entries} == {"P-A1": 3, "P-A2": 0}
    assert sorted(calls[0]) == sorted([unit.persons["ofc.a1"], unit.persons["ofc.a2"]])
    assert len(calls) == 2  # once per listing, never once per person
    assert {s.officer.username: s.open_alerts for s in team.officers} == {"ofc.a1": 3, "ofc.a2": 0}
