"""Caseload listings: one query per listing, next visit due computed by the domain rules.

Open alerts come from counters registered by other areas (monitoring) with
`register_open_alert_counter`; each is called once per listing with every person id listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date

from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.caseload import VisitCadence
from orderwatch.storage.records import CaseloadEntry, TeamCaseload

OpenAlertCounter = Callable[[Session, Sequence[int]], Mapping[int, int]]


def register_open_alert_counter(counter: OpenAlertCounter) -> None:
    """Add a source of open-alert counts: (session, person ids) -> {person id: count}."""
    raise NotImplementedError


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
    raise NotImplementedError


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
    raise NotImplementedError
