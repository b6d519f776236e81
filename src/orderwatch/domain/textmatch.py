"""Keyword matching that sees through evasions, shared by triage and live monitoring.

Text and patterns go through the same normalisation (case, accents, homoglyphs, leetspeak,
zero-width characters, spaced-out letters, repeated letters). One multi-literal scan (hyperscan
when it loads, else pyahocorasick) runs over a fast key of the whole text (one bytes.translate);
suspicious spots (runs of one letter, letters spaced out, long gaps) are found in the same scan
(large matchers) or by a second, shared one (small ones), and only around those the full
normalisation is built (textmatch_full) and scanned, all windows of a call in one scan, with the
same scanner (it holds the fast and the full keys). Hits are reported at their place in the
original text. `find_many` scans a batch of short texts as one buffer, so per-call costs are paid
once per batch. When the C module is built (textmatch_native), it does the per-character, per-spot
and per-hit work of this path (the key, the spots, the windows, the hits) with identical results;
the scanner then holds each key without its spaces and repeated bytes, and scans the text's key
in that form (a phrase, its joined-up form and its forms with doubled letters are one literal;
the C module checks each match against the keys themselves), and calls the C module back for
each match.
"""

from __future__ import annotations

import re
import string
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orderwatch.domain.textmatch_engines import Engine, import_hyperscan, load_engine
from orderwatch.domain.textmatch_full import MATCHING, READABLE, fold_text, full_key
from orderwatch.domain.textmatch_keys import WORD_BYTES, FastKey
from orderwatch.domain.textmatch_native import NATIVE, make_finder
from orderwatch.domain.textmatch_tables import TEXTSPEAK

__all__ = ["KeywordHit", "KeywordMatcher", "matching_key", "normalise", "textspeak_variants"]

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
# Keys from which a matcher compiles the spot literals into its own scanner (one scan per text
# instead of two); an order's own short word list shares one spot scanner instead.
_OWN_SPOT_SCAN_FROM = 256
_WINDOW_SLACK = 24  # extra key bytes around a suspicious spot
_WIDEN = 64  # how far a window edge moves out to the next space, at most
# Between windows normalised together: spaces keep the letters at a window's edges as they are
# (single or not, next to a letter or not), and the non-ASCII byte between them (a word byte)
# stops spaced-out letters joining across; no key contains a space followed by it.
_WINDOW_SEPARATOR = b" \x80 "
# Between the texts of a batch: a non-word character no key contains, then a space, so that the
# spot scan sees a space before each text, as before a lone one (see the buffer in _find).
_SEPARATOR = "\x1a "
_RUNS_OF_ONE_BYTE = re.compile(rb"(.)\1+", re.DOTALL)


def normalise(text: str) -> str:
    """The text as keyword matching sees it: lower case, plain letters, evasions undone.

    A matching form, not display text: punctuation becomes spaces and repeated letters collapse
    ("H3LL000 th3re!!" -> "helo there").
    """
    return full_key(fold_text(text), READABLE).data.decode("utf-8", "replace").strip()


def matching_key(text: str) -> str:
    """normalise() with l and i merged, as the matcher compares ("a1one" and "alone" agree)."""
    return full_key(fold_text(text), MATCHING).data.decode("utf-8", "replace").strip()


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


