"""Building a hash set: read inputs, sort and merge digests, index PDQ, write the .owhs file."""

from __future__ import annotations

import getpass
import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from orderwatch import __version__
from orderwatch.domain.errors import Problem
from orderwatch.forensics.hashsets.exact import sort_and_merge, table_arrays
from orderwatch.forensics.hashsets.importers import read_input
from orderwatch.forensics.hashsets.model import (
    EXACT_ALGORITHMS,
    BuildReport,
    HashSetFormatError,
    ProgressCallback,
)
from orderwatch.forensics.hashsets.owhs import write_index
from orderwatch.forensics.hashsets.pdq_index import pdq_arrays
from orderwatch.forensics.hashsets.sink import RecordSink

SHOWN_PROBLEMS = 20


def build_hashset(
    inputs: list[Path],
    output: Path,
    name: str | None = None,
    progress: ProgressCallback | None = None,
    *,
    skip_bad: bool = False,
) -> BuildReport:
    """Build NAME.owhs from hash-set inputs. A malformed line or record raises HashSetFormatError
    naming the file and places, unless `skip_bad`, which skips it and lists it in the report."""
    output = Path(output)
    if output.suffix != ".owhs":
        output = output.with_name(output.name + ".owhs")
    set_name = name or output.stem
    header, arrays, report = build_index_arrays(inputs, set_name, progress, skip_bad=skip_bad)
    write_index(output, header, arrays, progress)
    report.output = output
    return report


def build_index_arrays(
    inputs: list[Path],
    name: str,
    progress: ProgressCallback | None = None,
    *,
    skip_bad: bool = False,
) -> tuple[dict[str, Any], dict[str, np.ndarray], BuildReport]:
    """The header and arrays of an index built in memory (what .owhs files and raw inputs share)."""
    started = time.perf_counter()
    if not inputs:
        raise HashSetFormatError(name, [Problem(0, "no input files given")])
    sink = RecordSink()
    report = BuildReport(name=name, output=None)
    for path in map(Path, inputs):
        digests_before = sink.digest_count()
        records_before = sink.records
        details = read_input(path, sink, progress)
        problems, problem_count = sink.take_problems()
        if problem_count and not skip_bad:
            shown = problems[:SHOWN_PROBLEMS]
            raise HashSetFormatError(str(path), shown, problem_count - len(shown))
        report.problems.extend((str(path), p) for p in problems[: 1000 - len(report.problems)])
        report.problem_count += problem_count
        if sink.digest_count() == digests_before and not problem_count:
            raise HashSetFormatError(str(path), [Problem(0, "contains no hashes")])
        report.inputs.append(
            {
                "path": str(path.resolve()),
                "size": path.stat().st_size,
                "sha256": _file_sha256(path),
                "records": sink.records - records_before,
                **details,
            }
        )
    if progress:
        progress("indexing", 0, 0)
    arrays: dict[str, np.ndarray] = {}
    tables: dict[str, int] = {}
    for algorithm in (*EXACT_ALGORITHMS, "pdq", "photodna"):
        digests, meta = sink.take(algorithm)
        if not len(digests):
            continue
        digests, meta, stats = sort_and_merge(digests, meta)
        tables[algorithm] = stats.unique
        report.duplicates[algorithm] = stats.duplicates
        report.conflicts += stats.conflicts
        if algorithm in EXACT_ALGORITHMS:
            arrays.update(table_arrays(algorithm, digests, meta))
        elif algorithm == "pdq":
            arrays.update(pdq_arrays(digests, meta))
        else:
            arrays["photodna.hashes"] = digests
            arrays["photodna.meta"] = meta
    sizes = sink.take_sizes()
    if len(sizes):
        arrays["sizes"] = sizes
    report.counts = tables
    report.records = sink.records
    report.known_good_records = sink.known_good_records
    report.categories = dict(sink.category_counts.most_common())
    report.distinct_sizes = len(sizes)
    report.seconds = time.perf_counter() - started
    header = {
        "name": name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "created_by": _user(),
        "tool": {"name": "orderwatch", "version": __version__},
        "inputs": report.inputs,
        "categories": sink.category_table(),
        "counts": tables,
        "records": report.records,
        "known_good_records": report.known_good_records,
        "category_records": report.categories,
        "duplicates": report.duplicates,
        "conflicts": report.conflicts,
        "skipped_problems": report.problem_count,
    }
    return header, arrays, report


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
