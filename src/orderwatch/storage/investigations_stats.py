"""The unit's outcome figures, counted in the database to the level the dashboard shows: one
statement (UNION ALL of small grouped queries) gives the per-officer figures of the breakdown
tables, the scope's keyed figures (offence types, alert outcomes, breaches by condition, days
to examination ...) and the trend charts' counts per chart bucket, under 2,000 rows for a unit of
100 officers; a second statement counts visits done and persons overdue per officer; a third the
examination backlog at each period's end.

Figures follow the officer they belong to: investigation records, exhibits and their outcomes
follow the investigating officer; alerts, visits and overdue visits follow the person's
responsible officer now. Who may see which scope is decided here (statistics_scope).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.caseload import ManagementLevel, RiskLevel, VisitCadence, next_visit_due
from orderwatch.domain.statistics import Bucket, Comparison, Period, utc_boundaries
from orderwatch.monitor.alert_states import CLOSED_STATES, OUTCOME_KINDS
from orderwatch.storage.audit import record_audit
from orderwatch.storage.exhibits_tables import ExhibitRow
from orderwatch.storage.investigations_stats_scope import (
    ScopeKind,
    StatisticsScope,
)
from orderwatch.storage.investigations_tables import (
    ArrestRow,
    ChargeRow,
    InvestigationRow,
    OffenceRow,
    ReferralRow,
    SafeguardingRow,
    WarrantRow,
)
from orderwatch.storage.monitoring_tables import AlertRow
from orderwatch.storage.tables import PersonRow, UtcDateTime, VisitRow

Key = tuple[str, ...]
BREACH_STATES = tuple(s.value for s in OUTCOME_KINDS)


class Grain(Enum):
    """What one part of the statement is grouped by (besides its bucket)."""

    OFFICER = "officer"  # per officer, per period: the breakdown lines and scope sums
    KEYS = "keys"  # the scope's total per key, per period (types, outcomes, conditions)
    TREND = "trend"  # the scope's total per chart bucket


@dataclass
class RawStatistics:
    """The scope's counts as the dashboard shows them; [previous, current] per entry."""

    scope: StatisticsScope
    buckets: list[Bucket]
    officers: dict[str, dict[int, list[int]]] = field(default_factory=dict)  # per officer
    keyed: dict[str, dict[Key, list[int]]] = field(default_factory=dict)  # scope per key
    trends: dict[str, list[int]] = field(default_factory=dict)  # scope total per chart bucket
    backlog: dict[int, list[int]] = field(default_factory=dict)  # officer -> [prev end, cur end]
    overdue: dict[int, list[int]] = field(default_factory=dict)


def _bucket_case(column: Any, intervals: Sequence[tuple[Any, Any]]) -> ColumnElement[int]:
    """Index of the interval holding `column` (-1 in a gap between the two periods)."""
    whens: list[tuple[ColumnElement[bool], int]] = []
    previous_end = None
    for index, (start, end) in enumerate(intervals):
        if previous_end is not None and start > previous_end:
            whens.append((column < start, -1))
        whens.append((column < end, index))
        previous_end = end
    return case(*whens, else_=-1)


@dataclass(frozen=True)
class _Part:
    """One grouped query of the statement: (part, officer, k0, k1, bucket, value) rows."""

    metric: str
    grain: Grain
    keys: int
    query: Any
    trend: str | None = None  # counted per chart bucket, folded into periods, and also
    trend_states: frozenset[str] = frozenset()  # summed into this trend for these k0 values


