"""The alert queue, the alert page (evidence, history, workflow) and device enrolment pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from orderwatch.domain.access import Actor
from orderwatch.domain.caseload import VisitCadence
from orderwatch.domain.conditions import CONDITION_LABELS, ConditionType
from orderwatch.domain.errors import InvalidInputError
from orderwatch.domain.rules_findings import Severity
from orderwatch.monitor.alert_states import ACTION_LABELS, AlertState, parse_state
from orderwatch.monitor.heartbeats import check_silent_agents_now_and_then
from orderwatch.storage import Database, UserAccount, get_person
from orderwatch.storage.monitoring_alerts import (
    can_work_alerts,
    change_alert_state,
    get_alert,
    list_alerts,
    person_monitoring,
)
from orderwatch.storage.monitoring_devices import (
    issue_enrolment_code,
    list_monitored_devices,
    revoke_monitored_device,
)
from orderwatch.storage.monitoring_notices import list_notifications, mark_notifications_read
from orderwatch.storage.monitoring_records import AlertFile, PersonMonitoring
from orderwatch.web.api.alerts import AlertFilters
from orderwatch.web.deps import CadenceDep, DatabaseDep, EditorUser, FormDep, SettingsDep
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

# Badge classes shared with the caseload's risk colours.
SEVERITY_CLASSES = {
    "critical": "risk-very_high",
    "high": "risk-high",
    "medium": "risk-medium",
    "low": "risk-low",
}
DONE = {
    "state": "Alert updated.",
    "revoked": "Device revoked: its agent can no longer send anything.",
    "read": "Notifications marked read.",
}
Values = Annotated[list[str] | None, Query()]


def _common() -> dict[str, Any]:
    return {
        "severity_classes": SEVERITY_CLASSES,
        "condition_labels": {c.value: label for c, label in CONDITION_LABELS.items()},
    }


def monitoring_block(session: Any, actor: Actor, person_id: int) -> PersonMonitoring | None:
    """The person page's alert counts and monitored devices (officers and supervisors only)."""
    if not can_work_alerts(actor):
        return None
    return person_monitoring(session, actor, person_id)


@router.get("/alerts")
def alert_queue(
    request: Request,
    user: EditorUser,
    database: DatabaseDep,
    settings: SettingsDep,
    state: Values = None,
    severity: Values = None,
    condition: Values = None,
    person: int | None = None,
    done: str = "",
) -> Response:
    """Open alerts of the user's persons (a supervisor's team), worst and longest waiting first."""
    check_silent_agents_now_and_then(database, settings)
    filters = AlertFilters.parse(state, severity, condition)
    with database.session() as session:
        page = list_alerts(
            session,
            user.actor,
            states=filters.states,
            severities=filters.severities,
            conditions=filters.conditions,
            person_id=person,
        )
        notices = list_notifications(session, user.actor)
    chosen_state = ",".join(s.value for s in filters.states) if filters.states else "open"
    if filters.states is not None and len(filters.states) == len(AlertState):
        chosen_state = "all"
    context = {
        **_common(),
        "title": "Alerts",
        "page": page,
        "notices": notices,
        "show_officer": user.role.value != "officer",
        "person_filter": person,
        "chosen": {
            "state": chosen_state,
            "severity": filters.severities[0].value if len(filters.severities) == 1 else "",
            "condition": filters.conditions[0].value if len(filters.conditions) == 1 else "",
        },
        "states": [("open", "Open (new or under review)"), ("all", "All")]
        + [(s.value, s.label) for s in AlertState],
        "severities": [s.value for s in reversed(Severity)],
        "conditions": [(c.value, CONDITION_LABELS[c]) for c in ConditionType],
        "flash": DONE.get(done),
    }
    return render(request, "alerts.html", context)


