"""Investigation pages: the list, open/edit forms, and the investigation page whose sections
(referrals, warrants, arrests, offences, charges, safeguarding, bail) each take their own form.
A form that fails comes back in place with its errors beside the fields (422), never a 500.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from orderwatch.domain.conditions import CONDITION_LABELS, ConditionType
from orderwatch.domain.errors import InvalidInputError, NotFoundError
from orderwatch.domain.investigations import (
    ChargeResult,
    InvestigationOutcome,
    OffenceTypes,
    ReferralSource,
    load_offence_types,
)
from orderwatch.settings import Settings
from orderwatch.storage import Database, UserAccount, list_assignable_officers, list_caseload
from orderwatch.storage import investigations_parts as parts
from orderwatch.storage.investigations import (
    create_investigation,
    delete_investigation,
    get_investigation,
    list_investigations,
    update_investigation,
)
from orderwatch.storage.investigations_access import may_edit_investigations
from orderwatch.storage.investigations_parts import Part
from orderwatch.storage.investigations_records import Investigation
from orderwatch.web.deps import CaseworkUser, DatabaseDep, EditorUser, FormDep, SettingsDep
from orderwatch.web.forms import FormState
from orderwatch.web.pages.inputs import condition_choices, place_storage_error
from orderwatch.web.pages.investigations_forms import READERS, read_investigation, read_offence
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

OFFENCE_TYPES_FILE = "offence_types.yaml"
ADDERS: dict[Part, Any] = {
    Part.REFERRAL: parts.add_referral,
    Part.WARRANT: parts.add_warrant,
    Part.ARREST: parts.add_arrest,
    Part.CHARGE: parts.add_charge,
    Part.SAFEGUARDING: parts.add_safeguarding,
    Part.BAIL: parts.add_bail,
}
DONE = {
    "opened": "Investigation opened.",
    "saved": "Details saved.",
    "added": "Added.",
    "removed": "Removed.",
    "result": "Court result recorded.",
    "exhibit": "Exhibit booked in; its seizure is the first entry of its chain of custody.",
}


def offence_types(settings: Settings) -> OffenceTypes:
    """The unit's edited list when the data dir holds one, else the shipped list."""
    edited = Path(settings.data_dir) / OFFENCE_TYPES_FILE
    return load_offence_types(edited if edited.is_file() else None)


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(e.value, e.label) for e in enum]


def _part_defaults() -> dict[str, FormState]:
    today = date.today().isoformat()
    day_fields = {
        Part.REFERRAL: "received_on",
        Part.WARRANT: "applied_on",
        Part.ARREST: "arrested_on",
        Part.OFFENCE: "identified_on",
        Part.CHARGE: "charged_on",
        Part.SAFEGUARDING: "recorded_on",
        Part.BAIL: "granted_on",
    }
    return {p.value: FormState(values={field: today}) for p, field in day_fields.items()}


def _investigation_page(
    request: Request,
    user: UserAccount,
    inv: Investigation,
    types: OffenceTypes,
    *,
    failed: tuple[Part, FormState] | None = None,
    done: str = "",
) -> Response:
    forms = _part_defaults()
    if failed is not None:
        forms[failed[0].value] = failed[1]
    context = {
        "title": f"{inv.reference} {inv.subject_name}",
        "inv": inv,
        "editable": may_edit_investigations(user.actor),
        "forms": forms,
        "open_part": failed[0].value if failed else None,
        "offence_types": [(t.key, t.label) for t in types.types],
        "online_types": [t.key for t in types.types if t.online],
        "breach_conditions": [("", "—")] + [(c.value, CONDITION_LABELS[c]) for c in ConditionType],
        "sources": _choices(ReferralSource),
        "results": _choices(ChargeResult),
        "offences": [("", "—")]
        + [(str(o.id), f"{o.label} ({o.identified_on})") for o in inv.offences],
        "conditions": condition_choices(),
        "flash": DONE.get(done),
        "today": date.today(),
    }
    return render(request, "investigation.html", context, 422 if failed else 200)


@router.get("/investigations")
def investigations_page(
    request: Request, user: CaseworkUser, database: DatabaseDep, show: str = "open"
) -> Response:
    """Investigations in reach, newest first (open ones unless asked for all)."""
    with database.read_session() as session:
        rows = list_investigations(session, user.actor, open_only=show != "all")
    context = {
        "title": "Investigations",
        "rows": rows,
        "show": show,
        "can_open": may_edit_investigations(user.actor),
    }
    return render(request, "investigations.html", context)


def _details_form(
    request: Request,
    database: Database,
    user: UserAccount,
    form: FormState,
    investigation_id: int | None,
    status: int = 200,
) -> Response:
    with database.read_session() as session:
        officers = list_assignable_officers(session, user.actor)
        persons = list_caseload(session, user.actor)
    context = {
        "title": "Edit investigation" if investigation_id else "Open an investigation",
        "form": form,
        "investigation_id": investigation_id,
        "officers": [(str(o.id), f"{o.full_name} ({o.username})") for o in officers],
        "persons": [("", "— not a managed person —")]
        + [(str(p.person_id), f"{p.reference} {p.full_name}") for p in persons],
        "outcomes": [("", "ongoing"), *_choices(InvestigationOutcome)],
    }
    return render(request, "investigation_form.html", context, status)


@router.get("/investigations/new")
def new_investigation_form(
    request: Request, user: EditorUser, database: DatabaseDep, person_id: int | None = None
) -> Response:
    values = {
        "opened_on": date.today().isoformat(),
        "officer_id": str(user.id) if user.role.value == "officer" else "",
        "person_id": str(person_id or ""),
    }
    return _details_form(request, database, user, FormState(values=values), None)