class _Parts:
    """Builds the statement's grouped queries for one scope and comparison."""

    def __init__(
        self,
        scope: StatisticsScope,
        dialect: str,
        comparison: Comparison,
        buckets: list[Bucket],
        zone: str,
    ):
        self.scope, self.dialect = scope, dialect
        periods = (comparison.previous, comparison.current)
        self.days = [(p.start, p.end_exclusive) for p in periods]
        self.fine = [(b.start, b.end_exclusive) for b in buckets]
        self.moments, self.fine_at = _moments(periods, zone), _moments(buckets, zone)
        self.period_of = [1 if b.current else 0 for b in buckets]  # chart bucket -> period
        self.parts: list[_Part] = []

    def intervals(self, when: Any, fine: bool) -> Sequence[tuple[Any, Any]]:
        """Local days for date columns, their UTC instants for timestamp columns."""
        timed = isinstance(when.type, UtcDateTime)
        if fine:
            return self.fine_at if timed else self.fine
        return self.moments if timed else self.days

    def add(
        self,
        metric: str,
        grain: Grain,
        officer: Any,
        when: Any,
        *,
        joins: Sequence[tuple[Any, Any]] = (),
        where: Sequence[ColumnElement[bool]] = (),
        keys: Sequence[Any] = (),
        value: Any = None,
        persons: Any = None,
        trend: str | None = None,
        trend_states: Sequence[str] = (),
    ) -> None:
        """Rows of `when`'s table in the two periods, grouped by the grain. `officer` is the
        column that places a row in the scope; `persons` (a person id column) places it there
        through the person's officer instead, without joining the persons. With `trend` the
        rows are counted per chart bucket and those with k0 in `trend_states` make that trend
        too (one pass over the table instead of two)."""
        intervals = self.intervals(when, grain is Grain.TREND or trend is not None)
        bucket = _bucket_case(when, intervals)
        texts = [_text(k) for k in keys]
        owner = officer if grain is Grain.OFFICER else cast(null(), Integer)
        columns = [
            literal(len(self.parts)).label("part"),
            owner.label("officer"),
            *[t.label(f"k{i}") for i, t in enumerate(texts)],
            *[cast(null(), String).label(f"k{i}") for i in range(len(texts), 2)],
            bucket.label("bucket"),
            func.sum(value if value is not None else literal(1)).label("value"),
        ]
        query = select(*columns).select_from(when.table)
        for target, on in joins:
            query = query.join(target, on)
        query = query.where(when >= intervals[0][0], when < intervals[-1][1], *where)
        if self.scope.kind is not ScopeKind.UNIT:
            officers = list(self.scope.officers) or [-1]
            if persons is not None:
                in_scope = select(PersonRow.id).where(PersonRow.officer_id.in_(officers))
                query = query.where(persons.in_(in_scope))
            else:
                query = query.where(officer.in_(officers))
        grouped = [*([officer] if grain is Grain.OFFICER else []), *texts, bucket]
        part = _Part(
            metric, grain, len(keys), query.group_by(*grouped), trend, frozenset(trend_states)
        )
        self.parts.append(part)

    def count(self, session: Session, raw: RawStatistics) -> None:
        """Run every part as one statement and file its rows into `raw`."""
        statement = union_all(*[p.query for p in self.parts])
        for part_index, officer, k0, k1, bucket, total in session.connection().execute(statement):
            if bucket < 0:
                continue
            part = self.parts[part_index]
            value = int(total or 0)
            if part.trend is not None:
                if k0 in part.trend_states:
                    raw.trends[part.trend][bucket] += value
                bucket = self.period_of[bucket]
            if part.grain is Grain.OFFICER:
                counts = raw.officers[part.metric].setdefault(int(officer), [0, 0])
            elif part.grain is Grain.KEYS:
                key = (k0, k1)[: part.keys]
                counts = raw.keyed[part.metric].setdefault(key, [0, 0])
            else:
                counts = raw.trends[part.metric]
            counts[bucket] += value

    def prepare(self, raw: RawStatistics) -> None:
        for part in self.parts:
            if part.grain is Grain.OFFICER:
                raw.officers.setdefault(part.metric, {})
            elif part.grain is Grain.KEYS:
                raw.keyed.setdefault(part.metric, {})
            else:
                raw.trends.setdefault(part.metric, [0] * len(self.fine))
            if part.trend is not None:
                raw.trends.setdefault(part.trend, [0] * len(self.fine))


