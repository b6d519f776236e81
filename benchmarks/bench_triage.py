"""Triage hashing and inventory against hashdeep and the machine's hashing limit, in one run.

Generates (once, cached in /tmp) a corpus of ~20,000 files of 1-64 KiB and 50 of 10-50 MiB of
pseudo-random data as a folder and as a raw ext4 image (mke2fs -d). Then, all from a warm page
cache: hashdeep -r -j2 -c md5,sha1 on the folder; hashlib one-pass MD5+SHA-1+SHA-256 on a memory
buffer in one process per core (the limit); `orderwatch triage` on the folder and on the image;
and `--quick` with a hash set holding the sizes of a few files. `--small` runs a ~10x smaller
corpus for a quick check.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(os.environ.get("ORDERWATCH_BENCH_DIR", "/tmp/orderwatch-bench-triage"))
KIB = 1024
MIB = 1024 * KIB
LIMIT_BUFFER = 64 * MIB
LIMIT_ROUNDS = 4


def _corpus_params(small: bool) -> dict[str, int]:
    if small:
        return {"small_files": 2000, "big_files": 5, "seed": 20240501}
    return {"small_files": 20000, "big_files": 50, "seed": 20240501}


def build_corpus(small: bool) -> tuple[Path, Path, int, int]:
    """The folder and the raw ext4 image (generated once per size), with files and bytes."""
    params = _corpus_params(small)
    base = ROOT / ("small" if small else "full")
    marker = base / "corpus.json"
    if marker.is_file() and json.loads(marker.read_text()).get("params") == params:
        meta = json.loads(marker.read_text())
        return base / "folder", base / "image.raw", meta["files"], meta["bytes"]
    shutil.rmtree(base, ignore_errors=True)
    folder = base / "folder"
    rng = np.random.default_rng(params["seed"])
    total = 0
    print(f"generating corpus in {base} ...", flush=True)
    for i in range(params["small_files"]):
        size = int(rng.integers(1 * KIB, 64 * KIB + 1))
        target = folder / f"d{i // 500:03d}" / f"f{i:06d}.bin"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rng.bytes(size))
        total += size
    for i in range(params["big_files"]):
        size = int(rng.integers(10 * MIB, 50 * MIB + 1))
        target = folder / "big" / f"big{i:03d}.bin"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(rng.bytes(size))
        total += size
    files = params["small_files"] + params["big_files"]
    image = base / "image.raw"
    blocks = (total + files * 4 * KIB) // (4 * KIB)
    image_size = int(blocks * 1.08) * 4 * KIB + 64 * MIB
    inodes = str(files + 1000)
    mke2fs = ["mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-N", inodes, "-d", str(folder)]
    subprocess.run([*mke2fs, str(image), f"{image_size // KIB}k"], check=True)
    marker.write_text(json.dumps({"params": params, "files": files, "bytes": total}))
    return folder, image, files, total


def build_text_e01(small: bool) -> tuple[Path, int, int]:
    """A compressed E01 (ewfacquire, deflate) of an ext4 volume of text files: what most real
    E01 sets are, and where reading costs more than hashing. Made once; (E01, files, bytes)."""
    count = 300 if small else 3000
    base = ROOT / ("small" if small else "full") / "e01"
    marker = base / "e01.json"
    if marker.is_file():
        meta = json.loads(marker.read_text())
        if meta.get("count") == count:
            return base / "text.E01", meta["files"], meta["bytes"]
    shutil.rmtree(base, ignore_errors=True)
    tree = base / "tree"
    rng = np.random.default_rng(20261122)
    letters = np.frombuffer(b"abcdefghijklmnop", dtype=np.uint8)
    words = [bytes(rng.choice(letters, int(rng.integers(2, 10)))) for _ in range(8000)]
    total = 0
    print(f"generating a text volume and its E01 in {base} ...", flush=True)
    for i in range(count):
        target = tree / f"d{i // 300:02d}" / f"doc{i:05d}.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        picks = rng.integers(0, len(words), int(rng.integers(1_000, 25_000)))
        data = b" ".join(words[k] for k in picks)
        target.write_bytes(data)
        total += len(data)
    volume = base / "text.raw"
    size_kib = (total * 13 // 10 + 32 * MIB) // KIB
    subprocess.run(
        ["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(tree), str(volume), f"{size_kib}k"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        [
            "ewfacquire",
            "-u",
            "-q",
            "-t",
            str(base / "text"),
            "-c",
            "deflate:fast",
            "-f",
            "encase6",
            "-S",
            "4G",
            str(volume),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    volume.unlink()
    shutil.rmtree(tree)
    marker.write_text(json.dumps({"count": count, "files": count, "bytes": total}))
    return base / "text.E01", count, total


def warm(paths: list[Path]) -> None:
    """Read everything once so every contender starts from the same (warm) page cache."""
    for path in paths:
        if path.is_file():
            with open(path, "rb", buffering=0) as handle:
                while handle.read(8 * MIB):
                    pass
            continue
        for directory, _, names in os.walk(path):
            for name in names:
                with open(os.path.join(directory, name), "rb", buffering=0) as handle:
                    while handle.read(8 * MIB):
                        pass


# One process of the limit: one-pass MD5+SHA-1+SHA-256 over a memory buffer, 1 MiB updates.
_LIMIT_CODE = f"""
import hashlib, os, time
data = os.urandom({LIMIT_BUFFER})
view = memoryview(data)
started = time.perf_counter()
for _ in range({LIMIT_ROUNDS}):
    md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
    for offset in range(0, len(data), {MIB}):
        chunk = view[offset : offset + {MIB}]
        md5.update(chunk)
        sha1.update(chunk)
        sha256.update(chunk)
