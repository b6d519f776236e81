"""Caseload listings: one query per listing, next visit due computed by the domain rules.

Open alerts come from counters registered by other areas (monitoring) with
`register_open_alert_counter`; each is called once per listing with every person id listed,
and must answer in one query (no query per person).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor, Role, can_view_team
from orderwatch.domain.caseload import (
    ManagementLevel,
    OrderKind,
    RiskLevel,
    VisitCadence,
    caseload_sort_key,
    days_overdue,
    effective_visit_due,
)
from orderwatch.storage import mapping
from orderwatch.storage.records import (
    CaseloadEntry,
    OfficerSummary,
    TeamCaseload,
    UserRef,
)
from orderwatch.storage.scope import invalid, person_filter, require
from orderwatch.storage.tables import OrderRow, PersonRow, TeamRow, UserRow, VisitRow

OpenAlertCounter = Callable[[Session, Sequence[int]], Mapping[int, int]]

_OPEN_ALERT_COUNTERS: list[OpenAlertCounter] = []


def register_open_alert_counter(counter: OpenAlertCounter) -> None:
    """Add a source of open-alert counts: (session, person ids) -> {person id: count}."""
    if counter not in _OPEN_ALERT_COUNTERS:
        _OPEN_ALERT_COUNTERS.append(counter)


def unregister_open_alert_counter(counter: OpenAlertCounter) -> None:
    """Remove a counter added with register_open_alert_counter (tests, plug-in unloading)."""
    if counter in _OPEN_ALERT_COUNTERS:
        _OPEN_ALERT_COUNTERS.remove(counter)


def _open_alerts(session: Session, person_ids: Sequence[int]) -> dict[int, int]:
    totals: dict[int, int] = {}
    if not person_ids:
        return totals
    for counter in _OPEN_ALERT_COUNTERS:
        for person_id, count in counter(session, person_ids).items():
            totals[person_id] = totals.get(person_id, 0) + int(count)
    return totals


def _entries(
    session: Session,
    actor: Actor,
    officer_ids: Sequence[int] | None,
    cadence: VisitCadence | None,
    today: date,
) -> list[CaseloadEntry]:
    last_done = (
        select(func.max(VisitRow.done_on))
        .where(VisitRow.person_id == PersonRow.id)
        .correlate(PersonRow)
        .scalar_subquery()
    )
    next_booked = (
        select(func.min(VisitRow.due_on))
        .where(VisitRow.person_id == PersonRow.id, VisitRow.done_on.is_(None))
        .correlate(PersonRow)
        .scalar_subquery()
    )
    query = (
        select(
            PersonRow.id,
            PersonRow.reference,
            PersonRow.full_name,
            PersonRow.risk_level,
            PersonRow.management_level,
            PersonRow.managed_since,
            UserRow.id,
            UserRow.username,
            UserRow.full_name,
            OrderRow.kind,
            OrderRow.expires,
            last_done,
            next_booked,
        )
        .join(UserRow, UserRow.id == PersonRow.officer_id)
        .outerjoin(OrderRow, OrderRow.person_id == PersonRow.id)
        .where(person_filter(actor))
    )
    if officer_ids is not None:
        query = query.where(PersonRow.officer_id.in_(officer_ids))
    entries = []
    for r in session.execute(query):
        risk, management = RiskLevel(r[3]), ManagementLevel(r[4])
        due = effective_visit_due(risk, management, r[11], r[5], r[12], cadence)
        entries.append(
            CaseloadEntry(
                person_id=r[0],
                reference=r[1],
                full_name=r[2],
                risk_level=risk,
                management_level=management,
                officer=UserRef(r[6], r[7], r[8]),
                last_visit=r[11],
                next_visit_due=due,
                overdue_days=days_overdue(due, today),
                order_kind=OrderKind(r[9]) if r[9] else None,
                order_expires=r[10],
            )
        )
    alerts = _open_alerts(session, [e.person_id for e in entries])
    if alerts:
        entries = [replace(e, open_alerts=alerts.get(e.person_id, 0)) for e in entries]
    entries.sort(
        key=lambda e: (
            caseload_sort_key(e.overdue_days, e.next_visit_due, e.risk_level),
            e.reference,
        )
    )
    return entries


def list_caseload(
    session: Session,
    actor: Actor,
    *,
    officer_id: int | None = None,
    cadence: VisitCadence | None = None,
    today: date | None = None,
) -> list[CaseloadEntry]:
    """The persons in the actor's reach (or one officer's, within it), overdue first, then by
    due date, then by risk. An officer's own caseload is simply `list_caseload(s, officer)`.
    """
    officers = [officer_id] if officer_id is not None else None
    return _entries(session, actor, officers, cadence, today or date.today())


def team_caseload(
    session: Session,
    actor: Actor,
    *,
    team_id: int | None = None,
    cadence: VisitCadence | None = None,
    today: date | None = None,
) -> TeamCaseload:
    """A supervisor's team: a summary line per officer and every entry (PermissionDeniedError
    for others; the command line may name any team).
    """
    require(can_view_team(actor), "the team view is for supervisors")
    if not actor.system:
        if team_id is not None and team_id != actor.team_id:
            raise invalid("team_id", "supervisors see their own team only")
        team_id = actor.team_id
    if team_id is None:
        raise invalid("team_id", "name the team to show")
    team_row = session.get(TeamRow, team_id)
    if team_row is None:
        raise invalid("team_id", f"no team with id {team_id}")
    officer_rows = list(
        session.scalars(
            select(UserRow)
            .where(UserRow.team_id == team_id, UserRow.role == Role.OFFICER.value)
            .order_by(UserRow.username)
        )
    )
    entries = _entries(session, actor, [o.id for o in officer_rows], cadence, today or date.today())
    summaries = []
    for officer in officer_rows:
        own = [e for e in entries if e.officer.id == officer.id]
        summaries.append(
            OfficerSummary(
                officer=mapping.user_ref(officer),
                persons=len(own),
                overdue=sum(1 for e in own if e.overdue),
                very_high=sum(1 for e in own if e.risk_level is RiskLevel.VERY_HIGH),
                high=sum(1 for e in own if e.risk_level is RiskLevel.HIGH),
                open_alerts=sum(e.open_alerts for e in own),
            )
        )
    return TeamCaseload(mapping.team(team_row), tuple(summaries), tuple(entries))
