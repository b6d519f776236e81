"""The records an investigation holds: add one (checked by the domain rules), remove one added
by mistake, record a charge's court result. Every change is audited on the investigation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orderwatch.domain.access import Actor
from orderwatch.domain.errors import NotFoundError
from orderwatch.domain.investigations import (
    ArrestInput,
    BailInput,
    ChargeInput,
    ChargeResult,
    OffenceInput,
    OffenceTypes,
    ReferralInput,
    SafeguardingInput,
    WarrantInput,
    check_arrest,
    check_bail,
    check_charge,
    check_offence,
    check_referral,
    check_safeguarding,
    check_warrant,
    invalid,
    load_offence_types,
    not_before,
    not_in_future,
)
from orderwatch.storage.audit import record_audit
from orderwatch.storage.investigations_access import load_investigation
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
from orderwatch.storage.monitoring_tables import AlertRow


class Part(StrEnum):
    """The kinds of record an investigation holds (also the URL segment of their forms)."""

    REFERRAL = "referrals"
    WARRANT = "warrants"
    ARREST = "arrests"
    OFFENCE = "offences"
    CHARGE = "charges"
    SAFEGUARDING = "safeguarding"
    BAIL = "bail"

    @property
    def singular(self) -> str:
        return _SINGULAR[self]


_SINGULAR = {
    Part.REFERRAL: "referral",
    Part.WARRANT: "warrant",
    Part.ARREST: "arrest",
    Part.OFFENCE: "offence",
    Part.CHARGE: "charge",
    Part.SAFEGUARDING: "safeguarding",
    Part.BAIL: "bail",
}
_TABLES: dict[Part, Any] = {
    Part.REFERRAL: ReferralRow,
    Part.WARRANT: WarrantRow,
    Part.ARREST: ArrestRow,
    Part.OFFENCE: OffenceRow,
    Part.CHARGE: ChargeRow,
    Part.SAFEGUARDING: SafeguardingRow,
    Part.BAIL: BailRow,
}


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _add(
    session: Session,
    actor: Actor,
    investigation: InvestigationRow,
    part: Part,
    values: dict[str, Any],
    audited: dict[str, Any],
) -> int:
    row = _TABLES[part](investigation_id=investigation.id, **values)
    session.add(row)
    investigation.updated_at = datetime.now(UTC)
    session.flush()
    detail = {"id": row.id, **audited}
    record_audit(session, actor, f"add_{part.singular}", "investigation", investigation.id, detail)
    return int(row.id)


def add_referral(session: Session, actor: Actor, investigation_id: int, data: ReferralInput) -> int:
    row = load_investigation(session, actor, investigation_id, for_edit=True)
    check_referral(data, date.today())
    values = {
        "received_on": data.received_on,
        "source": data.source.value,
        "online": data.online,
        "reference": _text(data.reference),
        "note": _text(data.note),
    }
    audited = {"received_on": data.received_on, "source": data.source.value, "online": data.online}
    return _add(session, actor, row, Part.REFERRAL, values, audited)


def add_warrant(session: Session, actor: Actor, investigation_id: int, data: WarrantInput) -> int:
    row = load_investigation(session, actor, investigation_id, for_edit=True)
    check_warrant(data, date.today())
    values = {
        "applied_on": data.applied_on,
        "executed_on": data.executed_on,
        "address": data.address.strip(),
        "note": _text(data.note),
    }
    audited = {"applied_on": data.applied_on, "executed_on": data.executed_on}
    return _add(session, actor, row, Part.WARRANT, values, audited)


def add_arrest(session: Session, actor: Actor, investigation_id: int, data: ArrestInput) -> int:
    row = load_investigation(session, actor, investigation_id, for_edit=True)
    check_arrest(data, date.today())
    values = {"arrested_on": data.arrested_on, "note": _text(data.note)}
    return _add(session, actor, row, Part.ARREST, values, {"arrested_on": data.arrested_on})


def add_offence(
    session: Session,
    actor: Actor,
    investigation_id: int,
    data: OffenceInput,
    types: OffenceTypes | None = None,
) -> int:
    """An offence identified; a breach may name its condition and the alert it came from."""
    row = load_investigation(session, actor, investigation_id, for_edit=True)
    types = types or load_offence_types()
    check_offence(data, types, date.today())
    if data.alert_id is not None:
        person = session.scalar(select(AlertRow.person_id).where(AlertRow.id == data.alert_id))
        if person is None or person != row.person_id:
            raise invalid(
                "alert_id", f"alert {data.alert_id} is not about this investigation's person"
            )
    kind = types.require(data.offence_type)
    values = {
        "offence_type": kind.key,
        "identified_on": data.identified_on,
        "cyber": data.cyber,
        "breach": kind.breach,
        "breach_condition": data.breach_condition.value if data.breach_condition else None,
        "alert_id": data.alert_id,
        "note": _text(data.note),
    }
    audited = {"type": kind.key, "identified_on": data.identified_on, "cyber": data.cyber}
    return _add(session, actor, row, Part.OFFENCE, values, audited)


def add_charge(session: Session, actor: Actor, investigation_id: int, data: ChargeInput) -> int:
    row = load_investigation(session, actor, investigation_id, for_edit=True)
    check_charge(data, date.today())
    if data.offence_id is not None:
        owner = session.scalar(
            select(OffenceRow.investigation_id).where(OffenceRow.id == data.offence_id)
        )
        if owner != row.id:
            raise invalid("offence_id", f"offence {data.offence_id} is not in this investigation")
    values = {
        "charged_on": data.charged_on,
        "offence_id": data.offence_id,
        "result": data.result.value,
        "result_on": data.result_on,
        "note": _text(data.note),
    }
    audited = {"charged_on": data.charged_on, "result": data.result.value}
    return _add(session, actor, row, Part.CHARGE, values, audited)


def set_charge_result(
    session: Session,
    actor: Actor,
    investigation_id: int,
    charge_id: int,
    result: ChargeResult,
    result_on: date | None,
) -> None:
    """Record what the court decided on a charge (or set it back to pending)."""
    investigation = load_investigation(session, actor, investigation_id, for_edit=True)
    row = session.get(ChargeRow, charge_id)
    if row is None or row.investigation_id != investigation.id:
        raise NotFoundError(f"no charge {charge_id} in this investigation")
    if result is ChargeResult.PENDING:
        result_on = None
    elif result_on is None:
        raise invalid("result_on", "give the date of the court result")
    not_in_future(result_on, "result_on", "The result date", date.today())
    not_before(result_on, row.charged_on, "result_on", "the result is dated before the charge")
    before = [row.result, row.result_on]
    row.result, row.result_on = result.value, result_on
    investigation.updated_at = datetime.now(UTC)
    session.flush()
    detail = {"id": charge_id, "changed": [before, [result.value, result_on]]}
    record_audit(session, actor, "charge_result", "investigation", investigation.id, detail)


def add_safeguarding(
    session: Session, actor: Actor, investigation_id: int, data: SafeguardingInput
) -> int:
    """A count of children safeguarded (names never go into orderwatch's statistics)."""
    row = load_investigation(session, actor, investigation_id, for_edit=True)
    check_safeguarding(data, date.today())
    values = {"recorded_on": data.recorded_on, "children": data.children, "note": _text(data.note)}
    audited = {"recorded_on": data.recorded_on, "children": data.children}
    return _add(session, actor, row, Part.SAFEGUARDING, values, audited)


def add_bail(session: Session, actor: Actor, investigation_id: int, data: BailInput) -> int:
    row = load_investigation(session, actor, investigation_id, for_edit=True)
    check_bail(data, date.today())
    values = {
        "granted_on": data.granted_on,
        "return_on": data.return_on,
        "conditions": conditions_to_json(data.conditions),
        "note": _text(data.note),
    }
    audited = {"granted_on": data.granted_on, "conditions": [c.type.value for c in data.conditions]}
    return _add(session, actor, row, Part.BAIL, values, audited)


def remove_part(
    session: Session, actor: Actor, investigation_id: int, part: Part, record_id: int
) -> None:
    """Remove a record added by mistake (the audit log keeps that it existed)."""
    investigation = load_investigation(session, actor, investigation_id, for_edit=True)
    row = session.get(_TABLES[part], record_id)
    if row is None or row.investigation_id != investigation.id:
        raise NotFoundError(f"no {part.singular} {record_id} in this investigation")
    session.delete(row)
    investigation.updated_at = datetime.now(UTC)
    session.flush()
    detail = {"id": record_id}
    record_audit(
        session, actor, f"remove_{part.singular}", "investigation", investigation.id, detail
    )