class _Keys:
    """The compiled keys: one scanner for both the fast keys (matched on whole texts) and the
    full keys (matched on the full normalisation of windows), as most keys are both; per pattern
    index its length and its terms as a fast key and as a full key (either may be empty). One
    scanner instead of two halves the memory and keeps its tables in the CPU caches.

    With `spots`, the spot literals are compiled in too (indexes from `count` on), so one scan
    finds both: worth it for large sets, where it saves a pass over the text, not for small
    ones, where the spot literals would dominate compile time and memory (one shared scanner).

    With `joined` (the C path), the scanner holds each key without its spaces and without the
    bytes that repeat the one before instead, once (`groups`: the pattern indexes of each such
    literal): the C path scans the text's key in that form too and checks each match against
    the keys themselves, so a phrase, its joined-up form and its forms with letters doubled or
    not are one literal (10,976 -> 5,337 for 5,000 phrases), and a fifth fewer bytes are
    scanned.
    """

    def __init__(
        self,
        fast: dict[bytes, list[str]],
        full: dict[bytes, list[str]],
        spots: bool = False,
        joined: bool = False,
    ) -> None:
        patterns = list(fast) + [key for key in full if key not in fast]
        self.count = len(patterns)
        self.patterns = patterns
        self.lengths = [len(p) for p in patterns]
        self.fast_terms = [tuple(fast.get(p, ())) for p in patterns]
        self.full_terms = [tuple(full.get(p, ())) for p in patterns]
        self.spots = spots
        groups: dict[bytes, list[int]] = {}
        if joined:
            for index, pattern in enumerate(patterns):
                groups.setdefault(_scanned(pattern), []).append(index)
        self.groups = [tuple(group) for group in groups.values()]
        literals = list(groups) if joined else patterns + list(_TRIGGERS) * spots
        self.engine: Engine = load_engine(literals, _HYPERSCAN)