def _text(key: Any) -> Any:
    if isinstance(key.type, Boolean):
        return case((key, "yes"), else_="no")
    return func.coalesce(key, "")


def collect_statistics(
    session: Session,
    actor: Actor,
    scope: StatisticsScope,
    comparison: Comparison,
    buckets: list[Bucket],
    *,
    zone: str,
    cadence: VisitCadence | None = None,
    audit_action: str = "view",
) -> RawStatistics:
    """Every figure of the dashboard for the scope (audited: a view, or an export)."""
    parts = _Parts(scope, session.get_bind().dialect.name, comparison, buckets, zone)
    _investigation_parts(parts)
    _alert_parts(parts)
    raw = RawStatistics(scope, buckets)
    parts.prepare(raw)
    if parts.dialect == "postgresql":
        # The statement is many small grouped queries whose summed cost estimate passes the
        # JIT threshold; compiling them costs far more (~300 ms) than running them (~40 ms).
        # Each reads most of a table, where hash joins win; for a team the planner would probe
        # indexes once per investigation instead (team statement ~80 -> ~55 ms of CPU).
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL enable_nestloop = off"))
    parts.count(session, raw)
    _visits(session, scope, raw, comparison, cadence or VisitCadence())
    _backlog(session, scope, raw, comparison)
    detail = {
        "scope": scope.kind.value,
        "team_id": scope.team_id,
        "from": comparison.current.start,
        "to": comparison.current.end,
    }
    record_audit(session, actor, audit_action, "statistics", None, detail)
    return raw


def _investigation_parts(parts: _Parts) -> None:
    """Investigation records and exhibits, placed by the investigating officer (a breach
    offence unless found through an alert that already counts as a breach)."""
    officer, keys, trend = Grain.OFFICER, Grain.KEYS, Grain.TREND
    breach: dict[str, Any] = {"where": [OffenceRow.breach.is_(True), _not_through_breach_alert()]}
    condition = func.coalesce(OffenceRow.breach_condition, OffenceRow.offence_type)
    spec: list[tuple[str, Grain, Any, dict[str, Any]]] = [
        ("referrals", keys, ReferralRow.received_on, {"keys": [ReferralRow.online]}),
        ("warrants_executed", officer, WarrantRow.executed_on, {}),
        ("arrests", officer, ArrestRow.arrested_on, {}),
        ("arrests", trend, ArrestRow.arrested_on, {}),
        ("offences", keys, OffenceRow.identified_on, {"keys": [OffenceRow.offence_type]}),
        ("offences_cyber", officer, OffenceRow.identified_on,
         {"where": [OffenceRow.cyber.is_(True)]}),
        ("breach_offences", officer, OffenceRow.identified_on, breach),
        ("breach_offences", keys, OffenceRow.identified_on, {**breach, "keys": [condition]}),
        ("breach_offences", trend, OffenceRow.identified_on, breach),
        ("charges", officer, ChargeRow.charged_on, {}),
        ("charge_results", keys, ChargeRow.result_on, {"keys": [ChargeRow.result]}),
        ("children_safeguarded", officer, SafeguardingRow.recorded_on,
         {"value": SafeguardingRow.children}),
        ("investigations_opened", keys, InvestigationRow.opened_on, {}),
        ("investigation_outcomes", keys, InvestigationRow.outcome_on,
         {"keys": [InvestigationRow.outcome]}),
        ("exhibits_seized", officer, ExhibitRow.seized_on, {}),
        ("exhibits_seized", trend, ExhibitRow.seized_on, {}),
        ("hidden_devices", keys, ExhibitRow.seized_on,
         {"where": [or_(ExhibitRow.hidden, ExhibitRow.undeclared)]}),
        ("exhibits_examined", keys, ExhibitRow.first_exam_on, {}),
        ("exam_days", keys, ExhibitRow.first_exam_on, {"keys": [_days_to_examination(parts)]}),
    ]  # fmt: skip
    for metric, grain, when, options in spec:
        table = when.class_
        joins = [] if table is InvestigationRow else [
            (InvestigationRow, InvestigationRow.id == table.investigation_id)
        ]  # fmt: skip
        parts.add(metric, grain, InvestigationRow.officer_id, when, joins=joins, **options)


