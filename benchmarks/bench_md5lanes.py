"""MD5 in SIMD lanes (orderwatch.forensics._md5lanes) against hashlib.md5 and coreutils md5sum.

Pseudo-random data in memory, one process, CPU time (best of several runs):
  (a) 64 buffers of 1 MiB: a hashlib.md5 loop vs md5_many (and md5_many on the same data copied
      into page-aligned buffers, update_many, the scalar MD5.update loop, the lanes forced scalar);
  (b) 2,000 buffers of 1-64 KiB (random sizes, like files) vs md5_many, call overhead included;
  (c) streaming: 16 files fed 1 MiB per update_many call, four of them ending early (and not on
      a block boundary), the way triage hashes large files;
  (d) the three hashes triage computes: hashlib MD5+SHA-1+SHA-256 per buffer vs md5_many plus
      hashlib SHA-1 and SHA-256, and vs md5_many plus _shalanes (SHA-1 and SHA-256 two buffers
      abreast with SHA-NI, where the CPU has it), on (a)'s buffers;
  (e) SHA-1 + SHA-256 alone: hashlib (OpenSSL) per buffer vs _shalanes.update_many, on (a)'s and
      (b)'s buffers.
The peer, in the same run: `md5sum` on the same data written to files in a temp dir (page
cache warm), wall time, best of several runs.

    make bench BENCH=md5lanes
"""

from __future__ import annotations

import argparse
import hashlib
import mmap
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from orderwatch.forensics import _md5lanes, _shalanes
from orderwatch.forensics._md5lanes import MD5, md5_many, update_many

KIB = 1024
MIB = 1024 * KIB
SEED = 20261122
STREAM_CHUNK = MIB


