"""The unit dashboard: raw counts from storage folded into the figures a unit publishes, each
with the previous period beside it (absolute and per-cent change), per officer and per team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from orderwatch.domain.access import Actor
from orderwatch.domain.caseload import VisitCadence
from orderwatch.domain.conditions import CONDITION_LABELS, ConditionType
from orderwatch.domain.investigations import (
    ChargeResult,
    InvestigationOutcome,
    OffenceTypes,
)
from orderwatch.domain.statistics import (
    UNIT_TIME_ZONE,
    Bucket,
    Change,
    Comparison,
    chart_buckets,
)
from orderwatch.monitor.alert_states import CLOSED_STATES, AlertState
from orderwatch.stats.totals import BREACH_STATES, Totals
from orderwatch.storage import Database
from orderwatch.storage.investigations_stats import RawStatistics, collect_statistics
from orderwatch.storage.investigations_stats_scope import (
    OfficerInfo,
    ScopeKind,
    StatisticsScope,
    statistics_scope,
)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    change: Change
    unit: str = ""  # "" for counts, "days" for durations
    note: str | None = None

    @property
    def current(self) -> float:
        return self.change.current

    @property
    def previous(self) -> float:
        return self.change.previous


@dataclass(frozen=True)
class FigureGroup:
    title: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class BreakdownRow:
    """One officer's or team's line: the breakdown figures by key."""

    label: str
    figures: dict[str, Change]


@dataclass(frozen=True)
class Dashboard:
    comparison: Comparison
    scope: StatisticsScope
    zone: str
    generated_at: datetime
    buckets: tuple[Bucket, ...]
    headline: tuple[Figure, ...]
    groups: tuple[FigureGroup, ...]
    breaches_by_condition: tuple[Figure, ...]
    offences_by_type: tuple[Figure, ...]
    alert_outcomes: tuple[Figure, ...]
    investigation_outcomes: tuple[Figure, ...]
    charge_results: tuple[Figure, ...]
    officer_rows: tuple[BreakdownRow, ...]
    team_rows: tuple[BreakdownRow, ...]
    trends: dict[str, tuple[int, ...]]  # figure key -> count per bucket

    @property
    def empty(self) -> bool:
        """No activity at all in either period (an honest empty state, not a page of zeros)."""
        return not any(
            f.current or f.previous for group in self.groups for f in group.figures
        ) and not any(f.current or f.previous for f in self.breaches_by_condition)

    def figure(self, key: str) -> Figure:
        for group in self.groups:
            for figure in group.figures:
                if figure.key == key:
                    return figure
        raise KeyError(key)


# The columns of the per-officer and per-team tables.
BREAKDOWN: tuple[tuple[str, str], ...] = (
    ("breaches", "Breaches"),
    ("arrests", "Arrests"),
    ("charges", "Charges"),
    ("offences_cyber", "Cyber-flagged offences"),
    ("children_safeguarded", "Children safeguarded"),
    ("warrants_executed", "Warrants executed"),
    ("devices_seized", "Devices seized"),
    ("visits_done", "Visits done"),
    ("overdue_at_end", "Overdue at period end"),
)
HEADLINE = (
    "breaches",
    "arrests",
    "charges",
    "offences_cyber",
    "children_safeguarded",
    "warrants_executed",
    "devices_seized",
    "hidden_devices",
)
TRENDS = ("breaches", "arrests", "devices_seized", "alerts_raised")


def _breakdown(totals: Totals) -> dict[str, Change]:
    return {
        "breaches": totals.breaches(),
        "arrests": totals.officer_change("arrests"),
        "charges": totals.officer_change("charges"),
        "offences_cyber": totals.officer_change("offences_cyber"),
        "children_safeguarded": totals.officer_change("children_safeguarded"),
        "warrants_executed": totals.officer_change("warrants_executed"),
        "devices_seized": totals.officer_change("exhibits_seized"),
        "visits_done": totals.officer_change("visits_done"),
        "overdue_at_end": totals.snapshot(totals.raw.overdue),
    }


def _groups(totals: Totals) -> tuple[FigureGroup, ...]:
    def f(key: str, label: str, change: Change, unit: str = "", note: str | None = None) -> Figure:
        return Figure(key, label, change, unit, note)

    breaches = totals.breaches()
    from_alerts = totals.officer_change("breach_alerts")
    offences = totals.change("offences")
    return (
        FigureGroup(
            "Enforcement",
            (
                f(
                    "breaches",
                    "Breaches detected",
                    breaches,
                    note=f"{int(from_alerts.current)} from monitoring alerts",
                ),
                f("arrests", "Arrests", totals.officer_change("arrests")),
                f("charges", "Charges", totals.officer_change("charges")),
                f(
                    "warrants_executed",
                    "Warrants executed",
                    totals.officer_change("warrants_executed"),
                ),
                f("offences", "Offences identified", offences),
                f(
                    "offences_cyber",
                    "Offences with the cyber flag",
                    totals.officer_change("offences_cyber"),
                ),
                f(
                    "children_safeguarded",
                    "Children safeguarded",
                    totals.officer_change("children_safeguarded"),
                ),
                f("referrals", "Referrals received", totals.change("referrals")),
                f(
                    "referrals_online",
                    "Referrals with an online element",
                    totals.change("referrals", lambda k: k[0] == "yes"),
                ),
                f(
                    "investigations_opened",
                    "Investigations opened",
                    totals.change("investigations_opened"),
                ),
            ),
        ),
        FigureGroup(
            "Devices and the examination queue",
            (
                f("devices_seized", "Devices seized", totals.officer_change("exhibits_seized")),
                f(
                    "hidden_devices",
                    "Hidden or undeclared devices found",
                    totals.change("hidden_devices"),
                ),
                f("devices_examined", "Devices examined", totals.change("exhibits_examined")),
                f(
                    "backlog_at_end",
                    "Queue backlog at period end",
                    totals.snapshot(totals.raw.backlog),
                    note="seized, not yet examined",
                ),
                f(
                    "days_to_examination",
                    "Median days from seizure to examination",
                    totals.exam_median(),
                    unit="days",
                ),
            ),
        ),
        FigureGroup(
            "Monitoring and visits",
            (
                f("alerts_raised", "Alerts raised", totals.trend_change("alerts_raised")),
                f("alerts_decided", "Alerts decided", totals.change("alert_decisions")),
                f("visits_done", "Home visits done", totals.officer_change("visits_done")),
                f("visits_late", "Visits done late", totals.officer_change("visits_late")),
                f(
                    "overdue_at_end",
                    "Persons overdue a visit at period end",
                    totals.snapshot(totals.raw.overdue),
                ),
            ),
        ),
    )


def _condition_label(key: str, types: OffenceTypes) -> str:
    try:
        return CONDITION_LABELS[ConditionType(key)]
    except ValueError:
        return types.label(key)


def _by_condition(totals: Totals, types: OffenceTypes) -> tuple[Figure, ...]:
    merged: dict[str, Change] = {}
    alert_side = totals.keyed("alert_decisions", 1, lambda k: k[0] in BREACH_STATES)
    for key, change in [*alert_side.items(), *totals.keyed("breach_offences", 0).items()]:
        label = _condition_label(key, types)
        old = merged.get(label, Change(0, 0))
        merged[label] = Change(old.current + change.current, old.previous + change.previous)
    ordered = sorted(
        merged.items(), key=lambda item: (-item[1].current, -item[1].previous, item[0])
    )
    return tuple(Figure(f"breach:{label}", label, change) for label, change in ordered)


def build_dashboard(
    database: Database,
    actor: Actor,
    kind: ScopeKind,
    comparison: Comparison,
    types: OffenceTypes,
    *,
    team_id: int | None = None,
    zone: str = UNIT_TIME_ZONE,
    cadence: VisitCadence | None = None,
    now: datetime | None = None,
    audit_action: str = "view",
) -> Dashboard:
    """Every figure for the scope and both periods. PermissionDeniedError or InvalidInputError
    (naming the field) when the actor may not see that scope; the view is audited."""
    buckets = chart_buckets(comparison)
    with database.session() as session:
        scope = statistics_scope(session, actor, kind, team_id)
        raw = collect_statistics(
            session,
            actor,
            scope,
            comparison,
            buckets,
            zone=zone,
            cadence=cadence,
            audit_action=audit_action,
        )
    everyone = None if scope.kind is ScopeKind.UNIT else set(scope.officers)
    totals = Totals(raw, everyone)
    groups = _groups(totals)
    by_key = {f.key: f for g in groups for f in g.figures}
    offences = totals.keyed("offences", 0)
    decisions = totals.keyed("alert_decisions", 0)
    outcomes = totals.keyed("investigation_outcomes", 0)
    results = totals.keyed("charge_results", 0)
    breach_trend = zip(raw.trends["breach_alerts"], raw.trends["breach_offences"], strict=True)
    trends = {
        "breaches": tuple(a + b for a, b in breach_trend),
        "arrests": tuple(raw.trends["arrests"]),
        "devices_seized": tuple(raw.trends["exhibits_seized"]),
        "alerts_raised": tuple(raw.trends["alerts_raised"]),
    }
    return Dashboard(
        comparison=comparison,
        scope=scope,
        zone=zone,
        generated_at=now or datetime.now(UTC),
        buckets=tuple(buckets),
        headline=tuple(by_key[k] for k in HEADLINE),
        groups=groups,
        breaches_by_condition=_by_condition(totals, types),
        offences_by_type=tuple(
            Figure(f"offence:{k}", types.label(k), c) for k, c in _ranked(offences)
        ),
        alert_outcomes=tuple(
            Figure(f"alert:{s.value}", s.label, decisions.get(s.value, Change(0, 0)))
            for s in AlertState
            if s in CLOSED_STATES
        ),
        investigation_outcomes=tuple(
            Figure(f"outcome:{o.value}", o.label, outcomes.get(o.value, Change(0, 0)))
            for o in InvestigationOutcome
        ),
        charge_results=tuple(
            Figure(f"result:{r.value}", r.label, results.get(r.value, Change(0, 0)))
            for r in ChargeResult
            if r is not ChargeResult.PENDING
        ),
        officer_rows=_officer_rows(raw, scope),
        team_rows=_team_rows(raw, scope),
        trends=trends,
    )


def _ranked(table: dict[str, Change]) -> list[tuple[str, Change]]:
    return sorted(table.items(), key=lambda item: (-item[1].current, -item[1].previous, item[0]))


def _officer_rows(raw: RawStatistics, scope: StatisticsScope) -> tuple[BreakdownRow, ...]:
    if scope.kind is ScopeKind.OWN:
        return ()
    rows = []
    for officer_id in sorted(scope.officer_lines, key=lambda o: scope.officers[o].full_name):
        info: OfficerInfo = scope.officers[officer_id]
        rows.append(BreakdownRow(info.full_name, _breakdown(Totals(raw, {officer_id}))))
    return tuple(rows)


def _team_rows(raw: RawStatistics, scope: StatisticsScope) -> tuple[BreakdownRow, ...]:
    if not scope.team_lines:
        return ()
    teams: dict[str, set[int]] = {}
    for info in scope.officers.values():
        teams.setdefault(info.team_name or "No team", set()).add(info.id)
    return tuple(
        BreakdownRow(name, _breakdown(Totals(raw, members)))
        for name, members in sorted(teams.items())
    )


__all__ = ["BREAKDOWN", "Dashboard", "Figure", "FigureGroup", "build_dashboard"]
