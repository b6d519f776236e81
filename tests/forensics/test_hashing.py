"""One-read hashing: known vectors, chunk boundaries, entropy and PDQ on synthetic images."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from orderwatch.forensics.hashing import (
    CHUNK_SIZE,
    ENTROPY_MIN_SIZE,
    MAP_FROM,
    MAP_UP_TO,
    Digest,
    ImageDecodeError,
    _Stream,
    entropy_of,
    hash_stream,
    hash_streams,
    pdq_hash,
    read_head,
)

VECTORS = [
    (
        b"",
        "d41d8cd98f00b204e9800998ecf8427e",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    (
        b"abc",
        "900150983cd24fb0d6963f7d28e17f72",
        "a9993e364706816aba3e25717850c26c9cd0d89d",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    ),
    (
        b"The quick brown fox jumps over the lazy dog",
        "9e107d9d372bb6826bd81d3542a419d6",
        "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",
        "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592",
    ),
]


class ReadOnly(io.RawIOBase):
    """A stream with read() but no readinto(), like a dfvfs file object."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)

    def readable(self) -> bool:
        return True

    readinto = None  # type: ignore[assignment]


@pytest.mark.parametrize(("data", "md5", "sha1", "sha256"), VECTORS)
def test_known_vectors(data: bytes, md5: str, sha1: str, sha256: str) -> None:
    digest = hash_stream(io.BytesIO(data), len(data))
    assert (digest.md5, digest.sha1, digest.sha256) == (md5, sha1, sha256)
    assert digest.size == len(data)
    assert digest.entropy is None  # small files get no entropy


@pytest.mark.parametrize("make_stream", [io.BytesIO, ReadOnly], ids=["readinto", "read"])
def test_many_chunks_match_hashlib(make_stream: type) -> None:
    data = os.urandom(3 * 4096 + 17)
    digest = hash_stream(make_stream(data), None, buffer=bytearray(4096))
    assert digest.md5 == hashlib.md5(data).hexdigest()
    assert digest.sha1 == hashlib.sha1(data).hexdigest()
    assert digest.sha256 == hashlib.sha256(data).hexdigest()
    assert digest.size == len(data)


def test_type_is_detected_from_the_first_chunk() -> None:
    data = b"%PDF-1.7\n" + bytes(5000)
    digest = hash_stream(io.BytesIO(data), len(data))
    assert digest.type is not None and digest.type.name == "pdf"


def test_content_kept_only_when_asked() -> None:
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(CHUNK_SIZE + 10)
    kept = hash_stream(io.BytesIO(data), len(data), keep_content=lambda t: t is not None)
    assert kept.content == data
    dropped = hash_stream(io.BytesIO(data), len(data), keep_content=lambda t: False)
    assert dropped.content is None


