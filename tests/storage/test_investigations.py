"""Investigations in storage: reach by role, validation by field, audit of reads and writes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from storage_unit import SYSTEM, Unit

from orderwatch.domain.conditions import parse_condition
from orderwatch.domain.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from orderwatch.domain.investigations import (
    BailInput,
    ChargeInput,
    ChargeResult,
    InvestigationInput,
    OffenceInput,
    SafeguardingInput,
    WarrantInput,
)
from orderwatch.domain.investigations_exhibits import ExhibitInput
from orderwatch.storage import get_person, list_audit, update_person
from orderwatch.storage.exhibits import create_exhibit
from orderwatch.storage.investigations import (
    create_investigation,
    delete_investigation,
    get_investigation,
    list_investigations,
    update_investigation,
)
from orderwatch.storage.investigations_parts import (
    Part,
    add_bail,
    add_charge,
    add_offence,
    add_safeguarding,
    add_warrant,
    remove_part,
    set_charge_result,
)

TODAY = date.today()
AGO = TODAY - timedelta(days=20)


def _open(unit: Unit, officer: str = "ofc.a1", **changes: object) -> int:
    values: dict[str, object] = {
        "officer_id": unit[officer].user_id,
        "opened_on": AGO,
        "person_id": unit.persons[officer],
    }
    values.update(changes)
    with unit.database.session() as session:
        return create_investigation(session, unit[officer], InvestigationInput(**values)).id  # type: ignore[arg-type]


def test_open_an_investigation_about_a_managed_person_and_an_unmanaged_suspect(unit: Unit) -> None:
    first = _open(unit)
    second = _open(unit, person_id=None, subject_name="Unmanaged Suspect")
    with unit.database.session() as session:
        one = get_investigation(session, unit["ofc.a1"], first)
        two = get_investigation(session, unit["ofc.a1"], second)
    assert one.reference == f"INV-{AGO.year}-0001" and two.reference == f"INV-{AGO.year}-0002"
    assert one.subject_name == "Person P-A1" and one.person_reference == "P-A1"
    assert two.subject_name == "Unmanaged Suspect" and two.person_id is None
    assert one.officer.username == "ofc.a1"


def test_reach_follows_the_investigating_officer(unit: Unit) -> None:
    investigation = _open(unit)
    with unit.database.session() as session:
        for who in ("ofc.a1", "sup.a"):
            assert get_investigation(session, unit[who], investigation).id == investigation
        for who in ("ofc.a2", "ofc.b1", "sup.b", "exam", "admin", "auditor"):
            with pytest.raises(NotFoundError):
                get_investigation(session, unit[who], investigation)
        assert [i.id for i in list_investigations(session, unit["sup.a"])] == [investigation]
        assert list_investigations(session, unit["sup.b"]) == []
        # an examiner reaches it once the person is assigned to them, but changes nothing
        person = get_person(session, SYSTEM, unit.persons["ofc.a1"]).person
        update_person(
            session,
            SYSTEM,
            person.id,
            person.as_input().__class__(
                **{**person.as_input().__dict__, "examiner_ids": (unit["exam"].user_id,)}
            ),
        )
        assert get_investigation(session, unit["exam"], investigation).id == investigation
        with pytest.raises(PermissionDeniedError):
            add_warrant(session, unit["exam"], investigation, WarrantInput(AGO, "1 Road"))


def test_an_officer_cannot_open_one_for_another_officer_or_persons_out_of_reach(unit: Unit) -> None:
    with unit.database.session() as session, pytest.raises(InvalidInputError) as caught:
        create_investigation(
            session,
            unit["ofc.a1"],
            InvestigationInput(unit["ofc.a2"].user_id or 0, AGO, subject_name="X"),
        )
    assert caught.value.source == "officer_id"
    with unit.database.session() as session, pytest.raises(InvalidInputError) as caught:
        create_investigation(
            session,
            unit["ofc.a1"],
            InvestigationInput(unit["ofc.a1"].user_id or 0, AGO, person_id=unit.persons["ofc.b1"]),
        )
    assert caught.value.source == "person_id"


BAD_DETAILS: list[tuple[dict[str, object], str, str]] = [
    ({"person_id": None, "subject_name": " "}, "person_id", "name the subject"),
    ({"opened_on": TODAY + timedelta(days=2)}, "opened_on", "in the future"),
    ({"closed_on": AGO - timedelta(days=1)}, "closed_on", "closed before it was opened"),
    ({"reference": "bad ref!"}, "reference", "letters, digits"),
]


def test_bad_details_name_the_field(unit: Unit) -> None:
    for changes, field, words in BAD_DETAILS:
        with pytest.raises(InvalidInputError) as caught:
            _open(unit, **changes)
        assert caught.value.source == field and words in str(caught.value), changes


def test_records_are_checked_added_removed_and_audited(unit: Unit) -> None:
    investigation = _open(unit)
    officer = unit["ofc.a1"]
    with unit.database.session() as session:
        with pytest.raises(InvalidInputError) as caught:
            add_warrant(
                session,
                officer,
                investigation,
                WarrantInput(AGO, "1 Road", AGO - timedelta(days=1)),
            )
        assert caught.value.source == "executed_on"
        with pytest.raises(InvalidInputError) as caught:
            add_safeguarding(session, officer, investigation, SafeguardingInput(AGO, -1))
        assert caught.value.source == "children"
        warrant = add_warrant(session, officer, investigation, WarrantInput(AGO, "1 Road", AGO))
        offence = add_offence(
            session, officer, investigation, OffenceInput("breach_shpo", AGO, True)
        )
        charge = add_charge(session, officer, investigation, ChargeInput(AGO, offence))
        add_safeguarding(session, officer, investigation, SafeguardingInput(AGO, 3, "no names"))
        conditions = (parse_condition({"type": "no_contact_with_children"}),)
        add_bail(
            session, officer, investigation, BailInput(AGO, conditions, AGO + timedelta(days=28))
        )
        with pytest.raises(InvalidInputError) as caught:
            set_charge_result(session, officer, investigation, charge, ChargeResult.CONVICTED, None)
        assert caught.value.source == "result_on"
        set_charge_result(session, officer, investigation, charge, ChargeResult.CONVICTED, TODAY)
        remove_part(session, officer, investigation, Part.WARRANT, warrant)
        with pytest.raises(NotFoundError):
            remove_part(session, officer, investigation, Part.WARRANT, warrant)
        whole = get_investigation(session, unit["sup.a"], investigation)
        log = list_audit(session, SYSTEM, entity="investigation", entity_id=investigation)
    assert whole.warrants == () and whole.children_safeguarded == 3
    assert (
        whole.offences[0].label == "Breach of a Sexual Harm Prevention Order"
        and whole.offences[0].breach
    )
    assert whole.charges[0].result is ChargeResult.CONVICTED and whole.charges[0].result_on == TODAY
    assert whole.bail[0].conditions == conditions
    actions = [e.action for e in reversed(log)]
    assert actions == [
        "create",
        "add_warrant",
        "add_offence",
        "add_charge",
        "add_safeguarding",
        "add_bail",
        "charge_result",
        "remove_warrant",
        "view",
    ]
    assert log[0].username == "sup.a"  # the supervisor's view is recorded too


def test_an_investigation_with_exhibits_cannot_be_deleted(unit: Unit) -> None:
    kept, empty = _open(unit), _open(unit)
    with unit.database.session() as session:
        create_exhibit(session, unit["ofc.a1"], kept, ExhibitInput("Phone", "phone", AGO, "DC A1"))
        with pytest.raises(InvalidInputError) as caught:
            delete_investigation(session, unit["ofc.a1"], kept)
        assert "custody is kept" in str(caught.value)
        delete_investigation(session, unit["ofc.a1"], empty)
        remaining = [i.id for i in list_investigations(session, unit["ofc.a1"])]
    assert remaining == [kept]


def test_update_lists_what_changed(unit: Unit) -> None:
    investigation = _open(unit)
    with unit.database.session() as session:
        update_investigation(
            session,
            unit["sup.a"],
            investigation,
            InvestigationInput(
                unit["ofc.a2"].user_id or 0,
                AGO,
                person_id=unit.persons["ofc.a1"],
                outcome=None,
                closed_on=TODAY,
            ),
        )
        whole = get_investigation(session, unit["ofc.a2"], investigation)
        (entry,) = list_audit(
            session, SYSTEM, entity="investigation", entity_id=investigation, limit=3
        )[1:2]
    assert whole.officer.username == "ofc.a2" and whole.closed_on == TODAY
    assert entry.action == "update"
    assert entry.detail["changed"]["officer_id"] == [unit["ofc.a1"].user_id, unit["ofc.a2"].user_id]
