"""The work each triage worker process does: read, hash, type, PDQ, detectors and parsers per file.

A worker holds one dfvfs resolver context, one read buffer and the sources it has reopened (for
parsers that need sibling files). It returns observations and errors; it never writes output.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from orderwatch.forensics.filetypes import IMAGE_TYPES_DECODABLE, FileType, detect_type
from orderwatch.forensics.hashing import (
    ENTROPY_SAMPLE,
    ROUND_SIZE,
    Digest,
    ImageDecodeError,
    hash_stream,
    hash_streams,
    pdq_hash,
    read_head,
)
from orderwatch.forensics.parsers.interface import ParserMediator
from orderwatch.forensics.software_catalogue import SoftwareCatalogue, use_default_catalogue
from orderwatch.triage.encoded import REPORT_LINES, BlockWriter, encode_observation
from orderwatch.triage.hidden import FileFacts, detect_hidden_material, list_archive
from orderwatch.triage.records import (
    Batch,
    BatchResult,
    ErrorRecord,
    FileResult,
    FileTask,
    base_inventory,
    time_value,
)

MAX_IMAGE_BYTES = 64 * 1024 * 1024  # larger images are hashed but not decoded for PDQ
FILES_HASHED_TOGETHER = 64  # a batch's files are opened and hashed this many at a time
_LINE = json.JSONEncoder(ensure_ascii=False).encode  # an inventory entry as its jsonl line


@dataclass(frozen=True)
class WorkerOptions:
    """What every file gets; fixed for a run and sent to each worker once."""

    pdq: bool = True
    parsers: bool = True
    archives: bool = True
    entropy_sample: int | None = ENTROPY_SAMPLE
    max_image_bytes: int = MAX_IMAGE_BYTES
    # Kinds whose objects the parent needs (the order's rules); the rest travel only encoded.
    # None keeps every object (callers of examine_file that read them).
    rule_kinds: frozenset[str] | None = None
    match_keys: bool = False  # send each file's hashes back: the parent matches hash sets
    # The parent's software catalogue (parsers read it); None: each worker loads its own.
    catalogue: SoftwareCatalogue | None = field(default=None, compare=False)
    # Where bulk lines go (LineSpool.worker_folder): each worker appends its blocks to a file
    # there and sends where they lie; None: blocks travel to the parent as bytes.
    spool_folder: str | None = None


@dataclass
class _WorkerState:
    options: WorkerOptions
    context: Any
    buffer: bytearray = field(default_factory=lambda: bytearray(ROUND_SIZE))
    writer: BlockWriter | None = None


_state: _WorkerState | None = None


def init_worker(options: WorkerOptions) -> None:
    """Called once in each worker process: its own resolver context and buffer."""
    global _state
    from orderwatch.forensics import sources

    if _state is not None and _state.writer is not None:
        _state.writer.close()  # (in-process runs: the previous run's file)
    writer = BlockWriter(Path(options.spool_folder)) if options.spool_folder else None
    _state = _WorkerState(options, sources.new_resolver_context(), writer=writer)
    if options.catalogue is not None:
        use_default_catalogue(options.catalogue)


def run_batch(batch: Batch) -> BatchResult:
    """Examine every file of a batch (or verify a source); per-file failures become errors."""
    state = _state
    if state is None:
        init_worker(WorkerOptions())
        state = _state
    assert state is not None
    result = BatchResult(verify_source=batch.verify_source)
    if state.options.match_keys:
        result.keys = []
    if batch.verify_path is not None:
        result.verified, error = _verify(batch.verify_path)
        if error is not None:
            result.errors.append(error)
    files = batch.files
    for start in range(0, len(files), FILES_HASHED_TOGETHER):
        for examined in examine_files(state, files[start : start + FILES_HASHED_TOGETHER]):
            result.add(examined, _LINE(examined.inventory))
    return result


def _verify(path: str) -> tuple[bool | None, ErrorRecord | None]:
    from orderwatch.forensics import sources

    try:
        with sources.open_source(Path(path)) as source:
            verified = source.verify()
            problem = source.verification_problem
    except Exception as error:  # a truncated image fails verification; the run goes on
        return False, ErrorRecord(path, "verify", f"{type(error).__name__}: {error}", path)
    if verified is False:
        return False, ErrorRecord(path, "verify", problem or "stored hash does not match", path)
    return verified, None


def examine_files(state: _WorkerState, tasks: Sequence[FileTask]) -> list[FileResult]:
    """Everything about some files that needs their content; their hashing done together.

    The files are opened, hashed in one `hash_streams` (MD5 in SIMD lanes across them), then
    finished one by one (archives listed while still open, hidden-material detectors, PDQ,
    parsers). A file that cannot be opened or read gets an error; the others go on."""
    from orderwatch.forensics import sources

    options = state.options
    files: list[_File] = []
    for task in tasks:
        entry = base_inventory(task)
        file = _File(task, entry, FileResult(task.source_index, entry))
        try:
            file.stream = sources.open_file(task.record.locator, state.context)
        except Exception as error:
            file.result.errors.append(_error(task, "open", error))
        files.append(file)
    hashed = [f for f in files if f.stream is not None and f.task.hash_all]
    if hashed:

        def keep(index: int, detected: FileType | None) -> bool:
            return _wants_pdq(options, detected, hashed[index].entry["size"])

        try:
            outcomes = hash_streams(
                [f.stream for f in hashed if f.stream is not None],
                [f.entry["size"] for f in hashed],
                keep,
                state.buffer,
                options.entropy_sample,
            )
        except BaseException:  # not one file's failure (those come back as outcomes)
            for file in files:
                if file.stream is not None:
                    file.stream.close()
            raise
        for file, outcome in zip(hashed, outcomes, strict=True):
            file.hashed = outcome
    return [_finish(state, file) for file in files]


class _File:
    """A file of `examine_files` between its opening and its finishing."""

    __slots__ = ("entry", "hashed", "result", "stream", "task")

    def __init__(self, task: FileTask, entry: dict[str, Any], result: FileResult) -> None:
        self.task = task
        self.entry = entry
        self.result = result
        self.stream: BinaryIO | None = None
        self.hashed: Digest | BaseException | None = None


def _finish(state: _WorkerState, file: _File) -> FileResult:
    task, entry, result, stream = file.task, file.entry, file.result, file.stream
    if stream is None:
        return result
    options = state.options
    record = task.record
    detected: FileType | None = None
    digest: Digest | None = None
    try:
        if isinstance(file.hashed, BaseException):
            raise file.hashed
        if file.hashed is not None:
            digest = file.hashed
        else:  # a quick run: only the type, unless PDQ needs the content
            detected = detect_type(read_head(stream))
            if _wants_pdq(options, detected, entry["size"]):
                stream.seek(0)
                digest = _hash(state, stream, entry["size"])
        if digest is not None:
            detected = digest.type
            entry.update(md5=digest.md5, sha1=digest.sha1, sha256=digest.sha256, hashed=True)
            entry["entropy"] = digest.entropy
            entry["size_read"] = digest.size
            result.bytes_hashed = digest.size
            if digest.size != entry["size"]:
                message = f"read {digest.size} bytes of {entry['size']}; hashes cover what was read"
                result.errors.append(ErrorRecord(record.path, "read", message, task.source))
        if options.archives and detected is not None and detected.name in ("zip", "tar"):
            _list_archive(task, stream, detected, entry, result)
    except Exception as error:  # an unreadable sector or a back-end error on this file only
        result.errors.append(_error(task, "read", error))
    finally:
        stream.close()
    entry["type"] = detected.name if detected is not None else None
    facts = _facts(task, detected, entry)
    found = detect_hidden_material(facts)
    entry["extension_mismatch"] = any(o.kind == "signature_mismatch" for o in found)
    result.observations.extend(found)
    if digest is not None and digest.content is not None:
        _add_pdq(task, digest.content, entry, result)
    if options.parsers:
        _run_parsers(state, task, result)
    if result.observations:
        _encode(options, result)
    return result


def _encode(options: WorkerOptions, result: FileResult) -> None:
    """Every observation as report.json's line; objects kept only for the rules' kinds."""
    result.encoded += [encode_observation(o) for o in result.observations]
    kinds = options.rule_kinds
    if kinds is not None:
        result.observations = [o for o in result.observations if o.KIND in kinds]


def _wants_pdq(options: WorkerOptions, detected: FileType | None, size: int) -> bool:
    return (
        options.pdq
        and detected is not None
        and detected.name in IMAGE_TYPES_DECODABLE
        and size <= options.max_image_bytes
    )


def _hash(state: _WorkerState, stream: BinaryIO, size: int) -> Digest:
    options = state.options
    return hash_stream(
        stream,
        size,
        keep_content=lambda detected: _wants_pdq(options, detected, size),
        buffer=state.buffer,
        entropy_sample=options.entropy_sample,
    )


def _add_pdq(task: FileTask, content: bytes, entry: dict[str, Any], result: FileResult) -> None:
    try:
        pdq, quality = pdq_hash(content)
    except ImageDecodeError as error:
        result.errors.append(ErrorRecord(task.record.path, "pdq", str(error), task.source))
        return
    entry["pdq"] = pdq.hex()
    entry["pdq_quality"] = quality
    result.pdq = pdq


def _list_archive(
    task: FileTask, stream: BinaryIO, detected: FileType, entry: dict[str, Any], result: FileResult
) -> None:
    try:
        stream.seek(0)
        entry["archive"] = list_archive(stream, detected.name)
    except Exception as error:  # a damaged or truncated archive
        result.errors.append(_error(task, "archive", error))


def _facts(task: FileTask, detected: FileType | None, entry: dict[str, Any]) -> FileFacts:
    return FileFacts(
        source=task.source,
        path=entry["path"],
        size=entry["size"],
        inode=entry["inode"],
        detected=detected,
        entropy=entry["entropy"],
        hidden=entry["hidden"],
        system=entry["system"],
        deleted=entry["deleted"],
        mtime=time_value(getattr(task.record, "mtime", None)),
    )


def _run_parsers(state: _WorkerState, task: FileTask, result: FileResult) -> None:
    from orderwatch.forensics import sources
    from orderwatch.forensics.parsers import registry

    if task.claimed is False or not registry.parsers_for(task.record.path):
        return  # (a claimed file is asked again: registry.parse needs its parsers)
    artefact = sources.ImageArtefact(task.record, state.context)
    # Parsers keep as lines only the kinds the rules do not read (a history's visits, mostly).
    mediator = ParserMediator(
        task.source, lines=REPORT_LINES, object_kinds=state.options.rule_kinds, sink=state.writer
    )
    registry.parse(artefact, mediator)
    result.observations.extend(mediator.observations)
    result.encoded += mediator.encoded
    writer = state.writer  # bulk lines (a history's visits): spooled here, not sent as bytes
    result.blocks += [writer.keep(b) for b in mediator.blocks] if writer else mediator.blocks
    for problem in mediator.errors:
        stage = f"parse:{problem.parser}"
        result.errors.append(ErrorRecord(problem.path, stage, problem.message, task.source))


def _error(task: FileTask, stage: str, error: BaseException) -> ErrorRecord:
    message = str(error) or type(error).__name__
    if not isinstance(error, OSError):
        message = f"{type(error).__name__}: {message}"
    return ErrorRecord(task.record.path, stage, message, task.source)
