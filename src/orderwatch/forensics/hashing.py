"""One streaming read per file: MD5, SHA-1 and SHA-256 together, the content type, entropy and PDQ.

The stream is read once (a large plain file mapped, not copied); MD5 runs in SIMD lanes across the
streams hashed together, SHA-1 and SHA-256 interleaved two streams abreast with the CPU's SHA
extensions (_shalanes), or through OpenSSL where the CPU lacks them.
Entropy (files over 1 MiB) is counted on the first 64 KiB of every 1 MiB chunk (within 0.003 bits
of a full count on random data) by orderwatch's C byte counter (_bytecounts), or numpy where it is
not built (counting byte pairs on large buffers, twice as fast there as single bytes).
"""

from __future__ import annotations

import hashlib
import io
import mmap
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, cast

import numpy as np

from orderwatch.forensics.filetypes import HEAD_SIZE, FileType, detect_type

CHUNK_SIZE = 1024 * 1024
ENTROPY_MIN_SIZE = 1024 * 1024  # entropy is computed for files larger than this
ENTROPY_SAMPLE = 64 * 1024  # bytes of each chunk counted for entropy (None: every byte)
_PAIRS_FROM = 256 * 1024  # buffers at least this long are counted two bytes at a time
ROUND_SIZE = 16 * 1024 * 1024  # bytes read per round of `hash_streams` (its buffer)
MAP_FROM = 1024 * 1024  # plain files this large are memory-mapped rather than copied ...
MAP_UP_TO = 256 * 1024 * 1024  # ... up to this size (mapping populates the whole file at once)
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
PDQ_MAX_PIXELS = 200_000_000
PDQ_DECODE_SIZE = 512  # JPEGs are decoded at the smallest DCT scale still at least this large


@dataclass(slots=True)
class Digest:
    """What one read of a file gave: its hashes, detected type, entropy and (if kept) content."""

    size: int
    md5: str
    sha1: str
    sha256: str
    type: FileType | None
    entropy: float | None
    content: bytes | None = None


def _hashlib_update_many(contexts: Sequence[Any], chunks: Sequence[Any]) -> None:
    for context, chunk in zip(contexts, chunks, strict=True):
        context.update(chunk)


def _hashlib_sha_update_many(
    sha1s: Sequence[Any], sha256s: Sequence[Any], chunks: Sequence[Any]
) -> None:
    for sha1, sha256, chunk in zip(sha1s, sha256s, chunks, strict=True):
        sha1.update(chunk)
        sha256.update(chunk)


# orderwatch's own C where it is built (pip install builds it): MD5 of many streams in SIMD lanes,
# and a byte histogram at ~1 byte a cycle (numpy's bincount: ~3 ns a byte). Otherwise one stream
# at a time through OpenSSL, and numpy.
_md5: Callable[[], Any] = hashlib.md5
_md5_update_many: Callable[[Sequence[Any], Sequence[Any]], None] = _hashlib_update_many
_sha1: Callable[[], Any] = hashlib.sha1
_sha256: Callable[[], Any] = hashlib.sha256
_sha_update_many: Callable[[Sequence[Any], Sequence[Any], Sequence[Any]], None] = (
    _hashlib_sha_update_many
)
_add_byte_counts: Callable[[Any, Any], None] | None = None
try:
    from orderwatch.forensics import _bytecounts, _md5lanes

    _md5, _md5_update_many = _md5lanes.MD5, _md5lanes.update_many
    _add_byte_counts = _bytecounts.add_byte_counts
except ImportError:
    pass
# SHA-1 and SHA-256 of each stream interleaved, two streams abreast, where the CPU has the SHA
# extensions (0.44x OpenSSL's CPU per byte for both hashes here); OpenSSL otherwise (the module's
# portable code is there for its tests, slower than OpenSSL).
try:
    from orderwatch.forensics import _shalanes

    if _shalanes.implementation() == "sha-ni":
        _sha1, _sha256 = _shalanes.SHA1, _shalanes.SHA256
        _sha_update_many = _shalanes.update_many
except ImportError:
    pass


class ImageDecodeError(ValueError):
    """Content that should be an image but cannot be decoded into one."""


