"""Hash sets and PDQ: build, load, RSS and batch lookups at 50 million MD5s; PDQ hashing and search.

Peers in the same run: a plain numpy `searchsorted` over the same sorted prefixes, Sleuth Kit's
`hfind` (md5sum index; on a smaller set, see --hfind-entries), and brute-force numpy popcount for
PDQ. Each measurement runs in its own child process so its RSS is its own. Generated data is kept
in --workdir (default /tmp/orderwatch-bench-hashsets) and reused; nothing is committed.

    make bench BENCH=hashsets
    make bench BENCH=hashsets BENCH_ARGS="--entries 5000000 --pdq-sizes 1000000"
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

CHUNK = 1_000_000
REPEATS = 5  # the machine is shared: the best of several runs, and the median
HEX = np.frombuffer(b"0123456789abcdef", np.uint8)


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench_hashsets")
    parser.add_argument("--entries", type=int, default=50_000_000, help="MD5s in the big set")
    parser.add_argument("--lookups", type=int, default=2_000_000, help="queries per batch run")
    parser.add_argument("--hit-rate", type=float, default=0.1, help="share of queries that match")
    parser.add_argument("--hfind-entries", type=int, default=5_000_000)
    parser.add_argument("--hfind-lookups", type=int, default=200_000)
    parser.add_argument("--pdq-sizes", default="1000000,10000000")
    parser.add_argument("--pdq-queries", type=int, default=400)
    parser.add_argument("--images", type=int, default=150)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/orderwatch-bench-hashsets"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    known, _ = parser.parse_known_args(argv)
    return known


# --- data ------------------------------------------------------------------------------------


def _digest_chunk(index: int, count: int, width: int = 16) -> np.ndarray:
    """Deterministic random digests: chunk `index` can be regenerated on its own."""
    return np.random.default_rng([20240, index]).integers(0, 256, (count, width), np.uint8)


def _hex_lines(digests: np.ndarray, suffix: bytes = b"\n") -> bytes:
    text = np.empty((len(digests), digests.shape[1] * 2), np.uint8)
    text[:, 0::2] = HEX[digests >> 4]
    text[:, 1::2] = HEX[digests & 15]
    tail = np.frombuffer(suffix, np.uint8)
    rows = np.concatenate([text, np.broadcast_to(tail, (len(digests), len(tail)))], axis=1)
    return rows.tobytes()


def _write_list(path: Path, entries: int, suffix: bytes = b"\n") -> Path:
    """A plain MD5 list of `entries` random digests (md5sum-style when suffix names a file)."""
    if path.exists() and path.stat().st_size == entries * (32 + len(suffix)):
        return path
    partial = path.with_suffix(".partial")
    with partial.open("wb") as handle:
        for index, start in enumerate(range(0, entries, CHUNK)):
            handle.write(_hex_lines(_digest_chunk(index, min(CHUNK, entries - start)), suffix))
    partial.replace(path)
    return path


# --- child processes -------------------------------------------------------------------------


def _memory() -> dict[str, int]:
    """This process's memory from /proc (kB): resident, anonymous, file-backed, peak."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def _child_build(args: argparse.Namespace) -> dict[str, Any]:
    from orderwatch.forensics.hashsets import build_hashset

    source = args.workdir / f"md5-{args.entries}.txt"
    output = args.workdir / f"md5-{args.entries}.owhs"
    started = time.perf_counter()
    report = build_hashset([source], output, name="bench")
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "unique": report.counts["md5"],
        "input_bytes": source.stat().st_size,
        "index_bytes": output.stat().st_size,
        "memory": _memory(),
    }


