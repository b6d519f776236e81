"""The C path of keyword matching (_textkey), when the module is built; None of it otherwise.

The C module builds the fast key straight from the str's storage and hands the scanner that key
without its spaces and repeated bytes (the scanner holds the keys in that form: one literal for a
phrase, its joined-up form and its forms with doubled letters; each match is checked against the
keys themselves), records the scan's matches
through a callback that is itself C, finds the suspicious spots itself (so the scanner holds no
spot literals), places and normalises the windows and makes the hits: the work the Python path
(textmatch, textmatch_keys, textmatch_full) does per character, per spot and per hit. The
tables are the Python path's own, handed over once here, and code points are folded by the
Python path the first time the C module meets them, so the two agree by construction;
tests/domain/test_textmatch_native.py checks that they do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from orderwatch.domain.textmatch_full import MATCHING
from orderwatch.domain.textmatch_keys import FAST_FOLD, folded_run
from orderwatch.domain.textmatch_tables import LEET_BOTH_SIDES, LEET_DIGITS, LEET_EITHER_SIDE

__all__ = ["NATIVE", "configure", "make_finder"]


def _flags() -> bytes:
    """Per byte: 1 leet character, 2 read as a letter only between letters, 4 a symbol."""
    table = bytearray(256)
    for char in (*LEET_DIGITS, *LEET_EITHER_SIDE, *LEET_BOTH_SIDES):
        table[ord(char)] |= 1
    for char in LEET_BOTH_SIDES:
        table[ord(char)] |= 2
    for char in (*LEET_EITHER_SIDE, *LEET_BOTH_SIDES):
        table[ord(char)] |= 4
    return bytes(table)


def _learn(code: int) -> bytes:
    return folded_run(chr(code))


def configure(native: ModuleType, simd: bool = True) -> None:
    """Hand the Python path's tables to the C module (simd=False: its portable loops only)."""
    native.configure(
        fast=FAST_FOLD,
        full=MATCHING.fold,
        leet=MATCHING.leet,
        flags=_flags(),
        learn=_learn,
        simd=simd,
    )


def _load() -> ModuleType | None:
    try:
        from orderwatch.domain import _textkey
    except ImportError:
        return None
    configure(_textkey)
    return _textkey


NATIVE = _load()


def make_finder(
    patterns: list[bytes],
    groups: list[tuple[int, ...]],
    fast_terms: Sequence[tuple[str, ...]],
    full_terms: Sequence[tuple[str, ...]],
    labels: Mapping[str, str],
    hit_type: type,
    margin: int,
) -> Any:
    """A matcher's keys for the C path: the patterns (keys) and, per literal scanned (a key
    without its spaces and repeated bytes), the patterns it stands for; term ids in sorted order
    of the terms, so that sorting hits by (start, end, term id) sorts them as the Python path
    does."""
    assert NATIVE is not None
    terms = sorted({t for group in (*fast_terms, *full_terms) for t in group})
    ids = {term: number for number, term in enumerate(terms)}
    return NATIVE.Finder(
        patterns=patterns,
        groups=groups,
        fast=[tuple(ids[t] for t in group) for group in fast_terms],
        full=[tuple(ids[t] for t in group) for group in full_terms],
        terms=terms,
        labels=[labels.get(t) for t in terms],
        hit_type=hit_type,
        margin=margin,
    )
