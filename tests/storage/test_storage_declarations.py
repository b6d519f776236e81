from __future__ import annotations

from datetime import date

import pytest
from storage_unit import Unit

from orderwatch.domain.caseload import OrderKind, OrderStatus
from orderwatch.domain.conditions import ConditionType, parse_condition
from orderwatch.domain.errors import InvalidInputError, NotFoundError
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.storage import (
    add_account,
    add_device,
    get_person,
    list_audit,
    remove_account,
    remove_device,
    remove_order,
    set_order,
    update_account,
    update_device,
)

CONDITIONS = (
    parse_condition({"type": "declare_devices", "within_days": 5}),
    parse_condition({"type": "prohibited_words", "words": ["example-banned-word"]}),
    parse_condition({"type": "prohibited_apps_or_sites", "apps": ["Kik"], "domains": ["x.test"]}),
)


def test_set_and_replace_order_keeps_typed_conditions(unit: Unit) -> None:
    officer, person_id = unit["ofc.a1"], unit.persons["ofc.a1"]
    first = OrderRecord(
        OrderKind.SHPO, "Demo Crown Court", date(2023, 5, 10), date(2028, 5, 9), CONDITIONS
    )
    with unit.database.session() as session:
        stored = set_order(session, officer, person_id, first)
        replaced = set_order(
            session,
            officer,
            person_id,
            OrderRecord(OrderKind.BAIL, None, date(2025, 1, 1), None, ()),
        )
        file = get_person(session, officer, person_id)
        audit = list_audit(session, unit["auditor"], entity="order")
    assert stored.conditions == CONDITIONS
    assert stored.conditions[0].integer("within_days") == 5
    assert stored.conditions[2].strings("domains") == ("x.test",)
    assert stored.status(date(2028, 4, 1)) is OrderStatus.EXPIRING_SOON
    assert replaced.id == stored.id and file.order == replaced
    assert (
        file.order is not None and file.order.kind is OrderKind.BAIL and file.order.conditions == ()
    )
    assert [a.action for a in audit] == ["update", "create"]
    assert audit[1].detail["conditions"] == [c.type.value for c in CONDITIONS]


def test_order_checks(unit: Unit) -> None:
    officer, person_id = unit["ofc.a1"], unit.persons["ofc.a1"]
    twice = (parse_condition({"type": "retain_history"}),) * 2
    with unit.database.session() as session:
        with pytest.raises(InvalidInputError, match="expires before it was made"):
            set_order(
                session,
                officer,
                person_id,
                OrderRecord(OrderKind.SHPO, None, date(2025, 1, 1), date(2024, 1, 1), ()),
            )
        with pytest.raises(InvalidInputError, match="appears twice"):
            set_order(
                session,
                officer,
                person_id,
                OrderRecord(OrderKind.SHPO, None, date(2025, 1, 1), None, twice),
            )
        with pytest.raises(InvalidInputError, match="no order to remove"):
            remove_order(session, officer, person_id)
        set_order(
            session,
            officer,
            person_id,
            OrderRecord(OrderKind.SOPO, None, date(2025, 1, 1), None, ()),
        )
        remove_order(session, officer, person_id)
        assert get_person(session, officer, person_id).order is None


def test_devices_add_update_remove(unit: Unit) -> None:
    officer, person_id = unit["ofc.a1"], unit.persons["ofc.a1"]
    laptop = DeclaredDevice(
        "laptop", make="Dell", model="Latitude 5420", serial=" 7XK2Q53 ", mac=""
    )
    with unit.database.session() as session:
        stored = add_device(session, officer, person_id, laptop)
        assert (stored.serial, stored.mac, stored.imei) == ("7XK2Q53", None, None)
        assert stored.as_declared().model == "Latitude 5420"
        moved = update_device(
            session,
            officer,
            stored.id,
            DeclaredDevice("laptop", model="Latitude 5420", serial="NEW1"),
        )
        assert (moved.id, moved.serial, moved.make) == (stored.id, "NEW1", None)
        with pytest.raises(InvalidInputError, match="at least one of serial"):
            add_device(session, officer, person_id, DeclaredDevice("phone", make="Nokia"))
        # Another officer: the device does not exist for them.
        with pytest.raises(NotFoundError, match=f"no declared device {stored.id}"):
            remove_device(session, unit["ofc.b1"], stored.id)
        remove_device(session, officer, stored.id)
        assert get_person(session, officer, person_id).devices == ()
        actions = [a.action for a in list_audit(session, unit["auditor"], entity="device")]
    assert actions == ["delete", "update", "create"]


def test_accounts_add_update_remove(unit: Unit) -> None:
    officer, person_id = unit["ofc.a1"], unit.persons["ofc.a1"]
    with unit.database.session() as session:
        mail = add_account(session, officer, person_id, DeclaredAccount(" email ", "p@example.org"))
        other = add_account(session, officer, person_id, DeclaredAccount("facebook", "p.79"))
        assert (mail.service, mail.identifier) == ("email", "p@example.org")
        with pytest.raises(InvalidInputError, match="already declared"):
            add_account(session, officer, person_id, DeclaredAccount("email", "p@example.org"))
        with pytest.raises(InvalidInputError, match="already declared"):
            update_account(session, officer, other.id, DeclaredAccount("email", "p@example.org"))
        changed = update_account(session, officer, other.id, DeclaredAccount("facebook", "p.80"))
        assert changed.identifier == "p.80"
        with pytest.raises(NotFoundError):
            update_account(session, unit["sup.b"], other.id, DeclaredAccount("x", "y"))
        remove_account(session, officer, mail.id)
        accounts = get_person(session, officer, person_id).accounts
    assert [(a.service, a.identifier) for a in accounts] == [("facebook", "p.80")]


def test_condition_types_survive_the_round_trip(unit: Unit) -> None:
    everything = tuple(parse_condition({"type": t.value}) for t in ConditionType)
    officer, person_id = unit["ofc.a1"], unit.persons["ofc.a1"]
    with unit.database.session() as session:
        set_order(
            session,
            officer,
            person_id,
            OrderRecord(OrderKind.SHPO, None, date(2024, 1, 1), None, everything),
        )
        order = get_person(session, officer, person_id).order
    assert order is not None and order.conditions == everything
