"""Keyword matching that sees through evasions, shared by triage and live monitoring.

Text and patterns go through the same normalisation (case, accents, homoglyphs, leetspeak,
zero-width characters, spaced-out letters, repeated letters). One multi-pattern scan (hyperscan
when it loads, else pyahocorasick) runs over a fast key of the whole text; the same scan also
flags suspicious spots (runs of one letter, letters spaced out, long gaps), and only around those
the full normalisation is built and scanned again. Hits are reported at their place in the
original text.
"""

from __future__ import annotations

import string
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from orderwatch.domain.textmatch_keys import (
    MATCHING,
    READABLE,
    FastKey,
    full_key,
    is_word_byte,
)
from orderwatch.domain.textmatch_tables import TEXTSPEAK

__all__ = ["KeywordHit", "KeywordMatcher", "matching_key", "normalise", "textspeak_variants"]

_FAST, _FULL = 1, 2
# Spots where the fast key and the full normalisation may differ: a run of one letter ("ooo";
# four for i, which also stands for l as in "still"), two spaces, two single letters in a row.
_TRIGGERS: tuple[bytes, ...] = (
    *(c.encode() * 3 for c in string.ascii_lowercase if c not in "il"),
    b"iiii",
    b"  ",
    *(
        f" {x}{sep}{y}{sep}".encode()
        for x in "abcdefghijkmnopqrstuvwxyz"
        for y in "abcdefghijkmnopqrstuvwxyz"
        for sep in " .*"
    ),
)
_WINDOW_SLACK = 24  # extra original characters around a suspicious spot


def normalise(text: str) -> str:
    """The text as keyword matching sees it: lower case, plain letters, evasions undone.

    A matching form, not display text: punctuation becomes spaces and repeated letters collapse
    ("H3LL000 th3re!!" -> "helo there").
    """
    return full_key(text, READABLE).data.decode("utf-8", "replace").strip()


def matching_key(text: str) -> str:
    """normalise() with l and i merged, as the matcher compares ("a1one" and "alone" agree)."""
    return full_key(text, MATCHING).data.decode("utf-8", "replace").strip()


def textspeak_variants(phrase: str, limit: int = 16) -> list[str]:
    """The phrase and its text-speak spellings ("are you alone" -> "r u alone", ...)."""
    variants = [""]
    for token in phrase.split():
        options = (token, *TEXTSPEAK.get(token.lower(), ()))
        variants = [f"{v} {o}".strip() for v in variants for o in options][:limit]
    return variants


@dataclass(frozen=True, slots=True)
class KeywordHit:
    """One term found: the term as given, its label, and its span in the original text."""

    term: str
    label: str | None
    start: int
    end: int


