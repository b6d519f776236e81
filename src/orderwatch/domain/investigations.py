"""Investigation records: the offence-type list, outcomes, and the rules every record obeys
(dates in order, no negative counts). Pure: the storage repositories call these checks.

Exhibits, their chain of custody and the examination queue are in investigations_exhibits.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path

import yaml

from orderwatch.domain.conditions import Condition, ConditionType
from orderwatch.domain.errors import InvalidInputError, Problem

DEFAULT_OFFENCE_TYPES = "offence_types.yaml"
MAX_CHILDREN = 10_000  # a typing mistake, not a safeguarding operation


def invalid(field: str, message: str) -> InvalidInputError:
    """A one-problem error naming the field at fault (forms show it beside the field)."""
    return InvalidInputError(field, [Problem(0, message)])


# --- the offence-type list ------------------------------------------------------------------


@dataclass(frozen=True)
class OffenceType:
    key: str
    label: str
    breach: bool = False
    against_child: bool = False
    online: bool = False


@dataclass(frozen=True)
class OffenceTypes:
    """The unit's list of offence types, in the order the forms show them."""

    types: tuple[OffenceType, ...]
    source: str = DEFAULT_OFFENCE_TYPES

    def get(self, key: str) -> OffenceType | None:
        return next((t for t in self.types if t.key == key), None)

    def label(self, key: str) -> str:
        """The label of a key; a key no longer on the list is shown as itself."""
        found = self.get(key)
        return found.label if found else key.replace("_", " ")

    @property
    def breach_keys(self) -> frozenset[str]:
        return frozenset(t.key for t in self.types if t.breach)

    @property
    def child_keys(self) -> frozenset[str]:
        return frozenset(t.key for t in self.types if t.against_child)

    def require(self, key: str, field: str = "offence_type") -> OffenceType:
        found = self.get(key)
        if found is None:
            raise invalid(field, f"unknown offence type {key!r}; choose one from the list")
        return found


