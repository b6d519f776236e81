"""Alerts as officers work them: the queue, one alert with its evidence, and its state changes.

Officers reach the alerts of the persons they manage, supervisors their team's; everyone else,
and anyone outside that reach, finds nothing (NotFoundError). Every read and change is audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from orderwatch.domain.access import Actor, Role, can_edit_person
from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.errors import NotFoundError, PermissionDeniedError
from orderwatch.domain.rules_findings import Severity
from orderwatch.monitor.alert_states import (
    OPEN_STATES,
    OUTCOME_KINDS,
    AlertState,
    allowed_transitions,
    check_transition,
)
from orderwatch.storage.audit import record_audit
from orderwatch.storage.caseload import register_open_alert_counter
from orderwatch.storage.monitoring_devices import monitored_device
from orderwatch.storage.monitoring_records import (
    AlertEvent,
    AlertEvidence,
    AlertFile,
    AlertOutcome,
    AlertPage,
    AlertSummary,
    PersonMonitoring,
)
from orderwatch.storage.monitoring_tables import (
    AlertEventRow,
    AlertObservationRow,
    AlertOutcomeRow,
    AlertRow,
    MonitoredDeviceRow,
    ObservationRow,
)
from orderwatch.storage.records import UserRef
from orderwatch.storage.scope import load_person, person_filter, person_reach
from orderwatch.storage.tables import PersonRow, UserRow

ALERT_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR})
MAX_PAGE = 500


def can_work_alerts(actor: Actor) -> bool:
    """Alerts are for officers and supervisors (and the command line)."""
    return actor.system or actor.role in ALERT_ROLES


def _summary_query() -> Any:
    return (
        select(
            AlertRow,
            PersonRow.reference,
            PersonRow.full_name,
            UserRow.id,
            UserRow.username,
            UserRow.full_name,
            MonitoredDeviceRow.label,
        )
        .join(PersonRow, PersonRow.id == AlertRow.person_id)
        .join(UserRow, UserRow.id == PersonRow.officer_id)
        .outerjoin(MonitoredDeviceRow, MonitoredDeviceRow.id == AlertRow.device_id)
    )


def _summary(found: Any) -> AlertSummary:
    row: AlertRow = found[0]
    return AlertSummary(
        id=row.id,
        person_id=row.person_id,
        person_reference=found[1],
        person_name=found[2],
        officer=UserRef(found[3], found[4], found[5]),
        condition=ConditionType(row.condition),
        severity=Severity(row.severity),
        title=row.title,
        occurrences=row.occurrences,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        opened_at=row.opened_at,
        state=AlertState(row.state),
        device_label=found[6],
    )


def list_alerts(
    session: Session,
    actor: Actor,
    *,
    states: Sequence[AlertState] | None = None,
    severities: Sequence[Severity] = (),
    conditions: Sequence[ConditionType] = (),
    person_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> AlertPage:
    """The actor's queue: open alerts unless `states` says otherwise, highest severity first,
    then the longest waiting. Audited with the alerts shown."""
    if not can_work_alerts(actor):
        raise PermissionDeniedError("alerts are for officers and supervisors")
    wanted = list(states) if states is not None else sorted(OPEN_STATES)
    filters = [person_filter(actor), AlertRow.state.in_([s.value for s in wanted])]
    if severities:
        filters.append(AlertRow.severity.in_([s.value for s in severities]))
    if conditions:
        filters.append(AlertRow.condition.in_([c.value for c in conditions]))
    if person_id is not None:
        filters.append(AlertRow.person_id == person_id)
    total = session.scalar(
        select(func.count())
        .select_from(AlertRow)
        .join(PersonRow, PersonRow.id == AlertRow.person_id)
        .where(*filters)
    )
    found = session.execute(
        _summary_query()
        .where(*filters)
        .order_by(AlertRow.severity_rank.desc(), AlertRow.opened_at, AlertRow.id)
        .limit(max(1, min(limit, MAX_PAGE)))
        .offset(max(0, offset))
    ).all()
    alerts = tuple(_summary(f) for f in found)
    detail = {
        "states": [s.value for s in wanted],
        "severities": [s.value for s in severities],
        "conditions": [c.value for c in conditions],
        "person_id": person_id,
        "shown": [a.id for a in alerts],
        "total": total,
    }
    record_audit(session, actor, "view", "alert_queue", None, detail)
    return AlertPage(alerts, int(total or 0))


def _alert_row(session: Session, actor: Actor, alert_id: int, *, for_edit: bool) -> AlertRow:
    """The alert if the actor reaches its person (NotFoundError otherwise, like a missing one);
    locked for the transaction when it is to be changed (two officers at once)."""
    row = session.get(AlertRow, alert_id, with_for_update=for_edit)
    if row is None or not can_work_alerts(actor):
        raise NotFoundError(f"no alert {alert_id}")
    try:
        load_person(session, actor, row.person_id, for_edit=for_edit)
    except NotFoundError:
        raise NotFoundError(f"no alert {alert_id}") from None
    return row


def get_alert(session: Session, actor: Actor, alert_id: int) -> AlertFile:
    """One alert with its evidence, history and outcome; audited as a view."""
    row = _alert_row(session, actor, alert_id, for_edit=False)
    record_audit(session, actor, "view", "alert", alert_id, {"person_id": row.person_id})
    return _alert_file(session, actor, row)


def _alert_file(session: Session, actor: Actor, row: AlertRow) -> AlertFile:
    summary = _summary(session.execute(_summary_query().where(AlertRow.id == row.id)).one())
    evidence = tuple(
        AlertEvidence(
            observation_id=obs.id,
            client_id=obs.client_id,
            kind=obs.kind,
            observed_at=obs.observed_at,
            received_at=obs.received_at,
            device_label=label,
            payload=dict(obs.payload or {}),
            matched=matched,
        )
        for obs, matched, label in session.execute(
            select(ObservationRow, AlertObservationRow.detail, MonitoredDeviceRow.label)
            .join(AlertObservationRow, AlertObservationRow.observation_id == ObservationRow.id)
            .outerjoin(MonitoredDeviceRow, MonitoredDeviceRow.id == ObservationRow.device_id)
            .where(AlertObservationRow.alert_id == row.id)
            .order_by(ObservationRow.observed_at, ObservationRow.id)
        )
    )
    events = tuple(
        AlertEvent(e.at, e.username, AlertState(e.from_state), AlertState(e.to_state), e.note)
        for e in session.scalars(
            select(AlertEventRow).where(AlertEventRow.alert_id == row.id).order_by(AlertEventRow.id)
        )
    )
    recorder = aliased(UserRow)
    found = session.execute(
        select(AlertOutcomeRow, recorder.username)
        .outerjoin(recorder, recorder.id == AlertOutcomeRow.recorded_by)
        .where(AlertOutcomeRow.alert_id == row.id)
    ).first()
    outcome = None
    if found is not None:
        o = found[0]
        outcome = AlertOutcome(
            o.id, o.kind, ConditionType(o.condition), o.note, found[1], o.recorded_at
        )
    changed_by = None
    if row.state_changed_by is not None:
        changed_by = session.scalar(
            select(UserRow.username).where(UserRow.id == row.state_changed_by)
        )
    person = session.get(PersonRow, row.person_id)
    assert person is not None  # the alert's foreign key
    editable = can_edit_person(actor, person_reach(session, person))
    return AlertFile(
        alert=summary,
        key=row.key,
        detail=row.detail,
        evidence=evidence,
        evidence_not_shown=max(0, row.occurrences - len(evidence)),
        events=events,
        outcome=outcome,
        changed_at=row.state_changed_at,
        changed_by=changed_by,
        transitions=allowed_transitions(summary.state) if editable else (),
    )


def change_alert_state(
    session: Session,
    actor: Actor,
    alert_id: int,
    target: AlertState,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> AlertFile:
    """Move an alert along the workflow, recording who, when and why; a breach (or a referral
    for arrest) creates the outcome record it links to. Audited."""
    row = _alert_row(session, actor, alert_id, for_edit=True)
    current = AlertState(row.state)
    note = (note or "").strip() or None
    check_transition(current, target, note)
    now = now or datetime.now(UTC)
    row.state, row.state_changed_at, row.state_changed_by = target.value, now, actor.user_id
    row.updated_at = now
    session.add(
        AlertEventRow(
            alert_id=row.id,
            at=now,
            user_id=actor.user_id,
            username=actor.username,
            from_state=current.value,
            to_state=target.value,
            note=note,
        )
    )
    outcome_id = None
    if target in OUTCOME_KINDS:
        outcome = AlertOutcomeRow(
            alert_id=row.id,
            person_id=row.person_id,
            condition=row.condition,
            kind=OUTCOME_KINDS[target],
            note=note,
            recorded_by=actor.user_id,
            recorded_at=now,
        )
        session.add(outcome)
        session.flush()
        outcome_id = outcome.id
    session.flush()
    detail = {
        "person_id": row.person_id,
        "from": current.value,
        "to": target.value,
        "outcome_id": outcome_id,
    }
    record_audit(session, actor, "update", "alert", row.id, detail)
    return _alert_file(session, actor, row)


def count_open_alerts(session: Session, person_ids: Sequence[int]) -> Mapping[int, int]:
    """Open alerts per person, in one query per 5,000 ids (the caseload's column)."""
    counts: dict[int, int] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 5000):
        found = session.execute(
            select(AlertRow.person_id, func.count())
            .where(
                AlertRow.person_id.in_(ids[start : start + 5000]),
                AlertRow.state.in_([s.value for s in OPEN_STATES]),
            )
            .group_by(AlertRow.person_id)
        )
        counts.update({person_id: int(n) for person_id, n in found})
    return counts


def person_monitoring(session: Session, actor: Actor, person_id: int) -> PersonMonitoring:
    """The person page's block: enrolled devices and open alerts by severity."""
    load_person(session, actor, person_id)
    devices = session.scalars(
        select(MonitoredDeviceRow)
        .where(MonitoredDeviceRow.person_id == person_id)
        .order_by(MonitoredDeviceRow.id.desc())
    )
    by_severity: dict[str, int] = {}
    if can_work_alerts(actor):
        found = session.execute(
            select(AlertRow.severity, func.count())
            .where(
                AlertRow.person_id == person_id,
                AlertRow.state.in_([s.value for s in OPEN_STATES]),
            )
            .group_by(AlertRow.severity)
        )
        by_severity = {severity: int(n) for severity, n in found}
    return PersonMonitoring(
        person_id,
        tuple(monitored_device(d) for d in devices),
        sum(by_severity.values()),
        by_severity,
    )


register_open_alert_counter(count_open_alerts)