def test_entropy_of_constant_data_is_zero_and_of_all_byte_values_eight() -> None:
    zeros = bytes(2 * ENTROPY_MIN_SIZE)
    assert hash_stream(io.BytesIO(zeros), len(zeros)).entropy == 0.0
    every_value = bytes(range(256)) * (2 * ENTROPY_MIN_SIZE // 256)
    assert hash_stream(io.BytesIO(every_value), len(every_value)).entropy == 8.0


def test_entropy_of_two_symbols_is_one_bit() -> None:
    data = b"ab" * ENTROPY_MIN_SIZE
    assert hash_stream(io.BytesIO(data), len(data)).entropy == 1.0


def test_sampled_entropy_of_random_data_is_close_to_a_full_count() -> None:
    data = os.urandom(4 * ENTROPY_MIN_SIZE + 1)  # odd length: the last byte counts alone
    sampled = hash_stream(io.BytesIO(data), len(data)).entropy
    full = hash_stream(io.BytesIO(data), len(data), entropy_sample=None).entropy
    assert full == entropy_of(data)
    assert sampled is not None and full is not None
    assert 7.99 < sampled <= 8.0
    assert abs(sampled - full) < 0.002


def test_entropy_only_above_one_mebibyte() -> None:
    at_limit = os.urandom(ENTROPY_MIN_SIZE)
    assert hash_stream(io.BytesIO(at_limit), len(at_limit)).entropy is None
    above = at_limit + b"x"
    assert hash_stream(io.BytesIO(above), len(above)).entropy is not None


def test_read_head_stops_at_the_head_size() -> None:
    data = os.urandom(200_000)
    head = read_head(io.BytesIO(data))
    assert head == data[: len(head)] and len(head) == 64 * 1024


def _drawing(kind: str, fmt: str) -> bytes:
    image = Image.new("RGB", (640, 480), "white")
    draw = ImageDraw.Draw(image)
    if kind == "shapes":
        draw.rectangle((40, 40, 300, 220), fill="red")
        draw.ellipse((320, 200, 620, 460), fill="navy")
    else:
        for x in range(0, 640, 40):
            draw.rectangle((x, 0, x + 19, 480), fill="black")
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def _distance(a: bytes, b: bytes) -> int:
    return int(
        np.unpackbits(
            np.frombuffer(bytes(x ^ y for x, y in zip(a, b, strict=True)), np.uint8)
        ).sum()
    )


def test_pdq_is_stable_across_encodings_and_separates_different_pictures() -> None:
    png, quality = pdq_hash(_drawing("shapes", "PNG"))
    jpeg, _ = pdq_hash(_drawing("shapes", "JPEG"))
    stripes, _ = pdq_hash(_drawing("stripes", "PNG"))
    assert len(png) == 32 and 0 < quality <= 100
    assert _distance(png, jpeg) <= 8
    assert _distance(png, stripes) > 64


def test_pdq_of_a_greyscale_and_palette_image_decodes() -> None:
    out = io.BytesIO()
    Image.new("L", (64, 64), 128).save(out, "GIF")
    pdq, _ = pdq_hash(out.getvalue())
    assert len(pdq) == 32


def test_undecodable_image_raises_a_decode_error() -> None:
    with pytest.raises(ImageDecodeError, match="cannot decode image"):
        pdq_hash(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10)


class FailsAfter(io.RawIOBase):
    """A stream whose second read fails, like a file with a bad sector past its first chunk."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)
        self._reads = 0

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        self._reads += 1
        if self._reads > 1:
            raise OSError("bad sector")
        return self._inner.readinto(target)

    def readable(self) -> bool:
        return True


def _expected(data: bytes) -> tuple[str, str, str]:
    return (
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )


def test_many_streams_hashed_together_match_hashlib_each() -> None:
    rng = np.random.default_rng(7)
    sizes = [
        0,
        1,
        63,
        64,
        65,
        4096,
        CHUNK_SIZE - 1,
        CHUNK_SIZE,
        CHUNK_SIZE + 1,
        3 * CHUNK_SIZE + 17,
    ]
    sizes += [int(n) for n in rng.integers(1, 70_000, 40)]
    contents = [rng.bytes(n) for n in sizes]
    streams: list = [io.BytesIO(c) for c in contents]
    streams[3] = ReadOnly(contents[3])  # read() only, mixed in
    hints: list[int | None] = list(sizes)
    hints[5] = None  # size unknown: read to the end
    hints[6] = sizes[6] // 2  # a size hint that is wrong (the file grew): still read to the end
    outcomes = hash_streams(streams, hints, buffer=bytearray(3 * CHUNK_SIZE))
    for data, outcome in zip(contents, outcomes, strict=True):
        assert isinstance(outcome, Digest)
        assert (outcome.md5, outcome.sha1, outcome.sha256) == _expected(data)
        assert outcome.size == len(data)
        assert outcome == hash_stream(io.BytesIO(data), len(data))


def test_a_failing_stream_gets_its_error_and_the_others_their_hashes() -> None:
    good = os.urandom(3 * CHUNK_SIZE)
    bad = FailsAfter(os.urandom(2 * CHUNK_SIZE))
    outcomes = hash_streams([io.BytesIO(good), bad, io.BytesIO(b"x")], [len(good), None, 1])
    assert isinstance(outcomes[1], OSError)
    assert isinstance(outcomes[0], Digest) and outcomes[0].md5 == hashlib.md5(good).hexdigest()
    assert isinstance(outcomes[2], Digest) and outcomes[2].sha1 == hashlib.sha1(b"x").hexdigest()


def test_content_is_kept_only_for_the_streams_asked_about() -> None:
    contents = [b"\x89PNG\r\n\x1a\n" + os.urandom(5000), os.urandom(5000), b""]
    outcomes = hash_streams(
        [io.BytesIO(c) for c in contents],
        [len(c) for c in contents],
        keep_content=lambda index, detected: index != 1,
    )
    kept = [o.content for o in outcomes if isinstance(o, Digest)]
    assert kept == [contents[0], None, b""]


def test_large_files_are_mapped_and_hash_the_same(tmp_path: Path) -> None:
    data = os.urandom(MAP_FROM * 3 + 5)
    path = tmp_path / "large.bin"
    path.write_bytes(data)
    small = tmp_path / "small.bin"
    small.write_bytes(b"small")
    huge = tmp_path / "huge.bin"
    with open(huge, "wb") as sparse:
        sparse.truncate(MAP_UP_TO + 1)  # sparse: nothing written
    with open(huge, "rb") as huge_stream:
        assert _Stream(2, huge_stream, MAP_UP_TO + 1, None).map is None  # read, not mapped
    with open(path, "rb") as large_stream, open(small, "rb") as small_stream:
        stream = _Stream(0, large_stream, len(data), None)
        assert stream.map is not None  # mapped, not copied
        assert _Stream(1, small_stream, 5, None).map is None
        outcomes = hash_streams([large_stream, small_stream], [len(data), 5])
    assert [o.md5 for o in outcomes if isinstance(o, Digest)] == [
        hashlib.md5(data).hexdigest(),
        hashlib.md5(b"small").hexdigest(),
    ]
    assert isinstance(outcomes[0], Digest) and outcomes[0].entropy is not None


def test_the_c_byte_counter_counts_like_numpy() -> None:
    add_byte_counts = pytest.importorskip("orderwatch.forensics._bytecounts").add_byte_counts

    rng = np.random.default_rng(3)
    for data in (b"", b"\0" * 1001, rng.bytes(7), rng.bytes(65_537), bytes(range(256)) * 3):
        counts = np.zeros(256, dtype=np.int64)
        add_byte_counts(memoryview(data)[1:] if data else data, counts)
        add_byte_counts(data, counts)
        expected = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
        if data:
            expected += np.bincount(np.frombuffer(data[1:], dtype=np.uint8), minlength=256)
        assert counts.tolist() == expected.tolist()
    with pytest.raises(ValueError, match="256 64-bit integers"):
        add_byte_counts(b"abc", np.zeros(255, dtype=np.int64))
    with pytest.raises(TypeError):
        add_byte_counts(b"abc", b"\0" * 2048)  # not writable


def test_entropy_is_the_same_without_the_c_modules(monkeypatch: pytest.MonkeyPatch) -> None:
    import orderwatch.forensics.hashing as hashing

    data = np.random.default_rng(5).bytes(3 * CHUNK_SIZE + 11) + b"\0" * CHUNK_SIZE
    native = hash_stream(io.BytesIO(data), len(data), entropy_sample=None)
    monkeypatch.setattr(hashing, "_add_byte_counts", None)
    monkeypatch.setattr(hashing, "_md5", hashlib.md5)
    monkeypatch.setattr(hashing, "_md5_update_many", hashing._hashlib_update_many)
    assert hash_stream(io.BytesIO(data), len(data), entropy_sample=None) == native
    sampled = hash_stream(io.BytesIO(data), len(data))
    monkeypatch.undo()
    assert hash_stream(io.BytesIO(data), len(data)) == sampled


def test_a_failure_while_examining_one_chunk_costs_only_that_stream() -> None:
    def keep(index: int, detected: object) -> bool:
        if index == 1:
            raise ValueError("cannot decide")
        return False

    outcomes = hash_streams([io.BytesIO(b"a"), io.BytesIO(b"b"), io.BytesIO(b"c")], [1, 1, 1], keep)
    assert isinstance(outcomes[1], ValueError)
    assert [o.sha1 for o in outcomes if isinstance(o, Digest)] == [
        hashlib.sha1(b"a").hexdigest(),
        hashlib.sha1(b"c").hexdigest(),
    ]
