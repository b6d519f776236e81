"""Editable lexicons of indicators (the shipped default: grooming_indicators.yaml).

A lexicon is categories of words and phrases, each with a label an officer reads and a severity;
it compiles once into a KeywordMatcher whose hit labels are the category names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from orderwatch.domain.errors import InvalidInputError, Problem
from orderwatch.domain.textmatch import KeywordMatcher

DEFAULT_LEXICON = "grooming_indicators.yaml"
_SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class LexiconCategory:
    """One kind of indicator: its name, the label officers read, severity and terms."""

    name: str
    label: str
    severity: str = "medium"
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    """Categories of indicator terms; `matcher` labels each hit with its category name."""

    categories: tuple[LexiconCategory, ...]
    source: str = DEFAULT_LEXICON
    _by_name: dict[str, LexiconCategory] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.categories})

    def category(self, name: str) -> LexiconCategory:
        return self._by_name[name]

    @cached_property
    def matcher(self) -> KeywordMatcher:
        """Compiled once per lexicon (a few hundred ms for the default); shared afterwards."""
        words: list[str] = []
        phrases: list[str] = []
        labels: dict[str, str] = {}
        for category in self.categories:
            for term in category.words:
                words.append(term)
                labels.setdefault(term, category.name)
            for term in category.phrases:
                phrases.append(term)
                labels.setdefault(term, category.name)
        return KeywordMatcher(words, phrases, labels)


def parse_lexicon(text: str, source: str) -> Lexicon:
    """Read a lexicon YAML document; raises InvalidInputError naming each problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidInputError(source, [Problem(0, f"not valid YAML: {error}")]) from None
    problems: list[Problem] = []
    raw = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(raw, dict) or not raw:
        raise InvalidInputError(source, [Problem(0, "needs a 'categories' mapping")])
    categories = []
    for name, body in raw.items():
        category = _category(str(name), body, problems)
        if category is not None:
            categories.append(category)
    if problems:
        raise InvalidInputError(source, problems)
    return Lexicon(tuple(categories), source)


def _category(name: str, body: Any, problems: list[Problem]) -> LexiconCategory | None:
    if not isinstance(body, dict):
        problems.append(Problem(0, f"category {name!r} must be a mapping"))
        return None
    severity = str(body.get("severity", "medium"))
    if severity not in _SEVERITIES:
        problems.append(Problem(0, f"category {name!r}: severity must be one of {_SEVERITIES}"))
    terms: dict[str, tuple[str, ...]] = {}
    for kind in ("words", "phrases"):
        values = body.get(kind, []) or []
        if not isinstance(values, list) or not all(isinstance(v, str | int) for v in values):
            problems.append(Problem(0, f"category {name!r}: {kind} must be a list of text"))
            values = []
        terms[kind] = tuple(str(v).strip() for v in values if str(v).strip())
    if not terms["words"] and not terms["phrases"]:
        problems.append(Problem(0, f"category {name!r} has no words or phrases"))
    return LexiconCategory(
        name, str(body.get("label", name)), severity, terms["words"], terms["phrases"]
    )


def load_lexicon(path: Path | None = None) -> Lexicon:
    """The lexicon at `path`, or the shipped default grooming-indicator lexicon."""
    if path is None:
        text = resources.files(__name__).joinpath(DEFAULT_LEXICON).read_text("utf-8")
        return parse_lexicon(text, DEFAULT_LEXICON)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as error:
        raise InvalidInputError(str(path), [Problem(0, f"cannot read: {error.strerror}")]) from None
    return parse_lexicon(text, str(path))


_DEFAULT: Lexicon | None = None


def default_lexicon() -> Lexicon:
    """The shipped lexicon, loaded and compiled once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_lexicon()
    return _DEFAULT
