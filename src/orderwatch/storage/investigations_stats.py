"""The unit's outcome figures, counted in the database: one statement (UNION ALL of a grouped
query per source) split by officer and period (the current one and the one before); the sources
the trend charts also need are counted per chart bucket (week/month) in that same statement and
folded into periods here, so each table is read once; then backlog, examination times, overdue.

Figures follow the officer they belong to: investigation records, exhibits and their outcomes
follow the investigating officer; alerts, visits and overdue visits follow the person's
responsible officer now. Who may see which scope is decided here (statistics_scope).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, case, func, literal, or_, select, union_all
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
from orderwatch.storage.tables import PersonRow, VisitRow

Key = tuple[str, ...]
# metric -> (officer id, key) -> value per bucket
Series = dict[tuple[int, Key], list[int]]
BREACH_STATES = tuple(s.value for s in OUTCOME_KINDS)


@dataclass
class RawStatistics:
    """Counts by source, officer, key and bucket; snapshots at each period's end."""

    scope: StatisticsScope
    buckets: list[Bucket]
    series: dict[str, Series] = field(default_factory=dict)  # [previous, current] per key
    trends: dict[str, list[int]] = field(default_factory=dict)  # scope total per bucket
    exam_days: list[tuple[int, bool, int]] = field(default_factory=list)  # officer, current, days
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
class _Branch:
    """One source's rows for the combined query: (metric, officer, k0, k1, interval, value)."""

    metric: str
    keys: int
    size: int  # number of intervals
    query: Any


def _branch(
    metric: str,
    scope: StatisticsScope,
    officer_col: Any,
    when_col: Any,
    intervals: Sequence[tuple[Any, Any]],
    *,
    joins: Sequence[tuple[Any, Any]] = (),
    where: Sequence[ColumnElement[bool]] = (),
    keys: Sequence[Any] = (),
    value: Any = None,
    base: Any = None,
    by_officer: bool = True,
) -> _Branch:
    """The rows of one source, each with the interval it falls in; without `by_officer` every
    officer in scope is folded into officer 0. Keys are text (booleans as yes/no)."""
    texts = [_text(k) for k in keys] + [literal("")] * (2 - len(keys))
    columns = [
        literal(metric).label("metric"),
        (officer_col if by_officer else literal(0)).label("officer"),
        texts[0].label("k0"),
        texts[1].label("k1"),
        _bucket_case(when_col, intervals).label("bucket"),
        (value if value is not None else literal(1)).label("value"),
    ]
    query = select(*columns).select_from(base if base is not None else when_col.table)
    for target, on in joins:
        query = query.join(target, on)
    query = query.where(when_col >= intervals[0][0], when_col < intervals[-1][1], *where)
    if scope.kind is not ScopeKind.UNIT:
        query = query.where(officer_col.in_(list(scope.officers) or [-1]))
    return _Branch(metric, len(keys), len(intervals), query)


def _text(key: Any) -> Any:
    if isinstance(key.type, Boolean):
        return case((key, "yes"), else_="no")
    return func.coalesce(key, "")


