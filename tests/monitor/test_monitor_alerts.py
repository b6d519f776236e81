"""The alert queue and workflow: who sees which alerts, order and filters, the state machine
with who/when, the breach's outcome record, audit rows, and the caseload's open-alert counts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from monitor_unit import SYSTEM, MonitorUnit, obs

from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from orderwatch.domain.rules_findings import Severity
from orderwatch.monitor.alert_states import AlertState
from orderwatch.storage import list_audit, list_caseload
from orderwatch.storage.monitoring_alerts import (
    change_alert_state,
    get_alert,
    list_alerts,
    person_monitoring,
)

AUDITOR = SYSTEM


@pytest.fixture(scope="module")
def scenario(module_unit: MonitorUnit) -> dict[str, int]:
    """Four alerts raised an hour apart: a1 medium then high, a2 critical, b1 high."""
    unit = module_unit
    sends = [
        ("a1", "word", obs("text", app="SMS", text="the example-banned-word")),
        ("a1", "account", obs("account", service="Kik", identifier="queue.one")),
        ("a2", "image", obs("hash_match", path="/x.jpg", hashset="set", method="md5")),
        ("b1", "account", obs("account", service="Kik", identifier="queue.two")),
    ]
    ids = {}
    for who, name, item in sends:
        before = {r.id for r in unit.alert_rows(who)}
        unit.send(who, [item])
        (new,) = [r.id for r in unit.alert_rows(who) if r.id not in before]
        ids[f"{who}-{name}"] = new
        unit.clock.advance(hours=1)
    return ids


def _shown(unit: MonitorUnit, who: str, ids: dict[str, int], **filters: object) -> list[int]:
    with unit.database.session() as session:
        page = list_alerts(session, unit[who], **filters)  # type: ignore[arg-type]
    return [a.id for a in page.alerts if a.id in ids.values()]


def test_officers_see_their_own_alerts_worst_first(
    module_unit: MonitorUnit, scenario: dict[str, int]
) -> None:
    assert _shown(module_unit, "ofc.a1", scenario) == [scenario["a1-account"], scenario["a1-word"]]
    assert _shown(module_unit, "ofc.a2", scenario) == [scenario["a2-image"]]
    assert _shown(module_unit, "ofc.b1", scenario) == [scenario["b1-account"]]


def test_supervisors_see_their_teams_alerts_oldest_first_within_a_severity(
    module_unit: MonitorUnit, scenario: dict[str, int]
) -> None:
    assert _shown(module_unit, "sup.a", scenario) == [
        scenario["a2-image"],  # critical
        scenario["a1-account"],  # high
        scenario["a1-word"],  # medium
    ]
    assert _shown(module_unit, "sup.b", scenario) == [scenario["b1-account"]]


def test_the_queue_filters_by_severity_condition_state_and_person(
    module_unit: MonitorUnit, scenario: dict[str, int]
) -> None:
    unit, ids = module_unit, scenario
    assert _shown(unit, "sup.a", ids, severities=[Severity.HIGH, Severity.MEDIUM]) == [
        ids["a1-account"],
        ids["a1-word"],
    ]
    words = [ConditionType.PROHIBITED_WORDS]
    assert _shown(unit, "sup.a", ids, conditions=words) == [ids["a1-word"]]
    assert _shown(unit, "sup.a", ids, person_id=unit.persons["a2"]) == [ids["a2-image"]]
    assert _shown(unit, "sup.a", ids, states=[AlertState.BREACH_RECORDED]) == []


def test_other_roles_have_no_queue_and_nobody_reads_outside_their_reach(
    module_unit: MonitorUnit, scenario: dict[str, int]
) -> None:
    unit = module_unit
    for role in ("exam",):
        with pytest.raises(PermissionDeniedError), unit.database.session() as session:
            list_alerts(session, unit[role])
    for who in ("ofc.a2", "ofc.b1", "sup.b", "exam"):
        with pytest.raises(NotFoundError), unit.database.session() as session:
            get_alert(session, unit[who], scenario["a1-word"])
    with pytest.raises(NotFoundError), unit.database.session() as session:
        get_alert(session, unit["ofc.a1"], 999_999)
    with unit.database.session() as session:
        assert (
            get_alert(session, unit["sup.a"], scenario["a1-word"]).alert.person_reference == "P-A1"
        )


def test_working_an_alert_to_a_recorded_breach(module_unit: MonitorUnit) -> None:
    unit = module_unit
    unit.send("a1", [obs("account", service="Kik", identifier="breach.case")])
    alert_id = next(r.id for r in unit.alert_rows("a1") if "breach.case" in r.key)
    officer = unit["ofc.a1"]
    with pytest.raises(InvalidInputError) as skipped, unit.database.session() as session:
        change_alert_state(session, officer, alert_id, AlertState.BREACH_RECORDED)
    assert "cannot become breach_recorded; allowed: under_review" in str(skipped.value)
    for outsider in ("exam", "ofc.a2", "sup.b"):
        with pytest.raises(NotFoundError), unit.database.session() as session:
            change_alert_state(session, unit[outsider], alert_id, AlertState.UNDER_REVIEW)
    reviewed_at = unit.clock.now + timedelta(minutes=5)
    with unit.database.session() as session:
        change_alert_state(session, officer, alert_id, AlertState.UNDER_REVIEW, now=reviewed_at)
        file = change_alert_state(
            session,
            unit["sup.a"],
            alert_id,
            AlertState.BREACH_RECORDED,
            "  Undeclared Kik account confirmed at a home visit. ",
            now=reviewed_at + timedelta(hours=1),
        )
    assert file.alert.state is AlertState.BREACH_RECORDED
    assert (file.changed_by, file.changed_at) == ("sup.a", reviewed_at + timedelta(hours=1))
    assert [(e.username, e.from_state, e.to_state, e.note) for e in file.events] == [
        ("ofc.a1", AlertState.NEW, AlertState.UNDER_REVIEW, None),
        (
            "sup.a",
            AlertState.UNDER_REVIEW,
            AlertState.BREACH_RECORDED,
            "Undeclared Kik account confirmed at a home visit.",
        ),
    ]
    assert file.outcome is not None
    assert (file.outcome.kind, file.outcome.condition, file.outcome.recorded_by) == (
        "breach",
        ConditionType.DECLARE_ACCOUNTS,
        "sup.a",
    )
    assert file.transitions == ()
    with pytest.raises(InvalidInputError), unit.database.session() as session:
        change_alert_state(session, officer, alert_id, AlertState.CLOSED_NO_ACTION)
    with unit.database.session() as session:
        audit = list_audit(session, AUDITOR, entity="alert", entity_id=alert_id)
    assert [(a.username, a.action, a.detail.get("to")) for a in reversed(audit)] == [
        ("ofc.a1", "update", "under_review"),
        ("sup.a", "update", "breach_recorded"),
    ]
    assert audit[0].detail["outcome_id"] == file.outcome.id


def test_reads_of_alerts_are_audited(module_unit: MonitorUnit, scenario: dict[str, int]) -> None:
    unit = module_unit
    with unit.database.session() as session:
        get_alert(session, unit["ofc.a2"], scenario["a2-image"])
        list_alerts(session, unit["ofc.a2"], severities=[Severity.CRITICAL])
    with unit.database.session() as session:
        views = list_audit(session, AUDITOR, username="ofc.a2", limit=2)
    assert [(v.action, v.entity) for v in views] == [("view", "alert_queue"), ("view", "alert")]
    assert views[0].detail["severities"] == ["critical"]
    assert scenario["a2-image"] in views[0].detail["shown"]
    assert views[1].entity_id == str(scenario["a2-image"])


def test_open_alert_counts_on_the_caseload_and_person_page(
    module_unit: MonitorUnit, scenario: dict[str, int]
) -> None:
    unit = module_unit
    with unit.database.session() as session:
        open_now = len(list_alerts(session, unit["ofc.b1"]).alerts)
        entries = list_caseload(session, unit["ofc.b1"])
        block = person_monitoring(session, unit["ofc.b1"], unit.persons["b1"])
    assert [(e.reference, e.open_alerts) for e in entries] == [("P-B1", open_now)]
    assert block.open_alerts == open_now and block.open_by_severity["high"] >= 1
    assert [d.status.value for d in block.devices] == ["active"]
    with unit.database.session() as session:
        change_alert_state(session, unit["ofc.b1"], scenario["b1-account"], AlertState.UNDER_REVIEW)
        change_alert_state(
            session, unit["ofc.b1"], scenario["b1-account"], AlertState.ADVICE_GIVEN, "spoke to him"
        )
        entries = list_caseload(session, unit["ofc.b1"])
    assert [e.open_alerts for e in entries] == [open_now - 1]


def test_two_officers_deciding_at_once_record_one_decision(module_unit: MonitorUnit) -> None:
    unit = module_unit
    unit.send("a1", [obs("account", service="Kik", identifier="race.case")])
    alert_id = next(r.id for r in unit.alert_rows("a1") if "race.case" in r.key)
    with unit.database.session() as session:
        change_alert_state(session, unit["ofc.a1"], alert_id, AlertState.UNDER_REVIEW)
    outcomes: list[str] = []

    def decide(who: str, state: AlertState) -> None:
        try:
            with unit.database.session() as session:
                change_alert_state(session, unit[who], alert_id, state)
            outcomes.append(f"{who}: {state.value}")
        except InvalidInputError:
            outcomes.append(f"{who}: refused")

    threads = [
        threading.Thread(target=decide, args=("ofc.a1", AlertState.BREACH_RECORDED)),
        threading.Thread(target=decide, args=("sup.a", AlertState.REFERRED_FOR_ARREST)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o.endswith("refused") for o in outcomes) == [False, True]
    with unit.database.session() as session:
        file = get_alert(session, SYSTEM, alert_id)
    assert len(file.events) == 2 and file.outcome is not None
