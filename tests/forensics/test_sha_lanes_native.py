"""SHA-1 and SHA-256 interleaved (the _shalanes C module) against hashlib, with both kernels."""

from __future__ import annotations

import hashlib
import mmap
import random
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from orderwatch.forensics import _shalanes
from orderwatch.forensics._shalanes import SHA1, SHA256, update_many

SEED = 20261123

Chunk = bytes | bytearray | memoryview


def _cpu_has_sha_ni() -> bool | None:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return " sha_ni" in flags


@pytest.fixture(params=["native", "portable"])
def kernel(request: pytest.FixtureRequest) -> Iterator[str]:
    """Runs a test with the CPU's block functions, then again with the portable ones."""
    _shalanes._force_portable(request.param == "portable")
    try:
        yield _shalanes.implementation()
    finally:
        _shalanes._force_portable(False)


def _expected(message: Chunk) -> tuple[bytes, bytes]:
    return hashlib.sha1(message).digest(), hashlib.sha256(message).digest()


def _digests(sha1s: Sequence[SHA1], sha256s: Sequence[SHA256]) -> list[tuple[bytes, bytes]]:
    return [(a.digest(), b.digest()) for a, b in zip(sha1s, sha256s, strict=True)]


def _hash_many(messages: Sequence[Chunk]) -> list[tuple[bytes, bytes]]:
    sha1s, sha256s = [SHA1() for _ in messages], [SHA256() for _ in messages]
    update_many(sha1s, sha256s, messages)
    return _digests(sha1s, sha256s)


def test_implementation_follows_the_cpu_and_the_switch() -> None:
    has_sha_ni = _cpu_has_sha_ni()
    if has_sha_ni is not None:
        assert _shalanes.implementation() == ("sha-ni" if has_sha_ni else "portable")
    _shalanes._force_portable(True)
    try:
        assert _shalanes.implementation() == "portable"
    finally:
        _shalanes._force_portable(False)