def _counted(session: Session, branches: Sequence[_Branch]) -> dict[str, Series]:
    """All branches in one statement (UNION ALL), grouped: metric -> (officer, keys) -> counts
    per interval; rows with no officer come under officer -1."""
    rows = union_all(*[b.query for b in branches]).subquery()
    grouped = select(
        rows.c.metric, rows.c.officer, rows.c.k0, rows.c.k1, rows.c.bucket, func.sum(rows.c.value)
    ).group_by(rows.c.metric, rows.c.officer, rows.c.k0, rows.c.k1, rows.c.bucket)
    width = {b.metric: b.keys for b in branches}
    sizes = {b.metric: b.size for b in branches}
    found: dict[str, Series] = {b.metric: {} for b in branches}
    for metric, officer, k0, k1, bucket, total in session.connection().execute(grouped):
        if bucket < 0:
            continue
        key = (k0, k1)[: width[metric]]
        owner = -1 if officer is None else int(officer)
        counts = found[metric].setdefault((owner, key), [0] * sizes[metric])
        counts[bucket] += int(total or 0)
    return found


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
    periods = (comparison.previous, comparison.current)
    days = [(p.start, p.end_exclusive) for p in periods]
    moments = _moments(periods, zone)
    raw = RawStatistics(scope, buckets)
    inv = InvestigationRow.officer_id
    # sources the trend charts share are counted per chart bucket (each inside one period)
    fine_days = [(b.start, b.end_exclusive) for b in buckets]
    fine_moments = _moments(buckets, zone)

    def via(table: Any) -> list[tuple[Any, Any]]:
        return [(InvestigationRow, InvestigationRow.id == table.investigation_id)]

    by_person = [(PersonRow, PersonRow.id == AlertRow.person_id)]
    closed = [c.value for c in CLOSED_STATES]
    late = case((VisitRow.done_on > VisitRow.due_on, "late"), else_="on time")
    branches = [
        _branch("referrals", scope, inv, ReferralRow.received_on, days,
                joins=via(ReferralRow), keys=[ReferralRow.online]),
        _branch("warrants_executed", scope, inv, WarrantRow.executed_on, days,
                joins=via(WarrantRow)),
        _branch("arrests", scope, inv, ArrestRow.arrested_on, fine_days, joins=via(ArrestRow)),
        _branch("offences", scope, inv, OffenceRow.identified_on, days,
                joins=via(OffenceRow), keys=[OffenceRow.offence_type, OffenceRow.cyber]),
        _breach_offences(scope, fine_days),
        _branch("charges", scope, inv, ChargeRow.charged_on, days, joins=via(ChargeRow)),
        _branch("charge_results", scope, inv, ChargeRow.result_on, days,
                joins=via(ChargeRow), keys=[ChargeRow.result]),
        _branch("children_safeguarded", scope, inv, SafeguardingRow.recorded_on, days,
                joins=via(SafeguardingRow), value=SafeguardingRow.children),
        _branch("investigations_opened", scope, inv, InvestigationRow.opened_on, days),
        _branch("investigation_outcomes", scope, inv, InvestigationRow.outcome_on, days,
                keys=[InvestigationRow.outcome]),
        _branch("exhibits_seized", scope, inv, ExhibitRow.seized_on, fine_days,
                joins=via(ExhibitRow), keys=[or_(ExhibitRow.hidden, ExhibitRow.undeclared)]),
        _branch("exhibits_examined", scope, inv, ExhibitRow.first_exam_on, days,
                joins=via(ExhibitRow)),
        _branch("alerts_raised", scope, PersonRow.officer_id, AlertRow.opened_at, fine_moments,
                joins=by_person),
        _branch("breach_alerts", scope, PersonRow.officer_id, AlertRow.state_changed_at,
                fine_moments, joins=by_person, where=[AlertRow.state.in_(BREACH_STATES)],
                by_officer=False),
        _branch("alert_decisions", scope, PersonRow.officer_id, AlertRow.state_changed_at,
                moments, joins=by_person, where=[AlertRow.state.in_(closed)],
                keys=[AlertRow.state, AlertRow.condition]),
        _branch("visits_done", scope, PersonRow.officer_id, VisitRow.done_on, days,
                joins=[(PersonRow, PersonRow.id == VisitRow.person_id)], keys=[late]),
    ]  # fmt: skip
    found = _counted(session, branches)
    _trends(raw, found, buckets)
    raw.series.update(found)
    _examination_times(session, scope, raw, comparison)
    _backlog(session, scope, raw, comparison)
    _overdue(session, scope, raw, comparison, cadence or VisitCadence())
    detail = {
        "scope": scope.kind.value,
        "team_id": scope.team_id,
        "from": comparison.current.start,
        "to": comparison.current.end,
    }
    record_audit(session, actor, audit_action, "statistics", None, detail)
    return raw


def _moments(spans: Sequence[Period | Bucket], zone: str) -> list[tuple[datetime, datetime]]:
    """Local-day intervals as UTC instants (for timestamp columns)."""
    starts = utc_boundaries([s.start for s in spans], zone)
    ends = utc_boundaries([s.end_exclusive for s in spans], zone)
    return list(zip(starts, ends, strict=True))


def _breach_offences(
    scope: StatisticsScope, intervals: Sequence[tuple[Any, Any]], **options: Any
) -> _Branch:
    """Breach offences, unless found through an alert that already counts as a breach; keyed
    by the condition breached (else the offence type)."""
    return _branch(
        "breach_offences",
        scope,
        InvestigationRow.officer_id,
        OffenceRow.identified_on,
        intervals,
        joins=[(InvestigationRow, InvestigationRow.id == OffenceRow.investigation_id)],
        where=[OffenceRow.breach.is_(True), _not_through_breach_alert()],
        keys=[func.coalesce(OffenceRow.breach_condition, OffenceRow.offence_type)],
        base=OffenceRow.__table__.outerjoin(AlertRow, AlertRow.id == OffenceRow.alert_id),
        **options,
    )


def _trends(raw: RawStatistics, found: dict[str, Series], buckets: list[Bucket]) -> None:
    """Scope totals per chart bucket for the trend charts (every officer, or none, and every
    key summed), then the per-bucket series folded into [previous, current] per officer (rows
    with no officer dropped, as the period figures always did)."""
    fine = ("arrests", "breach_offences", "exhibits_seized", "alerts_raised", "breach_alerts")

    def total(metric: str) -> list[int]:
        out = [0] * len(buckets)
        for counts in found[metric].values():
            out = [a + b for a, b in zip(out, counts, strict=True)]
        return out

    raw.trends["breaches"] = [
        a + b for a, b in zip(total("breach_alerts"), total("breach_offences"), strict=True)
    ]
    raw.trends["arrests"] = total("arrests")
    raw.trends["devices_seized"] = total("exhibits_seized")
    raw.trends["alerts_raised"] = total("alerts_raised")
    del found["breach_alerts"]
    for metric in fine:
        if metric not in found:
            continue
        folded: Series = {}
        for (officer, key), counts in found[metric].items():
            if officer < 0:
                continue
            periods = folded.setdefault((officer, key), [0, 0])
            for bucket, count in zip(buckets, counts, strict=True):
                periods[1 if bucket.current else 0] += count
        found[metric] = folded
    for metric, series in found.items():
        if metric not in fine:
            found[metric] = {k: v for k, v in series.items() if k[0] >= 0}