print({LIMIT_ROUNDS} * len(data) / (time.perf_counter() - started))
"""


# The same with orderwatch's own hashing (16 files of 4 MiB at once in 1 MiB chunks, as triage
# batches big files: MD5 in lanes, SHA-1 and SHA-256 two streams abreast where the CPU has SHA-NI):
# what triage's hashing can do on memory, for reading its figures beside the limit.
_LANES_CODE = f"""
import os, time
from orderwatch.forensics import hashing
files = [memoryview(os.urandom({LIMIT_BUFFER} // 16)) for _ in range(16)]
started = time.perf_counter()
for _ in range({LIMIT_ROUNDS}):
    md5s = [hashing._md5() for _ in files]
    sha1s = [hashing._sha1() for _ in files]
    sha256s = [hashing._sha256() for _ in files]
    for offset in range(0, len(files[0]), {MIB}):
        chunks = [data[offset : offset + {MIB}] for data in files]
        hashing._sha_update_many(sha1s, sha256s, chunks)
        hashing._md5_update_many(md5s, chunks)
    digests = [h.digest() for h in md5s + sha1s + sha256s]
print({LIMIT_ROUNDS} * {LIMIT_BUFFER} / (time.perf_counter() - started))
"""


def lanes_rate() -> float:
    """One core's MB/s of orderwatch's MD5 + SHA-1 + SHA-256 on memory (0 if it fails)."""
    run = subprocess.run([sys.executable, "-c", _LANES_CODE], capture_output=True, text=True)
    return float(run.stdout) / 1e6 if run.returncode == 0 else 0.0


def drop_caches() -> bool:
    """Empty the page cache (root only), so the next reader goes to the disk."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("1\n")
    except OSError:
        return False
    return True


def cold_rows(folder: Path, image: Path, cores: int, total: int) -> None:
    """hashdeep and the triage engine (parsers off), each after the page cache is emptied."""
    print("  cold page cache (emptied before each):")
    with tempfile.TemporaryDirectory(prefix="orderwatch-bench-") as tmp:
        contenders = [
            ("hashdeep -r -j2 -c md5,sha1 (folder)", None),
            ("triage engine, parsers off (folder), run", folder),
            ("triage engine, parsers off (raw ext4 image), run", image),
        ]
        for name, source in contenders:
            if not drop_caches():
                print("    (cannot empty the page cache here: needs root)")
                return
            if source is None:
                seconds = timed(["hashdeep", "-r", f"-j{cores}", "-c", "md5,sha1", str(folder)])
            else:
                seconds = triage_without_parsers(source, Path(tmp) / "out", cores)
            print(f"    {name:<50} {seconds:7.2f} s {total / seconds / 1e6:6.0f} MB/s")


def hashing_limit(cores: int) -> tuple[float, float]:
    """(one core MB/s, all cores together MB/s) of one-pass MD5+SHA-1+SHA-256 on memory."""
    one = (
        float(
            subprocess.run(
                [sys.executable, "-c", _LIMIT_CODE], capture_output=True, text=True, check=True
            ).stdout
        )
        / 1e6
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", _LIMIT_CODE], stdout=subprocess.PIPE, text=True)
        for _ in range(cores)
    ]
    together = sum(float(p.communicate()[0]) for p in processes) / 1e6
    return one, together


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def write_quick_hashset(folder: Path, target: Path) -> int:
    """A CAID-style CSV naming 10 small files and 1 big one, with their sizes."""
    picked = sorted(folder.glob("d000/*.bin"))[:10] + sorted(folder.glob("big/*.bin"))[:1]
    with open(target, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["md5", "sha1", "size", "category"])
        for path in picked:
            data = path.read_bytes()
            writer.writerow(
                [hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(), len(data), "1"]
            )
    return len(picked)


def triage(source: Path, out: Path, workers: int, extra: list[str]) -> tuple[float, dict]:
    """`orderwatch triage` as an officer runs it: (wall seconds, report.json)."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "orderwatch.cli", "triage", str(source), "--out", str(out)]
    seconds = timed([*command, "--workers", str(workers), *extra])
    report = json.loads((out / "report.json").read_text())
    return seconds, report


def first_match(source: Path, out: Path, workers: int, hashset: Path) -> tuple[float, float]:
    """A --quick run, following inventory.jsonl: (seconds to the first match, total seconds)."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "orderwatch.cli", "triage", str(source), "--out", str(out)]
    command += ["--workers", str(workers), "--quick", "--hashset", str(hashset)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    inventory = out / "inventory.jsonl"
    found: float | None = None
    while process.poll() is None and found is None:
        if inventory.is_file() and '"match": [{' in inventory.read_text():
            found = time.perf_counter() - started
        time.sleep(0.02)
    process.wait()
    total = time.perf_counter() - started
    return (found if found is not None else total), total


# The engine in-process with artefact parsers switched off: what hashing and inventory cost alone.
_NO_PARSERS = """
import sys
from pathlib import Path
from orderwatch.triage.engine import TriageOptions, run_triage
from orderwatch.triage.worker import WorkerOptions
options = TriageOptions(sources=[Path(sys.argv[1])], out=Path(sys.argv[2]),
                        workers=int(sys.argv[3]), worker_options=WorkerOptions(parsers=False))
print(run_triage(options).report["summary"]["seconds"])
"""


def triage_without_parsers(source: Path, out: Path, workers: int) -> float:
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-c", _NO_PARSERS, str(source), str(out), str(workers)]
    return float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench_triage")
    parser.add_argument("--small", action="store_true", help="~220 MB corpus for a quick check")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--cold", action="store_true", help="also run hashdeep and triage from a cold page cache"
    )
    args = parser.parse_args(argv)
    folder, image, files, total = build_corpus(args.small)
    cores = args.workers
    print(f"corpus: {files} files, {total / 1e6:.0f} MB; {cores} workers/cores; warm page cache")
    print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    warm([folder, image])
    rates: dict[str, float] = {}

    def row(name: str, seconds: float, nfiles: int = files) -> None:
        rates[name] = total / seconds / 1e6
        print(
            f"  {name:<52} {seconds:7.2f} s {rates[name]:6.0f} MB/s {nfiles / seconds:7.0f} files/s"
        )

    one, together = hashing_limit(cores)
    limit = one * cores
    print(
        f"  limit: hashlib MD5+SHA-1+SHA-256 on memory {one:.0f} MB/s per core, x{cores} = "
        f"{limit:.0f} MB/s ({cores} processes at once: {together:.0f} MB/s)"
    )
    lanes = lanes_rate()
    print(
        f"  (orderwatch's own hashing on memory, MD5 in lanes, SHA two streams abreast: "
        f"{lanes:.0f} MB/s per core, x{cores} = {lanes * cores:.0f} MB/s, "
        f"{lanes / one:.2f}x the limit's)"
    )
    row(
        "hashdeep -r -j2 -c md5,sha1 (folder)",
        timed(["hashdeep", "-r", f"-j{cores}", "-c", "md5,sha1", str(folder)]),
    )
    with tempfile.TemporaryDirectory(prefix="orderwatch-bench-") as tmp:
        out = Path(tmp)
        seconds, report = triage(folder, out / "folder", cores, [])
        assert report["summary"]["files"] == files, report["summary"]
        row("orderwatch triage (folder), command", seconds)
        row("  run alone (report.json seconds, folder)", report["summary"]["seconds"])
        folder_seconds = seconds
        seconds, report = triage(image, out / "image", cores, [])
        row("orderwatch triage (raw ext4 image), command", seconds, report["summary"]["files"])
        row("  run alone (report.json seconds, image)", report["summary"]["seconds"])
        row(
            "triage engine, parsers off (folder), run",
            triage_without_parsers(folder, out / "np", cores),
        )
        hashset = out / "quick.csv"
        listed = write_quick_hashset(folder, hashset)
        seconds, report = triage(
            folder, out / "quick", cores, ["--quick", "--hashset", str(hashset)]
        )
        summary = report["summary"]
        to_match, _ = first_match(folder, out / "quick2", cores, hashset)
        print(f"  orderwatch triage --quick (folder): first match written after {to_match:.2f} s")
        print(
            f"  orderwatch triage --quick (folder): {seconds:.2f} s (run {summary['seconds']} s), "
            f"{summary['files_hashed']} files hashed, {summary['hash_matches']} of {listed} "
            f"listed files matched; speed-up x{folder_seconds / seconds:.1f} over a full run"
        )
        e01, e01_files, e01_bytes = build_text_e01(args.small)
        warm([e01])
        media = int(
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import pyewf, sys; h = pyewf.handle(); "
                    "h.open(pyewf.glob(sys.argv[1])); print(h.get_media_size())",
                    str(e01),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        verify = timed(["ewfverify", "-q", str(e01)])
        seconds, report = triage(e01, out / "e01", cores, [])
        assert report["sources"][0]["verified"] is True, report["sources"]
        print(
            f"  compressed E01 ({e01.stat().st_size / 1e6:.0f} MB of segments, "
            f"{media / 1e6:.0f} MB of media, {e01_files} text files, {e01_bytes / 1e6:.0f} MB):"
        )
        print(
            f"    ewfverify (reads and hashes the media)       {verify:7.2f} s "
            f"{media / verify / 1e6:6.0f} MB/s of media"
        )
        print(
            f"    orderwatch triage, command (files + verification) {seconds:7.2f} s "
            f"{media / seconds / 1e6:6.0f} MB/s of media, x{verify / seconds:.2f} ewfverify"
        )
    if args.cold:
        cold_rows(folder, image, cores, total)
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    startup = timed([sys.executable, "-m", "orderwatch.cli", "--version"])
    print(f"  CLI start-up (orderwatch --version, every sub-command imported): {startup:.2f} s")
    hashdeep = rates["hashdeep -r -j2 -c md5,sha1 (folder)"]
    for name, rate in rates.items():
        if name.startswith(("orderwatch", "  run alone", "triage engine")):
            print(f"  {name:<52} {rate / limit:6.0%} of the limit, x{rate / hashdeep:.2f} hashdeep")
