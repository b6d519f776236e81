from __future__ import annotations

import pytest

from orderwatch.domain.conditions import (
    KNOWN_CONDITION_TYPES,
    ConditionError,
    ConditionType,
    parse_condition,
)


def test_every_design_type_is_known() -> None:
    assert len(KNOWN_CONDITION_TYPES) == 13
    assert "no_contact_with_children" in KNOWN_CONDITION_TYPES


def test_parameters_are_typed_and_defaulted() -> None:
    words = parse_condition({"type": "prohibited_words", "words": ["alpha", " beta "]})
    assert words.type is ConditionType.PROHIBITED_WORDS
    assert words.strings("words") == ("alpha", "beta")
    assert words.strings("phrases") == ()
    assert parse_condition({"type": "declare_devices"}).integer("within_days") == 3
    assert (
        parse_condition({"type": "declare_devices", "within_days": 7}).integer("within_days") == 7
    )


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(ConditionError) as info:
        parse_condition({"type": "no_kites"})
    assert "no_kites" in str(info.value)
    assert "declare_accounts" in str(info.value)


@pytest.mark.parametrize(
    "record, fragment",
    [
        ({"type": "retain_history", "days": 3}, "does not take parameter 'days'"),
        ({"type": "declare_devices", "within_days": -1}, "whole number"),
        ({"type": "prohibited_words", "words": [1, 2]}, "list of text"),
        ({}, "needs a 'type'"),
    ],
)
def test_bad_parameters_say_why(record: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConditionError, match=fragment):
        parse_condition(record)


def test_round_trip_record() -> None:
    record = {"type": "prohibited_apps_or_sites", "apps": ["Kik"], "domains": ["x.test"]}
    assert parse_condition(record).to_record() == record