def _not_through_breach_alert() -> ColumnElement[bool]:
    """A breach offence counts unless the alert it came from already counts as a breach."""
    return or_(AlertRow.id.is_(None), AlertRow.state.not_in(BREACH_STATES))


def _scoped(query: Any, scope: StatisticsScope, officer_col: Any) -> Any:
    if scope.kind is ScopeKind.UNIT:
        return query
    return query.where(officer_col.in_(list(scope.officers) or [-1]))


def _examination_times(
    session: Session, scope: StatisticsScope, raw: RawStatistics, comparison: Comparison
) -> None:
    """Days from seizure to first examination, for exhibits first examined in either period."""
    query = (
        select(InvestigationRow.officer_id, ExhibitRow.seized_on, ExhibitRow.first_exam_on)
        .join(InvestigationRow, InvestigationRow.id == ExhibitRow.investigation_id)
        .where(
            ExhibitRow.first_exam_on >= comparison.previous.start,
            ExhibitRow.first_exam_on < comparison.current.end_exclusive,
        )
    )
    for officer, seized, examined in session.connection().execute(
        _scoped(query, scope, InvestigationRow.officer_id)
    ):
        current = examined >= comparison.current.start  # the query keeps only the two periods
        if current or examined <= comparison.previous.end:
            raw.exam_days.append((officer, current, (examined - seized).days))


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


def _overdue(
    session: Session,
    scope: StatisticsScope,
    raw: RawStatistics,
    comparison: Comparison,
    cadence: VisitCadence,
) -> None:
    """Persons whose visit was overdue at the end of each period (today's risk level)."""
    ends = (comparison.previous.end, comparison.current.end)
    aggregates: list[ColumnElement[Any]] = []
    for end in ends:
        aggregates.append(func.max(case((VisitRow.done_on <= end, VisitRow.done_on))))
        still_open = (VisitRow.due_on <= end) & or_(
            VisitRow.done_on.is_(None), VisitRow.done_on > end
        )
        aggregates.append(func.min(case((still_open, VisitRow.due_on))))
    visits_query = select(
        VisitRow.person_id.label("person_id"),
        *[a.label(f"a{i}") for i, a in enumerate(aggregates)],
    ).group_by(VisitRow.person_id)
    if scope.kind is not ScopeKind.UNIT:
        in_scope = select(PersonRow.id).where(
            PersonRow.officer_id.in_(list(scope.officers) or [-1])
        )
        visits_query = visits_query.where(VisitRow.person_id.in_(in_scope))
    visits = visits_query.subquery()
    query = (
        select(
            PersonRow.officer_id,
            PersonRow.risk_level,
            PersonRow.management_level,
            PersonRow.managed_since,
            *[visits.c[f"a{i}"] for i in range(4)],
        )
        .outerjoin(visits, visits.c.person_id == PersonRow.id)
        .where(PersonRow.managed_since <= comparison.current.end)
    )
    # The routine interval per (risk, management), taken from the domain rule once (None for
    # reactive management); per person the due date is then effective_visit_due's: the earlier
    # of last visit (or start) + interval and the earliest visit booked but not made.
    origin = date(2000, 1, 1)
    intervals = {}
    for risk in RiskLevel:
        for management in ManagementLevel:
            routine = next_visit_due(risk, management, None, origin, cadence)
            intervals[(risk.value, management.value)] = routine - origin if routine else None
    for officer, risk_value, management_value, since, *marks in session.connection().execute(
        _scoped(query, scope, PersonRow.officer_id)
    ):
        counts = raw.overdue.setdefault(officer, [0, 0])
        interval = intervals[(risk_value, management_value)]
        for index, end in enumerate(ends):
            if since > end:
                continue
            last, booked = _as_date(marks[2 * index]), _as_date(marks[2 * index + 1])
            due = (last or since) + interval if interval is not None else None
            if booked is not None and (due is None or booked < due):
                due = booked
            if due is not None and end > due:
                counts[index] += 1


def _as_date(value: Any) -> date | None:
    """MAX/MIN over a CASE lose the column type on SQLite (ISO text comes back)."""
    if value is None or isinstance(value, date):
        return value if not isinstance(value, datetime) else value.date()
    return date.fromisoformat(str(value)[:10])
