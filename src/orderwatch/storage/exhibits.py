"""Exhibits: book one in (its seizure starts the chain of custody), view it (audited), append
custody entries, move it through the examination queue, set its priority and examiner, link its
triage runs; the queue listing and its backlog figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from orderwatch.domain.access import Actor, Role
from orderwatch.domain.caseload import RiskLevel
from orderwatch.domain.investigations import invalid, load_offence_types
from orderwatch.domain.investigations_exhibits import (
    AGE_BANDS,
    FINAL_ACTIONS,
    CustodyAction,
    CustodyEntryInput,
    CustodyStep,
    ExhibitInput,
    ExhibitStatus,
    Priority,
    age_band,
    check_custody_entry,
    check_examination_date,
    check_examination_step,
    check_exhibit,
    derive_priority,
    whereabouts,
)
from orderwatch.domain.statistics import UNIT_TIME_ZONE, median
from orderwatch.storage import investigations_mapping as mapping
from orderwatch.storage.audit import record_audit
from orderwatch.storage.exhibits_tables import CustodyRow, ExhibitRow
from orderwatch.storage.investigations import next_reference
from orderwatch.storage.investigations_access import (
    exhibit_filter,
    load_exhibit,
    load_investigation,
)
from orderwatch.storage.investigations_records import (
    Exhibit,
    ExhibitSummary,
    QueueFigures,
)
from orderwatch.storage.investigations_tables import (
    InvestigationRow,
    OffenceRow,
    SafeguardingRow,
)
from orderwatch.storage.tables import PersonRow, UserRow

MAX_TRIAGE_LINKS = 50
OPEN_STATUSES = (
    ExhibitStatus.AWAITING.value,
    ExhibitStatus.TRIAGED.value,
    ExhibitStatus.FULL_EXAMINATION.value,
)


def _examiner(session: Session, examiner_id: int | None) -> int | None:
    if examiner_id is None:
        return None
    row = session.get(UserRow, examiner_id)
    if row is None or row.role != Role.EXAMINER.value or not row.active:
        raise invalid("examiner_id", f"no active examiner with id {examiner_id}")
    return row.id


def investigation_priority(
    session: Session, investigation: InvestigationRow
) -> tuple[Priority, str]:
    """The derived priority for a new exhibit of this investigation."""
    risk = None
    if investigation.person_id is not None:
        value = session.scalar(
            select(PersonRow.risk_level).where(PersonRow.id == investigation.person_id)
        )
        risk = RiskLevel(value) if value else None
    child_types = load_offence_types().child_keys
    against_child = bool(
        session.scalar(
            select(func.count())
            .select_from(OffenceRow)
            .where(
                OffenceRow.investigation_id == investigation.id,
                OffenceRow.offence_type.in_(child_types),
            )
        )
    )
    children = session.scalar(
        select(func.coalesce(func.sum(SafeguardingRow.children), 0)).where(
            SafeguardingRow.investigation_id == investigation.id
        )
    )
    return derive_priority(
        risk, against_child=against_child, children_safeguarded=int(children or 0)
    )


def create_exhibit(
    session: Session, actor: Actor, investigation_id: int, data: ExhibitInput
) -> Exhibit:
    """Book an exhibit into the examination queue; its seizure is custody entry 1."""
    investigation = load_investigation(session, actor, investigation_id, for_edit=True)
    check_exhibit(data, date.today())
    if data.priority is None:
        priority, reason, set_by = *investigation_priority(session, investigation), None
    else:
        priority, reason, set_by = data.priority, "set when booked in", actor.username
    reference = (data.reference or "").strip() or next_reference(
        session, "EX", ExhibitRow.reference, data.seized_on.year
    )
    if session.scalar(select(ExhibitRow.id).where(ExhibitRow.reference == reference)):
        raise invalid("reference", f"the exhibit reference {reference} is already in use")
    now = datetime.now(UTC)
    row = ExhibitRow(
        reference=reference[:64],
        investigation_id=investigation.id,
        description=data.description.strip()[:300],
        device_kind=data.device_kind.strip()[:40],
        seized_on=data.seized_on,
        seized_from=(data.seized_from or "").strip()[:300] or None,
        hidden=data.hidden,
        undeclared=data.undeclared,
        status=ExhibitStatus.AWAITING.value,
        priority=int(priority),
        priority_reason=reason,
        priority_set_by=set_by,
        examiner_id=_examiner(session, data.examiner_id),
        triage_runs=[],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        actor,
        "create",
        "exhibit",
        row.id,
        {
            "reference": row.reference,
            "investigation_id": investigation.id,
            "priority": row.priority,
        },
    )
    seized_at = datetime.combine(data.seized_on, time(12), tzinfo=ZoneInfo(UNIT_TIME_ZONE))
    seizure = CustodyEntryInput(
        CustodyAction.SEIZED,
        min(seized_at, now),
        data.seized_by,
        f"seized{' from ' + data.seized_from.strip() if data.seized_from else ''}",
        data.seal_number,
    )
    _append(session, actor, row, seizure)
    return _exhibit(session, row)


def _chain(session: Session, exhibit_id: int) -> list[CustodyRow]:
    return list(
        session.scalars(
            select(CustodyRow).where(CustodyRow.exhibit_id == exhibit_id).order_by(CustodyRow.seq)
        )
    )


def _append(session: Session, actor: Actor, row: ExhibitRow, entry: CustodyEntryInput) -> None:
    chain = _chain(session, row.id)
    steps = [CustodyStep(CustodyAction(c.action), c.at, c.holder) for c in chain]
    check_custody_entry(steps, entry, datetime.now(UTC))
    seal = (entry.seal_number or "").strip() or None
    if seal is not None and len(seal) > 64:
        raise invalid("seal_number", "a seal number is at most 64 characters")
    custody = CustodyRow(
        exhibit_id=row.id,
        seq=len(chain) + 1,
        action=entry.action.value,
        at=entry.at,
        holder=entry.holder.strip()[:200],
        reason=entry.reason.strip(),
        seal_number=seal,
        recorded_by=actor.user_id,
        recorded_by_name=actor.username,
        recorded_at=datetime.now(UTC),
    )
    session.add(custody)
    final = FINAL_ACTIONS.get(entry.action)
    if final is not None:
        row.status = final.value
        row.disposed_on = entry.at.astimezone(ZoneInfo(UNIT_TIME_ZONE)).date()
    row.updated_at = datetime.now(UTC)
    session.flush()
    detail = {
        "seq": custody.seq,
        "action": custody.action,
        "at": custody.at.isoformat(),
        "holder": custody.holder,
        "seal_number": seal,
    }
    record_audit(session, actor, "custody", "exhibit", row.id, detail)


def add_custody_entry(
    session: Session, actor: Actor, exhibit_id: int, entry: CustodyEntryInput
) -> Exhibit:
    """Append one step to the chain (never changes an earlier one); returning the exhibit to its
    owner or destroying it closes the chain and takes it out of the queue."""
    row = load_exhibit(session, actor, exhibit_id)
    _append(session, actor, row, entry)
    return _exhibit(session, row)


def set_examination_step(
    session: Session, actor: Actor, exhibit_id: int, status: ExhibitStatus, on: date
) -> Exhibit:
    """Triage done, or full examination started, on a date (not before the seizure)."""
    row = load_exhibit(session, actor, exhibit_id)
    check_examination_step(ExhibitStatus(row.status), status)
    check_examination_date(on, row.seized_on, date.today())
    before = row.status
    row.status = status.value
    if status is ExhibitStatus.TRIAGED:
        row.triaged_on = on
    else:
        row.full_exam_on = on
    if row.first_exam_on is None or on < row.first_exam_on:
        row.first_exam_on = on
    row.updated_at = datetime.now(UTC)
    session.flush()
    detail = {"from": before, "to": status.value, "on": on}
    record_audit(session, actor, "status", "exhibit", row.id, detail)
    return _exhibit(session, row)


def set_priority(
    session: Session, actor: Actor, exhibit_id: int, priority: Priority | None, reason: str
) -> Exhibit:
    """Set the priority by hand (with a reason), or derive it again (priority None)."""
    row = load_exhibit(session, actor, exhibit_id)
    before = row.priority
    if priority is None:
        investigation = session.get(InvestigationRow, row.investigation_id)
        assert investigation is not None  # foreign key
        derived, why = investigation_priority(session, investigation)
        row.priority, row.priority_reason, row.priority_set_by = int(derived), why, None
    else:
        if not reason.strip():
            raise invalid("reason", "say why the priority changes")
        row.priority, row.priority_reason = int(priority), reason.strip()[:300]
        row.priority_set_by = actor.username
    row.updated_at = datetime.now(UTC)
    session.flush()
    detail = {"from": before, "to": row.priority, "reason": row.priority_reason}
    record_audit(session, actor, "priority", "exhibit", row.id, detail)
    return _exhibit(session, row)


def assign_examiner(
    session: Session, actor: Actor, exhibit_id: int, examiner_id: int | None
) -> Exhibit:
    row = load_exhibit(session, actor, exhibit_id)
    before, row.examiner_id = row.examiner_id, _examiner(session, examiner_id)
    row.updated_at = datetime.now(UTC)
    session.flush()
    detail = {"from": before, "to": row.examiner_id}
    record_audit(session, actor, "examiner", "exhibit", row.id, detail)
    return _exhibit(session, row)


def link_triage_run(session: Session, actor: Actor, exhibit_id: int, run: str) -> Exhibit:
    """Link a triage run (its report path or run id) to the exhibit."""
    row = load_exhibit(session, actor, exhibit_id)
    run = run.strip()
    if not run or len(run) > 500:
        raise invalid("run", "give the triage report's path or run id (at most 500 characters)")
    runs = list(row.triage_runs or [])
    if run in runs:
        raise invalid("run", "that triage run is already linked")
    if len(runs) >= MAX_TRIAGE_LINKS:
        raise invalid("run", f"at most {MAX_TRIAGE_LINKS} triage runs per exhibit")
    row.triage_runs = [*runs, run]
    row.updated_at = datetime.now(UTC)
    session.flush()
    record_audit(session, actor, "link_triage", "exhibit", row.id, {"run": run})
    return _exhibit(session, row)


def get_exhibit(session: Session, actor: Actor, exhibit_id: int) -> Exhibit:
    """The exhibit and its whole chain of custody; audited as a view."""
    row = load_exhibit(session, actor, exhibit_id)
    record_audit(session, actor, "view", "exhibit", row.id, {"reference": row.reference})
    return _exhibit(session, row)


def _exhibit(session: Session, row: ExhibitRow) -> Exhibit:
    (summary,) = exhibit_summaries(session, exhibit_id=row.id)
    chain = _chain(session, row.id)
    steps = [CustodyStep(CustodyAction(c.action), c.at, c.holder) for c in chain]
    return Exhibit(
        summary=summary,
        seized_from=row.seized_from,
        triaged_on=row.triaged_on,
        full_exam_on=row.full_exam_on,
        triage_runs=tuple(row.triage_runs or ()),
        custody=tuple(mapping.custody_entry(c) for c in chain),
        whereabouts=whereabouts(steps),
        current_holder=chain[-1].holder if chain else None,
    )


def _summary_query() -> Any:
    examiner = aliased(UserRow)
    return (
        select(ExhibitRow, InvestigationRow, examiner)
        .join(InvestigationRow, InvestigationRow.id == ExhibitRow.investigation_id)
        .outerjoin(examiner, examiner.id == ExhibitRow.examiner_id)
    )


def exhibit_summaries(
    session: Session, *, investigation_id: int | None = None, exhibit_id: int | None = None
) -> list[ExhibitSummary]:
    """Exhibits of one investigation (or one exhibit); the caller has checked reach."""
    query = _summary_query().order_by(ExhibitRow.seized_on, ExhibitRow.id)
    if investigation_id is not None:
        query = query.where(ExhibitRow.investigation_id == investigation_id)
    if exhibit_id is not None:
        query = query.where(ExhibitRow.id == exhibit_id)
    return [mapping.exhibit_summary(*r) for r in session.execute(query)]


def list_queue(
    session: Session,
    actor: Actor,
    *,
    statuses: Sequence[ExhibitStatus] | None = None,
    examiner_id: int | None = None,
    limit: int = 1000,
) -> list[ExhibitSummary]:
    """The examination queue in reach: highest priority first, then longest waiting."""
    wanted = [s.value for s in statuses] if statuses else list(OPEN_STATUSES)
    query = (
        _summary_query()
        .where(exhibit_filter(actor), ExhibitRow.status.in_(wanted))
        .order_by(ExhibitRow.priority, ExhibitRow.seized_on, ExhibitRow.id)
        .limit(max(1, min(limit, 10_000)))
    )
    if examiner_id is not None:
        query = query.where(ExhibitRow.examiner_id == examiner_id)
    return [mapping.exhibit_summary(*r) for r in session.execute(query)]


def queue_figures(session: Session, actor: Actor, today: date) -> QueueFigures:
    """Backlog figures for the exhibits in reach still in the queue."""
    rows = session.execute(
        select(ExhibitRow.status, ExhibitRow.seized_on)
        .join(InvestigationRow, InvestigationRow.id == ExhibitRow.investigation_id)
        .where(exhibit_filter(actor), ExhibitRow.status.in_(OPEN_STATUSES))
    ).all()
    counts = {s: 0 for s in OPEN_STATUSES}
    waiting: list[int] = []
    for status, seized_on in rows:
        counts[status] += 1
        if status == ExhibitStatus.AWAITING.value:
            waiting.append(max(0, (today - seized_on).days))
    bands = [age_band(AGE_BANDS[0])] + [f"over {limit} days" for limit in AGE_BANDS]
    by_band = {band: 0 for band in bands}
    for days in waiting:
        by_band[age_band(days)] += 1
    return QueueFigures(
        awaiting=counts[ExhibitStatus.AWAITING.value],
        triaged=counts[ExhibitStatus.TRIAGED.value],
        full_examination=counts[ExhibitStatus.FULL_EXAMINATION.value],
        by_age_band=tuple(by_band.items()),
        oldest_days=max(waiting) if waiting else None,
        median_days_waiting=median(waiting),
    )
