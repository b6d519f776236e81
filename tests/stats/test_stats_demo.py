"""The demo's year of investigations: plausible, consistent with the domain rules, and enough
for every dashboard figure to mean something."""

from __future__ import annotations

from datetime import date

from orderwatch.demo import build_demo_unit
from orderwatch.demo.investigations import build_demo_investigations
from orderwatch.domain.access import Actor
from orderwatch.domain.investigations import load_offence_types
from orderwatch.domain.investigations_exhibits import CustodyAction, ExhibitStatus
from orderwatch.domain.statistics import Preset, preset_comparison
from orderwatch.stats.dashboard import build_dashboard
from orderwatch.storage import Database, verify_audit_chain
from orderwatch.storage.exhibits import get_exhibit, list_queue
from orderwatch.storage.investigations import list_investigations
from orderwatch.storage.investigations_stats import ScopeKind

SYSTEM = Actor.command_line("tests")
TODAY = date(2025, 6, 1)


def test_a_year_of_demo_investigations(database: Database) -> None:
    build_demo_unit(database, persons=120, officers=6, today=TODAY, password="demo-password-1")
    made = build_demo_investigations(database, per_officer=10, seed=3, today=TODAY)
    assert made.investigations > 30 and made.exhibits > made.investigations / 2
    with database.session() as session:
        listed = list_investigations(session, SYSTEM, limit=5000)
        queue = list_queue(session, SYSTEM, statuses=list(ExhibitStatus), limit=10_000)
        sample = [get_exhibit(session, SYSTEM, e.id) for e in queue[:40]]
        assert verify_audit_chain(session).ok
    assert len(listed) == made.investigations and len(queue) == made.exhibits
    assert all(TODAY.replace(year=2024) <= i.opened_on <= TODAY for i in listed)
    assert sum(1 for i in listed if i.person_reference is None) > 0  # unmanaged suspects too
    for exhibit in sample:
        steps = exhibit.custody
        assert steps[0].action is CustodyAction.SEIZED and steps[0].seal_number
        assert [s.at for s in steps] == sorted(s.at for s in steps)
        closed = exhibit.summary.status in (ExhibitStatus.RETURNED, ExhibitStatus.DESTROYED)
        assert closed == (
            steps[-1].action in (CustodyAction.RETURNED_TO_OWNER, CustodyAction.DESTROYED)
        )
        if exhibit.summary.first_exam_on is not None:
            assert exhibit.summary.first_exam_on >= exhibit.summary.seized_on
    dashboard = build_dashboard(
        database,
        SYSTEM,
        ScopeKind.UNIT,
        preset_comparison(Preset.SIX_MONTHS, TODAY),
        load_offence_types(),
    )
    for key in ("arrests", "charges", "offences_cyber", "devices_seized", "warrants_executed"):
        figure = dashboard.figure(key)
        assert figure.current > 0 and figure.previous > 0, key
    assert dashboard.figure("breaches").current > 0 and dashboard.breaches_by_condition
