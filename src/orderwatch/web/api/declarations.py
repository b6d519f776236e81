"""A person's declared devices and accounts, and their visits, as JSON."""

from __future__ import annotations

from fastapi import APIRouter, Response

from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice
from orderwatch.storage import (
    VisitReport,
    add_account,
    add_device,
    get_person,
    record_visit,
    remove_account,
    remove_device,
    schedule_visit,
    update_account,
    update_device,
)
from orderwatch.web.deps import CadenceDep, CurrentUser, DatabaseDep
from orderwatch.web.schemas import (
    AccountIn,
    AccountOut,
    DeviceIn,
    DeviceOut,
    VisitBookingIn,
    VisitIn,
    VisitOut,
)

router = APIRouter()


def _device(body: DeviceIn) -> DeclaredDevice:
    return DeclaredDevice(**body.model_dump())


@router.get("/persons/{person_id}/devices", response_model=list[DeviceOut], tags=["devices"])
def list_devices(
    person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> list[DeviceOut]:
    with database.session() as session:
        file = get_person(session, user.actor, person_id, cadence=cadence)
    return [DeviceOut.model_validate(d) for d in file.devices]


@router.post(
    "/persons/{person_id}/devices", response_model=DeviceOut, status_code=201, tags=["devices"]
)
def declare_device(
    person_id: int, body: DeviceIn, user: CurrentUser, database: DatabaseDep
) -> DeviceOut:
    with database.session() as session:
        device = add_device(session, user.actor, person_id, _device(body))
    return DeviceOut.model_validate(device)


@router.put("/devices/{device_id}", response_model=DeviceOut, tags=["devices"])
def change_device(
    device_id: int, body: DeviceIn, user: CurrentUser, database: DatabaseDep
) -> DeviceOut:
    with database.session() as session:
        device = update_device(session, user.actor, device_id, _device(body))
    return DeviceOut.model_validate(device)


@router.delete("/devices/{device_id}", status_code=204, tags=["devices"])
def delete_device(device_id: int, user: CurrentUser, database: DatabaseDep) -> Response:
    with database.session() as session:
        remove_device(session, user.actor, device_id)
    return Response(status_code=204)


@router.get("/persons/{person_id}/accounts", response_model=list[AccountOut], tags=["accounts"])
def list_accounts(
    person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> list[AccountOut]:
    with database.session() as session:
        file = get_person(session, user.actor, person_id, cadence=cadence)
    return [AccountOut.model_validate(a) for a in file.accounts]


@router.post(
    "/persons/{person_id}/accounts", response_model=AccountOut, status_code=201, tags=["accounts"]
)
def declare_account(
    person_id: int, body: AccountIn, user: CurrentUser, database: DatabaseDep
) -> AccountOut:
    with database.session() as session:
        account = add_account(
            session, user.actor, person_id, DeclaredAccount(body.service, body.identifier)
        )
    return AccountOut.model_validate(account)


@router.put("/accounts/{account_id}", response_model=AccountOut, tags=["accounts"])
def change_account(
    account_id: int, body: AccountIn, user: CurrentUser, database: DatabaseDep
) -> AccountOut:
    with database.session() as session:
        account = update_account(
            session, user.actor, account_id, DeclaredAccount(body.service, body.identifier)
        )
    return AccountOut.model_validate(account)


@router.delete("/accounts/{account_id}", status_code=204, tags=["accounts"])
def delete_account(account_id: int, user: CurrentUser, database: DatabaseDep) -> Response:
    with database.session() as session:
        remove_account(session, user.actor, account_id)
    return Response(status_code=204)


@router.get("/persons/{person_id}/visits", response_model=list[VisitOut], tags=["visits"])
def list_visits(
    person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> list[VisitOut]:
    """Booked and made visits, newest due date first."""
    with database.session() as session:
        file = get_person(session, user.actor, person_id, cadence=cadence)
    return [VisitOut.model_validate(v) for v in file.visits]


@router.post(
    "/persons/{person_id}/visits", response_model=VisitOut, status_code=201, tags=["visits"]
)
def record(person_id: int, body: VisitIn, user: CurrentUser, database: DatabaseDep) -> VisitOut:
    """Record a visit made (completes `visit_id`, or the earliest booked visit, or adds one)."""
    report = VisitReport(body.done_on, body.outcome, tuple(body.devices_inspected), body.notes)
    with database.session() as session:
        visit = record_visit(session, user.actor, person_id, report, visit_id=body.visit_id)
    return VisitOut.model_validate(visit)


@router.post(
    "/persons/{person_id}/visits/booked",
    response_model=VisitOut,
    status_code=201,
    tags=["visits"],
)
def book(
    person_id: int, body: VisitBookingIn, user: CurrentUser, database: DatabaseDep
) -> VisitOut:
    """Book a visit for a date (it can bring the due date forward, never postpone it)."""
    with database.session() as session:
        visit = schedule_visit(session, user.actor, person_id, body.due_on)
    return VisitOut.model_validate(visit)
