"""MD5 in SIMD lanes (the _md5lanes C module) against hashlib.md5, with both kernels."""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderwatch.forensics import _md5lanes
from orderwatch.forensics._md5lanes import MD5, md5_many, update_many

SEED = 20261122


def _cpu_has_avx2() -> bool | None:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return " avx2" in flags


@pytest.fixture(params=["native", "scalar"])
def kernel(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs a test with the CPU's kernel, then again with the lanes forced scalar."""
    _md5lanes._force_scalar(request.param == "scalar")
    try:
        yield _md5lanes.implementation()
    finally:
        _md5lanes._force_scalar(False)


def _data(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size)


def _md5(data: bytes | bytearray | memoryview) -> bytes:
    return hashlib.md5(data).digest()


def test_implementation_follows_the_cpu_and_the_switch() -> None:
    has_avx2 = _cpu_has_avx2()
    if has_avx2 is not None:
        assert _md5lanes.implementation() == ("avx2" if has_avx2 else "scalar")
    _md5lanes._force_scalar(True)
    try:
        assert _md5lanes.implementation() == "scalar"
    finally:
        _md5lanes._force_scalar(False)


def test_known_vectors_and_attributes() -> None:
    context = MD5()
    assert (context.name, context.digest_size, context.block_size) == ("md5", 16, 64)
    assert context.hexdigest() == "d41d8cd98f00b204e9800998ecf8427e"
    assert MD5(b"abc").hexdigest() == "900150983cd24fb0d6963f7d28e17f72"
    assert MD5(data=b"a" * 1000).digest() == _md5(b"a" * 1000)
    assert md5_many([b"", b"abc"]) == [_md5(b""), _md5(b"abc")]


def test_every_short_length(kernel: str) -> None:
    rng = random.Random(SEED)
    messages = [_data(rng, size) for size in range(301)]
    expected = [_md5(m) for m in messages]
    assert [MD5(m).digest() for m in messages] == expected
    assert md5_many(messages) == expected
    contexts = [MD5() for _ in messages]
    update_many(contexts, messages)
    assert [c.digest() for c in contexts] == expected


def test_lengths_around_64k_and_1m(kernel: str) -> None:
    rng = random.Random(SEED + 1)
    sizes = [
        base + delta for base in (1 << 16, 1 << 20) for delta in (-65, -64, -63, -1, 0, 1, 63, 64)
    ]
    messages = [_data(rng, size) for size in sizes]
    expected = [_md5(m) for m in messages]
    assert md5_many(messages) == expected
    assert [MD5(m).digest() for m in messages] == expected


def test_random_lengths_in_lanes(kernel: str) -> None:
    """More streams than lanes, lengths from 0 to 300 KiB, so lanes are refilled mid-call."""
    rng = random.Random(SEED + 2)
    for count in (1, 2, 7, 8, 9, 17, 60):
        messages = [
            _data(rng, rng.choice((0, 1, 64, rng.randrange(300_000)))) for _ in range(count)
        ]
        assert md5_many(messages) == [_md5(m) for m in messages]
        assert md5_many(tuple(messages)) == [_md5(m) for m in messages]


@pytest.mark.parametrize(
    "sizes",
    [
        [64] * 8 + [64 * 300] * 8,  # the second group outlives the first: packed into it
        [64 * 300] * 8 + [64] * 8,
        [64 * n for n in range(1, 18)],  # one more stream than lanes, each a block longer
        [0] * 20 + [64 * 100] + [0] * 20,  # one stream: scalar from the start
        [64 * 50] * 16 + [64 * 50 + 1] * 3,  # lanes all finish together, then three
        # long streams start a few blocks apart (skew): one still waiting when the other ends,
        [128, 64 * 2000],
        # waiting lanes packed into the first group, all lanes waiting then refilled
        [128] * 9 + [64 * 1100 + 5] * 7,
        [64 * 1024] * 16 + [64 * 3] * 5,
    ],
)
def test_lanes_refill_and_pack(kernel: str, sizes: list[int]) -> None:
    rng = random.Random(sum(sizes))
    messages = [_data(rng, size) for size in sizes]
    assert md5_many(messages) == [_md5(m) for m in messages]


def test_update_many_with_streams_split_at_random_points(kernel: str) -> None:
    rng = random.Random(SEED + 3)
    messages = [_data(rng, rng.randrange(20_000)) for _ in range(23)]
    messages += [b"", _data(rng, 64), _data(rng, 65), _data(rng, 150_000)]
    contexts = [MD5() for _ in messages]
    offsets = [0] * len(messages)
    while any(offset < len(m) for offset, m in zip(offsets, messages, strict=True)):
        chosen, chunks = [], []
        for index, message in enumerate(messages):
            if rng.random() < 0.2:
                continue
            size = rng.choice((0, 1, 63, 64, 65, 128, rng.randrange(9000)))
            chunk = message[offsets[index] : offsets[index] + size]
            offsets[index] += len(chunk)
            if rng.random() < 0.15:
                contexts[index].update(chunk)  # plain update() between lanes calls
            else:
                chosen.append(contexts[index])
                chunks.append(chunk)
        update_many(chosen, chunks)
    assert [c.digest() for c in contexts] == [_md5(m) for m in messages]


def test_buffer_kinds_and_odd_offsets(kernel: str) -> None:
    rng = random.Random(SEED + 4)
    backing = bytearray(_data(rng, 200_003))
    view = memoryview(backing)
    pieces: list[bytes | bytearray | memoryview] = [
        view[1:],
        view[3:70_000],
        view[63:64],
        view[5:5],
        bytes(view[7:9_000]),
    ]
    pieces += [bytearray(view[11:131_084]), memoryview(b"xyz" * 1001)[1:]]
    expected = [_md5(bytes(p)) for p in pieces]
    assert md5_many(pieces) == expected
    contexts = [MD5() for _ in pieces]
    update_many(contexts, pieces)
    assert [c.digest() for c in contexts] == expected
    assert [MD5(p).digest() for p in pieces] == expected
    words = memoryview(backing)[:200_000].cast("I")[1:]  # items of 4 bytes: hashed as bytes
    assert MD5(words).digest() == md5_many([words])[0] == _md5(bytes(backing[4:200_000]))


def test_copy_is_independent(kernel: str) -> None:
    original = MD5(b"x" * 100)
    duplicate = original.copy()
    update_many([original], [b"y" * 5000])
    duplicate.update(b"z")
    assert original.digest() == _md5(b"x" * 100 + b"y" * 5000)
    assert duplicate.digest() == _md5(b"x" * 100 + b"z")
    assert original.digest() == original.digest()  # digest() leaves the context as it was


def test_errors_name_the_index() -> None:
    first, second = MD5(), MD5()
    with pytest.raises(ValueError, match=r"contexts\[2\] is the same MD5 context as contexts\[0\]"):
        update_many([first, second, first], [b"a", b"b", b"c"])
    with pytest.raises(ValueError, match="2 contexts but 1 chunks"):
        update_many([first, second], [b"a"])
    with pytest.raises(TypeError, match=r"contexts\[1\] is not an MD5 context \(got _hashlib"):
        update_many([first, hashlib.md5()], [b"a", b"b"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"chunks\[1\] is not a bytes-like object \(got str\)"):
        update_many([first, second], [b"a", "b"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"buffers\[0\] is not a bytes-like object \(got int\)"):
        md5_many([3])  # type: ignore[list-item]
    strided = memoryview(b"abcdef")[::2]
    with pytest.raises(BufferError, match=r"chunks\[0\] cannot be hashed: .*contiguous"):
        update_many([first], [strided])
    with pytest.raises(BufferError, match=r"buffers\[1\] cannot be hashed"):
        md5_many([b"", strided])
    with pytest.raises(TypeError):
        update_many(first, [b""])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        MD5("text")  # type: ignore[arg-type]
    # nothing was hashed by the calls that failed
    assert first.digest() == second.digest() == _md5(b"")
    update_many([], [])
    assert md5_many([]) == []


def test_threads_update_their_own_contexts_concurrently(kernel: str) -> None:
    rng = random.Random(SEED + 5)
    data = [[_data(rng, rng.randrange(1, 70_000)) for _ in range(12)] for _ in range(4)]
    results: dict[int, list[bytes]] = {}

    def work(index: int) -> None:
        contexts = [MD5() for _ in range(12)]
        for _ in range(6):
            update_many(contexts, data[index])
        results[index] = [c.digest() for c in contexts]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(4):
        assert results[index] == [_md5(chunk * 6) for chunk in data[index]]


@pytest.mark.timeout(60)
def test_threads_sharing_contexts_serialise_without_deadlock(kernel: str) -> None:
    """Two threads update the same contexts in opposite orders: every update lands, none twice."""
    shared = [MD5() for _ in range(5)]
    chunk = bytes(range(256)) * 40
    rounds = 40

    def work(order: list[MD5]) -> None:
        for _ in range(rounds):
            update_many(order, [chunk] * len(order))
            order[0].update(chunk)

    threads = [
        threading.Thread(target=work, args=(shared,)),
        threading.Thread(target=work, args=(shared[::-1],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [
        _md5(chunk * (2 * rounds + rounds * (c in (shared[0], shared[-1])))) for c in shared
    ]
    assert [c.digest() for c in shared] == expected
