"""Exhibits: examination status and priority, and the chain-of-custody rules (pure).

The chain is append-only: each entry says who had the exhibit, when, why, and under which seal.
An exhibit is either in the property store or out with someone; booking out an exhibit that is
already out, or recording a step before the previous one, is refused with a clear message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import IntEnum, StrEnum

from orderwatch.domain.caseload import RiskLevel
from orderwatch.domain.investigations import invalid, not_in_future

# A clock a little ahead of the server's is not "the future".
CLOCK_SLACK = timedelta(minutes=5)
AGE_BANDS: tuple[int, ...] = (30, 90, 180)  # days waiting, for the queue's ageing figures


class ExhibitStatus(StrEnum):
    AWAITING = "awaiting"
    TRIAGED = "triaged"
    FULL_EXAMINATION = "full_examination"
    RETURNED = "returned"
    DESTROYED = "destroyed"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def closed(self) -> bool:
        return self in (ExhibitStatus.RETURNED, ExhibitStatus.DESTROYED)


_STATUS_LABELS = {
    ExhibitStatus.AWAITING: "Awaiting examination",
    ExhibitStatus.TRIAGED: "Triaged",
    ExhibitStatus.FULL_EXAMINATION: "Full examination",
    ExhibitStatus.RETURNED: "Returned",
    ExhibitStatus.DESTROYED: "Destroyed",
}

# Examination steps set by the status form; returning or destroying is a custody entry.
EXAMINATION_STEPS: dict[ExhibitStatus, tuple[ExhibitStatus, ...]] = {
    ExhibitStatus.AWAITING: (ExhibitStatus.TRIAGED, ExhibitStatus.FULL_EXAMINATION),
    ExhibitStatus.TRIAGED: (ExhibitStatus.FULL_EXAMINATION,),
}


class Priority(IntEnum):
    """Examination priority: 1 is examined first."""

    URGENT = 1
    HIGH = 2
    NORMAL = 3
    LOW = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()


_RISK_PRIORITY = {
    RiskLevel.VERY_HIGH: Priority.URGENT,
    RiskLevel.HIGH: Priority.HIGH,
    RiskLevel.MEDIUM: Priority.NORMAL,
    RiskLevel.LOW: Priority.LOW,
}


def derive_priority(
    risk: RiskLevel | None, *, against_child: bool, children_safeguarded: int
) -> tuple[Priority, str]:
    """The priority from the person's risk (normal for an unmanaged subject), one step higher
    when the investigation concerns an offence against a child or children were safeguarded.
    Returns the priority and the reason shown beside it."""
    base = _RISK_PRIORITY[risk] if risk is not None else Priority.NORMAL
    why = f"{risk.value.replace('_', ' ')} risk" if risk is not None else "subject not managed"
    if against_child or children_safeguarded > 0:
        raised = Priority(max(Priority.URGENT, base - 1))
        because = "children safeguarded" if children_safeguarded else "offence against a child"
        return raised, f"{why}, raised: {because}"
    return base, why


def check_examination_step(current: ExhibitStatus, target: ExhibitStatus) -> None:
    """InvalidInputError unless the exhibit may move from `current` to `target`."""
    allowed = EXAMINATION_STEPS.get(current, ())
    if target in allowed:
        return
    if current.closed:
        raise invalid("status", f"the exhibit was {current.value}; its examination is over")
    if target.closed:
        raise invalid("status", "record a return or destruction in the chain of custody")
    names = ", ".join(s.label.lower() for s in allowed) or "nothing"
    raise invalid("status", f"{current.label.lower()} can move on to {names}, not {target.label}")


class CustodyAction(StrEnum):
    SEIZED = "seized"
    BOOKED_IN = "booked_in"
    BOOKED_OUT = "booked_out"
    TRANSFERRED = "transferred"
    RETURNED_TO_OWNER = "returned_to_owner"
    DESTROYED = "destroyed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


FINAL_ACTIONS = {
    CustodyAction.RETURNED_TO_OWNER: ExhibitStatus.RETURNED,
    CustodyAction.DESTROYED: ExhibitStatus.DESTROYED,
}


class Whereabouts(StrEnum):
    WITH_SEIZING_OFFICER = "with the seizing officer"
    IN_STORE = "in the property store"
    OUT = "booked out"
    GONE = "returned or destroyed"


@dataclass(frozen=True)
class CustodyStep:
    """One entry already in the chain (as the rules need it)."""

    action: CustodyAction
    at: datetime
    holder: str


@dataclass(frozen=True)
class CustodyEntryInput:
    action: CustodyAction
    at: datetime  # timezone-aware
    holder: str  # who has it after this step (a person, the store, a lab)
    reason: str
    seal_number: str | None = None


def whereabouts(chain: Sequence[CustodyStep]) -> Whereabouts:
    """Where the exhibit is after the last entry."""
    if not chain:
        return Whereabouts.WITH_SEIZING_OFFICER
    last = chain[-1].action
    if last in FINAL_ACTIONS:
        return Whereabouts.GONE
    if last is CustodyAction.BOOKED_IN:
        return Whereabouts.IN_STORE
    if last in (CustodyAction.BOOKED_OUT, CustodyAction.TRANSFERRED):
        return Whereabouts.OUT
    return Whereabouts.WITH_SEIZING_OFFICER


def check_custody_entry(
    chain: Sequence[CustodyStep], entry: CustodyEntryInput, now: datetime
) -> None:
    """InvalidInputError naming the field when `entry` cannot follow `chain`."""
    if entry.at.tzinfo is None:
        raise invalid("at", "the time needs a time zone")
    if not entry.holder.strip():
        raise invalid("holder", "say who has the exhibit after this step")
    if not entry.reason.strip():
        raise invalid("reason", "say why (e.g. for examination, to court, into store)")
    if entry.at > now + CLOCK_SLACK:
        raise invalid("at", "the time is in the future")
    if chain and entry.at < chain[-1].at:
        when = chain[-1].at.strftime("%d %b %Y %H:%M")
        raise invalid("at", f"the time is before the last entry in the chain ({when} UTC)")
    place = whereabouts(chain)
    action = entry.action
    if action is CustodyAction.SEIZED:
        if chain:
            raise invalid("action", "the exhibit was already seized; the chain starts once")
        return
    if not chain:
        raise invalid("action", "the chain starts with the seizure")
    if place is Whereabouts.GONE:
        raise invalid("action", "the exhibit was returned or destroyed; the chain is closed")
    if action is CustodyAction.BOOKED_OUT and place is Whereabouts.OUT:
        raise invalid(
            "action",
            f"the exhibit is already booked out to {chain[-1].holder}; book it back in first",
        )
    if action is CustodyAction.BOOKED_OUT and place is not Whereabouts.IN_STORE:
        raise invalid("action", "only an exhibit in the property store can be booked out")
    if action is CustodyAction.BOOKED_IN and place is Whereabouts.IN_STORE:
        raise invalid("action", "the exhibit is already in the property store")
    if action is CustodyAction.TRANSFERRED and place is Whereabouts.IN_STORE:
        raise invalid("action", "book the exhibit out of the store before handing it over")


@dataclass(frozen=True)
class ExhibitInput:
    """A seized or inspected device; the seizure is the first entry of its chain."""

    description: str
    device_kind: str
    seized_on: date
    seized_by: str  # who took it (the chain's first holder)
    seized_from: str | None = None  # the place
    seal_number: str | None = None
    hidden: bool = False  # found concealed
    undeclared: bool = False  # not on the person's declared devices
    reference: str | None = None  # generated (EX-<year>-<n>) when blank
    examiner_id: int | None = None
    priority: Priority | None = None  # None: derived from risk and investigation


def check_exhibit(data: ExhibitInput, today: date) -> None:
    if not data.description.strip():
        raise invalid("description", "describe the exhibit (e.g. black Samsung phone)")
    if not data.device_kind.strip():
        raise invalid("device_kind", "say what kind of device it is")
    if not data.seized_by.strip():
        raise invalid("seized_by", "say who seized it")
    not_in_future(data.seized_on, "seized_on", "Seized on", today)


def check_examination_date(step_on: date, seized_on: date, today: date) -> None:
    not_in_future(step_on, "on", "The date", today)
    if step_on < seized_on:
        raise invalid("on", f"the exhibit was only seized on {seized_on.isoformat()}")


def age_band(days_waiting: int) -> str:
    """The ageing band a waiting exhibit falls in, e.g. 'over 90 days'."""
    for limit in reversed(AGE_BANDS):
        if days_waiting > limit:
            return f"over {limit} days"
    return f"{AGE_BANDS[0]} days or less"
