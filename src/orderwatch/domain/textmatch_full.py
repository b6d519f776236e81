"""The full normalised key of a folded text, with the way back to its offsets.

It undoes every evasion: context-aware leetspeak, punctuation, apostrophes, spaced-out and
repeated letters. Only C-speed operations touch every byte (translate, find, big-integer
AND/OR/XOR for the masks of what to delete); Python works per leetspeak run and spaced-out run,
so windows around suspicious spots cost microseconds (no regex scan, no numpy call overhead).
"""

from __future__ import annotations

import string
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from orderwatch.domain.textmatch_tables import (
    FOLD,
    LEET_BOTH_SIDES,
    LEET_DIGITS,
    LEET_EITHER_SIDE,
)

__all__ = ["MATCHING", "READABLE", "FullKey", "Tables", "fold_text", "full_key"]

_LEET = "".join((*LEET_DIGITS, *LEET_EITHER_SIDE, *LEET_BOTH_SIDES))


def _fold_table(merge_il: bool) -> bytes:
    """ASCII folding: lower case, punctuation and control characters to space; leet kept."""
    table = bytearray(range(256))
    for code in range(128):
        char = chr(code)
        if char.isalnum() or char in _LEET or char == "'":
            table[code] = ord(char.lower())
        else:
            table[code] = ord(" ")
    if merge_il:  # "1" stands for i and l alike, so the matcher treats l and i as one letter
        table[ord("l")] = table[ord("L")] = ord("i")
    return bytes(table)


def _leet_table(merge_il: bool) -> bytes:
    table = bytearray(range(256))
    for source, letter in {**LEET_DIGITS, **LEET_EITHER_SIDE, **LEET_BOTH_SIDES}.items():
        table[ord(source)] = ord("i" if merge_il and letter == "l" else letter)
    return bytes(table)


def _class_table(classes: dict[str, bytes], other: bytes) -> bytes:
    table = bytearray(other * 256)
    for chars, value in classes.items():
        for char in chars:
            table[ord(char)] = value[0]
    return bytes(table)


@dataclass(frozen=True)
class Tables:
    """Folding and leetspeak tables: READABLE keeps l and i apart, MATCHING merges them."""

    fold: bytes
    leet: bytes


READABLE = Tables(_fold_table(merge_il=False), _leet_table(merge_il=False))
MATCHING = Tables(_fold_table(merge_il=True), _leet_table(merge_il=True))

_BOTH = frozenset(ord(c) for c in LEET_BOTH_SIDES)
_SYMBOLS = frozenset(ord(c) for c in (*LEET_EITHER_SIDE, *LEET_BOTH_SIDES))
# Leet characters as "L" (found with bytes.find), everything else ".".
_LEET_CLASSES = _class_table({_LEET: b"L"}, b".")
# After the leetspeak: a-z as "a", other word bytes (digits, non-ASCII) as "w", space as " ".
_WORD_CLASSES = _class_table(
    {string.ascii_lowercase: b"a", string.digits: b"w", " ": b" ", "'": b"'"}, b"w"
)
_SPACED_START = b" a a a "  # three single letters, in the padded class string
# Masks: NUL where the byte is of the kind, 0xFF elsewhere.
_SPACE_NUL = _class_table({" ": b"\x00"}, b"\xff")
_APOSTROPHE_NUL = _class_table({"'": b"\x00"}, b"\xff")
_LETTER_NUL = _class_table({string.ascii_lowercase: b"\x00"}, b"\xff")
_NUL_OR_FF = b"\x00" + b"\xff" * 255


def _is_letter(byte: int) -> bool:
    return byte >= 0x80 or 0x61 <= byte <= 0x7A


def fold_text(text: str) -> bytes:
    """The text with non-ASCII characters folded (look-alikes, accents and zero-width undone)."""
    if text.isascii():
        return text.encode("ascii")
    return text.translate(FOLD).encode("utf-8", "surrogatepass")


class FullKey:
    """A normalised text as bytes, with the way back to offsets in the input."""

    __slots__ = ("_keeps", "_removed", "data")

    def __init__(self, data: bytes, keeps: list[bytes]) -> None:
        self.data = data
        self._keeps = keeps  # per compaction, its input's bytes as 0xFF (kept) or NUL (deleted)
        self._removed: list[list[int]] | None = None

    def original(self, index: int) -> int:
        """The input's byte index of what became key byte `index`."""
        if not self._keeps:
            return index
        if self._removed is None:  # the compacted position of each deleted byte, for bisect
            self._removed = [_compacted(keep) for keep in self._keeps]
        for removed in reversed(self._removed):
            index += bisect_right(removed, index)
        return index


def full_key(raw: bytes, tables: Tables) -> FullKey:
    """The full key of folded bytes (see fold_text); offsets map back to `raw`.

    Three compactions: runs of spaces and apostrophes; the gaps of spaced-out letters; repeated
    letters. Joining before collapsing deletes what the two rules would mark on the same input,
    as joining touches only single letters, which are next to no letter. Each compaction is a
    mask of the bytes to keep, made and applied with translate and big-integer AND/OR/XOR (so in
    C); Python works only per leetspeak run and spaced-out run.
    """
    data = raw.translate(tables.fold)
    keeps: list[bytes] = []
    if not data:
        return FullKey(data, keeps)
    leet_classes = data.translate(_LEET_CLASSES)
    if b"L" in leet_classes:
        data = _read_leet(data, leet_classes, tables.leet)
    for stage in (_spaces_and_apostrophes, _gaps, _repeats):
        keep = stage(data)
        if keep is not None:
            keeps.append(keep)
            size = len(data)
            kept = int.from_bytes(data, "little") & int.from_bytes(keep, "little")
            data = kept.to_bytes(size, "little").translate(None, b"\x00")  # NUL never occurs
    return FullKey(data, keeps)