def test_known_vectors_and_attributes(kernel: str) -> None:
    """FIPS 180-4's examples (one block, two blocks) and the empty message."""
    one, two = SHA1(), SHA256()
    assert (one.name, one.digest_size, one.block_size) == ("sha1", 20, 64)
    assert (two.name, two.digest_size, two.block_size) == ("sha256", 32, 64)
    assert one.hexdigest() == "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert two.hexdigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert SHA1(b"abc").hexdigest() == "a9993e364706816aba3e25717850c26c9cd0d89d"
    assert (
        SHA256(b"abc").hexdigest()
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    two_blocks = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    assert SHA1(two_blocks).hexdigest() == "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
    assert (
        SHA256(data=two_blocks).hexdigest()
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    )
    million = b"a" * 1_000_000
    assert SHA1(million).hexdigest() == "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
    assert _hash_many([million]) == [_expected(million)]


def test_every_short_length(kernel: str) -> None:
    rng = random.Random(SEED)
    messages = [rng.randbytes(size) for size in range(300)]
    expected = [_expected(m) for m in messages]
    assert [(SHA1(m).digest(), SHA256(m).digest()) for m in messages] == expected
    assert _hash_many(messages) == expected
    assert _hash_many(messages[::-1]) == expected[::-1]


def test_random_lengths_and_chunkings(kernel: str) -> None:
    """Messages of 0..10,000 bytes fed in random pieces: partial blocks carried from one call to
    the next, empty pieces, pieces ending at 55/56/63/64/65 bytes into a block."""
    rng = random.Random(SEED + 1)
    messages = [rng.randbytes(rng.randrange(10_001)) for _ in range(40)]
    messages += [rng.randbytes(size) for size in (0, 55, 56, 63, 64, 65, 119, 120, 128)]
    sha1s, sha256s = [SHA1() for _ in messages], [SHA256() for _ in messages]
    offsets = [0] * len(messages)
    while any(offset < len(m) for offset, m in zip(offsets, messages, strict=True)):
        chosen1, chosen256, chunks = [], [], []
        for index, message in enumerate(messages):
            if rng.random() < 0.2:
                continue
            size = rng.choice((0, 1, 55, 56, 63, 64, 65, 128, rng.randrange(3000)))
            chunk = message[offsets[index] : offsets[index] + size]
            offsets[index] += len(chunk)
            if rng.random() < 0.15:  # plain update() between update_many calls
                sha1s[index].update(chunk)
                sha256s[index].update(chunk)
            else:
                chosen1.append(sha1s[index])
                chosen256.append(sha256s[index])
                chunks.append(chunk)
        update_many(chosen1, chosen256, chunks)
    assert _digests(sha1s, sha256s) == [_expected(m) for m in messages]


def test_contexts_of_a_pair_at_different_offsets(kernel: str) -> None:
    """A stream's SHA-1 and SHA-256 need not have hashed as much: each is still right."""
    rng = random.Random(SEED + 2)
    head1, head256, body = rng.randbytes(10), rng.randbytes(77), rng.randbytes(5000)
    sha1s, sha256s = [SHA1(head1), SHA1()], [SHA256(head256), SHA256(head256)]
    update_many(sha1s, sha256s, [body, body[:4000]])
    assert sha1s[0].digest() == hashlib.sha1(head1 + body).digest()
    assert sha256s[0].digest() == hashlib.sha256(head256 + body).digest()
    assert sha1s[1].digest() == hashlib.sha1(body[:4000]).digest()
    assert sha256s[1].digest() == hashlib.sha256(head256 + body[:4000]).digest()


@pytest.mark.parametrize(
    "sizes",
    [
        [1 << 20] * 16,  # hash_streams' rounds of large files: pairs end together
        [64 * 300, 64],  # one lane ends early, the other finishes alone
        [64 * n + n for n in range(1, 18)],  # an odd count, each a block longer
        [0] * 5 + [64 * 100] + [0] * 5,  # one stream with blocks
        list(range(1024, 65 * 1024, 1024)),  # 64 files of 1-64 KiB
        [(1 << 20) - 65, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (1 << 20) + 63, 1 << 16],
    ],
)
def test_many_streams_at_once(kernel: str, sizes: list[int]) -> None:
    rng = random.Random(sum(sizes))
    messages = [rng.randbytes(size) for size in sizes]
    rng.shuffle(messages)
    assert _hash_many(messages) == [_expected(m) for m in messages]


def test_buffer_kinds_and_odd_offsets(kernel: str) -> None:
    rng = random.Random(SEED + 3)
    backing = bytearray(rng.randbytes(200_003))
    view = memoryview(backing)
    pieces: list[Chunk] = [view[1:], view[3:70_000], view[63:64], view[5:5], bytes(view[7:9_000])]
    pieces += [bytearray(view[11:131_084]), memoryview(b"xyz" * 1001)[1:]]
    expected = [_expected(bytes(p)) for p in pieces]
    assert _hash_many(pieces) == expected
    assert [(SHA1(p).digest(), SHA256(p).digest()) for p in pieces] == expected
    words = memoryview(backing)[:200_000].cast("I")[1:]  # items of 4 bytes: hashed as bytes
    assert _hash_many([words]) == [_expected(bytes(backing[4:200_000]))]


def test_mmap_views(kernel: str, tmp_path: Path) -> None:
    """hash_streams hands over memoryviews of mapped files, in 1 MiB pieces."""
    rng = random.Random(SEED + 4)
    content = rng.randbytes(3 * (1 << 20) + 12_345)
    path = tmp_path / "mapped.bin"
    path.write_bytes(content)
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, prot=mmap.PROT_READ) as mapped:
        view = memoryview(mapped)
        sha1s, sha256s = [SHA1(), SHA1()], [SHA256(), SHA256()]
        for start in range(0, len(content), 1 << 20):
            piece = view[start : start + (1 << 20)]
            update_many(sha1s, sha256s, [piece, piece[1:]])
            piece.release()
        whole = _hash_many([view[:-3]])
        view.release()
    tails = b"".join(
        content[start + 1 : start + (1 << 20)] for start in range(0, len(content), 1 << 20)
    )
    assert _digests(sha1s, sha256s) == [_expected(content), _expected(tails)]
    assert whole == [_expected(content[:-3])]


