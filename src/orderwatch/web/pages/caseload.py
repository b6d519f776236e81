"""'My caseload' and the supervisor's team view."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from orderwatch.domain.caseload import RiskLevel
from orderwatch.storage import CaseloadEntry, list_caseload, team_caseload
from orderwatch.web.deps import CadenceDep, CaseworkUser, DatabaseDep, SupervisorUser
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

PAGE_SIZE = 200
_SOON = timedelta(days=14)


def summarise(entries: list[CaseloadEntry], today: date) -> dict[str, int]:
    """The tiles above a caseload: how many, how many overdue, due soon, high risk, alerts."""
    return {
        "persons": len(entries),
        "overdue": sum(1 for e in entries if e.overdue),
        "due_soon": sum(
            1
            for e in entries
            if not e.overdue and e.next_visit_due is not None and e.next_visit_due - today <= _SOON
        ),
        "high_risk": sum(
            1 for e in entries if e.risk_level in (RiskLevel.VERY_HIGH, RiskLevel.HIGH)
        ),
        "open_alerts": sum(e.open_alerts for e in entries),
    }


def _filtered(
    entries: list[CaseloadEntry], q: str, risk: str, overdue: bool
) -> list[CaseloadEntry]:
    needle = q.strip().lower()
    return [
        e
        for e in entries
        if (not needle or needle in e.reference.lower() or needle in e.full_name.lower())
        and (not risk or e.risk_level.value == risk)
        and (not overdue or e.overdue)
    ]


@router.get("/caseload")
def caseload_page(
    request: Request,
    user: CaseworkUser,
    database: DatabaseDep,
    cadence: CadenceDep,
    q: str = "",
    risk: str = "",
    overdue: bool = False,
    page: int = 1,
) -> Response:
    """The persons in the user's reach, overdue first, with next visit due and open alerts."""
    today = date.today()
    with database.read_session() as session:
        entries = list_caseload(session, user.actor, cadence=cadence, today=today)
    shown = _filtered(entries, q, risk, overdue)
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    context = {
        "title": "My caseload",
        "summary": summarise(entries, today),
        "entries": shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        "matching": len(shown),
        "page": page,
        "pages": pages,
        "filters": {"q": q, "risk": risk, "overdue": overdue},
        "risks": list(RiskLevel),
        "show_officer": user.role.value != "officer",
        "can_create": user.role.value in ("officer", "supervisor"),
        "today": today,
    }
    return render(request, "caseload.html", context)


@router.get("/team")
def team_page(
    request: Request, user: SupervisorUser, database: DatabaseDep, cadence: CadenceDep
) -> Response:
    """A supervisor's team: each officer's load, overdue visits and alerts side by side."""
    today = date.today()
    with database.read_session() as session:
        team = team_caseload(session, user.actor, cadence=cadence, today=today)
    overdue = [e for e in team.entries if e.overdue]
    context = {
        "title": f"Team: {team.team.name}",
        "team": team,
        "summary": summarise(list(team.entries), today),
        "overdue_entries": overdue[:PAGE_SIZE],
        "overdue_total": len(overdue),
        "today": today,
    }
    return render(request, "team.html", context)