class _Entropy:
    """Byte counts of what a stream gave, for its Shannon entropy (sampled per chunk by default)."""

    __slots__ = ("_counts", "_pairs", "_sample")

    def __init__(self, sample: int | None = ENTROPY_SAMPLE) -> None:
        self._counts = np.zeros(256, dtype=np.int64)
        self._pairs: np.ndarray | None = None  # 65536 pair counts, made on first large buffer
        self._sample = sample

    def count(self, chunk: bytes | memoryview) -> None:
        data = chunk if self._sample is None else chunk[: self._sample]
        if _add_byte_counts is not None:
            _add_byte_counts(data, self._counts)
            return
        if len(data) < _PAIRS_FROM:
            self._counts += np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
            return
        if self._pairs is None:
            self._pairs = np.zeros(65536, dtype=np.int64)
        even = len(data) & ~1
        self._pairs += np.bincount(
            np.frombuffer(data, dtype=np.uint16, count=even // 2), minlength=65536
        )
        if even != len(data):
            self._counts[data[-1]] += 1

    def entropy(self) -> float:
        """Shannon entropy in bits per byte of what was counted."""
        counts = self._counts.copy()
        if self._pairs is not None:
            matrix = self._pairs.reshape(256, 256)
            counts += matrix.sum(axis=0) + matrix.sum(axis=1)
        return shannon_entropy(counts)


def shannon_entropy(counts: np.ndarray) -> float:
    """Bits per byte (0.0-8.0) of a 256-bin byte histogram."""
    total = int(counts.sum())
    if total == 0:
        return 0.0
    p = counts[counts > 0] / total
    return float(round(-(p * np.log2(p)).sum(), 4))


def hash_stream(
    stream: BinaryIO,
    size_hint: int | None = None,
    keep_content: Callable[[FileType | None], bool] | None = None,
    buffer: bytearray | None = None,
    entropy_sample: int | None = ENTROPY_SAMPLE,
) -> Digest:
    """Read `stream` to its end once and return every digest of it.

    The type is detected from the first chunk; `keep_content(type)` is then asked whether to keep
    the whole content (an image to decode for PDQ; the caller bounds its size). Read errors
    (OSError from a bad sector, dfvfs back-end errors) propagate to the caller.
    """
    keep = (lambda _index, detected: keep_content(detected)) if keep_content else None
    (outcome,) = hash_streams([stream], [size_hint], keep, buffer, entropy_sample)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def hash_streams(
    streams: Sequence[BinaryIO],
    size_hints: Sequence[int | None],
    keep_content: Callable[[int, FileType | None], bool] | None = None,
    buffer: bytearray | None = None,
    entropy_sample: int | None = ENTROPY_SAMPLE,
) -> list[Digest | BaseException]:
    """`hash_stream` for many streams at once: MD5 runs in SIMD lanes across them.

    The streams are read in rounds: each round reads the next chunk of as many streams as fit in
    `buffer` (a small file's whole content, a large file's next CHUNK_SIZE bytes), counts entropy,
    and hands every chunk to `_shalanes.update_many` (SHA-1 and SHA-256, two streams abreast)
    and `_md5lanes.update_many` (MD5, sixteen abreast). A stream is
    done at a read of nothing, or a short read once its size hint is reached (one read for a
    small file). A stream whose read fails gets its exception in its place in the result (the
    others go on); `keep_content(index, type)` is asked after the first chunk.
    """
    buf = buffer if buffer is not None and len(buffer) >= CHUNK_SIZE else bytearray(ROUND_SIZE)
    view = memoryview(buf)
    results: list[Digest | BaseException | None] = [None] * len(streams)
    live = [
        _Stream(i, stream, hint, entropy_sample)
        for i, (stream, hint) in enumerate(zip(streams, size_hints, strict=True))
    ]
    while live:
        contexts: list[Any] = []
        sha1s: list[Any] = []
        sha256s: list[Any] = []
        chunks: list[memoryview | bytes] = []
        offset = 0
        still: list[_Stream] = []
        for position, state in enumerate(live):
            want = state.want()
            if offset + want > len(buf):
                if contexts:  # the round is full: the rest wait for the next one
                    still.extend(live[position:])
                    break
                want = len(buf) - offset
            try:
                chunk, used = state.read(view, offset, want)
                n = len(chunk)
                if n or state.size == 0:  # (an empty stream's nothing: its type, kept content)
                    state.add(chunk, keep_content)
            except Exception as error:  # this stream only
                results[state.index] = error
                continue
            offset += used
            if n:
                contexts.append(state.md5)
                sha1s.append(state.sha1)
                sha256s.append(state.sha256)
                chunks.append(chunk)
            if n == 0 or (n < want and state.size >= state.hint):
                state.done = True
                state.map = None  # unmapped once this round's chunks are gone
            if not state.done:
                still.append(state)
        _sha_update_many(sha1s, sha256s, chunks)
        _md5_update_many(contexts, chunks)
        for state in live:
            if state.done and results[state.index] is None:
                results[state.index] = state.digest()
        live = [state for state in still if results[state.index] is None]
    return cast(list[Digest | BaseException], results)  # every stream ends done or failed


def _mapped(stream: BinaryIO) -> memoryview | None:
    """A large file's content mapped read-only (no copy from the page cache), if it is a file.

    Copying a file's pages into a buffer costs about a third as much as hashing them; mapping
    them costs a tenth of that. Files over MAP_UP_TO are read as usual: mapping populates the
    whole file at once, which for a file larger than memory would read it from disk twice.
    Streams that are not plain files (images' file systems through Sleuth Kit or dfvfs) are
    read as usual, and so is a file that cannot be mapped."""
    try:
        fd = stream.fileno()
        size = os.fstat(fd).st_size
        if not MAP_FROM <= size <= MAP_UP_TO:  # a huge file would be read in whole at once
            return None
        mapped = mmap.mmap(fd, size, flags=_MAP_FLAGS, prot=mmap.PROT_READ)
    except (OSError, ValueError, io.UnsupportedOperation):
        return None
    return memoryview(mapped)


class _Stream:
    """One stream's place in `hash_streams`: its hashes so far and what it has read."""

    __slots__ = (
        "counter",
        "direct",
        "done",
        "hint",
        "index",
        "kept",
        "map",
        "md5",
        "readinto",
        "sha1",
        "sha256",
        "size",
        "stream",
        "type",
    )

    def __init__(self, index: int, stream: BinaryIO, hint: int | None, sample: int | None):
        self.index = index
        self.stream = stream
        self.readinto = getattr(stream, "readinto", None)
        self.hint = hint if hint is not None else -1
        self.md5 = _md5()
        self.sha1 = _sha1()
        self.sha256 = _sha256()
        self.size = 0
        self.done = False
        self.type: FileType | None = None
        self.kept: list[bytes] | None = None
        wants = hint is None or hint > ENTROPY_MIN_SIZE
        self.counter = _Entropy(sample) if wants else None
        self.map = _mapped(stream) if self.hint >= MAP_FROM else None
        # A raw image's file read from the mapped image (forensics._source_tsk.TskMappedStream).
        self.direct = getattr(getattr(stream, "raw", stream), "direct_chunk", None)

    def want(self) -> int:
        """Bytes to ask for: the rest of a small file and one more (to see its end), or a chunk."""
        if self.hint < 0 or self.size > self.hint:  # size unknown, or the file grew
            return CHUNK_SIZE
        return min(CHUNK_SIZE, self.hint - self.size + 1)

    def read(self, view: memoryview, offset: int, want: int) -> tuple[memoryview | bytes, int]:
        """The next chunk, and how much of the round's buffer it took (none when mapped)."""
        if self.map is not None:
            return self.map[self.size : self.size + want], 0
        if self.direct is not None:
            return self.direct(want), 0
        if self.readinto is not None:
            target = view[offset : offset + want]
            n = self.readinto(target) or 0
            return target[:n], n
        chunk = self.stream.read(want)
        return chunk, 0

    def add(
        self, chunk: memoryview | bytes, keep: Callable[[int, FileType | None], bool] | None
    ) -> None:
        if self.counter is not None:
            self.counter.count(chunk)
        if self.kept is not None:
            self.kept.append(bytes(chunk))
        if self.size == 0:  # the first chunk (or an empty stream's nothing)
            self.type = detect_type(memoryview(chunk)[:HEAD_SIZE])
            if keep is not None and keep(self.index, self.type):
                self.kept = [bytes(chunk)] if chunk else []
        self.size += len(chunk)

    def digest(self) -> Digest:
        content = b"".join(self.kept) if self.kept is not None else None
        entropy = None
        if self.counter is not None and self.size > ENTROPY_MIN_SIZE:
            entropy = self.counter.entropy()
        return Digest(
            self.size,
            self.md5.hexdigest(),
            self.sha1.hexdigest(),
            self.sha256.hexdigest(),
            self.type,
            entropy,
            content,
        )


def read_head(stream: BinaryIO) -> bytes:
    """The first HEAD_SIZE bytes (or fewer) of a stream, for type detection without hashing."""
    parts: list[bytes] = []
    have = 0
    while have < HEAD_SIZE:
        data = stream.read(HEAD_SIZE - have)
        if not data:
            break
        parts.append(data)
        have += len(data)
    return b"".join(parts)


def pdq_hash(content: bytes) -> tuple[bytes, int]:
    """The PDQ hash (32 bytes, Meta's bit order) and quality (0-100) of an encoded image.

    Raises ImageDecodeError when the content cannot be decoded. Images are decoded in memory only.
    """
    import pdqhash
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # EXIF, palette and size warnings do not stop a hash
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if width * height > PDQ_MAX_PIXELS:
                    raise ImageDecodeError(f"image of {width}x{height} pixels is too large")
                if image.format == "JPEG":
                    image.draft("RGB", (PDQ_DECODE_SIZE, PDQ_DECODE_SIZE))
                pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    except ImageDecodeError:
        raise
    except Image.UnidentifiedImageError:
        raise ImageDecodeError("cannot decode image: no image decoder recognises it") from None
    except Exception as error:  # Pillow raises many types for bad data
        raise ImageDecodeError(f"cannot decode image: {type(error).__name__}: {error}") from None
    if pixels.ndim != 3 or min(pixels.shape[:2]) < 1:
        raise ImageDecodeError("decoded image has no pixels")
    bits, quality = pdqhash.compute(pixels)
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes(), int(quality)


def entropy_of(data: bytes) -> float:
    """Shannon entropy of a whole buffer, in bits per byte."""
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    return shannon_entropy(counts)
