"""Forms for a person's declared devices and accounts, and for recording or booking a visit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from orderwatch.domain.caseload import VisitOutcome
from orderwatch.domain.errors import InvalidInputError, NotFoundError
from orderwatch.storage import (
    Database,
    PersonFile,
    add_account,
    add_device,
    record_visit,
    remove_account,
    remove_device,
    schedule_visit,
    update_account,
    update_device,
)
from orderwatch.web.deps import CadenceDep, CurrentUser, DatabaseDep, FormDep
from orderwatch.web.forms import FormState
from orderwatch.web.pages.inputs import (
    DEVICE_TEXT_FIELDS,
    account_values,
    device_values,
    place_storage_error,
    read_account,
    read_device,
    read_visit,
)
from orderwatch.web.pages.persons import load_for_edit, redirect_done
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

DEVICE_KINDS = (
    "laptop",
    "desktop",
    "phone",
    "tablet",
    "usb_storage",
    "external_disk",
    "games_console",
    "smart_tv",
    "router",
    "other",
)


def _save(database: Database, action: Callable[[Any], object], form: FormState) -> bool:
    """Run one storage change in its own unit of work; a validation error goes on the form."""
    try:
        with database.session() as session:
            action(session)
        return True
    except InvalidInputError as error:
        place_storage_error(form, error)
        return False


def _render(
    request: Request, template: str, file: PersonFile, form: FormState, status: int, **extra: Any
) -> Response:
    context = {"person": file.person, "file": file, "form": form, **extra}
    return render(request, template, context, status)


# --- devices --------------------------------------------------------------------------------


def _device_page(
    request: Request, file: PersonFile, form: FormState, device_id: int | None, status: int = 200
) -> Response:
    title = "Edit device" if device_id else "Declare a device"
    return _render(
        request,
        "device_form.html",
        file,
        form,
        status,
        title=title,
        device_id=device_id,
        kinds=[(k, k.replace("_", " ")) for k in DEVICE_KINDS],
        text_fields=DEVICE_TEXT_FIELDS,
    )


@router.get("/persons/{person_id:int}/devices/new")
def new_device_form(
    request: Request, person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> Response:
    file = load_for_edit(database, user, person_id, cadence)
    form = FormState(values={"kind": "phone", "declared_on": date.today().isoformat()})
    return _device_page(request, file, form, None)


@router.post("/persons/{person_id:int}/devices/new")
def new_device_submit(
    request: Request,
    person_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    form: FormDep,
) -> Response:
    device = read_device(form)
    if device is not None and _save(
        database, lambda s: add_device(s, user.actor, person_id, device), form
    ):
        return redirect_done(f"/persons/{person_id}", "device-added")
    file = load_for_edit(database, user, person_id, cadence)
    return _device_page(request, file, form, None, 422)


def _own_device(file: PersonFile, device_id: int) -> FormState:
    for device in file.devices:
        if device.id == device_id:
            return device_values(device)
    raise NotFoundError(f"no declared device {device_id}")


@router.get("/persons/{person_id:int}/devices/{device_id:int}/edit")
def edit_device_form(
    request: Request,
    person_id: int,
    device_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
) -> Response:
    file = load_for_edit(database, user, person_id, cadence)
    return _device_page(request, file, _own_device(file, device_id), device_id)


def _check_owner(person_id: int, owner: int, what: str) -> None:
    if owner != person_id:  # raised inside the unit of work, so the change is rolled back
        raise NotFoundError(f"no {what} for person {person_id}")


@router.post("/persons/{person_id:int}/devices/{device_id:int}/edit")
def edit_device_submit(
    request: Request,
    person_id: int,
    device_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    form: FormDep,
) -> Response:
    device = read_device(form)

    def change(session: Any) -> None:
        assert device is not None
        stored = update_device(session, user.actor, device_id, device)
        _check_owner(person_id, stored.person_id, f"device {device_id}")

    if device is not None and _save(database, change, form):
        return redirect_done(f"/persons/{person_id}", "device-saved")
    file = load_for_edit(database, user, person_id, cadence)
    _own_device(file, device_id)
    return _device_page(request, file, form, device_id, 422)


@router.post("/persons/{person_id:int}/devices/{device_id:int}/delete")
def delete_device_submit(
    person_id: int, device_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> Response:
    file = load_for_edit(database, user, person_id, cadence)
    _own_device(file, device_id)
    with database.session() as session:
        remove_device(session, user.actor, device_id)
    return redirect_done(f"/persons/{person_id}", "device-removed")


# --- accounts -------------------------------------------------------------------------------


def _account_page(
    request: Request, file: PersonFile, form: FormState, account_id: int | None, status: int = 200
) -> Response:
    title = "Edit account" if account_id else "Declare an account"
    return _render(
        request, "account_form.html", file, form, status, title=title, account_id=account_id
    )


def _own_account(file: PersonFile, account_id: int) -> FormState:
    for account in file.accounts:
        if account.id == account_id:
            return account_values(account)
    raise NotFoundError(f"no declared account {account_id}")


@router.get("/persons/{person_id:int}/accounts/new")
def new_account_form(
    request: Request, person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> Response:
    file = load_for_edit(database, user, person_id, cadence)
    return _account_page(request, file, FormState(), None)


@router.post("/persons/{person_id:int}/accounts/new")
def new_account_submit(
    request: Request,
    person_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    form: FormDep,
) -> Response:
    account = read_account(form)
    if account is not None and _save(
        database, lambda s: add_account(s, user.actor, person_id, account), form
    ):
        return redirect_done(f"/persons/{person_id}", "account-added")
    file = load_for_edit(database, user, person_id, cadence)
    return _account_page(request, file, form, None, 422)


@router.get("/persons/{person_id:int}/accounts/{account_id:int}/edit")
def edit_account_form(
    request: Request,
    person_id: int,
    account_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
) -> Response:
    file = load_for_edit(database, user, person_id, cadence)
    return _account_page(request, file, _own_account(file, account_id), account_id)


@router.post("/persons/{person_id:int}/accounts/{account_id:int}/edit")
def edit_account_submit(
    request: Request,
    person_id: int,
    account_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    form: FormDep,
) -> Response:
    account = read_account(form)

    def change(session: Any) -> None:
        assert account is not None
        stored = update_account(session, user.actor, account_id, account)
        _check_owner(person_id, stored.person_id, f"account {account_id}")

    if account is not None and _save(database, change, form):
        return redirect_done(f"/persons/{person_id}", "account-saved")
    file = load_for_edit(database, user, person_id, cadence)
    _own_account(file, account_id)
    return _account_page(request, file, form, account_id, 422)


@router.post("/persons/{person_id:int}/accounts/{account_id:int}/delete")
def delete_account_submit(
    person_id: int, account_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> Response:
    file = load_for_edit(database, user, person_id, cadence)
    _own_account(file, account_id)
    with database.session() as session:
        remove_account(session, user.actor, account_id)
    return redirect_done(f"/persons/{person_id}", "account-removed")


# --- visits ---------------------------------------------------------------------------------


def _visit_page(request: Request, file: PersonFile, form: FormState, status: int = 200) -> Response:
    return _render(
        request,
        "visit_form.html",
        file,
        form,
        status,
        title=f"Record a visit to {file.person.reference}",
        outcomes=[(o.value, o.value.replace("_", " ")) for o in VisitOutcome],
    )


@router.get("/persons/{person_id:int}/visits/new")
def new_visit_form(
    request: Request, person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> Response:
    file = load_for_edit(database, user, person_id, cadence)
    values = {"done_on": date.today().isoformat(), "outcome": VisitOutcome.COMPLETED.value}
    return _visit_page(request, file, FormState(values=values))


@router.post("/persons/{person_id:int}/visits/new")
def new_visit_submit(
    request: Request,
    person_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    form: FormDep,
) -> Response:
    report = read_visit(form)
    if report is not None and _save(
        database, lambda s: record_visit(s, user.actor, person_id, report), form
    ):
        return redirect_done(f"/persons/{person_id}", "visit-recorded")
    file = load_for_edit(database, user, person_id, cadence)
    return _visit_page(request, file, form, 422)


@router.post("/persons/{person_id:int}/visits/book")
def book_visit_submit(
    request: Request,
    person_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    form: FormDep,
) -> Response:
    """Book the next visit for a date (brings the due date forward; never postpones it)."""
    due_on = form.day("due_on", "Visit due on", required=True)
    if due_on is not None and due_on < date.today():
        form.fail("due_on", "Visit due on is in the past; record the visit instead.")
    if (
        due_on is not None
        and form.ok
        and _save(database, lambda s: schedule_visit(s, user.actor, person_id, due_on), form)
    ):
        return redirect_done(f"/persons/{person_id}", "visit-booked")
    file = load_for_edit(database, user, person_id, cadence)
    return _visit_page(request, file, form, 422)