def parse_offence_types(text: str, source: str) -> OffenceTypes:
    """Read an offence-type YAML document; InvalidInputError lists every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInputError(source, [Problem(0, f"not valid YAML: {error}")]) from None
    raw = data.get("offence_types") if isinstance(data, dict) else None
    if not isinstance(raw, dict) or not raw:
        raise InvalidInputError(source, [Problem(0, "needs an 'offence_types' mapping")])
    problems: list[Problem] = []
    types = []
    for key, body in raw.items():
        key = str(key)
        if not key.replace("_", "").isalnum() or key.lower() != key or len(key) > 60:
            problems.append(Problem(0, f"{key!r}: keys are lower-case letters, digits and _"))
            continue
        if not isinstance(body, dict) or not str(body.get("label", "")).strip():
            problems.append(Problem(0, f"{key}: needs a label"))
            continue
        flags = {name: body.get(name, False) for name in ("breach", "against_child", "online")}
        bad = [name for name, value in flags.items() if not isinstance(value, bool)]
        if bad:
            problems.append(Problem(0, f"{key}: {', '.join(bad)} must be true or false"))
            continue
        types.append(OffenceType(key, str(body["label"]).strip(), **flags))
    if problems:
        raise InvalidInputError(source, problems)
    return OffenceTypes(tuple(types), source)


def load_offence_types(path: Path | None = None) -> OffenceTypes:
    """The list at `path` (a unit's edited copy), or the shipped default."""
    if path is None:
        text = resources.files("orderwatch.domain").joinpath(DEFAULT_OFFENCE_TYPES).read_text()
        return parse_offence_types(text, DEFAULT_OFFENCE_TYPES)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as error:
        raise InvalidInputError(str(path), [Problem(0, f"cannot read: {error.strerror}")]) from None
    return parse_offence_types(text, str(path))


# --- vocabularies ---------------------------------------------------------------------------


class ReferralSource(StrEnum):
    """Where a referral or report came from."""

    CEOP_NCA = "ceop_nca"
    INDUSTRY = "industry"
    MONITORING = "monitoring"
    HOME_VISIT = "home_visit"
    OTHER_FORCE = "other_force"
    PUBLIC = "public"
    PARTNER_AGENCY = "partner_agency"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _SOURCE_LABELS[self]


_SOURCE_LABELS = {
    ReferralSource.CEOP_NCA: "CEOP / NCA referral",
    ReferralSource.INDUSTRY: "Online platform report",
    ReferralSource.MONITORING: "Monitoring alert",
    ReferralSource.HOME_VISIT: "Home visit",
    ReferralSource.OTHER_FORCE: "Another force",
    ReferralSource.PUBLIC: "Member of the public",
    ReferralSource.PARTNER_AGENCY: "Partner agency",
    ReferralSource.OTHER: "Other",
}


class InvestigationOutcome(StrEnum):
    """How an investigation ended (None while it is ongoing)."""

    CHARGED = "charged"
    CAUTIONED = "cautioned"
    RELEASED_UNDER_INVESTIGATION = "released_under_investigation"
    NO_FURTHER_ACTION = "no_further_action"
    TRANSFERRED = "transferred"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class ChargeResult(StrEnum):
    """What became of a charge at court."""

    PENDING = "pending"
    CONVICTED = "convicted"
    ACQUITTED = "acquitted"
    DISCONTINUED = "discontinued"

    @property
    def label(self) -> str:
        return self.value.capitalize()


# --- what forms and the API send ------------------------------------------------------------


@dataclass(frozen=True)
class InvestigationInput:
    """An investigation about a managed person (person_id) or an unmanaged subject (name)."""

    officer_id: int
    opened_on: date
    person_id: int | None = None
    subject_name: str | None = None
    reference: str | None = None  # generated (INV-<year>-<n>) when blank
    summary: str | None = None
    outcome: InvestigationOutcome | None = None
    outcome_on: date | None = None
    closed_on: date | None = None


@dataclass(frozen=True)
class ReferralInput:
    received_on: date
    source: ReferralSource
    online: bool
    reference: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class WarrantInput:
    applied_on: date
    address: str
    executed_on: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class ArrestInput:
    arrested_on: date
    note: str | None = None


@dataclass(frozen=True)
class OffenceInput:
    offence_type: str
    identified_on: date
    cyber: bool
    breach_condition: ConditionType | None = None  # which order condition a breach concerned
    alert_id: int | None = None  # the monitoring alert it came from (counted once)
    note: str | None = None


@dataclass(frozen=True)
class ChargeInput:
    charged_on: date
    offence_id: int | None = None
    result: ChargeResult = ChargeResult.PENDING
    result_on: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class SafeguardingInput:
    """Children safeguarded: a count only. Never names (statistics and exports read this)."""

    recorded_on: date
    children: int
    note: str | None = None


@dataclass(frozen=True)
class BailInput:
    granted_on: date
    conditions: tuple[Condition, ...]
    return_on: date | None = None
    note: str | None = None


# --- rules ----------------------------------------------------------------------------------


def not_in_future(value: date | None, field: str, label: str, today: date) -> None:
    if value is not None and value > today:
        raise invalid(field, f"{label} ({value.isoformat()}) is in the future")


def not_before(later: date | None, earlier: date | None, field: str, message: str) -> None:
    """InvalidInputError on `field` when `later` comes before `earlier` (both known)."""
    if later is not None and earlier is not None and later < earlier:
        raise invalid(field, f"{message} ({later.isoformat()} is before {earlier.isoformat()})")


def count_in_range(value: int, field: str, label: str, maximum: int = MAX_CHILDREN) -> None:
    if value < 0:
        raise invalid(field, f"{label} cannot be negative ({value})")
    if value > maximum:
        raise invalid(field, f"{label} must be at most {maximum} ({value})")


def check_investigation(data: InvestigationInput, today: date) -> None:
    """Subject named once, dates in order and not in the future, outcome with its date."""
    subject = (data.subject_name or "").strip()
    if data.person_id is None and not subject:
        raise invalid("person_id", "choose a managed person or name the subject")
    not_in_future(data.opened_on, "opened_on", "Opened on", today)
    not_in_future(data.outcome_on, "outcome_on", "The outcome date", today)
    not_in_future(data.closed_on, "closed_on", "Closed on", today)
    not_before(
        data.outcome_on, data.opened_on, "outcome_on", "the outcome is dated before the opening"
    )
    not_before(data.closed_on, data.opened_on, "closed_on", "closed before it was opened")
    if data.outcome is not None and data.outcome_on is None:
        raise invalid("outcome_on", "give the date of the outcome")
    if data.outcome is None and data.outcome_on is not None:
        raise invalid("outcome", "choose the outcome the date belongs to")


def check_referral(data: ReferralInput, today: date) -> None:
    not_in_future(data.received_on, "received_on", "Received on", today)


def check_warrant(data: WarrantInput, today: date) -> None:
    if not data.address.strip():
        raise invalid("address", "the address the warrant is for is required")
    not_in_future(data.applied_on, "applied_on", "Applied for on", today)
    not_in_future(data.executed_on, "executed_on", "Executed on", today)
    not_before(
        data.executed_on, data.applied_on, "executed_on", "executed before it was applied for"
    )


def check_arrest(data: ArrestInput, today: date) -> None:
    not_in_future(data.arrested_on, "arrested_on", "Arrested on", today)


def check_offence(data: OffenceInput, types: OffenceTypes, today: date) -> None:
    kind = types.require(data.offence_type)
    not_in_future(data.identified_on, "identified_on", "Identified on", today)
    if data.breach_condition is not None and not kind.breach:
        raise invalid("breach_condition", "only a breach names the order condition it concerned")


def check_charge(data: ChargeInput, today: date) -> None:
    not_in_future(data.charged_on, "charged_on", "Charged on", today)
    not_in_future(data.result_on, "result_on", "The result date", today)
    not_before(
        data.result_on, data.charged_on, "result_on", "the result is dated before the charge"
    )
    if data.result is not ChargeResult.PENDING and data.result_on is None:
        raise invalid("result_on", "give the date of the court result")


def check_safeguarding(data: SafeguardingInput, today: date) -> None:
    not_in_future(data.recorded_on, "recorded_on", "Recorded on", today)
    count_in_range(data.children, "children", "Children safeguarded")
    if data.children == 0:
        raise invalid("children", "record at least one child safeguarded")


def check_bail(data: BailInput, today: date) -> None:
    not_in_future(data.granted_on, "granted_on", "Bail granted on", today)
    not_before(data.return_on, data.granted_on, "return_on", "the return date is before bail")
    if not data.conditions:
        raise invalid("conditions", "bail needs at least one condition")
