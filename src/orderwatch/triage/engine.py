"""A triage run: open sources, walk, schedule files over workers, stream the inventory, report.

The parent walks every source (metadata only) ahead of the workers and hands on, batch by batch,
the best files walked so far (see _schedule). Workers examine a batch and send back its inventory
lines ready to write; the parent matches them against the hash sets, appends them to
inventory.jsonl as they arrive, and keeps observations, findings and errors for report.json and
the HTML.
"""

from __future__ import annotations

import heapq
import itertools
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from orderwatch.domain.errors import InvalidInputError, Problem
from orderwatch.domain.observations import HashMatchObservation
from orderwatch.domain.orderfile import OrderDocument
from orderwatch.forensics.software_catalogue import default_catalogue
from orderwatch.tasks.executor import Executor, TaskFailure, calm_collector, create_executor
from orderwatch.triage import WORKER_MODULES
from orderwatch.triage.encoded import LineSpool, unique_encoded
from orderwatch.triage.findings import evaluate_order, load_order, order_summary
from orderwatch.triage.hidden import encrypted_volume
from orderwatch.triage.matching import match_batch
from orderwatch.triage.progress import Progress, SilentProgress
from orderwatch.triage.records import Batch, BatchResult, ErrorRecord, FileTask
from orderwatch.triage.report import (
    RunFacts,
    build_report,
    file_sha256,
    unique_observations,
    write_report,
)
from orderwatch.triage.worker import WorkerOptions, init_worker, run_batch

BATCH_BYTES = 16 * 1024 * 1024  # small files are grouped up to this many bytes ...
BATCH_FILES = 256  # ... or this many files per task
BIG_FILE = BATCH_BYTES // 2  # files this large go in batches of their own kind ...
LANE_FILES = 16  # ... this many together: their MD5 streams run in SIMD lanes (see hash_streams)
WALK_WINDOW_FILES = 1024  # the walk goes on a window of this many files at a time ...
WALK_AHEAD_FILES = 200_000  # ... and stops this many files ahead of the workers (memory)
OUTPUT_FILES = ("report.json", "inventory.jsonl", "report.html", "report.pdf")

ExecutorFactory = Callable[..., Executor]


@dataclass
class TriageOptions:
    """One `orderwatch triage` invocation."""

    sources: list[Path]
    out: Path
    hashsets: list[Path] = field(default_factory=list)
    order: Path | None = None
    workers: int | None = None
    quick: bool = False
    pdf: bool = False
    command_line: list[str] = field(default_factory=lambda: list(sys.argv))
    worker_options: WorkerOptions = field(default_factory=WorkerOptions)
    executor_factory: ExecutorFactory = create_executor  # where the work runs (a test seam too)


@dataclass
class TriageOutcome:
    """Where the outputs went and the figures a caller may print."""

    out: Path
    report: dict[str, Any]


def run_triage(options: TriageOptions, progress: Progress | None = None) -> TriageOutcome:
    """Run one triage end to end. Bad input raises an OrderwatchError before any work starts."""
    spool = LineSpool(options.out)  # lines parsers wrote in bulk, on their way to report.json
    try:
        return _triage(options, progress, spool)
    finally:
        spool.remove()  # whatever happened