def _child_lookup(args: argparse.Namespace) -> dict[str, Any]:
    from orderwatch.forensics.hashsets import load_hashsets

    index = args.workdir / f"md5-{args.entries}.owhs"
    started = time.perf_counter()
    collection = load_hashsets([index])
    load_seconds = time.perf_counter() - started
    after_load = _memory()
    table = collection.sets[0].tables["md5"]
    cold = _queries(args, seed=1)
    started = time.perf_counter()
    cold_rows, _entries = table.lookup(cold)  # first touch: index pages get mapped now
    cold_seconds = time.perf_counter() - started
    queries = _queries(args, seed=2)
    table_times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        rows, _entries = table.lookup(queries)
        table_times.append(time.perf_counter() - started)
    as_bytes = [row.tobytes() for row in queries]
    nothing = [None] * len(as_bytes)
    api_times = []
    for _ in range(3):
        started = time.perf_counter()
        results = collection.match_many(as_bytes, nothing, nothing)
        api_times.append(time.perf_counter() - started)
    singles_count = min(len(as_bytes), 200_000)
    started = time.perf_counter()
    singles = sum(1 for digest in as_bytes[:singles_count] if collection.match(digest, None, None))
    single_seconds = time.perf_counter() - started
    after_lookups = _memory()

    # Peer: numpy searchsorted over the same memory-mapped sorted prefixes, then the tail check.
    prefixes = table.prefix[: len(table)]
    wanted = queries[:, :8].copy().view(">u8").reshape(-1).astype(np.uint64)
    sample = min(len(wanted), 500_000)
    searchsorted_times = []
    for _ in range(3):
        started = time.perf_counter()
        position = np.searchsorted(prefixes, wanted[:sample])
        position[position >= len(table)] = len(table) - 1
        candidate = prefixes[position] == wanted[:sample]
        matched = np.take(table.tail, position[candidate], axis=0)
        verified = (matched == queries[:sample][candidate, 8:]).all(axis=1)
        searchsorted_times.append(time.perf_counter() - started)
    table_seconds = min(table_times)
    api_seconds = min(api_times)
    searchsorted_seconds = min(searchsorted_times)
    return {
        "load_seconds": load_seconds,
        "memory_after_load": after_load,
        "memory_after_lookups": after_lookups,
        "cold_lookups_per_s": len(cold) / cold_seconds,
        "hits_cold": len(cold_rows),
        "table_lookups_per_s": len(queries) / table_seconds,
        "table_median_lookups_per_s": len(queries) / float(np.median(table_times)),
        "load_average": os.getloadavg()[0],
        "single_lookups_per_s": singles_count / single_seconds,
        "hits_single": singles,
        "hits_api_first_200k": sum(1 for r in results[:singles_count] if r),
        "api_lookups_per_s": len(queries) / api_seconds,
        "searchsorted_lookups_per_s": sample / searchsorted_seconds,
        "hits_expected": int(args.lookups * args.hit_rate),
        "hits_table": len(rows),
        "hits_api": sum(1 for r in results if r),
        "hits_searchsorted_of_sample": int(verified.sum()),
        "sample": sample,
    }


def _queries(args: argparse.Namespace, seed: int) -> np.ndarray:
    """Lookups with a share of hits drawn from the generated digests (so no index page is
    touched while making them), the rest random."""
    rng = np.random.default_rng(seed)
    hits = int(args.lookups * args.hit_rate)
    chunks = (args.entries + CHUNK - 1) // CHUNK
    chosen = rng.choice(chunks, size=min(chunks, 20), replace=False)
    picked = []
    for index in chosen:
        size = min(CHUNK, args.entries - int(index) * CHUNK)
        count = -(-hits // len(chosen))
        picked.append(_digest_chunk(int(index), size)[rng.integers(0, size, count)])
    known = np.concatenate(picked)[:hits]
    queries = np.concatenate([known, rng.integers(0, 256, (args.lookups - hits, 16), np.uint8)])
    rng.shuffle(queries)
    return queries


def _child_pdq_hashing(args: argparse.Namespace) -> dict[str, Any]:
    import io

    import pdqhash
    from PIL import Image, ImageDraw

    from orderwatch.forensics.hashing import pdq_hash

    jpegs = []
    for number in range(args.images):
        image = Image.new("RGB", (1024, 768), (number % 256, 200, 120))
        draw = ImageDraw.Draw(image)
        for x in range(0, 1024, 16):
            draw.line([(x, 0), (1023 - x, 767)], fill=(x % 256, (x * 3 + number) % 256, 90))
        draw.ellipse([100 + number % 300, 100, 500 + number % 300, 500], fill=(20, 60, 200))
        draw.text((40, 700), f"sample {number}", fill=(0, 0, 0))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=88)
        jpegs.append(out.getvalue())
    started = time.perf_counter()
    for data in jpegs:
        pdq_hash(data)
    pipeline_seconds = time.perf_counter() - started
    pixels = [np.asarray(Image.open(io.BytesIO(data)).convert("RGB")) for data in jpegs]
    started = time.perf_counter()
    for array in pixels:
        pdqhash.compute(array)
    hash_seconds = time.perf_counter() - started
    return {
        "images": len(jpegs),
        "mean_jpeg_bytes": int(np.mean([len(j) for j in jpegs])),
        "pipeline_images_per_s": len(jpegs) / pipeline_seconds,
        "hash_only_images_per_s": len(jpegs) / hash_seconds,
    }