def _days_to_examination(parts: _Parts) -> ColumnElement[Any]:
    """Whole days from seizure to first examination (SQLite keeps dates as ISO text)."""
    if parts.dialect == "sqlite":
        days = func.julianday(ExhibitRow.first_exam_on) - func.julianday(ExhibitRow.seized_on)
        return cast(cast(days, Integer), String)
    return cast(ExhibitRow.first_exam_on - ExhibitRow.seized_on, String)


def _alert_parts(parts: _Parts) -> None:
    """Alerts, placed by their person's officer: raised and decided (per state and condition,
    the breaches also the chart's) per chart bucket, and breaches per officer (the breakdown):
    three passes over the alerts."""
    closed = [c.value for c in CLOSED_STATES]
    person = AlertRow.person_id
    by_person = [(PersonRow, PersonRow.id == AlertRow.person_id)]
    # fmt: off
    parts.add("alerts_raised", Grain.TREND, None, AlertRow.opened_at, persons=person)
    parts.add("alert_decisions", Grain.KEYS, None, AlertRow.state_changed_at, persons=person,
              where=[AlertRow.state.in_(closed)], keys=[AlertRow.state, AlertRow.condition],
              trend="breach_alerts", trend_states=BREACH_STATES)
    parts.add("breach_alerts", Grain.OFFICER, PersonRow.officer_id, AlertRow.state_changed_at,
              joins=by_person, where=[AlertRow.state.in_(BREACH_STATES)])
    # fmt: on


def _moments(spans: Sequence[Period | Bucket], zone: str) -> list[tuple[datetime, datetime]]:
    """Local-day intervals as UTC instants (for timestamp columns)."""
    starts = utc_boundaries([s.start for s in spans], zone)
    ends = utc_boundaries([s.end_exclusive for s in spans], zone)
    return list(zip(starts, ends, strict=True))


def _not_through_breach_alert() -> ColumnElement[bool]:
    """A breach offence counts unless the alert it came from already counts as a breach."""
    through = select(AlertRow.id).where(
        AlertRow.id == OffenceRow.alert_id, AlertRow.state.in_(BREACH_STATES)
    )
    return or_(OffenceRow.alert_id.is_(None), ~exists(through))


def _scoped(query: Any, scope: StatisticsScope, officer_col: Any) -> Any:
    if scope.kind is ScopeKind.UNIT:
        return query
    return query.where(officer_col.in_(list(scope.officers) or [-1]))


def _backlog(
    session: Session, scope: StatisticsScope, raw: RawStatistics, comparison: Comparison
) -> None:
    """Exhibits seized but not yet examined (nor returned) at the end of each period."""
    columns = []
    for period in (comparison.previous, comparison.current):
        end = period.end
        waiting = (
            (ExhibitRow.seized_on <= end)
            & (or_(ExhibitRow.first_exam_on.is_(None), ExhibitRow.first_exam_on > end))
            & (or_(ExhibitRow.disposed_on.is_(None), ExhibitRow.disposed_on > end))
        )
        columns.append(func.sum(case((waiting, 1), else_=0)))
    query = (
        select(InvestigationRow.officer_id, *columns)
        .join(InvestigationRow, InvestigationRow.id == ExhibitRow.investigation_id)
        .where(
            ExhibitRow.seized_on <= comparison.current.end,
            or_(
                ExhibitRow.first_exam_on.is_(None),
                ExhibitRow.first_exam_on > comparison.previous.end,
            ),
            or_(ExhibitRow.disposed_on.is_(None), ExhibitRow.disposed_on > comparison.previous.end),
        )
        .group_by(InvestigationRow.officer_id)
    )
    for officer, previous, current in session.connection().execute(
        _scoped(query, scope, InvestigationRow.officer_id)
    ):
        raw.backlog[officer] = [int(previous or 0), int(current or 0)]