class KeywordMatcher:
    """Words and phrases compiled once into one automaton; `find` scans a text in one pass."""

    def __init__(
        self,
        words: Iterable[str],
        phrases: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self._labels = dict(labels or {})
        self._by_key: dict[bytes, list[str]] = {}
        self._flags: dict[bytes, int] = {}
        longest = 0
        for term in words:
            longest = max(longest, len(term))
            self._add_forms(term, term)
        for term in phrases:
            longest = max(longest, len(term))
            for variant in textspeak_variants(term):
                self._add_forms(variant, term)
        self._has_terms = bool(self._by_key)
        self._patterns = list(self._flags)
        self._kinds = [self._flags[p] for p in self._patterns]
        self._terms = [tuple(self._by_key.get(p, ())) for p in self._patterns]
        self._margin = 2 * longest + _WINDOW_SLACK
        self._engine = _load_engine(self._patterns)

    def _add(self, key: bytes, term: str, flag: int) -> None:
        if not key.strip(b" "):
            return
        self._flags[key] = self._flags.get(key, 0) | flag
        if term not in self._by_key.setdefault(key, []):
            self._by_key[key].append(term)

    def _add_forms(self, variant: str, term: str) -> None:
        """The fast and full keys of one spelling, each joined up too when it has spaces."""
        fast = FastKey(variant).data.strip(b" ")
        full = full_key(variant, MATCHING).data.strip(b" ")
        if not full:  # only punctuation: nothing a text could be matched on
            return
        for key, flag in ((fast, _FAST), (full, _FULL)):
            self._add(key, term, flag)
            if b" " in key:  # "homealone" and "h o m e a l o n e" are the phrase too
                self._add(full_key(key.replace(b" ", b"").decode(), MATCHING).data, term, flag)
        if b"'" in fast:
            self._add(fast.replace(b"'", b""), term, _FAST)

    @property
    def engine(self) -> str:
        """Which scanner is in use: "hyperscan" or "pyahocorasick"."""
        return self._engine.name

    def __len__(self) -> int:
        return len(self._patterns)

    def find(self, text: str) -> list[KeywordHit]:
        """Every term in `text` on word boundaries, by position; spans index the original text."""
        if not self._has_terms or not text:
            return []
        key = FastKey(text)
        hits: set[KeywordHit] = set()
        spaced = b" " + key.data  # so that a spot at the very start is seen too
        spots = [end - 1 for _, end in _trigger_engine().scan(spaced)]
        for index, end in self._engine.scan(key.data):
            if not self._kinds[index] & _FAST:
                continue
            start = end - len(self._patterns[index])
            if start < 0 or key.continues_word(start - 1, -1) or key.continues_word(end, 1):
                continue
            self._record(hits, index, text, key.original(start), key.original(end))
        for first, last in _windows(spots, self._margin, key, text):
            self._find_full(hits, text, first, last)
        return sorted(hits, key=lambda h: (h.start, h.end, h.term))

    def _find_full(self, hits: set[KeywordHit], text: str, first: int, last: int) -> None:
        """Scan the full normalisation of text[first:last] (a suspicious spot and its context)."""
        key = full_key(text[first:last], MATCHING)
        data = key.data
        for index, end in self._engine.scan(data):
            if not self._kinds[index] & _FULL:
                continue
            start = end - len(self._patterns[index])
            if (start > 0 and is_word_byte(data[start - 1])) or (
                end < len(data) and is_word_byte(data[end])
            ):
                continue
            stop = key.original(end) if end < len(data) else last - first
            self._record(hits, index, text, first + key.original(start), first + stop)

    def _record(self, hits: set[KeywordHit], index: int, text: str, start: int, end: int) -> None:
        while end > start + 1 and _is_dropped(text[end - 1]):
            end -= 1  # spaces, apostrophes or zero-width characters after the term
        for term in self._terms[index]:
            hits.add(KeywordHit(term, self._labels.get(term), start, end))


def _is_dropped(char: str) -> bool:
    return not char.isalnum() and char not in "$@!|+"


def _windows(spots: list[int], margin: int, key: FastKey, text: str) -> Iterator[tuple[int, int]]:
    """Merged [first, last) windows of the original text around spots (fast-key offsets),
    widened to whitespace so no word is cut."""
    current: tuple[int, int] | None = None
    size = len(key.data)
    for spot in sorted(set(spots)):
        if current is not None and spot - margin <= current[1]:
            current = (current[0], spot + margin)
            continue
        if current is not None:
            yield _widen(current, key, text, size)
        current = (spot - margin, spot + margin)
    if current is not None:
        yield _widen(current, key, text, size)


def _widen(window: tuple[int, int], key: FastKey, text: str, size: int) -> tuple[int, int]:
    first = key.original(max(0, window[0])) if window[0] > 0 else 0
    last = key.original(window[1]) if window[1] < size else len(text)
    space = text.rfind(" ", max(0, first - 64), first)
    first = space + 1 if space >= 0 else max(0, first - 64)
    space = text.find(" ", last, last + 64)
    last = space if space >= 0 else min(len(text), last + 64)
    return first, last


class _Engine:
    name = ""

    def scan(self, data: bytes) -> Iterator[tuple[int, int]]:
        """(pattern index, end offset) for every occurrence, boundaries not yet checked."""
        raise NotImplementedError


class _HyperscanEngine(_Engine):
    name = "hyperscan"

    def __init__(self, patterns: list[bytes], hyperscan: Any) -> None:
        self._database = hyperscan.Database()
        self._database.compile(
            expressions=patterns,
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=0,
            literal=True,
        )
        self._prototype = hyperscan.Scratch(self._database)
        self._local = threading.local()  # a scratch space is not shareable between threads

    def scan(self, data: bytes) -> Iterator[tuple[int, int]]:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        found: list[tuple[int, int]] = []

        def collect(index: int, _start: int, end: int, _flags: int, _context: object) -> None:
            found.append((index, end))

        self._database.scan(data, match_event_handler=collect, scratch=scratch)
        return iter(found)


class _AhoCorasickEngine(_Engine):
    name = "pyahocorasick"

    def __init__(self, patterns: list[bytes]) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        for index, pattern in enumerate(patterns):
            self._automaton.add_word(pattern.decode("latin-1"), index)
        self._automaton.make_automaton()

    def scan(self, data: bytes) -> Iterator[tuple[int, int]]:
        for last, index in self._automaton.iter(data.decode("latin-1")):
            yield index, last + 1


def _load_engine(patterns: list[bytes]) -> _Engine:
    if _HYPERSCAN is not None:
        try:
            return _HyperscanEngine(patterns, _HYPERSCAN)
        except Exception:  # an unsupported CPU or library: the portable scanner does the same job
            pass
    return _AhoCorasickEngine(patterns)


_TRIGGER_ENGINE: _Engine | None = None


def _trigger_engine() -> _Engine:
    """One scanner for the suspicious spots, compiled once per process and shared by matchers."""
    global _TRIGGER_ENGINE
    if _TRIGGER_ENGINE is None:
        _TRIGGER_ENGINE = _load_engine(list(_TRIGGERS))
    return _TRIGGER_ENGINE


def _import_hyperscan() -> Any:
    try:
        import hyperscan
    except Exception:  # not installed, or its shared library does not load on this machine
        return None
    return hyperscan


_HYPERSCAN: Any = _import_hyperscan()