def _triage(options: TriageOptions, progress: Progress | None, spool: LineSpool) -> TriageOutcome:
    from orderwatch.forensics import sources as evidence

    progress = progress or SilentProgress()
    started = datetime.now(UTC)
    _check_out_dir(options)
    if options.quick and not options.hashsets:
        raise InvalidInputError(
            "--quick", [Problem(0, "needs --hashset: it hashes only files whose size is in them")]
        )
    with ExitStack() as stack:
        order = load_order(options.order) if options.order is not None else None
        # Workers start now, so their start-up overlaps opening the sources and the hash sets.
        worker_options = replace(
            options.worker_options,
            rule_kinds=_rule_kinds(order),
            match_keys=bool(options.hashsets),
            catalogue=default_catalogue() if options.worker_options.parsers else None,
            spool_folder=str(spool.worker_folder) if options.worker_options.parsers else None,
        )
        executor = options.executor_factory(
            options.workers, init_worker, (worker_options,), WORKER_MODULES
        )
        stack.callback(executor.close)
        executor.start()
        opened = [stack.enter_context(evidence.open_source(path)) for path in options.sources]
        collection = _load_hashsets(options.hashsets)
        facts = RunFacts(
            started=started,
            command_line=list(options.command_line),
            workers=options.workers or 0,
            quick=options.quick,
            hashsets=[{"path": str(p), "sha256": file_sha256(p)} for p in options.hashsets],
            order=order_summary(order, options.order) if order and options.order else None,
        )
        facts.sources = [_source_entry(source) for source in opened]
        facts.spool = spool
        # What is alive now (modules, sources, hash sets) stays out of the collections that the
        # run's tasks and results set off, as in the workers (undone when the run is over).
        stack.enter_context(calm_collector())
        _examine(opened, options, facts, collection, progress, executor)
        for entry, source in zip(facts.sources, opened, strict=True):
            entry["size"] = source.info.size  # a folder's is known once walked
    facts.observations = unique_observations(facts.observations)
    facts.encoded = unique_encoded(facts.encoded)
    if order is not None:
        facts.findings = evaluate_order(order, facts.observations, facts.started)
    facts.finished = datetime.now(UTC)
    report = build_report(facts)
    write_report(options.out / "report.json", report)
    from orderwatch.triage.html import render_html, write_pdf

    html = render_html(report, facts.archives)
    (options.out / "report.html").write_text(html, encoding="utf-8")
    if options.pdf:
        write_pdf(html, options.out / "report.pdf")
    return TriageOutcome(options.out, report)


def _examine(
    opened: list[Any],
    options: TriageOptions,
    facts: RunFacts,
    collection: Any,
    progress: Progress,
    executor: Executor,
) -> None:
    """Walk, schedule and run every file; stream inventory.jsonl; fold results into `facts`.

    The walk feeds the workers as it goes (the executor takes batches only as workers need
    them), so hashing starts with the first files found and memory stays bounded."""
    quick_sizes = collection.sizes() if options.quick and collection is not None else None
    facts.quick_sizes = len(quick_sizes) if quick_sizes is not None else None
    facts.workers = executor.workers
    options.out.mkdir(parents=True, exist_ok=True)
    if facts.spool is not None and options.worker_options.parsers:
        facts.spool.open_for_workers()  # before any batch: workers spool their bulk lines there
    progress.start(0, 0)
    batches = _schedule(opened, options, facts, quick_sizes, progress)
    try:
        with open(options.out / "inventory.jsonl", "w", encoding="utf-8") as inventory:
            for outcome in executor.map_unordered(run_batch, batches):
                _collect(outcome, facts, collection, inventory, progress)
    finally:
        executor.close()
        progress.stop()


def _schedule(
    opened: list[Any], options: TriageOptions, facts: RunFacts, quick_sizes: Any, progress: Progress
) -> Iterator[Batch]:
    """Verifications first, then batches in priority order while the walk goes on.

    Each batch asked for lets the walk go a window further (a window makes several batches, so
    the walk soon runs far ahead of the hashing; it stops `WALK_AHEAD_FILES` ahead so memory
    stays bounded), and the next batch is the best one walked so far: in a quick run the files
    listed in the hash sets; then files an artefact parser claims (their parsing costs far more
    than their hashing: a large history found last would keep one worker busy alone at the
    end); then the largest.
    """
    yield from _verifications(opened, facts)
    queue: list[tuple[tuple[bool, bool, int, int], Batch]] = []
    walk = _walk(opened, options, facts, quick_sizes)
    walking, waiting, order = True, 0, 0
    held: list[FileTask] = []  # big files waiting for a full lane group
    while walking or queue:
        if walking and waiting < WALK_AHEAD_FILES:  # a window per batch asked for: far ahead
            window = list(itertools.islice(walk, WALK_WINDOW_FILES))
            walking = len(window) == WALK_WINDOW_FILES
            progress.discover(len(window), sum(int(t.record.size or 0) for t in window))
            window, held = _hold_big_files(window, held, walking)
            for batch in plan_batches(window):
                claimed = any(t.claimed for t in batch.files)
                unlisted = not any(t.hash_all for t in batch.files)
                order += 1
                heapq.heappush(queue, ((unlisted, not claimed, -batch.size, order), batch))
                waiting += len(batch.files)
        if queue:
            _, batch = heapq.heappop(queue)
            waiting -= len(batch.files)
            yield batch