def _routine_days(cadence: VisitCadence) -> dict[tuple[str, str], timedelta | None]:
    """The routine interval per (risk, management), from the domain rule (None: reactive)."""
    origin = date(2000, 1, 1)
    intervals: dict[tuple[str, str], timedelta | None] = {}
    for risk in RiskLevel:
        for management in ManagementLevel:
            routine = next_visit_due(risk, management, None, origin, cadence)
            intervals[(risk.value, management.value)] = routine - origin if routine else None
    return intervals


def _visits(
    session: Session,
    scope: StatisticsScope,
    raw: RawStatistics,
    comparison: Comparison,
    cadence: VisitCadence,
) -> None:
    """Per officer: visits done (and done late) in each period, and persons whose visit was
    overdue at each period's end (today's risk level), in one pass over the visits.

    A person is overdue at `end` when effective_visit_due's date, the earlier of last visit (or
    start of management) + the routine interval and the earliest visit booked but not made, is
    before `end`: the booked visit is before it, or the last visit is before `end` - interval.
    """
    periods = (comparison.previous, comparison.current)
    per_person: list[ColumnElement[Any]] = []
    for period in periods:
        end = period.end
        done = (VisitRow.done_on >= period.start) & (VisitRow.done_on <= end)
        still_open = (VisitRow.due_on <= end) & or_(
            VisitRow.done_on.is_(None), VisitRow.done_on > end
        )
        per_person += [
            func.max(case((VisitRow.done_on <= end, VisitRow.done_on))),
            func.min(case((still_open, VisitRow.due_on))),
            func.sum(case((done, 1), else_=0)),
            func.sum(case((done & (VisitRow.done_on > VisitRow.due_on), 1), else_=0)),
        ]
    visits_query = select(
        VisitRow.person_id.label("person_id"),
        *[c.label(f"a{i}") for i, c in enumerate(per_person)],
    ).group_by(VisitRow.person_id)
    if scope.kind is not ScopeKind.UNIT:
        in_scope = select(PersonRow.id).where(
            PersonRow.officer_id.in_(list(scope.officers) or [-1])
        )
        visits_query = visits_query.where(VisitRow.person_id.in_(in_scope))
    visits = visits_query.subquery()
    routine = _routine_days(cadence)
    columns: list[ColumnElement[Any]] = []
    for index, period in enumerate(periods):
        end = period.end
        last, booked, done_count, late_count = (visits.c[f"a{4 * index + i}"] for i in range(4))
        thresholds = [
            (and_(PersonRow.risk_level == risk, PersonRow.management_level == level), end - days)
            for (risk, level), days in routine.items()
            if days is not None
        ]
        overdue = (PersonRow.managed_since <= end) & or_(
            booked < end,
            func.coalesce(last, PersonRow.managed_since) < case(*thresholds, else_=None),
        )
        columns += [
            func.sum(case((overdue, 1), else_=0)),
            func.sum(func.coalesce(done_count, 0)),
            func.sum(func.coalesce(late_count, 0)),
        ]
    query = (
        select(PersonRow.officer_id, *columns)
        .outerjoin(visits, visits.c.person_id == PersonRow.id)
        .group_by(PersonRow.officer_id)
    )
    done_by = raw.officers.setdefault("visits_done", {})
    late_by = raw.officers.setdefault("visits_late", {})
    for officer, *counts in session.connection().execute(
        _scoped(query, scope, PersonRow.officer_id)
    ):
        counts = [int(c or 0) for c in counts]
        overdue_previous, done_previous, late_previous = counts[:3]
        overdue_current, done_current, late_current = counts[3:]
        raw.overdue[officer] = [overdue_previous, overdue_current]
        if done_previous or done_current:
            done_by[officer] = [done_previous, done_current]
        if late_previous or late_current:
            late_by[officer] = [late_previous, late_current]
