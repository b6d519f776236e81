"""Normalised keys of texts for keyword matching, with the way back to original offsets.

Two forms: the full key undoes every evasion (context-aware leetspeak, spaced-out and repeated
letters, punctuation) with numpy passes; the fast key is one bytes.translate, the same length as
the text, used for the bulk of a scan while the full key is built only around suspicious spots.
"""

from __future__ import annotations

import itertools
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from orderwatch.domain.textmatch_tables import (
    APOSTROPHES,
    HOMOGLYPHS,
    LEET_BOTH_SIDES,
    LEET_DIGITS,
    LEET_EITHER_SIDE,
    SYMBOL_LETTERS,
)

# Byte classes after folding (one bytes.translate gives the class of every byte).
_OTHER, _LETTER, _DIGIT, _LEET_DIGIT, _LEET_EITHER, _LEET_BOTH, _SPACE, _APOSTROPHE = range(8)
_DELETED = 0  # marker byte: folding turns every NUL into a space, so 0 never occurs otherwise


def _fold_table(merge_il: bool) -> bytes:
    """ASCII folding: lower case, punctuation and control characters to space."""
    table = bytearray(range(256))
    for code in range(128):
        char = chr(code)
        if char.isalnum() or char in LEET_EITHER_SIDE or char in LEET_BOTH_SIDES or char == "'":
            table[code] = ord(char.lower())
        else:
            table[code] = ord(" ")
    if merge_il:  # "1" stands for i and l alike, so the matcher treats l and i as one letter
        table[ord("l")] = table[ord("L")] = ord("i")
    return bytes(table)


def _class_table() -> bytes:
    table = bytearray([_OTHER] * 256)
    for code in range(256):
        char = chr(code)
        if code >= 0x80 or "a" <= char <= "z":
            table[code] = _LETTER
        elif char in LEET_DIGITS:
            table[code] = _LEET_DIGIT
        elif char.isdigit():
            table[code] = _DIGIT
        elif char in LEET_EITHER_SIDE:
            table[code] = _LEET_EITHER
        elif char in LEET_BOTH_SIDES:
            table[code] = _LEET_BOTH
        elif char == " ":
            table[code] = _SPACE
        elif char == "'":
            table[code] = _APOSTROPHE
    return bytes(table)


def _leet_lookup(merge_il: bool) -> np.ndarray:
    lookup = np.arange(256, dtype=np.uint8)
    for source, letter in {**LEET_DIGITS, **LEET_EITHER_SIDE, **LEET_BOTH_SIDES}.items():
        if merge_il and letter == "l":
            letter = "i"
        lookup[ord(source)] = ord(letter)
    return lookup


_CLASSES = _class_table()


@dataclass(frozen=True)
class Tables:
    fold: bytes
    leet: np.ndarray


READABLE = Tables(_fold_table(merge_il=False), _leet_lookup(merge_il=False))
MATCHING = Tables(_fold_table(merge_il=True), _leet_lookup(merge_il=True))


def _fold_char(char: str) -> str:
    """What one non-ASCII character stands for: ASCII look-alike, base letter, '' or a space."""
    if char in APOSTROPHES:
        return "'"
    out: list[str] = []
    for part in unicodedata.normalize("NFKD", char.casefold()):
        category = unicodedata.category(part)
        if part.isascii():
            out.append(part)
        elif category in ("Mn", "Me", "Cf", "Cc"):  # accents, zero-width and format characters
            continue
        elif part in HOMOGLYPHS:
            out.append(HOMOGLYPHS[part])
        elif part in SYMBOL_LETTERS:
            out.append(SYMBOL_LETTERS[part])
        elif category[0] in "LN":
            out.append(part)
        else:
            out.append(" ")
    return "".join(out)


class _FoldMap(dict[int, str]):
    """str.translate table that works out (and caches) each character the first time it is seen."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        _FOLD_LENGTHS[code] = chr(len(folded.encode("utf-8")))
        return folded


class _LengthMap(dict[int, str]):
    """str.translate table giving, as a code point, the UTF-8 length of each folded character."""

    def __missing__(self, code: int) -> str:
        FOLD[code]  # fills this map too
        return self[code]


FOLD = _FoldMap()
_FOLD_LENGTHS = _LengthMap()
for _code in range(128):
    FOLD[_code] = chr(_code)
    _FOLD_LENGTHS[_code] = "\x01"


class FullKey:
    """A normalised text as bytes, with what is needed to map its offsets back to the original."""

    __slots__ = ("_base", "_deletions", "data")

    def __init__(self, data: bytes, base: np.ndarray | None, deletions: list[np.ndarray]) -> None:
        self.data = data
        self._base = base  # key-of-folded-text byte -> original character, for non-ASCII text
        self._deletions = deletions  # one boolean mask per compaction stage

    def original(self, index: int) -> int:
        """The original text's index of the character that became key byte `index`."""
        for i in range(len(self._deletions) - 1, -1, -1):
            removed = self._deletions[i]
            if removed.dtype == np.bool_:
                found = np.flatnonzero(removed)
                removed = found - np.arange(len(found))
                self._deletions[i] = removed
            index += int(np.searchsorted(removed, index, side="right"))
        return int(self._base[index]) if self._base is not None else index


