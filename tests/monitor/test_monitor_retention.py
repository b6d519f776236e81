"""Retention: observations past the period are purged, except the evidence of open alerts and
of recorded breaches; batch replay records go too; the purge is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from monitor_unit import SYSTEM, MonitorUnit, obs

from orderwatch.domain.errors import PermissionDeniedError
from orderwatch.monitor.alert_states import AlertState
from orderwatch.storage import list_audit
from orderwatch.storage.monitoring_alerts import change_alert_state, get_alert
from orderwatch.storage.monitoring_upkeep import purge_observations


def _alert(unit: MonitorUnit, who: str, key_part: str) -> int:
    return next(r.id for r in unit.alert_rows(who) if key_part in r.key)


def test_the_purge_keeps_evidence_that_still_matters(module_unit: MonitorUnit) -> None:
    unit = module_unit
    old = unit.clock.now - timedelta(days=400)
    plain = [obs("heartbeat", at=old), obs("text", app="SMS", text="hello", at=old)]
    open_one = obs("account", service="Kik", identifier="keep.open", at=old)
    breach = obs("account", service="Kik", identifier="keep.breach", at=old)
    closed = obs("account", service="Kik", identifier="drop.closed", at=old)
    recent = obs("heartbeat", at=unit.clock.now)
    unit.send("a1", [*plain, open_one, breach, closed, recent])
    officer = unit["ofc.a1"]
    with unit.database.session() as session:
        for key, final in (("keep.breach", AlertState.BREACH_RECORDED), ("drop.closed", None)):
            alert_id = _alert(unit, "a1", key)
            change_alert_state(session, officer, alert_id, AlertState.UNDER_REVIEW)
            change_alert_state(session, officer, alert_id, final or AlertState.CLOSED_NO_ACTION)
    cutoff = unit.clock.now - timedelta(days=365)
    with pytest.raises(PermissionDeniedError), unit.database.session() as session:
        purge_observations(session, officer, cutoff)
    with unit.database.session() as session:
        report = purge_observations(session, SYSTEM, cutoff)
    assert (report.observations, report.kept_as_evidence) == (3, 2)
    assert unit.stored([*plain, closed]) == 0
    assert unit.stored([open_one, breach, recent]) == 3
    with unit.database.session() as session:
        purged = get_alert(session, SYSTEM, _alert(unit, "a1", "drop.closed"))
        kept = get_alert(session, SYSTEM, _alert(unit, "a1", "keep.breach"))
        audit = list_audit(session, SYSTEM, entity="monitor_observation", limit=1)
    assert (len(purged.evidence), purged.evidence_not_shown) == (0, 1)
    assert purged.alert.title.startswith("Undeclared account: drop.closed")  # the alert stays
    assert [e.client_id for e in kept.evidence] == [breach["id"]]
    assert audit[0].action == "purge" and audit[0].detail["observations"] == 3
