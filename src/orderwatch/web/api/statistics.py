"""The statistics dashboard as JSON: the same figures as the page, for the same period and
scope parameters (preset, start, end, scope). Officers and supervisors only."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from pydantic import BaseModel

from orderwatch.domain.errors import InvalidInputError, Problem
from orderwatch.stats.dashboard import BREAKDOWN, BreakdownRow, Figure
from orderwatch.web.deps import CadenceDep, DatabaseDep, EditorUser, SettingsDep
from orderwatch.web.pages.statistics import dashboard_for, read_query

router = APIRouter(tags=["statistics"])


class PeriodOut(BaseModel):
    start: date
    end: date


class FigureOut(BaseModel):
    key: str
    label: str
    group: str
    this_period: float
    previous_period: float
    change: float
    per_cent: float | None
    unit: str


class LineOut(BaseModel):
    label: str
    figures: dict[str, FigureOut]


class StatisticsOut(BaseModel):
    scope: str
    period: PeriodOut
    previous_period: PeriodOut
    time_zone: str
    empty: bool
    figures: list[FigureOut]
    breaches_by_condition: list[FigureOut]
    offences_by_type: list[FigureOut]
    alert_outcomes: list[FigureOut]
    investigation_outcomes: list[FigureOut]
    teams: list[LineOut]
    officers: list[LineOut]


def _figure(figure: Figure, group: str) -> FigureOut:
    change = figure.change
    return FigureOut(
        key=figure.key,
        label=figure.label,
        group=group,
        this_period=change.current,
        previous_period=change.previous,
        change=change.delta,
        per_cent=change.percent,
        unit=figure.unit,
    )


@router.get("/statistics", response_model=StatisticsOut)
def statistics(
    request: Request,
    user: EditorUser,
    database: DatabaseDep,
    settings: SettingsDep,
    cadence: CadenceDep,
) -> StatisticsOut:
    """Every figure for the period and the one before (viewing is audited); 422 names a bad
    parameter."""
    query = read_query(request, user, date.today())
    found = dashboard_for(user, query, database, settings, cadence)
    if found is None:
        raise InvalidInputError(
            "query", [Problem(0, f"{k}: {v}") for k, v in query.form.errors.items()]
        )
    labels = dict(BREAKDOWN)

    def lines(rows: tuple[BreakdownRow, ...]) -> list[LineOut]:
        return [
            LineOut(
                label=row.label,
                figures={
                    key: _figure(Figure(key, labels[key], change), "breakdown")
                    for key, change in row.figures.items()
                },
            )
            for row in rows
        ]

    return StatisticsOut(
        scope=found.scope.label,
        period=PeriodOut(start=found.comparison.current.start, end=found.comparison.current.end),
        previous_period=PeriodOut(
            start=found.comparison.previous.start, end=found.comparison.previous.end
        ),
        time_zone=found.zone,
        empty=found.empty,
        figures=[_figure(f, g.title) for g in found.groups for f in g.figures],
        breaches_by_condition=[_figure(f, "breaches") for f in found.breaches_by_condition],
        offences_by_type=[_figure(f, "offences") for f in found.offences_by_type],
        alert_outcomes=[_figure(f, "alerts") for f in found.alert_outcomes],
        investigation_outcomes=[
            _figure(f, "outcomes") for f in found.investigation_outcomes + found.charge_results
        ],
        teams=lines(found.team_rows),
        officers=lines(found.officer_rows),
    )
