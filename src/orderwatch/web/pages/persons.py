"""The person page and the forms that create and edit a person and their order."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from orderwatch.domain.access import PersonReach, Role, can_edit_person
from orderwatch.domain.caseload import ManagementLevel, OrderKind, RiskLevel
from orderwatch.domain.errors import InvalidInputError, PermissionDeniedError
from orderwatch.storage import (
    Database,
    PersonFile,
    UserAccount,
    create_person,
    delete_person,
    get_person,
    list_assignable_officers,
    list_examiners,
    remove_order,
    set_order,
    update_person,
)
from orderwatch.web.deps import CadenceDep, CurrentUser, DatabaseDep, EditorUser, FormDep
from orderwatch.web.forms import FormState
from orderwatch.web.pages.alerts import monitoring_block
from orderwatch.web.pages.inputs import (
    condition_choices,
    order_values,
    person_values,
    place_storage_error,
    read_order,
    read_person,
)
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

# Messages shown after a change (the redirect names one, so nothing is kept between requests).
DONE_MESSAGES = {
    "person-created": "Person added.",
    "person-saved": "Details saved.",
    "order-saved": "Order saved.",
    "order-removed": "Order removed.",
    "device-added": "Device declared.",
    "device-saved": "Device saved.",
    "device-removed": "Device removed.",
    "account-added": "Account declared.",
    "account-saved": "Account saved.",
    "account-removed": "Account removed.",
    "visit-recorded": "Visit recorded.",
    "visit-booked": "Visit booked.",
}


def redirect_done(path: str, what: str) -> RedirectResponse:
    """Post/redirect/get: back to a page that shows what was done."""
    return RedirectResponse(f"{path}?done={what}", status_code=303)


def may_edit(user: UserAccount, file: PersonFile) -> bool:
    """Whether to offer the edit forms (the repositories check again on submit)."""
    person = file.person
    reach = PersonReach(
        person.officer.id, person.team_id, frozenset(e.id for e in person.examiners)
    )
    return can_edit_person(user.actor, reach)


def load_for_edit(
    database: Database, user: UserAccount, person_id: int, cadence: CadenceDep
) -> PersonFile:
    """The person's file for an edit form: 404 outside reach, 403 for view-only users."""
    with database.session() as session:
        file = get_person(session, user.actor, person_id, cadence=cadence)
    if not may_edit(user, file):
        raise PermissionDeniedError("you may view this person but not change their record")
    return file


@router.get("/persons/{person_id:int}")
def person_page(
    request: Request,
    person_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    done: str = "",
) -> Response:
    """Details, the order and its conditions, devices, accounts and visits (viewing is audited)."""
    today = date.today()
    with database.session() as session:
        file = get_person(session, user.actor, person_id, cadence=cadence, today=today)
        monitoring = monitoring_block(session, user.actor, person_id)
    devices = {d.id: d for d in file.devices}
    context = {
        "monitoring": monitoring,
        "title": f"{file.person.reference} {file.person.full_name}",
        "file": file,
        "person": file.person,
        "devices_by_id": devices,
        "order_status": file.order.status(today) if file.order else None,
        "editable": may_edit(user, file),
        "flash": DONE_MESSAGES.get(done),
        "today": today,
    }
    return render(request, "person.html", context)


def _person_form(
    request: Request,
    database: Database,
    user: UserAccount,
    form: FormState,
    person_id: int | None,
    status: int = 200,
) -> Response:
    with database.read_session() as session:
        officers = list_assignable_officers(session, user.actor)
        examiners = list_examiners(session, user.actor)
    context = {
        "title": "Edit person" if person_id else "Add a person",
        "form": form,
        "person_id": person_id,
        "officers": [(str(o.id), f"{o.full_name} ({o.username})") for o in officers],
        "examiners": examiners,
        "risks": [(r.value, r.value.replace("_", " ")) for r in RiskLevel],
        "managements": [(m.value, m.value) for m in ManagementLevel],
    }
    return render(request, "person_form.html", context, status)


@router.get("/persons/new")
def new_person_form(request: Request, user: EditorUser, database: DatabaseDep) -> Response:
    values = {
        "risk_level": RiskLevel.MEDIUM.value,
        "management_level": ManagementLevel.ACTIVE.value,
        "managed_since": date.today().isoformat(),
        "officer_id": str(user.id) if user.role is Role.OFFICER else "",
    }
    return _person_form(request, database, user, FormState(values=values), None)


@router.post("/persons/new")
def create_person_submit(
    request: Request, user: EditorUser, database: DatabaseDep, form: FormDep
) -> Response:
    data = read_person(form)
    if data is not None:
        try:
            with database.session() as session:
                person = create_person(session, user.actor, data)
            return redirect_done(f"/persons/{person.id}", "person-created")
        except InvalidInputError as error:
            place_storage_error(form, error)
    return _person_form(request, database, user, form, None, 422)


@router.get("/persons/{person_id:int}/edit")
def edit_person_form(
    request: Request, person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> Response:
    file = load_for_edit(database, user, person_id, cadence)
    return _person_form(request, database, user, person_values(file.person), person_id)


@router.post("/persons/{person_id:int}/edit")
def edit_person_submit(
    request: Request,
    person_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    form: FormDep,
) -> Response:
    data = read_person(form)
    if data is not None:
        try:
            with database.session() as session:
                update_person(session, user.actor, person_id, data)
            return redirect_done(f"/persons/{person_id}", "person-saved")
        except InvalidInputError as error:
            place_storage_error(form, error)
    load_for_edit(database, user, person_id, cadence)  # 404/403 before showing anything
    return _person_form(request, database, user, form, person_id, 422)


@router.post("/persons/{person_id:int}/delete")
def delete_person_submit(person_id: int, user: CurrentUser, database: DatabaseDep) -> Response:
    with database.session() as session:
        delete_person(session, user.actor, person_id)
    return RedirectResponse("/caseload", status_code=303)


def _order_form(request: Request, file: PersonFile, form: FormState, status: int = 200) -> Response:
    context = {
        "title": f"Order for {file.person.reference}",
        "person": file.person,
        "has_order": file.order is not None,
        "form": form,
        "kinds": [(k.value, k.value) for k in OrderKind],
        "conditions": condition_choices(),
    }
    return render(request, "order_form.html", context, status)


@router.get("/persons/{person_id:int}/order")
def order_form(
    request: Request, person_id: int, user: CurrentUser, database: DatabaseDep, cadence: CadenceDep
) -> Response:
    """Create the person's order, or edit the one they have (with its conditions)."""
    file = load_for_edit(database, user, person_id, cadence)
    return _order_form(request, file, order_values(file.order))


@router.post("/persons/{person_id:int}/order")
def order_submit(
    request: Request,
    person_id: int,
    user: CurrentUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    form: FormDep,
) -> Response:
    order = read_order(form)
    if order is not None:
        try:
            with database.session() as session:
                set_order(session, user.actor, person_id, order)
            return redirect_done(f"/persons/{person_id}", "order-saved")
        except InvalidInputError as error:
            place_storage_error(form, error)
    file = load_for_edit(database, user, person_id, cadence)
    return _order_form(request, file, form, 422)


@router.post("/persons/{person_id:int}/order/delete")
def order_delete(person_id: int, user: CurrentUser, database: DatabaseDep) -> Response:
    with database.session() as session:
        remove_order(session, user.actor, person_id)
    return redirect_done(f"/persons/{person_id}", "order-removed")
