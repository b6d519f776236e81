"""The dashboard's aggregation in SQL against the same figures counted row by row in Python
(stats_reference.py), on a generated unit: demo persons and investigations, alerts around local
midnight, breach offences found through alerts; month and week chart buckets; team and unit."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update
from stats_reference import Reference

from orderwatch.demo import build_demo_unit
from orderwatch.demo.investigations import build_demo_investigations
from orderwatch.domain.access import Actor
from orderwatch.domain.investigations import load_offence_types
from orderwatch.domain.statistics import (
    UNIT_TIME_ZONE,
    Comparison,
    Preset,
    custom_comparison,
    preset_comparison,
)
from orderwatch.stats.dashboard import Dashboard, _condition_label, build_dashboard
from orderwatch.storage import Database, get_user_by_username
from orderwatch.storage.investigations_stats import ScopeKind
from orderwatch.storage.investigations_tables import OffenceRow
from orderwatch.storage.monitoring_tables import AlertRow
from orderwatch.storage.tables import PersonRow

SYSTEM = Actor.command_line("stats reference tests")
TODAY = date(2025, 6, 1)
TYPES = load_offence_types()
STATES = ("closed_no_action", "advice_given", "breach_recorded", "referred_for_arrest")
CONDITIONS = ("declare_devices", "no_contact_with_children", "prohibited_words")
FIXED = {"device_id": None, "severity": "high", "severity_rank": 3, "detail": None}
FIXED |= {"occurrences": 1, "state_changed_by": None}


def _alerts(database: Database, count: int, seed: int = 5) -> None:
    """Alerts over the last two years, a third of them within minutes of a local midnight."""
    rng = random.Random(seed)
    with database.read_session() as session:
        persons = list(session.scalars(select(PersonRow.id)))
    start = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) - timedelta(days=730)
    rows = []
    for n in range(count):
        opened = start + timedelta(seconds=rng.randint(0, 730 * 86400))
        if n % 3 == 0:  # 23:00 UTC is local midnight in summer, 00:00 in winter
            opened = opened.replace(hour=rng.choice((22, 23, 0)), minute=rng.randint(0, 59))
        state = rng.choice((*STATES, "new", "under_review"))
        condition = rng.choice(CONDITIONS)
        changed = opened + timedelta(hours=rng.randint(0, 30)) if state in STATES else None
        stamps = dict.fromkeys(("first_seen", "last_seen", "opened_at", "updated_at"), opened)
        rows.append(
            FIXED
            | stamps
            | {"person_id": rng.choice(persons), "condition": condition, "key": f"{condition}:{n}"}
            | {"title": f"alert {n}", "state": state, "state_changed_at": changed}
        )
    with database.session() as session:
        session.execute(insert(AlertRow), rows)
        alerts = list(session.scalars(select(AlertRow.id)))
        breaches = list(session.scalars(select(OffenceRow.id).where(OffenceRow.breach.is_(True))))
        for offence in breaches[::2]:  # half the breach offences were found through an alert
            session.execute(
                update(OffenceRow)
                .where(OffenceRow.id == offence)
                .values(alert_id=rng.choice(alerts))
            )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def generated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path
) -> Iterator[Database]:
    """The generated unit, built once per engine."""
    server = None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("stats-reference") / "orderwatch.sqlite3"
        shutil.copyfile(_sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        server = request.getfixturevalue("_postgres_server")
        if isinstance(server, str):
            pytest.skip(f"PostgreSQL unreachable: {server}")
        name = server.new_database()
        database = Database(server.url(name))
    build_demo_unit(database, persons=160, officers=8, today=TODAY, password="demo-password-1")
    build_demo_investigations(database, per_officer=12, seed=7, today=TODAY)
    _alerts(database, 1500)
    yield database
    database.dispose()
    if server is not None:
        server.drop(name)


COMPARISONS = {
    "six months": preset_comparison(Preset.SIX_MONTHS, TODAY),  # month buckets
    "eight weeks": custom_comparison(date(2025, 3, 10), date(2025, 5, 4), TODAY),  # week buckets
}


def _figures(dashboard: Dashboard) -> dict[str, tuple[float, float]]:
    return {f.key: (f.current, f.previous) for g in dashboard.groups for f in g.figures}


@pytest.mark.parametrize("period", list(COMPARISONS))
@pytest.mark.parametrize("kind", [ScopeKind.TEAM, ScopeKind.UNIT])
def test_sql_figures_match_row_by_row_counts(
    generated: Database, period: str, kind: ScopeKind
) -> None:
    comparison: Comparison = COMPARISONS[period]
    with generated.session() as session:
        actor = get_user_by_username(session, SYSTEM, "sup.north").actor
    dashboard = build_dashboard(generated, actor, kind, comparison, TYPES)
    reference = Reference(generated, comparison, UNIT_TIME_ZONE)
    scope = None if kind is ScopeKind.UNIT else set(dashboard.scope.officers)
    expected = reference.figures(scope)
    assert _figures(dashboard) == expected
    assert (
        dashboard.figure("breaches").current > 0 and dashboard.figure("alerts_raised").current > 0
    )

    found = {(f.label, f.current, f.previous) for f in dashboard.breaches_by_condition}
    counted = reference.by_condition(scope)
    labels = {key for key, _ in counted}
    assert found == {
        (_condition_label(k, TYPES), counted[(k, True)], counted[(k, False)]) for k in labels
    }
    assert dashboard.trends == reference.trends(scope)

    for row in dashboard.officer_rows:
        officer = next(o.id for o in dashboard.scope.officers.values() if o.full_name == row.label)
        mine = reference.figures({officer})
        assert {k: (c.current, c.previous) for k, c in row.figures.items()} == {
            k: mine[k] for k in row.figures
        }, row.label
    for row in dashboard.team_rows:
        members = {o.id for o in dashboard.scope.officers.values() if o.team_name == row.label}
        theirs = reference.figures(members)
        assert {k: (c.current, c.previous) for k, c in row.figures.items()} == {
            k: theirs[k] for k in row.figures
        }, row.label
