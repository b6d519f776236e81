"""The shipped grooming-indicator lexicon and lexicon files a unit edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderwatch.domain.errors import InvalidInputError
from orderwatch.domain.lexicons import default_lexicon, load_lexicon


def test_default_lexicon_covers_the_indicator_families() -> None:
    lexicon = default_lexicon()
    names = {c.name for c in lexicon.categories}
    assert {
        "asking_age",
        "alone_or_unsupervised",
        "secrecy",
        "private_channel",
        "pictures_or_camera",
        "gifts_money_or_meeting",
    } <= names
    hits = lexicon.matcher.find("wh4t sch00l do u go to? lets move to telegram")
    assert {h.label for h in hits} == {"asking_age", "private_channel"}


def test_a_unit_lexicon_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "unit.yaml"
    path.write_text(
        "categories:\n  meet:\n    label: Meeting\n    severity: high\n"
        "    phrases: [see you at the park]\n"
    )
    lexicon = load_lexicon(path)
    assert lexicon.category("meet").severity == "high"
    assert [h.term for h in lexicon.matcher.find("see you at the pork")] == []
    assert [h.term for h in lexicon.matcher.find("C U at the p4rk")] == ["see you at the park"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("categories: [a]", "needs a 'categories' mapping"),
        ("categories:\n  x: {severity: urgent, phrases: [a b]}", "severity must be one of"),
        ("categories:\n  x: {label: X}", "has no words or phrases"),
        ("categories: {x: {phrases: {a: 1}}}", "phrases must be a list of text"),
        ("categories: [", "not valid YAML"),
    ],
)
def test_bad_lexicon_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInputError, match=message) as raised:
        load_lexicon(path)
    assert str(path) in str(raised.value)


def test_missing_lexicon_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_lexicon(tmp_path / "absent.yaml")