def test_copy_is_independent(kernel: str) -> None:
    one, two = SHA1(b"x" * 100), SHA256(b"x" * 100)
    one_copy, two_copy = one.copy(), two.copy()
    update_many([one], [two], [b"y" * 5000])
    one_copy.update(b"z")
    two_copy.update(b"z")
    assert (one.digest(), two.digest()) == _expected(b"x" * 100 + b"y" * 5000)
    assert (one_copy.digest(), two_copy.digest()) == _expected(b"x" * 100 + b"z")
    assert one.digest() == one.digest()  # digest() leaves the context as it was
    assert type(one_copy) is SHA1 and type(two_copy) is SHA256


def test_errors_name_the_index() -> None:
    a, b = SHA1(), SHA1()
    x, y = SHA256(), SHA256()
    with pytest.raises(
        ValueError, match=r"sha1_contexts\[2\] is the same context as sha1_contexts\[0\]"
    ):
        update_many([a, b, a], [x, y, SHA256()], [b"a", b"b", b"c"])
    with pytest.raises(
        ValueError, match=r"sha256_contexts\[1\] is the same context as sha256_contexts\[0\]"
    ):
        update_many([a, b], [x, x], [b"a", b"b"])
    with pytest.raises(ValueError, match="2 SHA-1 contexts and 2 SHA-256 contexts for 1 chunks"):
        update_many([a, b], [x, y], [b"a"])
    with pytest.raises(ValueError, match="1 SHA-1 contexts and 2 SHA-256 contexts for 2 chunks"):
        update_many([a], [x, y], [b"a", b"b"])
    with pytest.raises(TypeError, match=r"sha1_contexts\[1\] is not a SHA1 context .*got _hashlib"):
        update_many([a, hashlib.sha1()], [x, y], [b"a", b"b"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"sha256_contexts\[0\] is not a SHA256 context .*SHA1\)"):
        update_many([a], [b], [b"a"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"sha1_contexts\[0\] is not a SHA1 context .*SHA256\)"):
        update_many([x], [y], [b"a"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"chunks\[1\] is not a bytes-like object \(got str\)"):
        update_many([a, b], [x, y], [b"a", "b"])  # type: ignore[list-item]
    strided = memoryview(b"abcdef")[::2]
    with pytest.raises(BufferError, match=r"chunks\[0\] cannot be hashed: .*contiguous"):
        update_many([a], [x], [strided])
    with pytest.raises(TypeError, match="sha256_contexts must be a sequence"):
        update_many([a], x, [b""])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        update_many([a], [x])  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        SHA1("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SHA256().update(3)  # type: ignore[arg-type]
    with pytest.raises(BufferError):
        SHA256(strided)
    # nothing was hashed by the calls that failed
    assert a.digest() == b.digest() == hashlib.sha1().digest()
    assert x.digest() == y.digest() == hashlib.sha256().digest()
    update_many([], [], [])
    update_many((a,), (x,), (b"",))


def test_threads_update_their_own_contexts_concurrently(kernel: str) -> None:
    rng = random.Random(SEED + 5)
    data = [[rng.randbytes(rng.randrange(1, 70_000)) for _ in range(12)] for _ in range(4)]
    results: dict[int, list[tuple[bytes, bytes]]] = {}

    def work(index: int) -> None:
        sha1s, sha256s = [SHA1() for _ in range(12)], [SHA256() for _ in range(12)]
        for _ in range(6):
            update_many(sha1s, sha256s, data[index])
        results[index] = _digests(sha1s, sha256s)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(4):
        assert results[index] == [_expected(chunk * 6) for chunk in data[index]]


@pytest.mark.timeout(60)
def test_threads_sharing_contexts_serialise_without_deadlock(kernel: str) -> None:
    """Two threads update the same contexts in opposite orders: every update lands, none twice."""
    sha1s, sha256s = [SHA1() for _ in range(5)], [SHA256() for _ in range(5)]
    chunk = bytes(range(256)) * 40
    rounds = 40

    def work(order1: list[SHA1], order256: list[SHA256]) -> None:
        for _ in range(rounds):
            update_many(order1, order256, [chunk] * len(order1))
            order1[0].update(chunk)
            order256[0].update(chunk)

    threads = [
        threading.Thread(target=work, args=(sha1s, sha256s)),
        threading.Thread(target=work, args=(sha1s[::-1], sha256s[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(5):
        times = 2 * rounds + rounds * (index in (0, 4))
        assert (sha1s[index].digest(), sha256s[index].digest()) == _expected(chunk * times)