@router.post("/investigations/new")
def create_investigation_submit(
    request: Request, user: EditorUser, database: DatabaseDep, form: FormDep
) -> Response:
    data = read_investigation(form)
    if data is not None:
        try:
            with database.session() as session:
                inv = create_investigation(session, user.actor, data)
            return RedirectResponse(f"/investigations/{inv.id}?done=opened", status_code=303)
        except InvalidInputError as error:
            place_storage_error(form, error)
    return _details_form(request, database, user, form, None, 422)


@router.get("/investigations/{investigation_id:int}")
def investigation_page(
    request: Request,
    investigation_id: int,
    user: CaseworkUser,
    database: DatabaseDep,
    settings: SettingsDep,
    done: str = "",
) -> Response:
    """Everything the investigation holds, with a form per section (viewing is audited)."""
    types = offence_types(settings)
    with database.session() as session:
        inv = get_investigation(session, user.actor, investigation_id, types)
    return _investigation_page(request, user, inv, types, done=done)


def _values(inv: Investigation) -> FormState:
    return FormState(
        values={
            "reference": inv.reference,
            "person_id": str(inv.person_id or ""),
            "subject_name": "" if inv.person_id else inv.subject_name,
            "officer_id": str(inv.officer.id),
            "opened_on": inv.opened_on.isoformat(),
            "summary": inv.summary or "",
            "outcome": inv.outcome.value if inv.outcome else "",
            "outcome_on": inv.outcome_on.isoformat() if inv.outcome_on else "",
            "closed_on": inv.closed_on.isoformat() if inv.closed_on else "",
        }
    )


@router.get("/investigations/{investigation_id:int}/edit")
def edit_investigation_form(
    request: Request, investigation_id: int, user: EditorUser, database: DatabaseDep
) -> Response:
    with database.session() as session:
        inv = get_investigation(session, user.actor, investigation_id)
    return _details_form(request, database, user, _values(inv), investigation_id)


@router.post("/investigations/{investigation_id:int}/edit")
def edit_investigation_submit(
    request: Request, investigation_id: int, user: EditorUser, database: DatabaseDep, form: FormDep
) -> Response:
    data = read_investigation(form)
    if data is not None:
        try:
            with database.session() as session:
                update_investigation(session, user.actor, investigation_id, data)
            return RedirectResponse(
                f"/investigations/{investigation_id}?done=saved", status_code=303
            )
        except InvalidInputError as error:
            place_storage_error(form, error)
    with database.session() as session:
        get_investigation(session, user.actor, investigation_id)  # 404 outside reach
    return _details_form(request, database, user, form, investigation_id, 422)


@router.post("/investigations/{investigation_id:int}/delete")
def delete_investigation_submit(
    investigation_id: int, user: EditorUser, database: DatabaseDep
) -> Response:
    with database.session() as session:
        delete_investigation(session, user.actor, investigation_id)
    return RedirectResponse("/investigations", status_code=303)


def _part(name: str) -> Part:
    try:
        return Part(name)
    except ValueError:
        raise NotFoundError(f"no section {name}") from None


@router.post("/investigations/{investigation_id:int}/{section}/new")
def add_part_submit(
    request: Request,
    investigation_id: int,
    section: str,
    user: CaseworkUser,
    database: DatabaseDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Add a referral, warrant, arrest, offence, charge, safeguarding record or bail."""
    part = _part(section)
    types = offence_types(settings)
    offence = read_offence(form, types) if part is Part.OFFENCE else None
    data = offence if part is Part.OFFENCE else READERS[part](form)
    if data is not None:
        try:
            with database.session() as session:
                if offence is not None:
                    parts.add_offence(session, user.actor, investigation_id, offence, types)
                else:
                    ADDERS[part](session, user.actor, investigation_id, data)
            return RedirectResponse(
                f"/investigations/{investigation_id}?done=added#{part.value}", status_code=303
            )
        except InvalidInputError as error:
            place_storage_error(form, error, ("conditions", "cyber", "online"))
    with database.session() as session:
        inv = get_investigation(session, user.actor, investigation_id, types)
    return _investigation_page(request, user, inv, types, failed=(part, form))


@router.post("/investigations/{investigation_id:int}/{section}/{record_id:int}/delete")
def remove_part_submit(
    investigation_id: int, section: str, record_id: int, user: CaseworkUser, database: DatabaseDep
) -> Response:
    part = _part(section)
    with database.session() as session:
        parts.remove_part(session, user.actor, investigation_id, part, record_id)
    return RedirectResponse(
        f"/investigations/{investigation_id}?done=removed#{part.value}", status_code=303
    )


@router.post("/investigations/{investigation_id:int}/charges/{charge_id:int}/result")
def charge_result_submit(
    request: Request,
    investigation_id: int,
    charge_id: int,
    user: CaseworkUser,
    database: DatabaseDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Record the court's result on a charge."""
    result = form.choice("result", "Court result", ChargeResult)
    result_on = form.day("result_on", "Result date")
    if result is not None and form.ok:
        try:
            with database.session() as session:
                parts.set_charge_result(
                    session, user.actor, investigation_id, charge_id, result, result_on
                )
            return RedirectResponse(
                f"/investigations/{investigation_id}?done=result#charges", status_code=303
            )
        except InvalidInputError as error:
            place_storage_error(form, error)
    types = offence_types(settings)
    with database.session() as session:
        inv = get_investigation(session, user.actor, investigation_id, types)
    shown = _part_defaults()[Part.CHARGE.value]
    problem = next(iter(form.errors.values()), "choose a result")
    shown.fail("__all__", f"The court result for charge {charge_id} was not saved: {problem}")
    return _investigation_page(request, user, inv, types, failed=(Part.CHARGE, shown))