def _hold_big_files(
    window: list[FileTask], held: list[FileTask], walking: bool
) -> tuple[list[FileTask], list[FileTask]]:
    """Keep big files back until LANE_FILES of them (or the walk's end) make a full lane group.

    Files a parser claims are never held: their parsing is scheduled first."""
    keep = [t for t in window if int(t.record.size or 0) >= BIG_FILE and not t.claimed]
    if keep:
        kept = {id(t) for t in keep}
        window = [t for t in window if id(t) not in kept]
        held = held + keep
    if held and (len(held) >= LANE_FILES or not walking):
        full = len(held) if not walking else len(held) - len(held) % LANE_FILES
        window, held = window + held[:full], held[full:]
    return window, held


def _rule_kinds(order: OrderDocument | None) -> frozenset[str]:
    """The observation kinds some condition of the order can be evidenced by (none: no order)."""
    from orderwatch.monitor.agent_conditions import kinds_to_collect

    if order is None or order.order is None:
        return frozenset()
    return frozenset(kinds_to_collect(order.order.conditions))


def _check_out_dir(options: TriageOptions) -> None:
    out = options.out.resolve()
    existing = [name for name in OUTPUT_FILES if (out / name).exists()]
    if existing:
        raise InvalidInputError(
            str(options.out),
            [Problem(0, f"already holds {', '.join(existing)}; choose a new --out directory")],
        )
    for source in options.sources:
        root = source.resolve()
        if root.is_dir() and (out == root or root in out.parents):
            raise InvalidInputError(
                str(options.out), [Problem(0, f"is inside the source {source}; write elsewhere")]
            )


def _load_hashsets(paths: list[Path]) -> Any:
    if not paths:
        return None
    from orderwatch.forensics.hashsets import load_hashsets

    return load_hashsets(list(paths))


def _source_entry(source: Any) -> dict[str, Any]:
    info = source.info
    entry = {
        "path": str(info.path),
        "format": info.format,
        "size": info.size,
        "md5": info.md5,
        "sha1": info.sha1,
        "verified": info.verified,
    }
    for extra in ("volumes", "snapshots"):
        value = getattr(info, extra, None)
        entry[extra] = _jsonable(value)
    return entry


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return _jsonable(value.to_dict())
    if hasattr(value, "__dataclass_fields__"):
        return {k: _jsonable(getattr(value, k)) for k in value.__dataclass_fields__}
    return str(value)


_ASKED_TOGETHER = 256  # files walked before the parser registry is asked about them


def _walk(
    opened: list[Any], options: TriageOptions, facts: RunFacts, quick_sizes: Any
) -> Iterator[FileTask]:
    """Every file of every source as a task; walk errors go straight to the report."""
    from orderwatch.forensics.parsers import registry
    from orderwatch.forensics.sources import WalkError

    parse = options.worker_options.parsers
    for index, source in enumerate(opened):
        name = str(source.info.path)
        walked = source.walk()
        # The registry is asked about a run of files at once (its code stays in the CPU's caches:
        # asked between two files' stat calls it cost twice as much; `claimed` answers the run
        # in a loop of its own).
        while chunk := list(itertools.islice(walked, _ASKED_TOGETHER)):
            files = [item for item in chunk if not isinstance(item, WalkError)]
            claimed = registry.claimed([item.path for item in files]) if parse else []
            wanted = iter(claimed)
            for item in chunk:
                if isinstance(item, WalkError):
                    facts.errors.append(ErrorRecord(item.path, item.stage, item.message, name))
                    volume = encrypted_volume(name, item.path, item.stage, item.message)
                    if volume is not None:
                        facts.add_observation(volume)
                    continue
                hash_all = quick_sizes is None or int(item.size or 0) in quick_sizes
                yield FileTask(index, name, item, hash_all, parse and next(wanted))


