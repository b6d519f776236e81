"""The fast key of a text for keyword matching, with the way back to original offsets.

One bytes.translate of the text, after encoding it to ASCII with a codec error handler that folds
each run of non-ASCII characters (cached per run): lower case, l = i, every leetspeak character
read as its letter, one byte per byte of the folded text. Long texts whose non-ASCII characters
each fold to one byte are folded in numpy instead (their UTF-32 code points, a byte table), with
the same result. It serves the bulk of a scan; the full key (textmatch_full) is built only
around suspicious spots.
"""

from __future__ import annotations

import codecs
import threading
from bisect import bisect_right

import numpy as np

from orderwatch.domain.textmatch_full import MATCHING
from orderwatch.domain.textmatch_tables import (
    FOLD,
    LEET_BOTH_SIDES,
    LEET_DIGITS,
    LEET_EITHER_SIDE,
)

__all__ = ["FAST_FOLD", "WORD_BYTES", "FastKey", "folded_run", "is_word_byte"]


def _fast_table() -> bytes:
    """Fast key folding: lower case, l = i, every leet character read as its letter, whitespace,
    '-' and '_' to space; other punctuation kept, so the key has the text's length."""
    table = bytearray(MATCHING.fold)
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


_RUN_CACHE_SIZE = 8192
# Folded runs of non-ASCII characters ("\u00e9" -> b"e"): the folded bytes and, unless every
# character folds to exactly one byte, each one's folded length. Runs repeat a lot in text (emoji,
# curly quotes, accented words), so each is worked out once.
_RUNS: dict[str, tuple[bytes, tuple[int, ...] | None]] = {}
_Anchor = tuple[int, int, int, int, tuple[int, ...] | None]
_NO_ANCHORS: list[_Anchor] = []  # shared by every key without anchors: never appended to
_NO_OFFSETS: list[int] = []


def _fold_run(run: str) -> tuple[bytes, tuple[int, ...] | None]:
    """Symbols and emoji become a non-word byte (not a space), so they neither join nor split
    words nor look like gaps."""
    folded = [FOLD[ord(c)] for c in run]
    parts = [b"\x1a" if f == " " else f.encode("utf-8", "surrogatepass") for f in folded]
    lengths = tuple(len(p) for p in parts)
    value = (b"".join(parts), None if all(n == 1 for n in lengths) else lengths)
    if len(_RUNS) >= _RUN_CACHE_SIZE:
        _RUNS.clear()
    _RUNS[run] = value
    return value


def folded_run(run: str) -> bytes:
    """The key bytes of a run of non-ASCII characters, as the codec path folds it."""
    return (_RUNS.get(run) or _fold_run(run))[0]


class _Folding(threading.local):
    """The anchors of the text being encoded on this thread (the codec error handler's output)."""

    anchors: list[_Anchor]
    shift: int  # key bytes minus text characters so far


_FOLDING = _Folding()
_ERRORS = "orderwatch.textmatch.fold"


def _fold_error(error: UnicodeError) -> tuple[bytes, int]:
    """Codec error handler: encoding to ASCII hands over each run of non-ASCII characters, so
    the ASCII bulk is copied in C and Python works once per run."""
    assert isinstance(error, UnicodeEncodeError)
    start, end = error.start, error.end
    run = error.object[start:end]
    folded, lengths = _RUNS.get(run) or _fold_run(run)
    if lengths is None:  # one byte per character: offsets stay as they are, no anchor needed
        return folded, end
    state = _FOLDING
    key_at = start + state.shift
    state.anchors.append((key_at, key_at + len(folded), start, end - start, lengths))
    state.shift += len(folded) - (end - start)
    return folded, end


codecs.register_error(_ERRORS, _fold_error)

# Long non-ASCII texts are folded in numpy instead: the folded byte of every code point that
# folds to exactly one byte, worked out (by _fold_run's rule) the first time it is seen.
_VECTOR_FROM = 20_000  # characters; below this numpy's per-call cost (~8 us) outweighs its speed
_UNKNOWN = 0xFF  # not worked out yet
_IRREGULAR = 0xFE  # folds to no byte or several: the text takes the codec path (anchors)
_FOLDED_BYTE = np.full(0x110000, _UNKNOWN, dtype=np.uint8)


def _learn(codes: np.ndarray) -> None:
    for code in np.unique(codes).tolist():
        folded, lengths = _RUNS.get(chr(code)) or _fold_run(chr(code))
        _FOLDED_BYTE[code] = folded[0] if lengths is None else _IRREGULAR


