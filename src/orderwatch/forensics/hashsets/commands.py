"""`orderwatch hashset build|info|lookup`: make, describe and query hash-set indexes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from orderwatch.forensics.hashsets.builder import build_hashset
from orderwatch.forensics.hashsets.collection import HashSetCollection, load_hashsets
from orderwatch.forensics.hashsets.digests import ALGORITHM_BY_HEX_LENGTH, is_hex
from orderwatch.forensics.hashsets.model import PDQ_MATCH_DISTANCE, BuildReport
from orderwatch.forensics.hashsets.owhs import read_index, verify_index

SHOWN_PROBLEMS = 20


def register(subparsers: Any) -> None:
    """Add `hashset` and its actions to the orderwatch command."""
    parser = subparsers.add_parser("hashset", help="build, inspect and query hash-set indexes")
    actions = parser.add_subparsers(dest="hashset_action", metavar="ACTION", required=True)

    build = actions.add_parser(
        "build",
        help="index VICS JSON, CAID-style CSV, plain hash lists and NSRL RDS v3 SQLite",
        description="Build a memory-mappable index (.owhs) from hash-set files of any supported "
        "format; duplicates are merged. A malformed line or record stops the build with its "
        "number, unless --skip-bad.",
    )
    build.add_argument("inputs", nargs="+", type=Path, metavar="FILE")
    build.add_argument("-o", "--output", required=True, type=Path, metavar="NAME.owhs")
    build.add_argument("--name", help="the set's name in matches (default: the output's stem)")
    build.add_argument(
        "--skip-bad",
        action="store_true",
        help="skip malformed lines or records (they are listed) instead of failing",
    )
    build.set_defaults(func=_build)

    info = actions.add_parser("info", help="describe an index: provenance, counts, categories")
    info.add_argument("index", type=Path, metavar="NAME.owhs")
    info.add_argument("--verify", action="store_true", help="re-hash every section (reads it all)")
    info.set_defaults(func=_info)

    lookup = actions.add_parser("lookup", help="look hashes up in an index (or a raw hash set)")
    lookup.add_argument("index", type=Path, metavar="NAME.owhs")
    lookup.add_argument("hashes", nargs="+", metavar="HASH", help="MD5, SHA-1 or SHA-256 in hex")
    lookup.add_argument(
        "--pdq", action="store_true", help="treat 64-hex-digit values as PDQ, not SHA-256"
    )
    lookup.add_argument("--max-distance", type=int, default=PDQ_MATCH_DISTANCE, metavar="BITS")
    lookup.set_defaults(func=_lookup)


class _ProgressBar:
    """A rich bar on a terminal; nothing otherwise."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        task = self.tasks.get(stage)
        if task is None:
            task = self.tasks[stage] = self.progress.add_task(stage, total=total or None)
        self.progress.update(task, completed=done)


def _build(args: argparse.Namespace) -> int:
    bar = _ProgressBar() if sys.stderr.isatty() else None
    if bar:
        with bar.progress:
            report = build_hashset(args.inputs, args.output, args.name, bar, skip_bad=args.skip_bad)
    else:
        report = build_hashset(args.inputs, args.output, args.name, skip_bad=args.skip_bad)
    print(_describe_build(report))
    return 0


def _describe_build(report: BuildReport) -> str:
    lines = [
        f"built {report.output} (set {report.name!r}) in {report.seconds:.1f} s from "
        f"{len(report.inputs)} file(s), {report.records:,} records"
    ]
    for source in report.inputs:
        version = f" {source['version']}" if source.get("version") else ""
        lines.append(
            f"  read {source['path']}: {source['format']}{version}, {source['records']:,} records"
        )
    for algorithm, count in report.counts.items():
        merged = report.duplicates.get(algorithm, 0)
        lines.append(f"  {algorithm:<8} {count:>12,} unique  ({merged:,} duplicates merged)")
    for label, count in report.categories.items():
        lines.append(f"  category {label}: {count:,} records")
    if report.known_good_records:
        lines.append(f"  known good (NSRL): {report.known_good_records:,} records")
    if report.distinct_sizes:
        lines.append(f"  file sizes carried: {report.distinct_sizes:,} distinct")
    if report.conflicts:
        lines.append(
            f"  {report.conflicts:,} digests had records that disagreed: each keeps its first "
            "record's category, and is known good only where every record is"
        )
    if report.problem_count:
        lines.append(f"  skipped {report.problem_count:,} malformed line(s) or record(s):")
        lines.extend(f"    {path}: {problem}" for path, problem in report.problems[:SHOWN_PROBLEMS])
    return "\n".join(lines)


def _info(args: argparse.Namespace) -> int:
    header, arrays = read_index(args.index)
    print(f"{args.index}: hash set {header['name']!r}")
    print(
        f"  built {header['created']} by {header['created_by']} with orderwatch "
        f"{header['tool']['version']}"
    )
    for source in header["inputs"]:
        version = f" {source['version']}" if source.get("version") else ""
        print(
            f"  from {source['path']} ({source['format']}{version}, {source['records']:,} "
            f"records, sha256 {source['sha256']})"
        )
    for algorithm, count in header["counts"].items():
        print(f"  {algorithm:<8} {count:>12,}")
    for label, count in header["category_records"].items():
        print(f"  category {label}: {count:,} records")
    if header["known_good_records"]:
        print(f"  known good (NSRL): {header['known_good_records']:,} records")
    if "sizes" in arrays:
        print(f"  file sizes carried: {len(arrays['sizes']):,} distinct")
    if header["skipped_problems"]:
        print(f"  built with --skip-bad: {header['skipped_problems']:,} malformed inputs skipped")
    if args.verify:
        damaged = verify_index(args.index)
        if damaged:
            print(f"  DAMAGED sections (SHA-256 differs): {', '.join(damaged)}")
            return 1
        print(f"  verified: all {len(header['sections'])} sections match their SHA-256")
    return 0


def _lookup(args: argparse.Namespace) -> int:
    collection = load_hashsets([args.index])
    status = 0
    for text in args.hashes:
        value = text.strip().lower()
        if args.pdq and is_hex(value, 32):
            matches = collection.match_pdq(bytes.fromhex(value), args.max_distance)
        elif len(value) in ALGORITHM_BY_HEX_LENGTH and is_hex(value, len(value) // 2):
            matches = _exact(collection, ALGORITHM_BY_HEX_LENGTH[len(value)], bytes.fromhex(value))
        else:
            print(
                f"{text}\tnot an MD5, SHA-1 or SHA-256 (32, 40 or 64 hex digits)", file=sys.stderr
            )
            status = 1
            continue
        if not matches:
            print(f"{value}\tno match")
        for match in matches:
            print(
                f"{value}\tmatch\tset={match.hashset}\tcategory={match.category or '-'}\t"
                f"method={match.method}\tdistance={match.distance}\tknown_good={match.known_good}"
            )
    return status


def _exact(collection: HashSetCollection, algorithm: str, digest: bytes) -> list[Any]:
    given = {"md5": None, "sha1": None, "sha256": None, algorithm: digest}
    return collection.match(given["md5"], given["sha1"], given["sha256"])
