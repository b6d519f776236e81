"""Investigation and exhibit rules: dates in order, counts, custody steps, priority."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from orderwatch.domain.caseload import RiskLevel
from orderwatch.domain.errors import InvalidInputError
from orderwatch.domain.investigations import (
    SafeguardingInput,
    WarrantInput,
    check_safeguarding,
    check_warrant,
    load_offence_types,
    parse_offence_types,
)
from orderwatch.domain.investigations_exhibits import (
    CustodyAction,
    CustodyEntryInput,
    CustodyStep,
    ExhibitStatus,
    Priority,
    Whereabouts,
    check_custody_entry,
    check_examination_step,
    derive_priority,
    whereabouts,
)

TODAY = date(2025, 6, 1)
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def _fails(call: object, *args: object) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_shipped_offence_types() -> None:
    types = load_offence_types()
    assert types.label("iioc_possession") == "Possession of indecent images of children"
    assert {"breach_shpo", "breach_sopo", "breach_notification", "breach_bail"} <= types.breach_keys
    assert "sexual_communication_child" in types.child_keys
    assert types.label("gone_from_list") == "gone from list"


def test_an_edited_list_with_mistakes_names_each() -> None:
    error = _fails(
        parse_offence_types,
        "offence_types:\n  Bad Key: {label: x}\n  ok: {label: ''}\n"
        "  fine: {label: Y, breach: maybe}\n",
        "edited.yaml",
    )
    text = str(error)
    assert error.source == "edited.yaml"
    assert (
        "'Bad Key'" in text
        and "ok: needs a label" in text
        and "breach must be true or false" in text
    )


def test_warrant_executed_before_applied_and_negative_children() -> None:
    error = _fails(check_warrant, WarrantInput(date(2025, 5, 2), "1 Road", date(2025, 5, 1)), TODAY)
    assert error.source == "executed_on" and "executed before it was applied for" in str(error)
    error = _fails(check_safeguarding, SafeguardingInput(date(2025, 5, 2), -2), TODAY)
    assert error.source == "children" and "cannot be negative (-2)" in str(error)


def _step(action: CustodyAction, hours: int, holder: str = "store") -> CustodyStep:
    return CustodyStep(action, NOW - timedelta(hours=hours), holder)


def _entry(action: CustodyAction, hours_ago: float = 0) -> CustodyEntryInput:
    return CustodyEntryInput(action, NOW - timedelta(hours=hours_ago), "DC Two", "for exam")


def test_booking_out_twice_is_refused_and_names_the_holder() -> None:
    chain = [
        _step(CustodyAction.SEIZED, 30, "DC One"),
        _step(CustodyAction.BOOKED_IN, 20, "Property store"),
        _step(CustodyAction.BOOKED_OUT, 10, "DF lab"),
    ]
    assert whereabouts(chain) is Whereabouts.OUT
    error = _fails(check_custody_entry, chain, _entry(CustodyAction.BOOKED_OUT), NOW)
    assert error.source == "action" and "already booked out to DF lab" in str(error)
    check_custody_entry(chain, _entry(CustodyAction.BOOKED_IN), NOW)  # back in: fine


@pytest.mark.parametrize(
    ("chain", "entry", "field", "words"),
    [
        ([], _entry(CustodyAction.BOOKED_IN), "action", "starts with the seizure"),
        (
            [_step(CustodyAction.SEIZED, 5)],
            _entry(CustodyAction.SEIZED),
            "action",
            "already seized",
        ),
        (
            [_step(CustodyAction.SEIZED, 5)],
            _entry(CustodyAction.BOOKED_IN, 6),
            "at",
            "before the last",
        ),
        ([_step(CustodyAction.SEIZED, 5)], _entry(CustodyAction.BOOKED_IN, -1), "at", "future"),
        (
            [_step(CustodyAction.SEIZED, 5)],
            _entry(CustodyAction.BOOKED_OUT),
            "action",
            "property store",
        ),
        (
            [_step(CustodyAction.SEIZED, 5), _step(CustodyAction.DESTROYED, 4)],
            _entry(CustodyAction.BOOKED_IN),
            "action",
            "chain is closed",
        ),
    ],
)
def test_custody_steps_out_of_order(
    chain: list[CustodyStep], entry: CustodyEntryInput, field: str, words: str
) -> None:
    error = _fails(check_custody_entry, chain, entry, NOW)
    assert error.source == field and words in str(error)


def test_priority_from_risk_raised_for_children() -> None:
    assert derive_priority(RiskLevel.MEDIUM, against_child=False, children_safeguarded=0) == (
        Priority.NORMAL,
        "medium risk",
    )
    raised = derive_priority(RiskLevel.HIGH, against_child=True, children_safeguarded=0)
    assert raised == (Priority.URGENT, "high risk, raised: offence against a child")
    assert (
        derive_priority(RiskLevel.VERY_HIGH, against_child=False, children_safeguarded=2)[0]
        is Priority.URGENT
    )
    assert derive_priority(None, against_child=False, children_safeguarded=0)[0] is Priority.NORMAL


def test_examination_steps() -> None:
    check_examination_step(ExhibitStatus.AWAITING, ExhibitStatus.TRIAGED)
    check_examination_step(ExhibitStatus.TRIAGED, ExhibitStatus.FULL_EXAMINATION)
    assert "can move on to full examination" in str(
        _fails(check_examination_step, ExhibitStatus.TRIAGED, ExhibitStatus.TRIAGED)
    )
    assert "chain of custody" in str(
        _fails(check_examination_step, ExhibitStatus.AWAITING, ExhibitStatus.RETURNED)
    )
    assert "examination is over" in str(
        _fails(check_examination_step, ExhibitStatus.DESTROYED, ExhibitStatus.TRIAGED)
    )
