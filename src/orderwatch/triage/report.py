"""report.json: the triage output contract (DESIGN.md), plus who ran what, when and how.

The contract's keys come first and never change meaning; the extra keys only add.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import socket
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orderwatch import __version__
from orderwatch.domain.observations import Observation, format_time
from orderwatch.forensics.parsers.interface import LINE_SEPARATOR
from orderwatch.triage.encoded import (
    EncodedObservation,
    LineSpool,
    ObservationLines,
    copy_segments,
    encode_observation,
    sorted_encoded,
)
from orderwatch.triage.records import ErrorRecord

TOOL_NAME = "orderwatch"


@dataclass
class RunFacts:
    """Everything the report states, gathered during the run."""

    started: datetime
    command_line: list[str]
    workers: int
    quick: bool
    quick_sizes: int | None = None  # distinct file sizes in the hash sets (quick runs)
    sources: list[dict[str, Any]] = field(default_factory=list)
    hashsets: list[dict[str, Any]] = field(default_factory=list)
    order: dict[str, Any] | None = None
    finished: datetime | None = None
    files: int = 0
    deleted_files: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0
    hash_matches: int = 0
    observations: list[Observation] = field(default_factory=list)  # objects for the rules
    encoded: list[EncodedObservation] = field(default_factory=list)  # every one, for the report
    spool: LineSpool | None = None  # ... but those parsers wrote in bulk (a history's visits)
    findings: list[Any] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    category_counts: dict[str, int] = field(default_factory=dict)
    archives: list[dict[str, Any]] = field(default_factory=list)

    def add_observation(self, observation: Observation) -> None:
        """One observation made in the parent (hash match, encrypted volume): object and line."""
        self.observations.append(observation)
        self.encoded.append(encode_observation(observation))

    @property
    def seconds(self) -> float:
        end = self.finished or datetime.now(UTC)
        return round((end - self.started).total_seconds(), 3)


def file_sha256(path: Path) -> str:
    """SHA-256 of an input file (hash set, order), so a third party can check they had the same."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def run_user() -> str:
    """The operating-system account running the triage."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def sorted_observations(observations: list[Observation]) -> list[Observation]:
    """Timeline order: dated first by time, then undated; ties by kind and id (stable output)."""
    return sorted(
        observations,
        key=lambda o: (o.time is None, format_time(o.time) or "", o.kind, o.id),
    )


def unique_observations(observations: list[Observation]) -> list[Observation]:
    """One observation per id. Each file gets its own parser mediator, so a parser that reports
    something once per source (a program seen through several files of its install folder)
    repeats its id; the copy with the first provenance path and record is kept, so runs agree."""
    chosen: dict[str, Observation] = {}
    for observation in observations:
        kept = chosen.get(observation.id)
        if kept is None or _provenance_key(observation) < _provenance_key(kept):
            chosen[observation.id] = observation
    return list(chosen.values())


def _provenance_key(observation: Observation) -> tuple[str, str]:
    return (observation.provenance.path or "", observation.provenance.record or "")


def sorted_errors(errors: list[ErrorRecord]) -> list[ErrorRecord]:
    return sorted(errors, key=lambda e: (e.source or "", e.path, e.stage, e.message))


def build_report(facts: RunFacts) -> dict[str, Any]:
    """The report.json document; its observations stay encoded (`ObservationLines`): first
    those made one by one, in timeline order, then the lines parsers wrote in bulk."""
    bulk = facts.spool.segments() if facts.spool is not None else None
    observations = ObservationLines(sorted_encoded(facts.encoded), bulk)
    errors = sorted_errors(facts.errors)
    return {
        "tool": {"name": TOOL_NAME, "version": __version__},
        "sources": facts.sources,
        "summary": {
            "files": facts.files,
            "deleted_files": facts.deleted_files,
            "bytes_hashed": facts.bytes_hashed,
            "seconds": facts.seconds,
            "hash_matches": facts.hash_matches,
            "errors": len(errors),
            "files_hashed": facts.files_hashed,
            "observations": len(observations),
            "findings": len(facts.findings),
            "quick": facts.quick,
            "quick_sizes": facts.quick_sizes,
            "match_categories": dict(sorted(facts.category_counts.items())),
        },
        "findings": [f.to_dict() for f in facts.findings],
        "observations": observations,
        "errors": [e.to_dict() for e in errors],
        "mode": "quick" if facts.quick else "full",
        "order": facts.order,
        "hashsets": facts.hashsets,
        "provenance": {
            "tool": TOOL_NAME,
            "tool_version": __version__,
            "user": run_user(),
            "host": socket.gethostname(),
            "started": format_time(facts.started),
            "finished": format_time(facts.finished),
            "command_line": facts.command_line,
            "workers": facts.workers,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "mode": "quick" if facts.quick else "full",
        },
    }


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Write report.json (UTF-8, indented, keys in contract order), one observation a line.

    Observations are one compact line each (the workers' encoding, or json's C encoder here):
    the indenting encoder is pure Python and took seconds for a large browser history. Lines
    written in bulk are copied from the spool as bytes; the report's `ObservationLines` then
    reads them from report.json.
    """
    marker = f"observations-{uuid.uuid4().hex}"
    head = json.dumps({**report, "observations": marker}, indent=2, ensure_ascii=False)
    observations = report["observations"]
    bulk = None
    if isinstance(observations, ObservationLines):  # encoded by the workers: written as is
        lines: Any = observations.lines()
        bulk = observations.bulk if observations.bulk and observations.bulk.segments else None
    else:
        lines = map(json.JSONEncoder(ensure_ascii=False).encode, observations)
    before, _, after = head.partition(json.dumps(marker))
    separator = LINE_SEPARATOR.decode()  # between lines, as the bulk blocks have it
    items = separator.join(lines)  # one copy of the lines; each piece is written as it is
    with open(path, "wb") as handle:
        handle.write(before.encode("utf-8"))
        if not items and bulk is None:
            handle.write(b"[]")
        else:
            handle.write(("[" + separator.removeprefix(",") + items).encode("utf-8"))
            if bulk is not None:
                observations.bulk = copy_segments(bulk, handle, skip_first=not items)
            handle.write(b"\n  ]")
        handle.write(after.encode("utf-8"))
        handle.write(b"\n")
