"""Digest arrays: vectorised hex decoding, 64-bit sort prefixes and PDQ conversions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from orderwatch.forensics.hashsets.model import EXACT_ALGORITHMS, PDQ_BYTES

ALGORITHM_BY_HEX_LENGTH = {2 * size: name for name, size in EXACT_ALGORITHMS.items()}


def decode_hex_rows(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode an (n, 2k) array of ASCII hex digits to (n, k) bytes, with a per-row validity mask.

    Arithmetic instead of a lookup table: '0'-'9' keep their low nibble, letters add 9 (bit 6).
    """
    text = np.ascontiguousarray(text)  # whole-buffer SIMD loops, not 32-byte row loops
    digit = (text - 48) < 10  # uint8 wraps below '0'
    letter = ((text | 0x20) - 97) < 6  # a-f in either case
    good = digit | letter
    valid = np.ones(len(text), bool) if good.all() else np.asarray(good.all(axis=1))
    values = (text & 0x0F) + 9 * (text >> 6)
    pairs = values.view("<u2")  # (first digit, second digit) in one contiguous 16-bit word
    digests = (((pairs & 0xFF) << 4) | (pairs >> 8)).astype(np.uint8)
    return digests, valid


def decode_hex_list(items: Sequence[bytes], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode hex strings that should each be `size` bytes; wrong lengths are marked invalid."""
    width = 2 * size
    if not items:
        return np.empty((0, size), np.uint8), np.empty(0, bool)
    joined = b"".join(items)
    if len(joined) == width * len(items) and all(len(item) == width for item in items):
        text = np.frombuffer(joined, np.uint8).reshape(-1, width)
        return decode_hex_rows(text)
    right = np.fromiter((len(item) == width for item in items), bool, len(items))
    padded = [item if len(item) == width else b"0" * width for item in items]
    digests, valid = decode_hex_rows(np.frombuffer(b"".join(padded), np.uint8).reshape(-1, width))
    return digests, valid & right


def is_hex(text: str, size: int) -> bool:
    """Whether `text` is exactly `size` bytes written as hex digits."""
    if len(text) != 2 * size:
        return False
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def sort_prefixes(digests: np.ndarray) -> np.ndarray:
    """The first 8 bytes of each digest as an unsigned integer, so integer order is byte order."""
    head = np.ascontiguousarray(digests[:, :8])
    return head.view(">u8").reshape(-1).astype(np.uint64)


def digest_matrix(values: Sequence[bytes | str | None], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Queries as an (n, size) array plus a validity mask; accepts raw bytes, hex text or None."""
    count = len(values)
    try:
        joined = b"".join(values)  # type: ignore[arg-type]
    except TypeError:  # None or text among them
        joined = b""
    if count and len(joined) == size * count and set(map(len, values)) == {size}:  # type: ignore[arg-type]
        return np.frombuffer(joined, np.uint8).reshape(count, size), np.ones(count, bool)
    matrix = np.zeros((count, size), np.uint8)
    valid = np.zeros(count, bool)
    for row, value in enumerate(values):
        raw = as_digest(value, size)
        if raw is not None:
            matrix[row] = np.frombuffer(raw, np.uint8)
            valid[row] = True
    return matrix, valid


def as_digest(value: bytes | str | None, size: int) -> bytes | None:
    """Raw digest bytes from raw bytes or hex (text or ASCII bytes) of the right length; None
    otherwise."""
    if isinstance(value, bytes | bytearray) and len(value) == 2 * size:
        value = value.decode("ascii", "replace")
    if isinstance(value, str):
        return bytes.fromhex(value) if is_hex(value, size) else None
    if isinstance(value, bytes | bytearray | memoryview) and len(value) == size:
        return bytes(value)
    return None


def pdq_from_bits(bits: Sequence[int] | np.ndarray) -> bytes:
    """PDQ bytes from pdqhash's 256-entry bit vector (most significant bit first, as in its hex)."""
    vector = np.asarray(bits, dtype=np.uint8)
    if vector.shape != (PDQ_BYTES * 8,):
        raise ValueError(f"a PDQ hash has 256 bits, got shape {vector.shape}")
    return np.packbits(vector).tobytes()


def pdq_from_hex(text: str) -> bytes:
    """PDQ bytes from the 64-hex-digit form used by Meta's tools and VICS files."""
    if not is_hex(text, PDQ_BYTES):
        raise ValueError(f"{text!r} is not a PDQ hash (64 hexadecimal digits)")
    return bytes.fromhex(text)
