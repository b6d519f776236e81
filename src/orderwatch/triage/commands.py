"""`orderwatch triage SOURCE... --out DIR [--hashset FILE]... [--order FILE] [--workers N]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add the `triage` sub-command."""
    parser = subparsers.add_parser(
        "triage",
        help="examine a device image or folder: inventory, hashes, hash-set matches, findings",
        description=(
            "Read evidence sources read-only (folders, raw/split raw, E01/Ex01, VHD/VHDX, VMDK, "
            "QCOW2), list and hash every file including deleted ones, match hash sets, detect "
            "hidden material, run artefact parsers and, with --order, evaluate the order's "
            "conditions. Writes report.json, inventory.jsonl and report.html to DIR."
        ),
    )
    parser.add_argument("sources", nargs="+", type=Path, metavar="SOURCE")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR", help="new output folder")
    parser.add_argument(
        "--hashset",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="hash set (.owhs index, VICS JSON, CAID CSV, hash list, NSRL RDS); repeatable",
    )
    parser.add_argument("--order", type=Path, metavar="FILE", help="order file to evaluate")
    parser.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="worker processes (default: ORDERWATCH_WORKERS, else the cores)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="hash only files whose size is in the hash sets, plus images for PDQ",
    )
    parser.add_argument("--pdf", action="store_true", help="also write report.pdf")
    parser.set_defaults(func=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def command_line(args: argparse.Namespace) -> list[str]:
    """The invocation in canonical form (what a third party would type to repeat the run)."""
    words = ["orderwatch", "triage", *(str(s) for s in args.sources), "--out", str(args.out)]
    for hashset in args.hashset:
        words += ["--hashset", str(hashset)]
    if args.order is not None:
        words += ["--order", str(args.order)]
    if args.workers is not None:
        words += ["--workers", str(args.workers)]
    words += ["--quick"] * bool(args.quick) + ["--pdf"] * bool(args.pdf)
    return words


def run(args: argparse.Namespace) -> int:
    """Run the triage; print where the report went and the headline figures."""
    from orderwatch.tasks.executor import prestart
    from orderwatch.triage import WORKER_MODULES

    if args.workers != 1:  # (one worker runs in this process)
        prestart(WORKER_MODULES)  # the workers' imports run beside this process's own
    from orderwatch.forensics.software_catalogue import default_catalogue
    from orderwatch.settings import get_settings
    from orderwatch.triage.engine import TriageOptions, run_triage
    from orderwatch.triage.progress import progress_for

    default_catalogue()  # a bad ORDERWATCH_SOFTWARE_CATALOGUE file stops here, in one line
    options = TriageOptions(
        sources=list(args.sources),
        out=args.out,
        hashsets=list(args.hashset),
        order=args.order,
        workers=args.workers if args.workers is not None else get_settings().workers,
        quick=args.quick,
        pdf=args.pdf,
        command_line=command_line(args),
    )
    outcome = run_triage(options, progress=progress_for(sys.stderr))
    summary = outcome.report["summary"]
    files = f"{summary['files']} file" + ("" if summary["files"] == 1 else "s")
    print(
        f"{files} ({summary['deleted_files']} deleted), "
        f"{summary['bytes_hashed']:,} bytes hashed in {summary['seconds']} s; "
        f"{summary['hash_matches']} hash-set matches, {summary['findings']} findings, "
        f"{summary['errors']} errors{' (quick run)' if summary['quick'] else ''}"
    )
    print(f"report: {outcome.out / 'report.html'}")
    return 0
