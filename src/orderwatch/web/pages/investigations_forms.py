"""Submitted investigation and exhibit forms -> the domain's input types (None with the errors
recorded on the form), and the form-field names, which match the domain's field names so a
storage InvalidInputError lands beside the right field.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.investigations import (
    MAX_CHILDREN,
    ArrestInput,
    BailInput,
    ChargeInput,
    ChargeResult,
    InvestigationInput,
    InvestigationOutcome,
    OffenceInput,
    OffenceTypes,
    ReferralInput,
    ReferralSource,
    SafeguardingInput,
    WarrantInput,
)
from orderwatch.domain.investigations_exhibits import (
    CustodyAction,
    CustodyEntryInput,
    ExhibitInput,
    Priority,
)
from orderwatch.domain.statistics import UNIT_TIME_ZONE
from orderwatch.storage.investigations_parts import Part
from orderwatch.web.forms import FormState
from orderwatch.web.pages.inputs import _read_condition

NOTE = 4000


def _past(form: FormState, name: str, label: str, *, required: bool = True) -> date | None:
    value = form.day(name, label, required=required)
    if value is not None and value > date.today():
        form.fail(name, f"{label} is in the future.")
    return value


def _ordered(
    form: FormState, later: date | None, earlier: date | None, name: str, what: str
) -> None:
    if later is not None and earlier is not None and later < earlier:
        form.fail(name, f"{what} ({later.isoformat()} is before {earlier.isoformat()}).")


def _id(form: FormState, name: str, label: str) -> int | None:
    return form.integer(name, label, minimum=1, maximum=2**31 - 1)


def _count(form: FormState, name: str, label: str) -> int | None:
    raw = form.values.get(name, "").strip()
    if raw.lstrip("-").isdigit() and int(raw) < 0:
        form.fail(name, f"{label} cannot be negative.")
        return None
    value = form.integer(name, label, minimum=0, maximum=MAX_CHILDREN)
    if value is None and name not in form.errors:
        form.fail(name, f"{label} is required.")
    return value


def _ticked(form: FormState, name: str) -> bool:
    return form.values.get(name, "") in ("on", "true", "yes", "1")


def read_investigation(form: FormState) -> InvestigationInput | None:
    person_id = _id(form, "person_id", "Managed person")
    subject = form.optional_text("subject_name", "Subject's name", max_length=200)
    if person_id is None and not subject and "person_id" not in form.errors:
        form.fail("person_id", "Choose a managed person or name the subject.")
    officer_id = _id(form, "officer_id", "Investigating officer")
    if officer_id is None and "officer_id" not in form.errors:
        form.fail("officer_id", "Investigating officer is required.")
    opened_on = _past(form, "opened_on", "Opened on")
    outcome = form.choice("outcome", "Outcome", InvestigationOutcome, required=False)
    outcome_on = _past(form, "outcome_on", "Outcome date", required=False)
    closed_on = _past(form, "closed_on", "Closed on", required=False)
    _ordered(form, outcome_on, opened_on, "outcome_on", "The outcome is dated before the opening")
    _ordered(form, closed_on, opened_on, "closed_on", "Closed before it was opened")
    if outcome is not None and outcome_on is None and "outcome_on" not in form.errors:
        form.fail("outcome_on", "Give the date of the outcome.")
    reference = form.optional_text("reference", "Reference", max_length=64)
    summary = form.optional_text("summary", "Summary", max_length=NOTE)
    if not form.ok or officer_id is None or opened_on is None:
        return None
    return InvestigationInput(
        officer_id=officer_id,
        opened_on=opened_on,
        person_id=person_id,
        subject_name=subject,
        reference=reference,
        summary=summary,
        outcome=outcome,
        outcome_on=outcome_on,
        closed_on=closed_on,
    )


def read_referral(form: FormState) -> ReferralInput | None:
    received = _past(form, "received_on", "Received on")
    source = form.choice("source", "Source", ReferralSource)
    reference = form.optional_text("reference", "Their reference", max_length=120)
    note = form.optional_text("note", "Note", max_length=NOTE)
    if not form.ok or received is None or source is None:
        return None
    return ReferralInput(received, source, _ticked(form, "online"), reference, note)


def read_warrant(form: FormState) -> WarrantInput | None:
    applied = _past(form, "applied_on", "Applied for on")
    executed = _past(form, "executed_on", "Executed on", required=False)
    _ordered(form, executed, applied, "executed_on", "Executed before it was applied for")
    address = form.text("address", "Address", required=True, max_length=1000)
    note = form.optional_text("note", "Note", max_length=NOTE)
    if not form.ok or applied is None:
        return None
    return WarrantInput(applied, address, executed, note)


def read_arrest(form: FormState) -> ArrestInput | None:
    arrested = _past(form, "arrested_on", "Arrested on")
    note = form.optional_text("note", "Note", max_length=NOTE)
    return ArrestInput(arrested, note) if form.ok and arrested is not None else None


def read_offence(form: FormState, types: OffenceTypes) -> OffenceInput | None:
    kind = form.text("offence_type", "Offence", required=True, max_length=60)
    if kind and types.get(kind) is None:
        form.fail("offence_type", "Choose an offence from the list.")
    identified = _past(form, "identified_on", "Identified on")
    condition = form.choice("breach_condition", "Condition breached", ConditionType, required=False)
    found = types.get(kind)
    if condition is not None and found is not None and not found.breach:
        form.fail("breach_condition", "Only a breach names the condition it concerned.")
    alert_id = _id(form, "alert_id", "Alert number")
    note = form.optional_text("note", "Note", max_length=NOTE)
    if not form.ok or identified is None:
        return None
    return OffenceInput(kind, identified, _ticked(form, "cyber"), condition, alert_id, note)


def read_charge(form: FormState) -> ChargeInput | None:
    charged = _past(form, "charged_on", "Charged on")
    offence_id = _id(form, "offence_id", "Offence")
    result = form.choice("result", "Court result", ChargeResult, required=False)
    result_on = _past(form, "result_on", "Result date", required=False)
    _ordered(form, result_on, charged, "result_on", "The result is dated before the charge")
    if result not in (None, ChargeResult.PENDING) and result_on is None:
        form.fail("result_on", "Give the date of the court result.")
    note = form.optional_text("note", "Note", max_length=NOTE)
    if not form.ok or charged is None:
        return None
    return ChargeInput(charged, offence_id, result or ChargeResult.PENDING, result_on, note)


def read_safeguarding(form: FormState) -> SafeguardingInput | None:
    recorded = _past(form, "recorded_on", "Recorded on")
    children = _count(form, "children", "Children safeguarded")
    if children == 0:
        form.fail("children", "Record at least one child safeguarded.")
    note = form.optional_text("note", "Note (no names)", max_length=NOTE)
    if not form.ok or recorded is None or children is None:
        return None
    return SafeguardingInput(recorded, children, note)


def read_bail(form: FormState) -> BailInput | None:
    granted = _past(form, "granted_on", "Bail granted on")
    return_on = form.day("return_on", "Answer bail on")
    _ordered(form, return_on, granted, "return_on", "The return date is before bail was granted")
    conditions = [
        _read_condition(form, t) for t in ConditionType if form.values.get(f"cond.{t.value}")
    ]
    if not conditions and "conditions" not in form.errors:
        form.fail("conditions", "Tick at least one bail condition.")
    note = form.optional_text("note", "Note", max_length=NOTE)
    if not form.ok or granted is None:
        return None
    return BailInput(granted, tuple(c for c in conditions if c is not None), return_on, note)


READERS = {
    Part.REFERRAL: read_referral,
    Part.WARRANT: read_warrant,
    Part.ARREST: read_arrest,
    Part.CHARGE: read_charge,
    Part.SAFEGUARDING: read_safeguarding,
    Part.BAIL: read_bail,
}


def read_exhibit(form: FormState) -> ExhibitInput | None:
    description = form.text("description", "Description", required=True, max_length=300)
    kind = form.text("device_kind", "Kind of device", required=True, max_length=40)
    seized_on = _past(form, "seized_on", "Seized on")
    seized_by = form.text("seized_by", "Seized by", required=True, max_length=200)
    seized_from = form.optional_text("seized_from", "Seized from", max_length=300)
    seal = form.optional_text("seal_number", "Seal number", max_length=64)
    reference = form.optional_text("reference", "Exhibit reference", max_length=64)
    examiner_id = _id(form, "examiner_id", "Examiner")
    priority = _priority(form)
    if not form.ok or seized_on is None:
        return None
    return ExhibitInput(
        description=description,
        device_kind=kind,
        seized_on=seized_on,
        seized_by=seized_by,
        seized_from=seized_from,
        seal_number=seal,
        hidden=_ticked(form, "hidden"),
        undeclared=_ticked(form, "undeclared"),
        reference=reference,
        examiner_id=examiner_id,
        priority=priority,
    )


def _priority(form: FormState) -> Priority | None:
    """A priority 1-4, or None for 'derive it' (an empty choice)."""
    value = form.integer("priority", "Priority", minimum=1, maximum=4)
    return Priority(value) if value is not None else None


def read_priority(form: FormState) -> tuple[Priority | None, str] | None:
    priority = _priority(form)
    reason = form.text("reason", "Reason", max_length=300)
    if priority is not None and not reason:
        form.fail("reason", "Say why the priority changes.")
    return (priority, reason) if form.ok else None


def read_custody(form: FormState, zone: str = UNIT_TIME_ZONE) -> CustodyEntryInput | None:
    """A custody step; the time is typed as local time (datetime-local) in the unit's zone."""
    action = form.choice("action", "Step", CustodyAction)
    raw = form.text("at", "When", required=True, max_length=40)
    at = None
    if raw:
        try:
            at = datetime.fromisoformat(raw).replace(tzinfo=ZoneInfo(zone))
        except ValueError:
            form.fail("at", f"When must be a date and time like 2025-03-31T14:05, not {raw!r}.")
    holder = form.text("holder", "Now held by", required=True, max_length=200)
    reason = form.text("reason", "Why", required=True, max_length=NOTE)
    seal = form.optional_text("seal_number", "Seal number", max_length=64)
    if not form.ok or action is None or at is None:
        return None
    return CustodyEntryInput(action, at, holder, reason, seal)
