"""The alert workflow: new -> under review -> one of four closing decisions, nothing else.

Pure rules (no storage), shared by the repositories, the pages and the API.
"""

from __future__ import annotations

from enum import StrEnum

from orderwatch.domain.errors import InvalidInputError, Problem
from orderwatch.domain.rules_findings import Severity


class AlertState(StrEnum):
    NEW = "new"
    UNDER_REVIEW = "under_review"
    CLOSED_NO_ACTION = "closed_no_action"
    ADVICE_GIVEN = "advice_given"
    BREACH_RECORDED = "breach_recorded"
    REFERRED_FOR_ARREST = "referred_for_arrest"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES

    @property
    def label(self) -> str:
        return STATE_LABELS[self]


OPEN_STATES = frozenset({AlertState.NEW, AlertState.UNDER_REVIEW})
CLOSED_STATES = frozenset(set(AlertState) - OPEN_STATES)

TRANSITIONS: dict[AlertState, tuple[AlertState, ...]] = {
    AlertState.NEW: (AlertState.UNDER_REVIEW,),
    AlertState.UNDER_REVIEW: (
        AlertState.CLOSED_NO_ACTION,
        AlertState.ADVICE_GIVEN,
        AlertState.BREACH_RECORDED,
        AlertState.REFERRED_FOR_ARREST,
    ),
}

STATE_LABELS: dict[AlertState, str] = {
    AlertState.NEW: "New",
    AlertState.UNDER_REVIEW: "Under review",
    AlertState.CLOSED_NO_ACTION: "Closed: no action",
    AlertState.ADVICE_GIVEN: "Closed: advice given",
    AlertState.BREACH_RECORDED: "Breach recorded",
    AlertState.REFERRED_FOR_ARREST: "Referred for arrest",
}

# What the button that moves an alert into each state says.
ACTION_LABELS: dict[AlertState, str] = {
    AlertState.UNDER_REVIEW: "Start review",
    AlertState.CLOSED_NO_ACTION: "Close: no action",
    AlertState.ADVICE_GIVEN: "Close: advice given",
    AlertState.BREACH_RECORDED: "Record a breach",
    AlertState.REFERRED_FOR_ARREST: "Refer for arrest",
}

# Closing decisions that create an outcome record (what statistics count as breaches).
OUTCOME_KINDS: dict[AlertState, str] = {
    AlertState.BREACH_RECORDED: "breach",
    AlertState.REFERRED_FOR_ARREST: "referral_for_arrest",
}

# Severities that notify the responsible officer (in the app, and by e-mail when configured).
NOTIFY_SEVERITIES = frozenset({Severity.HIGH, Severity.CRITICAL})
MAX_NOTE_LENGTH = 4000


def allowed_transitions(state: AlertState) -> tuple[AlertState, ...]:
    """The states an alert in `state` may move to (none once closed)."""
    return TRANSITIONS.get(state, ())


def parse_state(value: str, field: str = "state") -> AlertState:
    """An AlertState from text; InvalidInputError naming the field and the known states."""
    try:
        return AlertState(value.strip())
    except ValueError:
        known = ", ".join(s.value for s in AlertState)
        problem = Problem(0, f"unknown state {value!r}; one of {known}")
        raise InvalidInputError(field, [problem]) from None


def check_transition(current: AlertState, target: AlertState, note: str | None) -> None:
    """InvalidInputError unless `current` may move to `target` (and the note fits)."""
    if target not in allowed_transitions(current):
        allowed = ", ".join(s.value for s in allowed_transitions(current)) or "none (closed)"
        message = f"an alert that is {current.value} cannot become {target.value}; "
        raise InvalidInputError("state", [Problem(0, message + f"allowed: {allowed}")])
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        message = f"the note is {len(note)} characters; at most {MAX_NOTE_LENGTH}"
        raise InvalidInputError("note", [Problem(0, message)])
