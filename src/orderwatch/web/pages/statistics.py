"""The statistics dashboard for officers (their own figures) and supervisors (their team, or
the unit with a line per team), with CSV and one-page PDF exports of the same figures.

The period comes from a preset ("last six months vs the six before" by default) or chosen
dates; bad dates come back as form errors beside the fields (422), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from orderwatch.domain.access import Role
from orderwatch.domain.errors import InvalidInputError, Problem
from orderwatch.domain.statistics import (
    Comparison,
    Preset,
    custom_comparison,
    describe_change,
    preset_comparison,
    signed,
)
from orderwatch.stats.charts import comparison_bars, trend_columns
from orderwatch.stats.dashboard import BREAKDOWN, TRENDS, Dashboard, build_dashboard
from orderwatch.stats.export import dashboard_csv
from orderwatch.stats.press import press_pdf
from orderwatch.storage import UserAccount
from orderwatch.storage.investigations_stats import ScopeKind
from orderwatch.web.deps import CadenceDep, DatabaseDep, EditorUser, SettingsDep
from orderwatch.web.forms import FormState
from orderwatch.web.pages.inputs import place_storage_error
from orderwatch.web.pages.investigations import offence_types
from orderwatch.web.templating import render

router = APIRouter(tags=["pages"])

TREND_LABELS = {
    "breaches": "Breaches detected",
    "arrests": "Arrests",
    "devices_seized": "Devices seized",
    "alerts_raised": "Alerts raised",
}


@dataclass(frozen=True)
class DashboardQuery:
    form: FormState
    comparison: Comparison | None
    scope: ScopeKind


def scopes_for(user: UserAccount) -> list[tuple[str, str]]:
    if user.role is Role.OFFICER:
        return [(ScopeKind.OWN.value, "My figures")]
    return [(ScopeKind.TEAM.value, "My team"), (ScopeKind.UNIT.value, "Whole unit")]


def read_query(request: Request, user: UserAccount, today: date) -> DashboardQuery:
    """The period and scope asked for in the query string (errors kept on the form)."""
    params = request.query_params
    default_scope = ScopeKind.OWN if user.role is Role.OFFICER else ScopeKind.TEAM
    form = FormState(
        values={
            "preset": params.get("preset", Preset.SIX_MONTHS.value),
            "start": params.get("start", ""),
            "end": params.get("end", ""),
            "scope": params.get("scope", default_scope.value),
        }
    )
    preset = form.choice("preset", "Period", Preset)
    scope = form.choice("scope", "Whose figures", ScopeKind) or default_scope
    if scope.value not in {value for value, _ in scopes_for(user)}:
        form.fail("scope", "Choose one of the scopes offered.")
    comparison = None
    if preset is Preset.CUSTOM:
        start = form.day("start", "From")
        end = form.day("end", "To")
        if form.ok:
            try:
                comparison = custom_comparison(start, end, today)
            except InvalidInputError as error:
                place_storage_error(form, error)
    elif preset is not None:
        comparison = preset_comparison(preset, today)
    return DashboardQuery(form, comparison if form.ok else None, scope)


def dashboard_for(
    user: UserAccount,
    query: DashboardQuery,
    database: DatabaseDep,
    settings: SettingsDep,
    cadence: CadenceDep,
    action: str = "view",
) -> Dashboard | None:
    if query.comparison is None:
        return None
    try:
        return build_dashboard(
            database,
            user.actor,
            query.scope,
            query.comparison,
            offence_types(settings),
            cadence=cadence,
            audit_action=action,
        )
    except InvalidInputError as error:
        place_storage_error(query.form, error)
        return None


@router.get("/statistics")
def statistics_page(
    request: Request,
    user: EditorUser,
    database: DatabaseDep,
    settings: SettingsDep,
    cadence: CadenceDep,
) -> Response:
    """Every published figure for the period beside the previous one (viewing is audited)."""
    query = read_query(request, user, date.today())
    dashboard = dashboard_for(user, query, database, settings, cadence)
    context = {
        "title": "Statistics",
        "form": query.form,
        "presets": [(p.value, p.label) for p in Preset],
        "scopes": scopes_for(user),
        "d": dashboard,
        "breakdown": BREAKDOWN,
        "describe": describe_change,
        "signed": signed,
        "export_query": request.url.query,
    }
    if dashboard is not None:
        context["bars"] = comparison_bars(dashboard.headline, title="This period and the previous")
        context["trends"] = [
            trend_columns(TREND_LABELS[key], dashboard.buckets, dashboard.trends[key])
            for key in TRENDS
        ]
    return render(request, "statistics.html", context, 200 if query.form.ok else 422)


def _export(
    request: Request,
    user: UserAccount,
    database: DatabaseDep,
    settings: SettingsDep,
    cadence: CadenceDep,
) -> Dashboard:
    query = read_query(request, user, date.today())
    dashboard = dashboard_for(user, query, database, settings, cadence, "export")
    if dashboard is None:
        field, message = next(iter(query.form.errors.items()))
        raise InvalidInputError(field, [Problem(0, message)])
    return dashboard


def _filename(dashboard: Dashboard, suffix: str) -> str:
    current = dashboard.comparison.current
    return f"orderwatch-statistics-{current.start.isoformat()}-{current.end.isoformat()}.{suffix}"


@router.get("/statistics/export.csv")
def statistics_csv(
    request: Request,
    user: EditorUser,
    database: DatabaseDep,
    settings: SettingsDep,
    cadence: CadenceDep,
) -> Response:
    """The same figures as CSV (the export is audited)."""
    dashboard = _export(request, user, database, settings, cadence)
    return Response(
        dashboard_csv(dashboard),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{_filename(dashboard, "csv")}"'},
    )


@router.get("/statistics/press.pdf")
def statistics_pdf(
    request: Request,
    user: EditorUser,
    database: DatabaseDep,
    settings: SettingsDep,
    cadence: CadenceDep,
) -> Response:
    """The headline figures on one page for a press office or funder (counts only)."""
    dashboard = _export(request, user, database, settings, cadence)
    return Response(
        press_pdf(dashboard),
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{_filename(dashboard, "pdf")}"'},
    )