def _next_of_pairs(marks: bytes) -> bytes:
    """Keep mask deleting byte i + 1 wherever marks[i] and marks[i + 1] are both NUL."""
    size = len(marks)
    both = int.from_bytes(marks, "little") | int.from_bytes(marks[1:] + b"\xff", "little")
    return b"\xff" + both.to_bytes(size, "little")[:-1]


def _spaces_and_apostrophes(data: bytes) -> bytes | None:
    """Apostrophes, and spaces that follow a space."""
    keep = None
    if b"  " in data:
        keep = _next_of_pairs(data.translate(_SPACE_NUL))
    if b"'" in data:
        apostrophes = data.translate(_APOSTROPHE_NUL)
        if keep is None:
            return apostrophes
        both = int.from_bytes(keep, "little") & int.from_bytes(apostrophes, "little")
        keep = both.to_bytes(len(data), "little")
    return keep


def _gaps(data: bytes) -> bytes | None:
    """The spaces between spaced-out single letters."""
    runs = _spaced_runs(data) if b" " in data else []
    if not runs:
        return None
    keep = bytearray(b"\xff" * len(data))
    for start, end in runs:
        keep[start + 1 : end : 2] = bytes(len(range(start + 1, end, 2)))
    return bytes(keep)


def _repeats(data: bytes) -> bytes | None:
    """All but the first of each run of one letter: equal neighbours are the NUL bytes of the
    data XOR itself shifted by one."""
    size = len(data)
    if size < 2:
        return None
    shifted = data[1:] + bytes((data[-1] ^ 0xFF,))
    equal = (int.from_bytes(data, "little") ^ int.from_bytes(shifted, "little")).to_bytes(
        size, "little"
    )
    if 0 not in equal:
        return None
    marks = int.from_bytes(equal.translate(_NUL_OR_FF), "little") | int.from_bytes(
        data.translate(_LETTER_NUL), "little"
    )
    pairs = marks.to_bytes(size, "little")
    if 0 not in pairs:
        return None
    return b"\xff" + pairs[:-1]


def _compacted(keep: bytes) -> list[int]:
    """The compacted position of each deleted byte (NUL in the keep mask): its position minus
    the deletions before it; worked out in C (split, accumulate, map)."""
    pieces = keep.split(b"\x00")[:-1]
    return list(accumulate(map(len, pieces)))


def _spaced_runs(data: bytes) -> list[tuple[int, int]]:
    """[start, end) of each run of three or more single letters spaced out ("h o m e");
    digits and letters of other scripts count as word characters around them."""
    padded = b" " + data.translate(_WORD_CLASSES) + b" "
    runs: list[tuple[int, int]] = []
    at = padded.find(_SPACED_START)
    while at >= 0:
        end = at + 6  # padded index of the third letter, plus one
        while padded.startswith(b" a ", end):
            end += 2
        runs.append((at, end - 1))  # padded index i is data index i - 1
        at = padded.find(_SPACED_START, end)
    return runs


def _read_leet(data: bytes, classes: bytes, leet: bytes) -> bytes:
    """Digits and symbols touching letters become letters ("h00m", "a$$", "sh!t"); stray symbols
    (like the "!" ending a sentence) become spaces; lone numbers stay numbers."""
    out = bytearray(data)
    size = len(data)
    start = classes.find(b"L")
    while start >= 0:
        end = classes.find(b".", start)
        if end < 0:
            end = size
        left = start > 0 and _is_letter(data[start - 1])
        right = end < size and _is_letter(data[end])
        if end == start + 1:  # one character, most runs ("!" ending a sentence, a digit)
            byte = data[start]
            if (left and right) if byte in _BOTH else (left or right):
                out[start] = leet[byte]
            elif byte in _SYMBOLS:
                out[start] = 0x20
            start = classes.find(b"L", end)
            continue
        chars = data[start:end]
        if not left and not right and chars.isdigit():  # a number: stays as it is
            start = classes.find(b"L", end)
            continue
        read = _grow(chars, left, right) if left or right else [False] * len(chars)
        for offset, byte in enumerate(chars):
            if read[offset]:
                out[start + offset] = leet[byte]
            elif byte in _SYMBOLS:
                out[start + offset] = 0x20
        start = classes.find(b"L", end)
    return bytes(out)


def _grow(chars: bytes, left: bool, right: bool) -> list[bool]:
    """Which characters of a run of leet characters read as letters: growing out from the
    letters on either side, at most three steps; "!", "|" and "+" need letters on both sides."""
    count = len(chars)
    read = [False] * count
    for _ in range(3):
        grown = False
        after = read.copy()
        for i, byte in enumerate(chars):
            if read[i]:
                continue
            before_ok = read[i - 1] if i > 0 else left
            after_ok = read[i + 1] if i + 1 < count else right
            if (before_ok and after_ok) if byte in _BOTH else (before_ok or after_ok):
                after[i] = grown = True
        if not grown:
            break
        read = after
    return read
