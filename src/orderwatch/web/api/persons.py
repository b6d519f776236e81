"""Managed persons and their orders as JSON. Outside the caller's reach a person is a 404."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Response

from orderwatch.domain.conditions import ConditionError, parse_condition
from orderwatch.domain.errors import InvalidInputError, NotFoundError, Problem
from orderwatch.domain.orderfile import OrderRecord
from orderwatch.storage import (
    PersonInput,
    create_person,
    delete_person,
    get_person,
    list_caseload,
    remove_order,
    set_order,
    update_person,
)
from orderwatch.web.deps import CadenceDep, CaseworkUser, CurrentUser, DatabaseDep
from orderwatch.web.schemas import (
    CaseloadEntryOut,
    OrderIn,
    OrderOut,
    PersonFileOut,
    PersonIn,
    PersonOut,
    order_out,
    person_file_out,
)

router = APIRouter(tags=["persons"])


def person_input(body: PersonIn) -> PersonInput:
    return PersonInput(
        reference=body.reference,
        full_name=body.full_name,
        risk_level=body.risk_level,
        management_level=body.management_level,
        officer_id=body.officer_id,
        managed_since=body.managed_since,
        date_of_birth=body.date_of_birth,
        address=body.address,
        aliases=tuple(body.aliases),
        examiner_ids=tuple(body.examiner_ids),
    )


def order_record(body: OrderIn) -> OrderRecord:
    """The domain order; a bad condition is a 422 naming its place in the list."""
    conditions = []
    problems = []
    for index, item in enumerate(body.conditions):
        try:
            conditions.append(parse_condition({**item.params, "type": item.type.value}))
        except ConditionError as error:
            problems.append(Problem(0, f"conditions[{index}]: {error}"))
    if problems:
        raise InvalidInputError("conditions", problems)
    return OrderRecord(body.kind, body.court, body.made, body.expires, tuple(conditions))


@router.get("/persons", response_model=list[CaseloadEntryOut])
def list_persons(
    user: CaseworkUser, database: DatabaseDep, cadence: CadenceDep
) -> list[CaseloadEntryOut]:
    """Every person in the caller's reach (the caseload, in caseload order)."""
    with database.read_session() as session:
        entries = list_caseload(session, user.actor, cadence=cadence, today=date.today())
    return [CaseloadEntryOut.model_validate(e) for e in entries]


@router.post("/persons", response_model=PersonOut, status_code=201)
def create(body: PersonIn, user: CurrentUser, database: DatabaseDep) -> PersonOut:
    with database.session() as session:
        person = create_person(session, user.actor, person_input(body))
    return PersonOut.model_validate(person)


@router.get("/persons/{person_id}", response_model=PersonFileOut)
def read(
    person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> PersonFileOut:
    """The whole record: details, order, devices, accounts, visits, next visit due (audited)."""
    today = date.today()
    with database.session() as session:
        file = get_person(session, user.actor, person_id, cadence=cadence, today=today)
    return person_file_out(file, today)


@router.put("/persons/{person_id}", response_model=PersonOut)
def replace(person_id: int, body: PersonIn, user: CurrentUser, database: DatabaseDep) -> PersonOut:
    with database.session() as session:
        person = update_person(session, user.actor, person_id, person_input(body))
    return PersonOut.model_validate(person)


@router.delete("/persons/{person_id}", status_code=204)
def delete(person_id: int, user: CurrentUser, database: DatabaseDep) -> Response:
    with database.session() as session:
        delete_person(session, user.actor, person_id)
    return Response(status_code=204)


@router.get("/persons/{person_id}/order", response_model=OrderOut)
def read_order(
    person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> OrderOut:
    today = date.today()
    with database.session() as session:
        file = get_person(session, user.actor, person_id, cadence=cadence, today=today)
    if file.order is None:
        raise NotFoundError(f"person {person_id} has no order")
    return order_out(file.order, today)


@router.put("/persons/{person_id}/order", response_model=OrderOut)
def put_order(person_id: int, body: OrderIn, user: CurrentUser, database: DatabaseDep) -> OrderOut:
    """Set or replace the person's order and its conditions."""
    record = order_record(body)
    with database.session() as session:
        order = set_order(session, user.actor, person_id, record)
    return order_out(order, date.today())


@router.delete("/persons/{person_id}/order", status_code=204)
def delete_order(person_id: int, user: CurrentUser, database: DatabaseDep) -> Response:
    with database.session() as session:
        remove_order(session, user.actor, person_id)
    return Response(status_code=204)