def _child_pdq_search(args: argparse.Namespace, size: int) -> dict[str, Any]:
    from orderwatch.forensics.hashsets.pdq_index import PdqIndex, pdq_arrays

    hashes = np.concatenate(
        [
            _digest_chunk(10_000 + i, min(CHUNK, size - s), 32)
            for i, s in enumerate(range(0, size, CHUNK))
        ]
    )
    started = time.perf_counter()
    index = PdqIndex(pdq_arrays(hashes, np.zeros(size, np.uint16)))
    build_seconds = time.perf_counter() - started
    rng = np.random.default_rng(7)
    queries = []
    for number in range(args.pdq_queries):
        if number % 2:
            queries.append(rng.integers(0, 256, 32, np.uint8).tobytes())
            continue
        bits = np.unpackbits(hashes[rng.integers(size)])
        bits[rng.choice(256, size=int(rng.integers(0, 32)), replace=False)] ^= 1
        queries.append(np.packbits(bits).tobytes())
    mih_times = []
    for _ in range(3):
        started = time.perf_counter()
        found = [index.search(q, 31) for q in queries]
        mih_times.append(time.perf_counter() - started)
    mih_seconds = min(mih_times)
    brute = queries[: max(4, min(len(queries), 40 if size <= 2_000_000 else 10))]
    brute_times = []
    for _ in range(2):
        started = time.perf_counter()
        scanned = [index.scan(q, 31) for q in brute]
        brute_times.append(time.perf_counter() - started)
    brute_seconds = min(brute_times)
    agree = all(
        f[0].tolist() == s[0].tolist() for f, s in zip(found[: len(brute)], scanned, strict=True)
    )
    return {
        "size": size,
        "build_seconds": build_seconds,
        "mih_ms_per_query": 1000 * mih_seconds / len(queries),
        "brute_ms_per_query": 1000 * brute_seconds / len(brute),
        "queries": len(queries),
        "brute_queries": len(brute),
        "near_found": sum(1 for f in found[0::2] if len(f[0])),
        "near_planted": len(found[0::2]),
        "random_found": sum(1 for f in found[1::2] if len(f[0])),
        "agree_with_brute_force": agree,
        "load_average": os.getloadavg()[0],
        "memory": _memory(),
    }


def _run_child(args: argparse.Namespace, step: str, *extra: str) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        step,
        "--entries",
        str(args.entries),
        "--lookups",
        str(args.lookups),
        "--hit-rate",
        str(args.hit_rate),
        "--images",
        str(args.images),
        "--pdq-queries",
        str(args.pdq_queries),
        "--workdir",
        str(args.workdir),
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{step} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- hfind -----------------------------------------------------------------------------------


def _hfind(args: argparse.Namespace) -> dict[str, Any] | None:
    hfind = shutil.which("hfind")
    if not hfind:
        return None
    entries = min(args.hfind_entries, args.entries)
    database = _write_list(args.workdir / f"md5sum-{entries}.txt", entries, b"  f\n")
    for old in args.workdir.glob(f"md5sum-{entries}.txt-md5.idx*"):
        old.unlink()
    started = time.perf_counter()
    subprocess.run([hfind, "-i", "md5sum", str(database)], check=True, capture_output=True)
    index_seconds = time.perf_counter() - started
    rng = np.random.default_rng(5)
    count = args.hfind_lookups
    hits = int(count * args.hit_rate)
    known = _digest_chunk(0, min(CHUNK, entries))[rng.integers(0, min(CHUNK, entries), hits)]
    queries = np.concatenate([known, rng.integers(0, 256, (count - hits, 16), np.uint8)])
    lookup_file = args.workdir / "hfind-queries.txt"
    lookup_file.write_bytes(_hex_lines(queries))
    started = time.perf_counter()
    done = subprocess.run(
        [hfind, "-f", str(lookup_file), str(database)],  # -q with -f stops after one hash
        check=True,
        capture_output=True,
        text=True,
    )
    lookup_seconds = time.perf_counter() - started
    found = sum(1 for line in done.stdout.splitlines() if "Hash Not Found" not in line)
    return {
        "entries": entries,
        "index_seconds": index_seconds,
        "lookups_per_s": count / lookup_seconds,
        "lookups": count,
        "hits_expected": hits,
        "hits_found": found,
    }


# --- report ----------------------------------------------------------------------------------


