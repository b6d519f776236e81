"""Submitted page forms -> the storage layer's input types, and records -> form values.

Field names match the storage layer's field names, so a storage InvalidInputError (whose source
is the field at fault) lands beside the right field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from orderwatch.domain.caseload import ManagementLevel, OrderKind, RiskLevel, VisitOutcome
from orderwatch.domain.conditions import (
    CONDITION_LABELS,
    Condition,
    ConditionError,
    ConditionType,
    parse_condition,
)
from orderwatch.domain.errors import InvalidInputError
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice, OrderRecord
from orderwatch.storage import (
    ManagedPerson,
    PersonInput,
    StoredAccount,
    StoredDevice,
    StoredOrder,
    VisitReport,
)
from orderwatch.web.forms import FormState

# Column widths of the storage tables: longer input is a form error, not a database error.
DEVICE_TEXT_FIELDS: dict[str, tuple[str, int]] = {
    "make": ("Make", 120),
    "model": ("Model", 120),
    "serial": ("Serial number", 120),
    "imei": ("IMEI", 32),
    "mac": ("MAC address", 32),
    "vendor": ("Vendor", 120),
    "product": ("Product", 120),
}


def place_storage_error(
    form: FormState, error: InvalidInputError, fields: tuple[str, ...] = ()
) -> None:
    """Put a storage validation error beside its field (or above the form when unknown).

    `fields` names fields the form shows but did not send back (passwords, empty checkboxes).
    """
    message = "; ".join(p.message for p in error.problems) or str(error)
    message = message[:1].upper() + message[1:]
    sent = {name.split("=")[0] for name in form.checked}
    known = error.source in form.values or error.source in sent or error.source in fields
    form.fail(error.source if known else "__all__", message)


# --- persons --------------------------------------------------------------------------------


def person_values(person: ManagedPerson) -> FormState:
    form = FormState(
        values={
            "reference": person.reference,
            "full_name": person.full_name,
            "aliases": "\n".join(person.aliases),
            "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else "",
            "address": person.address or "",
            "risk_level": person.risk_level.value,
            "management_level": person.management_level.value,
            "officer_id": str(person.officer.id),
            "managed_since": person.managed_since.isoformat(),
        }
    )
    form.checked.update(f"examiner_ids={e.id}" for e in person.examiners)
    return form


def read_person(form: FormState) -> PersonInput | None:
    """The person typed into the form, or None with the errors recorded on the form."""
    reference = form.text("reference", "Reference", required=True, max_length=64)
    full_name = form.text("full_name", "Name", required=True, max_length=200)
    aliases = form.lines("aliases", "Known aliases", max_items=50)
    born = form.day("date_of_birth", "Date of birth")
    if born is not None and born > date.today():
        form.fail("date_of_birth", "Date of birth is in the future.")
    address = form.optional_text("address", "Address", max_length=1000)
    risk = form.choice("risk_level", "Risk level", RiskLevel)
    management = form.choice("management_level", "Management", ManagementLevel)
    officer_id = form.integer("officer_id", "Responsible officer", minimum=1, maximum=2**31)
    if officer_id is None:
        form.fail("officer_id", "Responsible officer is required.")
    since = form.day("managed_since", "Managed since", required=True)
    examiners = form.ids("examiner_ids", "Examiners")
    if not form.ok or risk is None or management is None or officer_id is None or since is None:
        return None
    return PersonInput(
        reference=reference,
        full_name=full_name,
        risk_level=risk,
        management_level=management,
        officer_id=officer_id,
        managed_since=since,
        date_of_birth=born,
        address=address,
        aliases=aliases,
        examiner_ids=examiners,
    )


# --- orders ---------------------------------------------------------------------------------


def condition_parameters(ctype: ConditionType) -> dict[str, Any]:
    """The parameters a condition type takes, with their defaults (from the domain parser)."""
    return dict(parse_condition({"type": ctype.value}).params)


def condition_choices() -> list[dict[str, Any]]:
    """Every condition type with its label and parameters, in vocabulary order (the form)."""
    return [
        {
            "type": t.value,
            "label": CONDITION_LABELS[t],
            "params": [
                {"name": n, "is_int": isinstance(d, int), "default": d}
                for n, d in condition_parameters(t).items()
            ],
        }
        for t in ConditionType
    ]


def order_values(order: StoredOrder | None) -> FormState:
    if order is None:
        return FormState(values={"kind": OrderKind.SHPO.value})
    values = {
        "kind": order.kind.value,
        "court": order.court or "",
        "made": order.made.isoformat(),
        "expires": order.expires.isoformat() if order.expires else "",
    }
    for condition in order.conditions:
        values[f"cond.{condition.type.value}"] = "on"
        for name, value in condition.params.items():
            values[f"{condition.type.value}.{name}"] = (
                "\n".join(value) if isinstance(value, tuple | list) else str(value)
            )
    return FormState(values=values)


def _read_condition(form: FormState, ctype: ConditionType) -> Condition | None:
    record: dict[str, Any] = {"type": ctype.value}
    for name, default in condition_parameters(ctype).items():
        key = f"{ctype.value}.{name}"
        if isinstance(default, int):
            number = form.integer(key, name.replace("_", " ").capitalize(), maximum=3650)
            if number is not None:
                record[name] = number
        else:
            record[name] = list(form.lines(key, name.capitalize()))
    try:
        return parse_condition(record)
    except ConditionError as error:
        form.fail(f"cond.{ctype.value}", str(error))
        return None


def read_order(form: FormState) -> OrderRecord | None:
    kind = form.choice("kind", "Kind of order", OrderKind)
    court = form.optional_text("court", "Court", max_length=200)
    made = form.day("made", "Made on", required=True)
    expires = form.day("expires", "Expires on")
    if made and expires and expires < made:
        form.fail("expires", "The order expires before it was made.")
    conditions = [
        _read_condition(form, t) for t in ConditionType if form.values.get(f"cond.{t.value}")
    ]
    if not form.ok or kind is None or made is None:
        return None
    return OrderRecord(kind, court, made, expires, tuple(c for c in conditions if c is not None))


# --- declared devices and accounts ----------------------------------------------------------


def device_values(device: StoredDevice) -> FormState:
    values = {"kind": device.kind}
    for name in DEVICE_TEXT_FIELDS:
        values[name] = getattr(device, name) or ""
    values["declared_on"] = device.declared_on.isoformat() if device.declared_on else ""
    return FormState(values=values)


def read_device(form: FormState) -> DeclaredDevice | None:
    kind = form.text("kind", "Kind", required=True, max_length=40)
    texts = {
        name: form.optional_text(name, label, max_length=width)
        for name, (label, width) in DEVICE_TEXT_FIELDS.items()
    }
    declared_on = form.day("declared_on", "Declared on")
    if declared_on is not None and declared_on > date.today():
        form.fail("declared_on", "Declared on is in the future.")
    if not any(texts[n] for n in ("serial", "imei", "mac", "model", "product")):
        form.fail("serial", "Give at least one of serial, IMEI, MAC, model or product.")
    if not form.ok:
        return None
    return DeclaredDevice(kind=kind, declared_on=declared_on, **texts)


def account_values(account: StoredAccount) -> FormState:
    return FormState(values={"service": account.service, "identifier": account.identifier})


def read_account(form: FormState) -> DeclaredAccount | None:
    service = form.text("service", "Service", required=True, max_length=80)
    identifier = form.text("identifier", "User name or address", required=True, max_length=254)
    return DeclaredAccount(service, identifier) if form.ok else None


# --- visits ---------------------------------------------------------------------------------


def read_visit(form: FormState) -> VisitReport | None:
    done_on = form.day("done_on", "Visited on", required=True)
    if done_on is not None and done_on > date.today():
        form.fail("done_on", "Visited on is in the future.")
    outcome = form.choice("outcome", "Outcome", VisitOutcome)
    inspected = form.ids("devices_inspected", "Devices inspected")
    notes = form.optional_text("notes", "Notes", max_length=10_000)
    if not form.ok or done_on is None or outcome is None:
        return None
    return VisitReport(done_on, outcome, inspected, notes)
