"""The dashboard's figures worked out the slow, obvious way: every row read into Python and
counted against the definitions (local days in the unit's zone, the person's officer now for
alerts and visits, the investigating officer for everything else). The aggregation in SQL is
checked against this on generated data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from orderwatch.domain.caseload import (
    ManagementLevel,
    RiskLevel,
    VisitCadence,
    is_overdue,
    next_visit_due,
)
from orderwatch.domain.statistics import Comparison, chart_buckets, median
from orderwatch.monitor.alert_states import CLOSED_STATES, OUTCOME_KINDS
from orderwatch.storage import Database
from orderwatch.storage.exhibits_tables import ExhibitRow
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

Pair = tuple[float, float]  # (current, previous)
BREACHES = {s.value for s in OUTCOME_KINDS}
CLOSED = {s.value for s in CLOSED_STATES}


class Reference:
    """Every row of the tables the dashboard reads, and the figures counted from them."""

    def __init__(self, database: Database, comparison: Comparison, zone: str) -> None:
        self.comparison = comparison
        self.tz = ZoneInfo(zone)
        with database.read_session() as session:

            def rows(*columns: Any) -> list[Any]:
                return list(session.execute(select(*columns)))

            inv = {
                i: o
                for i, o in session.execute(
                    select(InvestigationRow.id, InvestigationRow.officer_id)
                )
            }
            self.investigations = rows(
                InvestigationRow.officer_id,
                InvestigationRow.opened_on,
                InvestigationRow.outcome,
                InvestigationRow.outcome_on,
            )

            def owned(table: Any, *columns: Any) -> list[tuple[Any, ...]]:
                return [(inv[r[0]], *r[1:]) for r in rows(table.investigation_id, *columns)]

            self.referrals = owned(ReferralRow, ReferralRow.received_on, ReferralRow.online)
            self.warrants = owned(WarrantRow, WarrantRow.executed_on)
            self.arrests = owned(ArrestRow, ArrestRow.arrested_on)
            self.charges = owned(
                ChargeRow, ChargeRow.charged_on, ChargeRow.result, ChargeRow.result_on
            )
            self.safeguarding = owned(
                SafeguardingRow, SafeguardingRow.recorded_on, SafeguardingRow.children
            )
            alert_state = dict(rows(AlertRow.id, AlertRow.state))
            self.offences = [
                (o, day, kind, cyber, breach and alert_state.get(alert) not in BREACHES, condition)
                for o, day, kind, cyber, breach, alert, condition in owned(
                    OffenceRow, OffenceRow.identified_on, OffenceRow.offence_type,
                    OffenceRow.cyber, OffenceRow.breach, OffenceRow.alert_id,
                    OffenceRow.breach_condition,
                )
            ]  # fmt: skip
            self.exhibits = owned(
                ExhibitRow, ExhibitRow.seized_on, ExhibitRow.hidden, ExhibitRow.undeclared,
                ExhibitRow.first_exam_on, ExhibitRow.disposed_on,
            )  # fmt: skip
            self.persons = {r[0]: r[1:] for r in rows(
                PersonRow.id, PersonRow.officer_id, PersonRow.risk_level,
                PersonRow.management_level, PersonRow.managed_since,
            )}  # fmt: skip
            self.alerts = [
                (self.persons[p][0], self._day(opened), state, self._day(changed), condition)
                for p, opened, state, changed, condition in rows(
                    AlertRow.person_id, AlertRow.opened_at, AlertRow.state,
                    AlertRow.state_changed_at, AlertRow.condition,
                )
            ]  # fmt: skip
            self.visits = rows(VisitRow.person_id, VisitRow.due_on, VisitRow.done_on)

    def _day(self, moment: datetime | None) -> date | None:
        return None if moment is None else moment.astimezone(self.tz).date()

    def _pair(self, items: Iterable[tuple[date | None, float]]) -> Pair:
        current = previous = 0.0
        for day, value in items:
            if day is None:
                continue
            if self.comparison.current.contains(day):
                current += value
            elif self.comparison.previous.contains(day):
                previous += value
        return (current, previous)

    def figures(self, officers: set[int] | None) -> dict[str, Pair]:
        """Every figure of the dashboard's groups for these officers (None: all)."""

        def mine(o: int) -> bool:
            return officers is None or o in officers

        def count(
            rows: Iterable[Any],
            day: Callable[[Any], date | None],
            keep: Callable[[Any], bool] = lambda _: True,
        ) -> Pair:
            return self._pair((day(r), 1) for r in rows if mine(r[0]) and keep(r))

        c = self.comparison
        decided = [a for a in self.alerts if a[2] in CLOSED]
        breach_alerts = count(decided, lambda a: a[3], lambda a: a[2] in BREACHES)
        breach_offences = count(self.offences, lambda r: r[1], lambda r: r[4])
        exam = [
            (e[4], (e[4] - e[1]).days) for e in self.exhibits if mine(e[0]) and e[4] is not None
        ]
        return {
            "breaches": (breach_alerts[0] + breach_offences[0],
                         breach_alerts[1] + breach_offences[1]),
            "arrests": count(self.arrests, lambda r: r[1]),
            "charges": count(self.charges, lambda r: r[1]),
            "warrants_executed": count(self.warrants, lambda r: r[1]),
            "offences": count(self.offences, lambda r: r[1]),
            "offences_cyber": count(self.offences, lambda r: r[1], lambda r: r[3]),
            "children_safeguarded": self._pair(
                (r[1], r[2]) for r in self.safeguarding if mine(r[0])
            ),
            "referrals": count(self.referrals, lambda r: r[1]),
            "referrals_online": count(self.referrals, lambda r: r[1], lambda r: r[2]),
            "investigations_opened": count(self.investigations, lambda r: r[1]),
            "devices_seized": count(self.exhibits, lambda r: r[1]),
            "hidden_devices": count(self.exhibits, lambda r: r[1], lambda r: r[2] or r[3]),
            "devices_examined": count(self.exhibits, lambda r: r[4]),
            "backlog_at_end": tuple(  # type: ignore[dict-item]
                sum(1 for e in self.exhibits if mine(e[0]) and e[1] <= end
                    and (e[4] is None or e[4] > end) and (e[5] is None or e[5] > end))
                for end in (c.current.end, c.previous.end)
            ),
            "days_to_examination": tuple(  # type: ignore[dict-item]
                median([d for day, d in exam if period.contains(day)]) or 0
                for period in (c.current, c.previous)
            ),
            "alerts_raised": count(self.alerts, lambda a: a[1]),
            "alerts_decided": count(decided, lambda a: a[3]),
            "visits_done": self._visits_done(mine, lambda due, done: True),
            "visits_late": self._visits_done(mine, lambda due, done: done > due),
            "overdue_at_end": tuple(  # type: ignore[dict-item]
                self._overdue(mine, end) for end in (c.current.end, c.previous.end)
            ),
        }  # fmt: skip

    def _visits_done(self, mine: Callable[[int], bool], keep: Callable[[date, date], bool]) -> Pair:
        return self._pair(
            (done, 1)
            for person, due, done in self.visits
            if mine(self.persons[person][0]) and done is not None and keep(due, done)
        )

    def _overdue(self, mine: Callable[[int], bool], end: date) -> int:
        last: dict[int, date] = {}
        booked: dict[int, date] = {}
        for person, due, done in self.visits:
            if done is not None and done <= end:
                last[person] = max(done, last.get(person, done))
            if due <= end and (done is None or done > end):
                booked[person] = min(due, booked.get(person, due))
        overdue = 0
        for person, (officer, risk, management, since) in self.persons.items():
            if not mine(officer) or since > end:
                continue
            due = next_visit_due(
                RiskLevel(risk),
                ManagementLevel(management),
                last.get(person),
                since,
                VisitCadence(),
            )
            if person in booked and (due is None or booked[person] < due):
                due = booked[person]
            overdue += is_overdue(due, end)
        return overdue

    def by_condition(self, officers: set[int] | None) -> Counter[tuple[str, bool]]:
        """Breaches per condition (alerts) or condition/type (offences), per period."""
        found: Counter[tuple[str, bool]] = Counter()
        c = self.comparison

        def add(officer: int, day: date | None, key: str) -> None:
            wanted = officers is None or officer in officers
            if wanted and day is not None and (c.current.contains(day) or c.previous.contains(day)):
                found[(key, c.current.contains(day))] += 1

        for officer, _, state, day, condition in self.alerts:
            if state in BREACHES:
                add(officer, day, condition)
        for officer, day, kind, _, counted, condition in self.offences:
            if counted:
                add(officer, day, condition if condition is not None else kind)
        return found

    def trends(self, officers: set[int] | None) -> dict[str, tuple[int, ...]]:
        """Counts per chart bucket of the four trend charts."""
        buckets = chart_buckets(self.comparison)

        def per_bucket(days: Iterable[date | None]) -> tuple[int, ...]:
            out = [0] * len(buckets)
            for day in days:
                for i, b in enumerate(buckets):
                    if day is not None and b.start <= day < b.end_exclusive:
                        out[i] += 1
            return tuple(out)

        def mine(o: int) -> bool:
            return officers is None or o in officers

        breaches = [a[3] for a in self.alerts if mine(a[0]) and a[2] in BREACHES]
        breaches += [r[1] for r in self.offences if mine(r[0]) and r[4]]
        return {
            "breaches": per_bucket(breaches),
            "arrests": per_bucket(r[1] for r in self.arrests if mine(r[0])),
            "devices_seized": per_bucket(r[1] for r in self.exhibits if mine(r[0])),
            "alerts_raised": per_bucket(a[1] for a in self.alerts if mine(a[0])),
        }