def _neighbours(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    before = np.zeros_like(mask)
    before[1:] = mask[:-1]
    after = np.zeros_like(mask)
    after[:-1] = mask[1:]
    return before, after


def _compact(array: np.ndarray, removed: np.ndarray) -> bytes:
    marked = array.copy()
    marked[removed] = _DELETED
    return marked.tobytes().translate(None, bytes([_DELETED]))


def full_key(text: str, tables: Tables) -> FullKey:
    base: np.ndarray | None = None
    if text.isascii():
        raw = text.encode("ascii")
    else:
        folded = text.translate(FOLD)
        lengths = np.frombuffer(text.translate(_FOLD_LENGTHS).encode("latin-1"), np.uint8)
        base = np.repeat(np.arange(len(text), dtype=np.int64), lengths)
        raw = folded.encode("utf-8")
    data = raw.translate(tables.fold)
    if not data:
        return FullKey(data, base, [])
    array = np.frombuffer(data, np.uint8)
    classes = np.frombuffer(data.translate(_CLASSES), np.uint8)
    letter = classes == _LETTER
    either = (classes == _LEET_DIGIT) | (classes == _LEET_EITHER)
    both = classes == _LEET_BOTH
    leet = np.zeros_like(letter)
    for _ in range(3):  # chains such as "a$$" or "h00m" read from the letter outwards
        before, after = _neighbours(letter | leet)
        grown = (either & (before | after)) | (both & before & after)
        if not (grown & ~leet).any():
            break
        leet |= grown
    stray = ((classes == _LEET_EITHER) | both) & ~leet  # "!" ending a sentence is punctuation
    if leet.any() or stray.any():
        array = array.copy()
        positions = np.flatnonzero(leet)
        array[positions] = tables.leet[array[positions]]
        array[stray] = ord(" ")
        letter |= leet
    space = array == ord(" ")
    removed = classes == _APOSTROPHE
    removed[1:] |= space[1:] & space[:-1]
    deletions: list[np.ndarray] = []
    if removed.any():
        deletions.append(removed)
        data = _compact(array, removed)
        array = np.frombuffer(data, np.uint8)
    else:
        data = array.tobytes()
    stage_two = _spaced_and_repeated(array)
    if stage_two is not None:
        deletions.append(stage_two)
        data = _compact(array, stage_two)
    return FullKey(data, base, deletions)


def _spaced_and_repeated(array: np.ndarray) -> np.ndarray | None:
    """Spaces inside runs of three or more single letters ("h o m e") and repeated letters."""
    letter = (array >= ord("a")) & (array <= ord("z"))
    repeat = np.zeros_like(letter)
    repeat[1:] = letter[1:] & (array[1:] == array[:-1])
    word = letter | (array >= 0x80) | ((array >= ord("0")) & (array <= ord("9")))
    word_before, word_after = _neighbours(word)
    single = letter & ~word_before & ~word_after
    single_before, single_after = _neighbours(single)
    gap = (array == ord(" ")) & single_before & single_after
    if gap.any():
        gap_before = np.zeros_like(gap)
        gap_before[2:] = gap[:-2]
        gap_after = np.zeros_like(gap)
        gap_after[:-2] = gap[2:]
        gap &= gap_before | gap_after
        repeat[2:] |= letter[2:] & gap[1:-1] & (array[2:] == array[:-2])
        repeat |= gap
    return repeat if repeat.any() else None


def _fast_table() -> bytes:
    """Fast key folding: lower case, l = i, every leet character read as its letter, whitespace,
    '-' and '_' to space; other punctuation kept, so the key has the text's length."""
    table = bytearray(_fold_table(merge_il=True))
    for code in range(128):
        char = chr(code)
        if char in "\t\n\r\v\f-_":
            table[code] = ord(" ")
        elif not char.isalnum() and char not in " '":
            table[code] = code
    for source, letter in {**LEET_DIGITS, **LEET_EITHER_SIDE, **LEET_BOTH_SIDES}.items():
        table[ord(source)] = ord("i" if letter == "l" else letter)
    for code in (0x7B, 0x7D, 0x7E):  # "{", "}", "~" sort after "z"; keep bytes >= "a" letters only
        table[code] = ord(" ")
    table[0] = ord(" ")
    return bytes(table)


FAST_FOLD = _fast_table()
_LEET_BYTES = frozenset(ord(c) for c in (*LEET_DIGITS, *LEET_EITHER_SIDE, *LEET_BOTH_SIDES))


class _FastChars(dict[int, bytes]):
    """Folded UTF-8 of one non-ASCII character for the fast key; symbols and emoji become a
    non-word byte (not a space), so they neither join nor split words nor look like gaps."""

    def __missing__(self, code: int) -> bytes:
        folded = FOLD[code]
        value = b"\x1a" if folded == " " else folded.encode("utf-8")
        self[code] = value
        return value


_FAST_CHARS = _FastChars()


class FastKey:
    """The fast key of a text: folded bytes, one per byte of the folded text's UTF-8.

    ASCII text maps one byte to one character. Otherwise only the runs of non-ASCII bytes are
    decoded and folded (found with numpy), and each run keeps an anchor to map offsets back.
    """

    __slots__ = ("_anchors", "_starts", "data", "raw")

    def __init__(self, text: str) -> None:
        self._anchors: list[tuple[int, int, int, tuple[int, ...]]] = []
        self._starts: list[int] = []
        self.raw = text.encode("ascii") if text.isascii() else self._fold(text)
        self.data = self.raw.translate(FAST_FOLD)

    def _fold(self, text: str) -> bytes:
        utf8 = text.encode("utf-8", "surrogatepass")
        high = np.frombuffer(utf8, np.uint8) >= 0x80
        cuts = [0, *(np.flatnonzero(high[1:] != high[:-1]) + 1).tolist(), len(utf8)]
        pieces: list[bytes] = []
        done = 0  # bytes of utf8 consumed
        key_at = 0  # bytes of the key produced
        chars_at = 0  # characters of the text consumed
        for number, (first, last) in enumerate(itertools.pairwise(cuts)):
            if bool(high[0]) == (number % 2 == 1):
                continue  # an ASCII segment: copied as it is below
            if first > done:
                pieces.append(utf8[done:first])
                key_at += first - done
                chars_at += first - done
            run = utf8[first:last].decode("utf-8", "surrogatepass")
            folded = [_FAST_CHARS[ord(c)] for c in run]
            lengths = tuple(len(f) for f in folded)
            self._starts.append(key_at)
            self._anchors.append((key_at, key_at + sum(lengths), chars_at, lengths))
            pieces.extend(folded)
            key_at += sum(lengths)
            chars_at += len(run)
            done = last
        pieces.append(utf8[done:])
        return b"".join(pieces)

    def original(self, index: int) -> int:
        """The original text's index of key byte `index`."""
        if not self._anchors:
            return index
        at = bisect_right(self._starts, index) - 1
        if at < 0:
            return index
        key_start, key_end, char_start, lengths = self._anchors[at]
        if index >= key_end:
            return char_start + len(lengths) + (index - key_end)
        offset = index - key_start
        for position, length in enumerate(lengths):
            if offset < length:
                return char_start + position
            offset -= length
        return char_start + len(lengths)

    def continues_word(self, position: int, step: int) -> bool:
        """Whether the byte at `position`, just outside a hit, carries its word on.

        A letter does; a digit or symbol read as a letter does only when it stands between the hit
        and another letter ("h0me" hides "me"), so "alone!" still ends at "alone".
        """
        data, raw = self.data, self.raw
        if not 0 <= position < len(data) or not is_word_byte(data[position]):
            return False
        while 0 <= position < len(raw):
            byte = raw[position]
            if byte >= 0x80 or 0x61 <= byte <= 0x7A or 0x41 <= byte <= 0x5A:
                return True
            if byte not in _LEET_BYTES:
                return 0x30 <= byte <= 0x39
            position += step
        return False


def is_word_byte(byte: int) -> bool:
    """Letters (any script, as UTF-8 bytes) and digits."""
    return byte >= 0x80 or 0x61 <= byte <= 0x7A or 0x30 <= byte <= 0x39