def _mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def main(argv: list[str]) -> None:
    """Run every measurement and print a summary with the figures BENCHMARKS.md records."""
    args = _options(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"hash sets: {args.entries:,} MD5s, batches of {args.lookups:,} lookups "
        f"({args.hit_rate:.0%} hits); {os.cpu_count()} cores shared with other work"
    )
    started = time.perf_counter()
    _write_list(args.workdir / f"md5-{args.entries}.txt", args.entries)
    print(f"  input list ready in {time.perf_counter() - started:.1f} s (cached in {args.workdir})")

    build = _run_child(args, "build")
    print(
        f"  build: {build['seconds']:.1f} s for {build['unique']:,} unique "
        f"({build['input_bytes'] / 2**20:,.0f} MiB list -> {build['index_bytes'] / 2**20:,.0f} "
        f"MiB index), peak RSS {_mib(build['memory']['VmHWM'])}"
    )
    look = _run_child(args, "lookup")
    print(
        f"  load: {look['load_seconds'] * 1000:.1f} ms, RSS after load "
        f"{_mib(look['memory_after_load']['VmRSS'])}"
    )
    m = look["memory_after_lookups"]
    rate = look["table_lookups_per_s"]
    print(
        f"  batch lookups: first touch {look['cold_lookups_per_s'] / 1e6:.2f} M/s, then "
        f"{rate / 1e6:.2f} M/s (table, best of {REPEATS}; median "
        f"{look['table_median_lookups_per_s'] / 1e6:.2f}), "
        f"{look['api_lookups_per_s'] / 1e6:.2f} M/s "
        f"(match_many API, lists of bytes in and out); one file a call "
        f"{look['single_lookups_per_s'] / 1e6:.3f} M/s"
    )
    print(
        f"  numpy searchsorted peer (same mapped arrays): "
        f"{look['searchsorted_lookups_per_s'] / 1e6:.2f} M/s "
        f"(table x{rate / look['searchsorted_lookups_per_s']:.1f})"
    )
    print(
        f"  hits: expected {look['hits_expected']:,}; first touch {look['hits_cold']:,}, "
        f"table {look['hits_table']:,}, API {look['hits_api']:,}; one a call "
        f"{look['hits_single']:,} of {look['hits_api_first_200k']:,}"
    )
    print(
        f"  RSS after lookups {_mib(m['VmRSS'])} (anonymous {_mib(m['RssAnon'])}, "
        f"mapped index pages {_mib(m['RssFile'])}); load average then {look['load_average']:.1f}"
    )
    peer = _hfind(args)
    if peer:
        print(
            f"  hfind (md5sum index of {peer['entries']:,}): index {peer['index_seconds']:.1f} s, "
            f"{peer['lookups_per_s'] / 1e6:.3f} M lookups/s "
            f"({peer['hits_found']:,}/{peer['hits_expected']:,} hits)"
        )
    else:
        print("  hfind: not installed (Debian sleuthkit), peer skipped")

    pdq = _run_child(args, "pdq-hashing")
    print(
        f"PDQ hashing ({pdq['images']} synthetic 1024x768 JPEGs, one core): "
        f"{pdq['pipeline_images_per_s']:.0f} images/s decode+hash (orderwatch pdq_hash), "
        f"{pdq['hash_only_images_per_s']:.0f} images/s pdqhash on decoded pixels"
    )
    for size in (int(s) for s in args.pdq_sizes.split(",") if s):
        r = _run_child(args, "pdq-search", "--pdq-sizes", str(size))
        print(
            f"PDQ search at {size:,}: index built in {r['build_seconds']:.1f} s; "
            f"multi-index {r['mih_ms_per_query']:.3f} ms/query "
            f"({1000 / r['mih_ms_per_query']:,.0f}/s), brute-force popcount "
            f"{r['brute_ms_per_query']:.1f} ms/query "
            f"(x{r['brute_ms_per_query'] / r['mih_ms_per_query']:.0f}); "
            f"planted found {r['near_found']}/{r['near_planted']}, random found "
            f"{r['random_found']}, agrees with brute force: {r['agree_with_brute_force']}, "
            f"RSS {_mib(r['memory']['VmRSS'])}; load average {r['load_average']:.1f}"
        )


def _child_main(argv: list[str]) -> None:
    args = _options(argv)
    if args.child == "build":
        result = _child_build(args)
    elif args.child == "lookup":
        result = _child_lookup(args)
    elif args.child == "pdq-hashing":
        result = _child_pdq_hashing(args)
    else:
        result = _child_pdq_search(args, int(args.pdq_sizes))
    print(json.dumps(result))


if __name__ == "__main__":
    _child_main(sys.argv[1:])
