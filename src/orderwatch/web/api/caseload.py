"""Caseload listings as JSON: the user's own, and a supervisor's team."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from orderwatch.storage import list_caseload, team_caseload
from orderwatch.web.deps import CadenceDep, CaseworkUser, DatabaseDep, SupervisorUser
from orderwatch.web.schemas import CaseloadEntryOut, TeamCaseloadOut

router = APIRouter(tags=["caseload"])


@router.get("/caseload", response_model=list[CaseloadEntryOut])
def caseload(
    user: CaseworkUser, database: DatabaseDep, cadence: CadenceDep
) -> list[CaseloadEntryOut]:
    """The persons in the user's reach: overdue first, then by next visit due, then by risk."""
    with database.read_session() as session:
        entries = list_caseload(session, user.actor, cadence=cadence, today=date.today())
    return [CaseloadEntryOut.model_validate(e) for e in entries]


@router.get("/team", response_model=TeamCaseloadOut)
def team(user: SupervisorUser, database: DatabaseDep, cadence: CadenceDep) -> TeamCaseloadOut:
    """A supervisor's team: one summary per officer, and every entry."""
    with database.read_session() as session:
        found = team_caseload(session, user.actor, cadence=cadence, today=date.today())
    return TeamCaseloadOut.model_validate(found)
