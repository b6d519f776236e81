"""The examination queue (ageing and backlog), booking an exhibit in, and the exhibit page with
its chain of custody and the forms that append to it or move it through the queue."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from orderwatch.domain.errors import InvalidInputError
from orderwatch.domain.investigations_exhibits import (
    EXAMINATION_STEPS,
    CustodyAction,
    ExhibitStatus,
    Priority,
)
from orderwatch.domain.statistics import UNIT_TIME_ZONE
from orderwatch.storage import Database, UserAccount, list_examiners
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
from orderwatch.storage.investigations import get_investigation
from orderwatch.storage.investigations_records import Exhibit
from orderwatch.web.deps import CaseworkUser, DatabaseDep, FormDep
from orderwatch.web.forms import FormState
from orderwatch.web.pages.inputs import place_storage_error
from orderwatch.web.pages.investigations_forms import read_custody, read_exhibit, read_priority
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

DONE = {
    "custody": "Custody entry added to the chain.",
    "status": "Examination status saved.",
    "priority": "Priority saved.",
    "examiner": "Examiner saved.",
    "triage": "Triage run linked.",
    "booked": "Exhibit booked in; its seizure is the first entry of its chain of custody.",
}
STATUS_FILTERS = {
    "queue": (ExhibitStatus.AWAITING, ExhibitStatus.TRIAGED, ExhibitStatus.FULL_EXAMINATION),
    "awaiting": (ExhibitStatus.AWAITING,),
    "closed": (ExhibitStatus.RETURNED, ExhibitStatus.DESTROYED),
}


def _priorities(derive: str = "derive from risk and investigation") -> list[tuple[str, str]]:
    return [("", derive)] + [(str(p.value), f"{p.value} {p.label}") for p in Priority]


@router.get("/exhibits")
def queue_page(
    request: Request, user: CaseworkUser, database: DatabaseDep, show: str = "queue"
) -> Response:
    """Exhibits in reach by priority, then longest waiting, with the backlog figures."""
    today = date.today()
    statuses = STATUS_FILTERS.get(show, STATUS_FILTERS["queue"])
    with database.read_session() as session:
        rows = list_queue(session, user.actor, statuses=statuses)
        figures = queue_figures(session, user.actor, today)
    context = {
        "title": "Examination queue",
        "rows": rows,
        "figures": figures,
        "show": show if show in STATUS_FILTERS else "queue",
        "today": today,
    }
    return render(request, "exhibits.html", context)


def _new_form(
    request: Request,
    database: Database,
    user: UserAccount,
    investigation_id: int,
    form: FormState,
    status: int = 200,
) -> Response:
    with database.session() as session:
        inv = get_investigation(session, user.actor, investigation_id)
        examiners = list_examiners(session, user.actor)
    context = {
        "title": f"Book in an exhibit for {inv.reference}",
        "inv": inv,
        "form": form,
        "priorities": _priorities(),
        "examiners": [("", "— not assigned —")] + [(str(e.id), e.full_name) for e in examiners],
    }
    return render(request, "exhibit_form.html", context, status)


@router.get("/investigations/{investigation_id:int}/exhibits/new")
def new_exhibit_form(
    request: Request, investigation_id: int, user: CaseworkUser, database: DatabaseDep
) -> Response:
    values = {"seized_on": date.today().isoformat(), "seized_by": user.full_name}
    return _new_form(request, database, user, investigation_id, FormState(values=values))


@router.post("/investigations/{investigation_id:int}/exhibits/new")
def new_exhibit_submit(
    request: Request,
    investigation_id: int,
    user: CaseworkUser,
    database: DatabaseDep,
    form: FormDep,
) -> Response:
    data = read_exhibit(form)
    if data is not None:
        try:
            with database.session() as session:
                exhibit = create_exhibit(session, user.actor, investigation_id, data)
            return RedirectResponse(f"/exhibits/{exhibit.summary.id}?done=booked", status_code=303)
        except InvalidInputError as error:
            place_storage_error(form, error, ("hidden", "undeclared"))
    return _new_form(request, database, user, investigation_id, form, 422)


def _exhibit_page(
    request: Request,
    database: Database,
    user: UserAccount,
    exhibit: Exhibit,
    *,
    failed: tuple[str, FormState] | None = None,
    done: str = "",
) -> Response:
    now = datetime.now(ZoneInfo(UNIT_TIME_ZONE)).strftime("%Y-%m-%dT%H:%M")
    forms = {
        "custody": FormState(values={"at": now}),
        "status": FormState(values={"on": date.today().isoformat()}),
        "priority": FormState(values={"priority": str(exhibit.summary.priority.value)}),
        "examiner": FormState(
            values={
                "examiner_id": str(exhibit.summary.examiner.id if exhibit.summary.examiner else "")
            }
        ),
        "triage": FormState(),
    }
    if failed is not None:
        forms[failed[0]] = failed[1]
    with database.read_session() as session:
        examiners = list_examiners(session, user.actor)
    steps = EXAMINATION_STEPS.get(exhibit.summary.status, ())
    context = {
        "title": f"Exhibit {exhibit.summary.reference}",
        "exhibit": exhibit,
        "e": exhibit.summary,
        "forms": forms,
        "open_form": failed[0] if failed else None,
        "actions": [(a.value, a.label) for a in CustodyAction if a is not CustodyAction.SEIZED],
        "steps": [(s.value, s.label) for s in steps],
        "priorities": _priorities("derive again from risk and investigation"),
        "examiners": [("", "— not assigned —")] + [(str(x.id), x.full_name) for x in examiners],
        "flash": DONE.get(done),
        "zone": UNIT_TIME_ZONE,
        "local": lambda moment: moment.astimezone(ZoneInfo(UNIT_TIME_ZONE)),
    }
    return render(request, "exhibit.html", context, 422 if failed else 200)


@router.get("/exhibits/{exhibit_id:int}")
def exhibit_page(
    request: Request, exhibit_id: int, user: CaseworkUser, database: DatabaseDep, done: str = ""
) -> Response:
    """The exhibit, its place in the queue and its whole chain of custody (audited view)."""
    with database.session() as session:
        exhibit = get_exhibit(session, user.actor, exhibit_id)
    return _exhibit_page(request, database, user, exhibit, done=done)


def _after(
    request: Request,
    database: Database,
    user: UserAccount,
    exhibit_id: int,
    name: str,
    form: FormState,
    change: object,
) -> Response:
    """Run a change (a callable taking the session); back to the page, or the form with errors."""
    if form.ok and callable(change):
        try:
            with database.session() as session:
                change(session)
            return RedirectResponse(f"/exhibits/{exhibit_id}?done={name}", status_code=303)
        except InvalidInputError as error:
            place_storage_error(form, error)
    with database.session() as session:
        exhibit = get_exhibit(session, user.actor, exhibit_id)
    return _exhibit_page(request, database, user, exhibit, failed=(name, form))


@router.post("/exhibits/{exhibit_id:int}/custody")
def custody_submit(
    request: Request, exhibit_id: int, user: CaseworkUser, database: DatabaseDep, form: FormDep
) -> Response:
    """Append a step to the chain of custody (booking out an exhibit already out is refused)."""
    entry = read_custody(form)
    change = None
    if entry is not None:
        change = lambda s: add_custody_entry(s, user.actor, exhibit_id, entry)  # noqa: E731
    return _after(request, database, user, exhibit_id, "custody", form, change)


@router.post("/exhibits/{exhibit_id:int}/status")
def status_submit(
    request: Request, exhibit_id: int, user: CaseworkUser, database: DatabaseDep, form: FormDep
) -> Response:
    status = form.choice("status", "Examination step", ExhibitStatus)
    on = form.day("on", "On", required=True)
    change = None
    if status is not None and on is not None:
        change = lambda s: set_examination_step(s, user.actor, exhibit_id, status, on)  # noqa: E731
    return _after(request, database, user, exhibit_id, "status", form, change)


@router.post("/exhibits/{exhibit_id:int}/priority")
def priority_submit(
    request: Request, exhibit_id: int, user: CaseworkUser, database: DatabaseDep, form: FormDep
) -> Response:
    read = read_priority(form)
    change = None
    if read is not None:
        priority, reason = read
        change = lambda s: set_priority(s, user.actor, exhibit_id, priority, reason)  # noqa: E731
    return _after(request, database, user, exhibit_id, "priority", form, change)


@router.post("/exhibits/{exhibit_id:int}/examiner")
def examiner_submit(
    request: Request, exhibit_id: int, user: CaseworkUser, database: DatabaseDep, form: FormDep
) -> Response:
    examiner_id = form.integer("examiner_id", "Examiner", minimum=1, maximum=2**31 - 1)
    change = lambda s: assign_examiner(s, user.actor, exhibit_id, examiner_id)  # noqa: E731
    return _after(request, database, user, exhibit_id, "examiner", form, change)


@router.post("/exhibits/{exhibit_id:int}/triage-runs")
def triage_submit(
    request: Request, exhibit_id: int, user: CaseworkUser, database: DatabaseDep, form: FormDep
) -> Response:
    run = form.text("run", "Triage run", required=True, max_length=500)
    change = None
    if run:
        change = lambda s: link_triage_run(s, user.actor, exhibit_id, run)  # noqa: E731
    return _after(request, database, user, exhibit_id, "triage", form, change)