class KeywordMatcher:
    """Words and phrases compiled once into one automaton; `find` scans a text in one pass."""

    def __init__(
        self,
        words: Iterable[str],
        phrases: Iterable[str] = (),
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self._labels = dict(labels or {})
        self._fast_keys: dict[bytes, list[str]] = {}  # matched on the fast key of whole texts
        self._full_keys: dict[bytes, list[str]] = {}  # matched on full keys around spots
        longest = 0
        for term in words:
            longest = max(longest, len(term))
            self._add_forms(term, term)
        for term in phrases:
            longest = max(longest, len(term))
            for variant in textspeak_variants(term):
                self._add_forms(variant, term)
        self._has_terms = bool(self._full_keys)
        self._count = len(self._fast_keys.keys() | self._full_keys.keys())
        # the C path finds the spots itself (its scanner needs no spot literals) and scans the
        # keys without their spaces and repeated bytes
        native = _NATIVE is not None
        spots = len(self._fast_keys) >= _OWN_SPOT_SCAN_FROM and not native
        self._fast = self._full = _Keys(self._fast_keys, self._full_keys, spots, native)
        self._margin = 2 * longest + _WINDOW_SLACK
        self._finder: Any = None  # the C path (textmatch_native), when the module is built
        if native:
            keys = self._fast
            self._finder = make_finder(
                keys.patterns,
                keys.groups,
                keys.fast_terms,
                keys.full_terms,
                self._labels,
                KeywordHit,
                self._margin,
            )

    def _add(self, keys: dict[bytes, list[str]], key: bytes, term: str) -> None:
        if not key.strip(b" "):
            return
        terms = keys.setdefault(key, [])
        if term not in terms:
            terms.append(term)

    def _add_forms(self, variant: str, term: str) -> None:
        """The fast and full keys of one spelling, each joined up too when it has spaces."""
        fast = FastKey(variant).data.strip(b" ")
        full = full_key(fold_text(variant), MATCHING).data.strip(b" ")
        if not full:  # only punctuation: nothing a text could be matched on
            return
        for key, keys in ((fast, self._fast_keys), (full, self._full_keys)):
            self._add(keys, key, term)
            if b" " in key:  # "homealone" and "h o m e a l o n e" are the phrase too
                self._add(keys, full_key(key.replace(b" ", b""), MATCHING).data, term)
        if b"'" in fast:
            self._add(self._fast_keys, fast.replace(b"'", b""), term)

    @property
    def engine(self) -> str:
        """Which scanner is in use: "hyperscan" or "pyahocorasick"."""
        return self._fast.engine.name

    def __len__(self) -> int:
        return self._count

    def find(self, text: str) -> list[KeywordHit]:
        """Every term in `text` on word boundaries, by position; spans index the original text."""
        if not self._has_terms or not text:
            return []
        return self._find(text, None)[0]

    def find_many(self, texts: Sequence[str]) -> list[list[KeywordHit]]:
        """find() of each text, all scanned as one (much cheaper per text for short texts)."""
        if not self._has_terms or not texts:
            return [[] for _ in texts]
        return self._find(_SEPARATOR.join(texts), texts)

    def _find(self, text: str, parts: Sequence[str] | None) -> list[list[KeywordHit]]:
        """Hits in `text`, or in each of `parts` when `text` is them joined by _SEPARATOR."""
        if self._finder is not None:
            return self._find_native(text, parts)
        key = FastKey(text)
        starts = [0]
        if parts is not None:
            for part in parts[:-1]:
                starts.append(starts[-1] + len(part) + len(_SEPARATOR))
        buffer = key.buffer
        found: set[tuple[int, int, str]] = set()
        fast = self._fast
        count = fast.count
        matches = fast.engine.scan(buffer)
        if fast.spots:  # spot literals come after the keys; a spot is the key offset of an end
            spots = [end - 1 for index, end in matches if index >= count]
            if spots:
                matches = [match for match in matches if match[0] < count]
        else:
            spots = [end - 1 for _, end in _trigger_engine().scan(buffer)]
        if matches:
            self._record_fast(found, key, text, matches)
        if spots:
            self._find_full(found, key, text, spots, _bounds(key, starts, parts))
        return self._hits(found, starts)

    def _find_native(self, text: str, parts: Sequence[str] | None) -> list[list[KeywordHit]]:
        """_find in C (textmatch_native): the job is the buffer scanned and the scan's callback."""
        if parts is None:
            job = self._finder.start(text)
        else:
            starts: list[int] = []
            ends: list[int] = []
            at = 0
            for part in parts:
                starts.append(at)
                at += len(part)
                ends.append(at)
                at += len(_SEPARATOR)
            job = self._finder.start(text, starts, ends)
        engine = self._fast.engine
        engine.scan_into(job, job)
        if job.windows():
            engine.scan_into(job, job)
        hits: list[list[KeywordHit]] = job.hits()
        return hits

    def _record_fast(
        self,
        found: set[tuple[int, int, str]],
        key: FastKey,
        text: str,
        matches: list[tuple[int, int]],
    ) -> None:
        """Record the key matches (end offsets in the buffer, one ahead of the key) that stand
        on word boundaries; the byte lookups settle almost every case before a method call."""
        lengths, all_terms = self._fast.lengths, self._fast.fast_terms
        buffer, word = key.buffer, WORD_BYTES
        size = len(key)
        mapped = key.mapped
        for index, end in matches:
            terms = all_terms[index]
            if not terms:  # a full key only
                continue
            end -= 1
            start = end - lengths[index]
            if start > 0 and word[buffer[start]] and key.continues_word(start - 1, -1):
                continue
            if end < size and word[buffer[end + 1]] and key.continues_word(end, 1):
                continue
            if mapped:
                _record(found, terms, text, key.original(start), key.original(end))
            else:
                _record(found, terms, text, start, end)

    def _hits(self, found: set[tuple[int, int, str]], starts: list[int]) -> list[list[KeywordHit]]:
        """The hits of each part, by position, with spans from the start of their part."""
        labels = self._labels
        if len(starts) == 1:
            if not found:
                return [[]]
            return [[KeywordHit(t, labels.get(t), s, e) for s, e, t in sorted(found)]]
        hits: list[list[KeywordHit]] = [[] for _ in starts]
        for start, end, term in sorted(found):
            number = bisect_right(starts, start) - 1
            base = starts[number]
            hits[number].append(KeywordHit(term, labels.get(term), start - base, end - base))
        return hits

    def _find_full(
        self,
        found: set[tuple[int, int, str]],
        key: FastKey,
        text: str,
        spots: list[int],
        bounds: list[tuple[int, int]],
    ) -> None:
        """Scan the full normalisation of the windows around suspicious spots, all in one: the
        windows are joined by a separator that keeps them apart (see _WINDOW_SEPARATOR)."""
        raw = key.raw
        windows = _windows(sorted(spots), self._margin, raw, bounds)
        offsets: list[int] = []  # of each window in the joined bytes
        at = 0
        for first, last in windows:
            offsets.append(at)
            at += last - first + len(_WINDOW_SEPARATOR)
        joined = full_key(_WINDOW_SEPARATOR.join(raw[a:b] for a, b in windows), MATCHING)
        data = joined.data
        full = self._full
        lengths, all_terms, count = full.lengths, full.full_terms, full.count
        for index, end in full.engine.scan(data):
            if index >= count or not all_terms[index]:  # a spot or a fast key only
                continue
            start = end - lengths[index]
            if (start > 0 and WORD_BYTES[data[start - 1]]) or (
                end < len(data) and WORD_BYTES[data[end]]
            ):
                continue
            start = joined.original(start)
            part = bisect_right(offsets, start) - 1
            first, last = windows[part]
            offset = offsets[part]
            size = last - first
            stop = min(joined.original(end) - offset, size) if end < len(data) else size
            _record(
                found,
                all_terms[index],
                text,
                key.original(first + start - offset),
                key.original(first + stop),
            )


def _scanned(key: bytes) -> bytes:
    """A key as the C path scans for it: each run of one byte as one, then without spaces."""
    return _RUNS_OF_ONE_BYTE.sub(rb"\1", key).replace(b" ", b"")


def _bounds(key: FastKey, starts: list[int], parts: Sequence[str] | None) -> list[tuple[int, int]]:
    """[low, high) key bytes of each text (of each part, when the text is parts joined)."""
    if parts is None:
        return [(0, len(key))]
    ends = [start + len(part) for start, part in zip(starts, parts, strict=True)]
    return list(zip(map(key.key_index, starts), map(key.key_index, ends), strict=True))


def _record(
    found: set[tuple[int, int, str]], terms: tuple[str, ...], text: str, start: int, end: int
) -> None:
    while end > start + 1:  # drop spaces, apostrophes or zero-width characters after the term
        char = text[end - 1]
        if char.isalnum() or char in "$@!|+":
            break
        end -= 1
    for term in terms:
        found.add((start, end, term))


def _windows(
    spots: list[int], margin: int, raw: bytes, bounds: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Merged [first, last) windows of key bytes around sorted spots, each within its text's
    bounds, widened to spaces so no word is cut (the fast key and the folded text have the
    same length)."""
    if len(bounds) == 1:  # one text: a window breaks where spots are over 2 margins apart
        gap = 2 * margin
        breaks = [i for i in range(1, len(spots)) if spots[i] - spots[i - 1] > gap]
        firsts = [0, *breaks]
        lasts = [i - 1 for i in breaks] + [len(spots) - 1]
        return [
            _widen([spots[a] - margin, spots[b] + margin], raw, bounds[0])
            for a, b in zip(firsts, lasts, strict=True)
        ]
    windows: list[tuple[int, int]] = []
    lows = [low for low, _ in bounds]
    current: list[int] = []  # first, last, text number
    for spot in spots:
        number = max(0, bisect_right(lows, spot) - 1)
        if current and current[2] == number and spot - margin <= current[1]:
            current[1] = spot + margin
            continue
        if current:
            windows.append(_widen(current, raw, bounds[current[2]]))
        current = [spot - margin, spot + margin, number]
    if current:
        windows.append(_widen(current, raw, bounds[current[2]]))
    return windows


def _widen(window: list[int], raw: bytes, bounds: tuple[int, int]) -> tuple[int, int]:
    low, high = bounds
    first, last = window[0], window[1]
    if first <= low:
        first = low
    else:
        space = raw.rfind(b" ", max(low, first - _WIDEN), first)
        first = space + 1 if space >= 0 else max(low, first - _WIDEN)
    if last >= high:
        last = high
    else:
        space = raw.find(b" ", last, min(high, last + _WIDEN))
        last = space if space >= 0 else min(high, last + _WIDEN)
    return first, last


_TRIGGER_ENGINE: Engine | None = None


def _trigger_engine() -> Engine:
    """One scanner for the suspicious spots, compiled once per process and shared by matchers."""
    global _TRIGGER_ENGINE
    if _TRIGGER_ENGINE is None:
        _TRIGGER_ENGINE = load_engine(list(_TRIGGERS), _HYPERSCAN)
    return _TRIGGER_ENGINE


_HYPERSCAN = import_hyperscan()
_NATIVE = NATIVE  # None: matchers made from now on take the pure-Python path