def _verifications(opened: list[Any], facts: RunFacts) -> list[Batch]:
    """A verification task for each image whose stored hash is not yet checked."""
    batches = []
    for index, source in enumerate(opened):
        if source.info.verified is None and source.info.format == "ewf":
            batches.append(Batch(verify_source=index, verify_path=facts.sources[index]["path"]))
    return batches


def plan_batches(tasks: list[FileTask], first: list[Batch] | None = None) -> list[Batch]:
    """Largest files first, up to LANE_FILES of them a batch; small files grouped by bytes.

    A worker hashes a batch's files together, MD5 running their streams in SIMD lanes, so big
    files go in groups (a big file alone would leave the other lanes idle); small files are
    grouped so per-task overhead stays low. In a quick run the files whose size is in the hash
    sets go before all others, so the first match is found in seconds.
    """
    ordered = sorted(
        tasks,
        key=lambda t: (not t.hash_all, -int(t.record.size or 0), t.source_index, t.record.path),
    )
    batches = list(first or [])
    group: list[FileTask] = []
    group_bytes = 0
    big: list[FileTask] = []
    for task in ordered:
        size = int(task.record.size or 0)
        if size >= BIG_FILE:
            if group:  # (quick runs) listed small files stay ahead of unlisted big ones
                batches.append(Batch(files=tuple(group)))
                group, group_bytes = [], 0
            if big and (len(big) >= LANE_FILES or big[0].hash_all != task.hash_all):
                batches.append(Batch(files=tuple(big)))
                big = []
            big.append(task)
            continue
        if big:
            batches.append(Batch(files=tuple(big)))
            big = []
        if group and (group_bytes + size > BATCH_BYTES or len(group) >= BATCH_FILES):
            batches.append(Batch(files=tuple(group)))
            group, group_bytes = [], 0
        group.append(task)
        group_bytes += size
    for rest in (big, group):
        if rest:
            batches.append(Batch(files=tuple(rest)))
    return batches


def _collect(
    outcome: BatchResult | TaskFailure[Batch],
    facts: RunFacts,
    collection: Any,
    inventory: IO[str],
    progress: Progress,
) -> None:
    """Fold one batch's results into the run: match, write its inventory lines, keep the rest."""
    if isinstance(outcome, TaskFailure):
        for task in outcome.item.files:
            facts.errors.append(
                ErrorRecord(task.record.path, "worker", outcome.message, task.source)
            )
        if outcome.item.verify_source is not None:
            path = facts.sources[outcome.item.verify_source]["path"]
            facts.errors.append(ErrorRecord(path, "verify", outcome.message, path))
        progress.advance(len(outcome.item.files), outcome.item.size)
        return
    if outcome.verify_source is not None:
        facts.sources[outcome.verify_source]["verified"] = outcome.verified
    facts.files += outcome.files
    facts.deleted_files += outcome.deleted_files
    facts.files_hashed += outcome.files_hashed
    facts.bytes_hashed += outcome.bytes_hashed
    facts.errors.extend(outcome.errors)
    facts.observations.extend(outcome.observations)
    facts.encoded.extend(outcome.encoded)
    for index, path, block in outcome.blocks:  # to the spool (or where a worker put them)
        if facts.spool is not None:
            facts.spool.add(index, facts.sources[index]["path"], path, block)
    facts.archives.extend(outcome.archives)
    if collection is not None and outcome.keys:
        for matches in match_batch(collection, outcome):
            _record_matches(matches, facts, progress)
    if outcome.lines:
        inventory.write("\n".join(outcome.lines))
        inventory.write("\n")
        inventory.flush()  # a reader following the file sees each batch as it lands
    progress.advance(outcome.files, outcome.size)


def _record_matches(
    matches: list[HashMatchObservation], facts: RunFacts, progress: Progress
) -> None:
    """One file's hash-set matches: observations, counts, and a line on screen for each."""
    facts.hash_matches += 1
    for match in matches:
        facts.add_observation(match)
        progress.note(f"hash-set match: {match.path} ({match.hashset}, {match.category})")
    for category in {m.category or "uncategorised" for m in matches}:
        facts.category_counts[category] = facts.category_counts.get(category, 0) + 1