def _alert_page(
    request: Request,
    file: AlertFile,
    *,
    error: str | None = None,
    note: str = "",
    status: int = 200,
) -> Response:
    context = {
        **_common(),
        "title": f"Alert #{file.alert.id}",
        "file": file,
        "alert": file.alert,
        "actions": [(s.value, ACTION_LABELS[s]) for s in file.transitions],
        "error": error,
        "note": note,
        "flash": DONE.get(request.query_params.get("done", "")),
    }
    return render(request, "alert.html", context, status)


@router.get("/alerts/{alert_id:int}")
def alert_page(
    request: Request, alert_id: int, user: EditorUser, database: DatabaseDep
) -> Response:
    """The alert, the condition, the explanation and the observations behind it (images as hashes
    only). Reading it is audited."""
    with database.session() as session:
        file = get_alert(session, user.actor, alert_id)
    return _alert_page(request, file)


@router.post("/alerts/{alert_id:int}/state")
def alert_state_submit(
    request: Request, alert_id: int, user: EditorUser, database: DatabaseDep, form: FormDep
) -> Response:
    note = form.values.get("note", "")
    try:
        target = parse_state(form.values.get("state", ""))
        with database.session() as session:
            change_alert_state(session, user.actor, alert_id, target, note)
    except InvalidInputError as error:
        with database.session() as session:
            file = get_alert(session, user.actor, alert_id)
        message = "; ".join(str(p) for p in error.problems)
        return _alert_page(request, file, error=message, note=note, status=422)
    return RedirectResponse(f"/alerts/{alert_id}?done=state", status_code=303)


@router.post("/alerts/notifications/read")
def notifications_read(user: EditorUser, database: DatabaseDep) -> Response:
    with database.session() as session:
        mark_notifications_read(session, user.actor)
    return RedirectResponse("/alerts?done=read", status_code=303)


def _monitoring_page(
    request: Request,
    database: Database,
    user: UserAccount,
    person_id: int,
    cadence: VisitCadence,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    with database.session() as session:
        file = get_person(session, user.actor, person_id, cadence=cadence)
        devices = list_monitored_devices(session, user.actor, person_id)
    context = {
        "title": f"Monitoring {file.person.reference}",
        "person": file.person,
        "declared": file.devices,
        "devices": devices,
        "flash": DONE.get(request.query_params.get("done", "")),
        **(extra or {}),
    }
    return render(request, "alert_enrolment.html", context, status)


@router.get("/persons/{person_id:int}/monitoring")
def monitoring_page(
    request: Request, person_id: int, user: EditorUser, database: DatabaseDep, cadence: CadenceDep
) -> Response:
    """The person's monitored devices, and enrolment of a declared device."""
    return _monitoring_page(request, database, user, person_id, cadence)


@router.post("/persons/{person_id:int}/monitoring/enrol")
def enrol_submit(
    request: Request,
    person_id: int,
    user: EditorUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    form: FormDep,
) -> Response:
    """Issue a one-time code; it is shown on this page only, never again."""
    try:
        declared_id = int(form.values.get("declared_device_id", ""))
        with database.session() as session:
            issued = issue_enrolment_code(session, user.actor, person_id, declared_id)
    except ValueError:
        extra = {"error": "Choose one of the declared devices."}
        return _monitoring_page(request, database, user, person_id, cadence, extra, 422)
    except InvalidInputError as error:
        extra = {"error": "; ".join(str(p) for p in error.problems)}
        return _monitoring_page(request, database, user, person_id, cadence, extra, 422)
    return _monitoring_page(request, database, user, person_id, cadence, {"issued": issued})


@router.post("/persons/{person_id:int}/monitoring/{device_id:int}/revoke")
def revoke_submit(
    person_id: int, device_id: int, user: EditorUser, database: DatabaseDep
) -> Response:
    with database.session() as session:
        device = revoke_monitored_device(session, user.actor, device_id)
    where = f"/persons/{device.person_id}/monitoring?done=revoked"
    return RedirectResponse(where, status_code=303)