def _best_cpu(work: Callable[[], object], repeats: int) -> float:
    """The least CPU time (this process) of `repeats` runs of work()."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def _best_wall(command: list[str], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - started)
    return best


def _buffers(rng: np.random.Generator, sizes: Sequence[int]) -> list[bytes]:
    return [rng.bytes(size) for size in sizes]


def _hashlib_loop(buffers: Sequence[bytes]) -> list[bytes]:
    return [hashlib.md5(buffer).digest() for buffer in buffers]


def _stream_hashlib(files: Sequence[bytes]) -> list[bytes]:
    contexts = [hashlib.md5() for _ in files]
    for offset in range(0, max(map(len, files)), STREAM_CHUNK):
        for context, data in zip(contexts, files, strict=True):
            if offset < len(data):
                context.update(memoryview(data)[offset : offset + STREAM_CHUNK])
    return [context.digest() for context in contexts]


def _stream_lanes(files: Sequence[bytes]) -> list[bytes]:
    """Each round hands update_many the next 1 MiB of every file not yet finished."""
    contexts = [MD5() for _ in files]
    for offset in range(0, max(map(len, files)), STREAM_CHUNK):
        going = [i for i, data in enumerate(files) if offset < len(data)]
        update_many(
            [contexts[i] for i in going],
            [memoryview(files[i])[offset : offset + STREAM_CHUNK] for i in going],
        )
    return [context.digest() for context in contexts]


def _three_hashlib(buffers: Sequence[bytes]) -> None:
    for buffer in buffers:
        for name in ("md5", "sha1", "sha256"):
            hashlib.new(name, buffer).digest()


def _three_lanes(buffers: Sequence[bytes]) -> None:
    md5_many(buffers)
    for buffer in buffers:
        hashlib.sha1(buffer).digest()
        hashlib.sha256(buffer).digest()


def _two_hashlib(buffers: Sequence[bytes]) -> list[bytes]:
    return [h(buffer).digest() for buffer in buffers for h in (hashlib.sha1, hashlib.sha256)]


def _two_shalanes(buffers: Sequence[bytes]) -> list[bytes]:
    sha1s = [_shalanes.SHA1() for _ in buffers]
    sha256s = [_shalanes.SHA256() for _ in buffers]
    _shalanes.update_many(sha1s, sha256s, buffers)
    return [h.digest() for pair in zip(sha1s, sha256s, strict=True) for h in pair]


def _three_shalanes(buffers: Sequence[bytes]) -> None:
    md5_many(buffers)
    _two_shalanes(buffers)


def _forced_scalar(buffers: Sequence[bytes]) -> list[bytes]:
    _md5lanes._force_scalar(True)
    try:
        return md5_many(buffers)
    finally:
        _md5lanes._force_scalar(False)


def _page_aligned(buffers: Sequence[bytes]) -> list[mmap.mmap]:
    copies = []
    for buffer in buffers:
        copy = mmap.mmap(-1, len(buffer))
        copy[:] = buffer
        copies.append(copy)
    return copies


def _write_files(folder: Path, name: str, buffers: Sequence[bytes]) -> list[str]:
    paths = []
    (folder / name).mkdir()
    for index, buffer in enumerate(buffers):
        path = folder / name / f"{index:05d}.bin"
        path.write_bytes(buffer)
        paths.append(str(path))
    return paths


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_md5lanes")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (best is kept)")
    args, _ = parser.parse_known_args(argv)
    repeats = args.repeats
    rng = np.random.default_rng(SEED)
    big = _buffers(rng, [MIB] * 64)
    small = _buffers(rng, rng.integers(KIB, 64 * KIB + 1, 2000).tolist())
    stream_sizes = [8 * MIB] * 12 + [3 * MIB // 2 + 17, 5 * MIB // 2 + 33, 7 * MIB // 2 + 1]
    stream_sizes.append(5 * MIB + 63)
    files = _buffers(rng, stream_sizes)
    print(f"implementation: {_md5lanes.implementation()}; CPU time, best of {repeats}")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    # every contender must agree with hashlib before it is timed
    assert md5_many(big) == _hashlib_loop(big) == _forced_scalar(big)
    assert md5_many(small) == _hashlib_loop(small)
    assert _stream_lanes(files) == _stream_hashlib(files)
    assert _two_shalanes(big) == _two_hashlib(big) and _two_shalanes(small) == _two_hashlib(small)

    def row(label: str, megabytes: float, seconds: float, base: float | None = None) -> float:
        rate = megabytes / seconds
        ratio = f"x{rate / base:5.2f}" if base else ""
        print(f"  {label:<58} {rate:7.0f} MB/s {ratio}")
        return rate

    def contiguous_update_many() -> None:
        contexts = [MD5() for _ in big]
        update_many(contexts, big)

    def scalar_updates() -> None:
        for buffer in big:
            MD5(buffer).digest()

    folder = Path(tempfile.mkdtemp(prefix="orderwatch-bench-md5lanes-"))
    try:
        big_paths = _write_files(folder, "big", big)
        small_paths = _write_files(folder, "small", small)
        stream_paths = _write_files(folder, "stream", files)
        for label, buffers, paths in (
            ("(a) 64 x 1 MiB", big, big_paths),
            ("(b) 2,000 files of 1-64 KiB", small, small_paths),
            ("(c) streaming 16 files, 1 MiB per call, 4 end early", files, stream_paths),
        ):
            megabytes = sum(map(len, buffers)) / 1e6
            print(f"{label}: {megabytes:.0f} MB")
            streaming = label.startswith("(c)")
            base = row(
                "hashlib.md5, a loop" + (" of update() per 1 MiB" if streaming else ""),
                megabytes,
                _best_cpu(
                    lambda b=buffers, s=streaming: (_stream_hashlib if s else _hashlib_loop)(b),
                    repeats,
                ),
            )
            if streaming:
                row(
                    "update_many, 1 MiB of each file per call",
                    megabytes,
                    _best_cpu(lambda: _stream_lanes(files), repeats),
                    base,
                )
            else:
                row("md5_many", megabytes, _best_cpu(lambda b=buffers: md5_many(b), repeats), base)
            if label.startswith("(a)"):
                # every buffer at the same page offset, as fresh mmap'd allocations are
                aligned = _page_aligned(buffers)
                row(
                    "md5_many, the buffers page-aligned (mmap)",
                    megabytes,
                    _best_cpu(lambda a=aligned: md5_many(a), repeats),
                    base,
                )
                row(
                    "update_many (fresh contexts)",
                    megabytes,
                    _best_cpu(contiguous_update_many, repeats),
                    base,
                )
                row(
                    "MD5(buffer).digest(), a loop (scalar, one stream)",
                    megabytes,
                    _best_cpu(scalar_updates, repeats),
                    base,
                )
                row(
                    "md5_many, lanes forced scalar",
                    megabytes,
                    _best_cpu(lambda: _forced_scalar(big), repeats),
                    base,
                )
            if shutil.which("md5sum"):
                command = ["md5sum", *paths]
                subprocess.run(command, check=True, stdout=subprocess.DEVNULL)  # page cache
                row(
                    "peer: md5sum on the files (page-cached, wall)",
                    megabytes,
                    _best_wall(command, repeats),
                    base,
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    megabytes = sum(map(len, big)) / 1e6
    print(f"(d) triage's three hashes on (a): {megabytes:.0f} MB")
    base = row(
        "hashlib MD5 + SHA-1 + SHA-256 per buffer",
        megabytes,
        _best_cpu(lambda: _three_hashlib(big), repeats),
    )
    row(
        "md5_many + hashlib SHA-1 + SHA-256",
        megabytes,
        _best_cpu(lambda: _three_lanes(big), repeats),
        base,
    )
    row(
        f"md5_many + _shalanes SHA-1 + SHA-256 ({_shalanes.implementation()})",
        megabytes,
        _best_cpu(lambda: _three_shalanes(big), repeats),
        base,
    )
    for label, buffers in (("(a)", big), ("(b)", small)):
        megabytes = sum(map(len, buffers)) / 1e6
        print(f"(e) SHA-1 + SHA-256 on {label}: {megabytes:.0f} MB")
        base = row(
            "hashlib (OpenSSL) SHA-1 + SHA-256 per buffer",
            megabytes,
            _best_cpu(lambda b=buffers: _two_hashlib(b), repeats),
        )
        row(
            f"_shalanes.update_many, two buffers abreast ({_shalanes.implementation()})",
            megabytes,
            _best_cpu(lambda b=buffers: _two_shalanes(b), repeats),
            base,
        )
    print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