def _fold_vector(text: str) -> bytes | None:
    """The codec path's bytes for a text whose non-ASCII characters all fold to one byte each
    (so it needs no anchors), in a few numpy passes; None when some character does not."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    where = np.flatnonzero(codes >= 0x80)
    found = codes[where]
    folded = _FOLDED_BYTE[found]
    if folded.max(initial=0) >= _IRREGULAR:  # unknown (learn them) or irregular
        if (folded == _UNKNOWN).any():
            _learn(found[folded == _UNKNOWN])
            folded = _FOLDED_BYTE[found]
        if (folded == _IRREGULAR).any():
            return None
    narrow = codes.astype(np.uint8)
    narrow[where] = folded
    return narrow.tobytes()


class FastKey:
    """The fast key of a text: folded bytes, one per byte of the folded text's UTF-8.

    ASCII text maps one byte to one character, and so does a run of non-ASCII characters that
    folds to one byte each (accents, look-alikes, emoji, curly quotes). Any other run keeps an
    anchor to map offsets back.
    """

    __slots__ = ("_anchors", "_char_starts", "_starts", "buffer", "mapped", "raw")

    def __init__(self, text: str) -> None:
        if text.isascii():
            raw = text.encode("ascii")
            self.mapped = False
            # (key start, key end, first character, characters, folded lengths) per anchored run
            self._anchors: list[_Anchor] = _NO_ANCHORS
            self._starts = self._char_starts = _NO_OFFSETS
        elif len(text) >= _VECTOR_FROM and (vector := _fold_vector(text)) is not None:
            raw = vector
            self.mapped = False
            self._anchors = _NO_ANCHORS
            self._starts = self._char_starts = _NO_OFFSETS
        else:
            anchors: list[_Anchor] = []
            state = _FOLDING
            state.anchors = anchors
            state.shift = 0
            raw = text.encode("ascii", _ERRORS)
            self._anchors = anchors
            self._starts = [anchor[0] for anchor in anchors]
            self._char_starts = [anchor[2] for anchor in anchors]
            self.mapped = bool(anchors)  # whether key offsets differ from the text's
        self.raw = raw
        # The key with a space in front (key byte i is buffer[i + 1]), as it is scanned: so
        # that a spot at the very start is seen too. A bytearray translates about twice as fast
        # (no "changed" check) and is scanned as it is, without a copy.
        if len(raw) < 2048:
            self.buffer: bytes | bytearray = (b" " + raw).translate(FAST_FOLD)
        else:
            buffer = bytearray(b" ")
            buffer += raw
            self.buffer = buffer.translate(FAST_FOLD)

    @property
    def data(self) -> bytes:
        """The key: folded bytes, one per byte of the folded text's UTF-8."""
        return bytes(self.buffer[1:])

    def __len__(self) -> int:
        return len(self.buffer) - 1

    def original(self, index: int) -> int:
        """The original text's index of key byte `index`."""
        if not self._anchors:
            return index
        at = bisect_right(self._starts, index) - 1
        if at < 0:
            return index
        key_start, key_end, char_start, chars, lengths = self._anchors[at]
        if index >= key_end:
            return char_start + chars + (index - key_end)
        offset = index - key_start
        if lengths is None:
            return char_start + offset
        for position, length in enumerate(lengths):
            if offset < length:
                return char_start + position
            offset -= length
        return char_start + chars

    def key_index(self, char: int) -> int:
        """The key byte where the text's character `char` starts (the inverse of original)."""
        if not self._anchors:
            return char
        at = bisect_right(self._char_starts, char) - 1
        if at < 0:
            return char
        key_start, key_end, char_start, chars, lengths = self._anchors[at]
        if char >= char_start + chars:
            return key_end + (char - char_start - chars)
        offset = char - char_start
        return key_start + (offset if lengths is None else sum(lengths[:offset]))

    def continues_word(self, position: int, step: int) -> bool:
        """Whether the byte at `position`, just outside a hit, carries its word on.

        A letter does; a digit or symbol read as a letter does only when it stands between the hit
        and another letter ("h0me" hides "me"), so "alone!" still ends at "alone".
        """
        buffer, raw = self.buffer, self.raw
        if not 0 <= position < len(raw) or not WORD_BYTES[buffer[position + 1]]:
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


WORD_BYTES = bytes(is_word_byte(code) for code in range(256))  # 1 for a word byte: a lookup
