"""Bulk loading of investigations and exhibits (demo unit, benchmarks): many rows per statement
and one audit row per batch. Command line only; feed it generated, known-good data (the domain
checks are not run row by row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.investigations import (
    ArrestInput,
    BailInput,
    ChargeInput,
    InvestigationOutcome,
    OffenceInput,
    OffenceTypes,
    ReferralInput,
    SafeguardingInput,
    WarrantInput,
)
from orderwatch.domain.investigations_exhibits import (
    CustodyEntryInput,
    ExhibitStatus,
    Priority,
)
from orderwatch.storage.audit import record_audit
from orderwatch.storage.exhibits_tables import CustodyRow, ExhibitRow
from orderwatch.storage.investigations_tables import (
    ArrestRow,
    BailRow,
    ChargeRow,
    InvestigationRow,
    OffenceRow,
    ReferralRow,
    SafeguardingRow,
    WarrantRow,
)
from orderwatch.storage.mapping import conditions_to_json
from orderwatch.storage.scope import require
from orderwatch.storage.tables import PersonRow, UserRow

_CHUNK = 500


@dataclass(frozen=True)
class BulkExhibit:
    reference: str
    description: str
    device_kind: str
    seized_on: date
    status: ExhibitStatus
    priority: Priority
    priority_reason: str
    custody: tuple[CustodyEntryInput, ...]  # starts with the seizure
    hidden: bool = False
    undeclared: bool = False
    seized_from: str | None = None
    triaged_on: date | None = None
    full_exam_on: date | None = None
    disposed_on: date | None = None
    examiner: str | None = None  # user name
    triage_runs: tuple[str, ...] = ()


@dataclass(frozen=True)
class BulkInvestigation:
    """An investigation with every record; `officer` is a user name, `person` a reference."""

    reference: str
    officer: str
    opened_on: date
    subject_name: str
    person: str | None = None
    summary: str | None = None
    outcome: InvestigationOutcome | None = None
    outcome_on: date | None = None
    closed_on: date | None = None
    referrals: tuple[ReferralInput, ...] = ()
    warrants: tuple[WarrantInput, ...] = ()
    arrests: tuple[ArrestInput, ...] = ()
    offences: tuple[OffenceInput, ...] = ()
    charges: tuple[tuple[ChargeInput, int | None], ...] = ()  # (charge, index into offences)
    safeguarding: tuple[SafeguardingInput, ...] = ()
    bail: tuple[BailInput, ...] = ()
    exhibits: tuple[BulkExhibit, ...] = field(default_factory=tuple)


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _CHUNK):
        session.execute(insert(table), rows[start : start + _CHUNK])


def _ids(session: Session, column: Any, key: Any, wanted: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = list(wanted[start : start + _CHUNK])
        found.update(dict(session.execute(select(column, key).where(column.in_(chunk))).all()))
    return found


def bulk_create_investigations(
    session: Session,
    actor: Actor,
    items: Sequence[BulkInvestigation],
    types: OffenceTypes,
    *,
    batch: str = "bulk load",
) -> dict[str, int]:
    """Insert investigations with their records, exhibits and custody; reference -> id."""
    require(actor.system, "bulk loading is for the command line")
    users = dict(session.execute(select(UserRow.username, UserRow.id)).all())
    persons = _ids(
        session, PersonRow.reference, PersonRow.id, sorted({i.person for i in items if i.person})
    )
    now = datetime.now(UTC)
    _insert(
        session,
        InvestigationRow,
        [
            {
                "reference": i.reference,
                "person_id": persons.get(i.person) if i.person else None,
                "subject_name": i.subject_name,
                "officer_id": users[i.officer],
                "opened_on": i.opened_on,
                "summary": i.summary,
                "outcome": i.outcome.value if i.outcome else None,
                "outcome_on": i.outcome_on,
                "closed_on": i.closed_on,
                "created_at": now,
                "updated_at": now,
            }
            for i in items
        ],
    )
    ids = _ids(
        session, InvestigationRow.reference, InvestigationRow.id, [i.reference for i in items]
    )
    _records(session, items, ids, types)
    _exhibits(session, items, ids, users, now, actor.username)
    detail = {"batch": batch, "investigations": len(items)}
    record_audit(session, actor, "bulk_create", "investigation", None, detail)
    return ids


def _records(
    session: Session, items: Sequence[BulkInvestigation], ids: dict[str, int], types: OffenceTypes
) -> None:
    referrals, warrants, arrests, safeguarding, bail = [], [], [], [], []
    offences: list[dict[str, Any]] = []
    for i in items:
        parent = {"investigation_id": ids[i.reference]}
        referrals += [
            {**parent, "received_on": r.received_on, "source": r.source.value, "online": r.online,
             "reference": r.reference, "note": r.note}
            for r in i.referrals
        ]  # fmt: skip
        warrants += [
            {**parent, "applied_on": w.applied_on, "executed_on": w.executed_on,
             "address": w.address, "note": w.note}
            for w in i.warrants
        ]  # fmt: skip
        arrests += [{**parent, "arrested_on": a.arrested_on, "note": a.note} for a in i.arrests]
        safeguarding += [
            {**parent, "recorded_on": s.recorded_on, "children": s.children, "note": s.note}
            for s in i.safeguarding
        ]
        bail += [
            {**parent, "granted_on": b.granted_on, "return_on": b.return_on,
             "conditions": conditions_to_json(b.conditions), "note": b.note}
            for b in i.bail
        ]  # fmt: skip
        offences += [
            {**parent, "offence_type": o.offence_type, "identified_on": o.identified_on,
             "cyber": o.cyber, "breach": o.offence_type in types.breach_keys,
             "breach_condition": o.breach_condition.value if o.breach_condition else None,
             "alert_id": o.alert_id, "note": o.note}
            for o in i.offences
        ]  # fmt: skip
    for table, rows in (
        (ReferralRow, referrals),
        (WarrantRow, warrants),
        (ArrestRow, arrests),
        (SafeguardingRow, safeguarding),
        (BailRow, bail),
        (OffenceRow, offences),
    ):
        _insert(session, table, rows)
    offence_ids: dict[int, list[int]] = {}
    wanted = list(ids.values())
    for start in range(0, len(wanted), _CHUNK):
        query = (
            select(OffenceRow.investigation_id, OffenceRow.id)
            .where(OffenceRow.investigation_id.in_(wanted[start : start + _CHUNK]))
            .order_by(OffenceRow.id)
        )
        for parent_id, offence_id in session.execute(query):
            offence_ids.setdefault(parent_id, []).append(offence_id)
    charges = []
    for i in items:
        own = offence_ids.get(ids[i.reference], [])
        for charge, index in i.charges:
            charges.append(
                {
                    "investigation_id": ids[i.reference],
                    "offence_id": own[index] if index is not None and index < len(own) else None,
                    "charged_on": charge.charged_on,
                    "result": charge.result.value,
                    "result_on": charge.result_on,
                    "note": charge.note,
                }
            )
    _insert(session, ChargeRow, charges)


def _exhibits(
    session: Session,
    items: Sequence[BulkInvestigation],
    ids: dict[str, int],
    users: dict[str, int],
    now: datetime,
    recorder: str,
) -> None:
    rows = []
    for i in items:
        for e in i.exhibits:
            examined = [d for d in (e.triaged_on, e.full_exam_on) if d is not None]
            rows.append(
                {
                    "reference": e.reference,
                    "investigation_id": ids[i.reference],
                    "description": e.description,
                    "device_kind": e.device_kind,
                    "seized_on": e.seized_on,
                    "seized_from": e.seized_from,
                    "hidden": e.hidden,
                    "undeclared": e.undeclared,
                    "status": e.status.value,
                    "priority": int(e.priority),
                    "priority_reason": e.priority_reason,
                    "priority_set_by": None,
                    "examiner_id": users.get(e.examiner) if e.examiner else None,
                    "triaged_on": e.triaged_on,
                    "full_exam_on": e.full_exam_on,
                    "first_exam_on": min(examined) if examined else None,
                    "disposed_on": e.disposed_on,
                    "triage_runs": list(e.triage_runs),
                    "created_at": now,
                    "updated_at": now,
                }
            )
    _insert(session, ExhibitRow, rows)
    references = [e.reference for i in items for e in i.exhibits]
    exhibit_ids = _ids(session, ExhibitRow.reference, ExhibitRow.id, references)
    custody = [
        {
            "exhibit_id": exhibit_ids[e.reference],
            "seq": seq,
            "action": step.action.value,
            "at": step.at,
            "holder": step.holder,
            "reason": step.reason,
            "seal_number": step.seal_number,
            "recorded_by": None,
            "recorded_by_name": recorder,
            "recorded_at": step.at,
        }
        for i in items
        for e in i.exhibits
        for seq, step in enumerate(e.custody, start=1)
    ]
    _insert(session, CustodyRow, custody)
