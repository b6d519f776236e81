"""Dashboard figures against hand-computed values (see stats_fixture.py): period boundaries,
local-midnight alerts, per-cent change from zero, breaches counted once, scopes by role."""

from __future__ import annotations

from datetime import date

import pytest
from stats_fixture import COMPARISON, TODAY, StatsUnit

from orderwatch.domain.errors import InvalidInputError, PermissionDeniedError
from orderwatch.domain.investigations import load_offence_types
from orderwatch.domain.statistics import Change, custom_comparison
from orderwatch.stats.dashboard import Dashboard, build_dashboard
from orderwatch.storage import list_audit
from orderwatch.storage.investigations_stats import ScopeKind

TYPES = load_offence_types()


def _dashboard(unit: StatsUnit, who: str, kind: ScopeKind, comparison=COMPARISON) -> Dashboard:  # type: ignore[no-untyped-def]
    return build_dashboard(unit.database, unit.actors[who], kind, comparison, TYPES)


def _figures(dashboard: Dashboard) -> dict[str, tuple[float, float]]:
    return {f.key: (f.current, f.previous) for group in dashboard.groups for f in group.figures}


def test_team_figures_by_hand(stats_unit: StatsUnit) -> None:
    dashboard = _dashboard(stats_unit, "sup.a", ScopeKind.TEAM)
    assert _figures(dashboard) == {
        "breaches": (3, 0),  # 2 alert decisions + the SHPO breach; the alert's offence once
        "arrests": (2, 2),  # 2 Oct and 1 Apr fall outside
        "charges": (3, 0),
        "warrants_executed": (1, 1),
        "offences": (3, 1),
        "offences_cyber": (1, 1),
        "children_safeguarded": (5, 4),
        "referrals": (0, 0),
        "referrals_online": (0, 0),
        "investigations_opened": (0, 0),  # team B's suspect is not team A's
        "devices_seized": (2, 2),
        "hidden_devices": (2, 0),
        "devices_examined": (1, 1),
        "backlog_at_end": (1, 1),
        "days_to_examination": (40, 10),
        "alerts_raised": (2, 1),  # 22:30 UTC on 31 Mar is 23:30 BST: in; 23:30 UTC is 1 Apr
        "alerts_decided": (2, 1),
        "visits_done": (1, 1),
        "visits_late": (1, 0),
        "overdue_at_end": (1, 1),  # P-A2, never visited
    }
    assert dashboard.figure("breaches").change.describe == "new (none before)"
    assert dashboard.figure("arrests").change.describe == "no change"
    assert dashboard.figure("children_safeguarded").change.percent == 25.0
    assert dashboard.figure("days_to_examination").change.describe == "+300%"
    assert [(f.label, f.current, f.previous) for f in dashboard.breaches_by_condition] == [
        ("No contact with children", 2, 0),
        ("Prohibited words", 1, 0),
    ]
    decisions = {f.key: (f.current, f.previous) for f in dashboard.alert_outcomes}
    assert decisions["alert:breach_recorded"] == (1, 0)
    assert decisions["alert:referred_for_arrest"] == (1, 0)
    assert decisions["alert:closed_no_action"] == (0, 1)
    offences = {f.label: (f.current, f.previous) for f in dashboard.offences_by_type}
    assert offences["Possession of indecent images of children"] == (0, 1)
    assert offences["Breach of notification requirements"] == (1, 0)
    assert [r.label for r in dashboard.officer_rows] == ["Officer A One", "Officer A Two"]
    a1, a2 = (r.figures for r in dashboard.officer_rows)
    assert a1["arrests"] == Change(2, 2) and a2["arrests"] == Change(0, 0)
    assert a1["overdue_at_end"] == Change(0, 0) and a2["overdue_at_end"] == Change(1, 1)
    assert dashboard.team_rows == ()
    # monthly trend: Oct (from 3rd) .. Dec, then Jan .. Mar
    assert [b.label for b in dashboard.buckets] == [
        "Oct 2024", "Nov 2024", "Dec 2024", "Jan 2025", "Feb 2025", "Mar 2025",
    ]  # fmt: skip
    assert dashboard.trends["arrests"] == (1, 0, 1, 1, 0, 1)
    assert dashboard.trends["alerts_raised"] == (1, 0, 0, 1, 0, 1)
    assert dashboard.trends["breaches"] == (0, 0, 0, 1, 1, 1)


def test_unit_scope_adds_team_lines_and_officers_see_their_own(stats_unit: StatsUnit) -> None:
    unit = _dashboard(stats_unit, "sup.a", ScopeKind.UNIT)
    assert unit.figure("arrests").change == Change(3, 2)
    assert unit.figure("investigations_opened").change == Change(1, 0)
    assert unit.figure("overdue_at_end").change == Change(2, 2)
    outcomes = {f.key: f.current for f in unit.investigation_outcomes}
    assert outcomes["outcome:charged"] == 1
    assert [(r.label, r.figures["arrests"]) for r in unit.team_rows] == [
        ("Team A", Change(2, 2)),
        ("Team B", Change(1, 0)),
    ]
    # a supervisor sees each officer of their own team, not the other team's
    assert [r.label for r in unit.officer_rows] == ["Officer A One", "Officer A Two"]
    own = _dashboard(stats_unit, "ofc.a1", ScopeKind.OWN)
    assert own.figure("arrests").change == Change(2, 2)
    assert own.figure("overdue_at_end").change == Change(0, 0)
    assert own.officer_rows == () and own.team_rows == ()
    assert _dashboard(stats_unit, "ofc.b1", ScopeKind.OWN).figure("arrests").change == Change(1, 0)


def test_who_may_see_which_scope(stats_unit: StatsUnit) -> None:
    for who in ("exam", "admin", "auditor"):
        with pytest.raises(PermissionDeniedError):
            _dashboard(stats_unit, who, ScopeKind.UNIT)
    for kind in (ScopeKind.TEAM, ScopeKind.UNIT):
        with pytest.raises(PermissionDeniedError):
            _dashboard(stats_unit, "ofc.a1", kind)
    with pytest.raises(InvalidInputError) as caught:
        _dashboard(stats_unit, "sup.a", ScopeKind.OWN)
    assert caught.value.source == "scope"


def test_a_period_with_no_data_is_an_honest_empty_state(stats_unit: StatsUnit) -> None:
    quiet = custom_comparison(date(2020, 1, 1), date(2020, 3, 31), TODAY)
    dashboard = _dashboard(stats_unit, "sup.a", ScopeKind.TEAM, quiet)
    assert dashboard.empty
    assert dashboard.figure("arrests").change.describe == "no change"
    assert dashboard.breaches_by_condition == ()
    assert not _dashboard(stats_unit, "sup.a", ScopeKind.TEAM).empty


def test_viewing_statistics_is_audited(stats_unit: StatsUnit) -> None:
    from stats_fixture import SYSTEM

    _dashboard(stats_unit, "ofc.a1", ScopeKind.OWN)
    with stats_unit.database.session() as session:
        (entry,) = list_audit(session, SYSTEM, entity="statistics", username="ofc.a1", limit=1)
    assert entry.action == "view"
    assert entry.detail == {
        "scope": "own",
        "team_id": None,
        "from": "2025-01-01",
        "to": "2025-03-31",
    }
