"""Observations as triage workers send them: report.json's line, already encoded, and the few
fields the parent sorts, de-duplicates and filters on.

Pickling observation objects to the parent, then building and encoding a dict of each, cost more
than parsing a large history; a worker encodes each observation once and the parent only moves
strings. Objects still travel for the kinds the order's rules read (`WorkerOptions.rule_kinds`).

A parser that writes many lines at once (a history's visits) hands them on as one `LineBlock` of
bytes: the worker appends it to its own spool file beside the report (`BlockWriter`) and sends
the parent only where it lies; the parent (`LineSpool`) copies the pieces into report.json at
the end, never making a Python object per line. A history's C loop writes its block into the
spool itself as compact records (`interface.RECORD_MARK`: each line's own values without its
template's pieces, a third of the bytes); their lines are made as they are copied.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, overload

from orderwatch.domain.observations import Observation, format_time
from orderwatch.forensics.parsers.interface import (
    LINE_SEPARATOR,
    RECORD_MARK,
    LineBlock,
    Templates,
    expand_records,
)

# (id, time text or None, kind, provenance parser, provenance path, provenance record, JSON)
EncodedObservation = tuple[str, str | None, str, str, str, str, str]

_encode = json.JSONEncoder(ensure_ascii=False).encode
_string = json.encoder.encode_basestring  # json's own (C) string quoting, non-ASCII kept
_PROVENANCE = ("source", "parser", "path", "record", "original_time")


def encode_observation(observation: Observation) -> EncodedObservation:
    """One observation as report.json holds it (compact JSON), with its sort and filter keys.

    The line is what json's encoder makes of `to_dict()`, built from a template per kind with
    each value quoted by json's own functions: half the time of the dict and its encoding.
    """
    provenance = observation.provenance
    time = format_time(observation.time)
    template, values = _template(type(observation))
    parts = [observation.id, time, *values(observation), *provenance.__getstate__()]
    return (
        observation.id,
        time,
        observation.KIND,
        provenance.parser,
        provenance.path or "",
        provenance.record or "",
        template % tuple([_string(v) if v.__class__ is str else _value(v) for v in parts]),
    )


def _value(value: Any) -> str:
    """One value as json.dumps writes it (datetimes as to_dict writes them)."""
    if type(value) is str:
        return str(_string(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, datetime):
        return str(_string(str(format_time(value))))
    return _encode(value)  # numbers, lists, dicts: json's encoder itself


def line_template(cls: type[Observation]) -> str:
    """A kind's line with a `%s` for each value: id, time, the kind's own fields in order, then
    provenance's source, parser, path, record and original_time (each as `json_value` writes)."""
    return _template(cls)[0]


def json_value(value: Any) -> str:
    """One value as it stands in a line (the JSON text `encode_observation` writes for it)."""
    return _value(value)


class ReportLines:
    """What a parser mediator is handed to keep observations as report.json lines only."""

    encode = staticmethod(encode_observation)
    template = staticmethod(line_template)
    value = staticmethod(json_value)


REPORT_LINES = ReportLines()

_TEMPLATES: dict[type, tuple[str, Callable[[Any], tuple[Any, ...]]]] = {}


def _template(cls: type[Observation]) -> tuple[str, Callable[[Any], tuple[Any, ...]]]:
    """A kind's line with a %s for each value, and a reader of its own fields' values."""
    found = _TEMPLATES.get(cls)
    if found is None:
        names = tuple(f.name for f in fields(cls) if f.name not in ("id", "time", "provenance"))
        keys = ["id", "kind", "time", *names]
        head = ", ".join(f"{_string(k)}: %s" for k in keys)
        head = head.replace('"kind": %s', f'"kind": {_string(cls.KIND)}', 1)
        tail = ", ".join(f"{_string(k)}: %s" for k in _PROVENANCE)
        template = "{" + head + ', "provenance": {' + tail + "}}"
        getter = attrgetter(*names) if len(names) > 1 else None
        found = (template, getter or (lambda o: tuple(getattr(o, n) for n in names)))
        _TEMPLATES[cls] = found
    return found


def unique_encoded(encoded: Iterable[EncodedObservation]) -> list[EncodedObservation]:
    """One per id, the copy with the first provenance path and record (as unique_observations)."""
    chosen: dict[str, EncodedObservation] = {}
    for item in encoded:
        kept = chosen.get(item[0])
        if kept is None or (item[4], item[5]) < (kept[4], kept[5]):
            chosen[item[0]] = item
    return list(chosen.values())


def sorted_encoded(encoded: Iterable[EncodedObservation]) -> list[EncodedObservation]:
    """Timeline order, as sorted_observations: dated first by time, then undated; kind, id."""
    return sorted(encoded, key=lambda e: (e[1] is None, e[1] or "", e[2], e[0]))


@dataclass(frozen=True, slots=True)
class Segment:
    """One artefact's block of lines, where it lies: in `file` (a spool, then report.json)."""

    source_index: int
    path: str  # the file that gave the lines
    offset: int
    length: int
    kinds: tuple[tuple[str, int], ...]
    file: Path
    templates: Templates = ()  # given: the bytes are compact records of these, not lines

    @property
    def count(self) -> int:
        return sum(count for _, count in self.kinds)


@dataclass(frozen=True, slots=True)
class SpooledBlock:
    """A LineBlock a worker wrote to its own spool file (`BlockWriter`): what the parent is
    sent instead of the bytes."""

    file: str
    offset: int
    length: int
    kinds: tuple[tuple[str, int], ...]
    templates: Templates = ()  # given: the bytes are compact records of these, not lines

    @property
    def count(self) -> int:
        return sum(count for _, count in self.kinds)


class BlockWriter:
    """A worker's spool file in the run's spool folder (`LineSpool.worker_folder`): each block's
    bytes are appended (written through: a worker may end without flushing) and the parent is
    sent where they lie. Without the folder (gone with a failed run), blocks stay bytes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._descriptor: int | None = None
        self._name = ""
        self._size = 0

    def keep(self, block: LineBlock | SpooledBlock) -> LineBlock | SpooledBlock:
        if isinstance(block, SpooledBlock) or not block.lines:
            return block  # (a parser wrote it here itself: see place)
        place = self.place()
        if place is None:
            return block
        try:
            _write_all(place[0], block.lines, place[1])
        except OSError:
            return block
        return self.written(len(block.lines), block.kinds)

    def place(self) -> tuple[int, int] | None:
        """Where the next block goes (descriptor, offset), the file made on first use; None when
        it cannot be (the folder gone with its run, a full disk): the block stays bytes. A
        parser may write there itself (`ParserMediator.sink`), then claim it with `written`."""
        try:
            if self._descriptor is not None and os.fstat(self._descriptor).st_nlink == 0:
                self.close()  # its run ended (an in-process run): the folder is gone
                return None
            if self._descriptor is None:
                self._descriptor, self._name = tempfile.mkstemp(
                    prefix="worker-", suffix=".tmp", dir=self.folder
                )
        except OSError:
            return None
        return self._descriptor, self._size

    def written(
        self, length: int, kinds: tuple[tuple[str, int], ...], templates: Templates = ()
    ) -> SpooledBlock:
        """The `length` bytes written at `place()` are a block (compact records of `templates`
        when given, else lines): where it lies."""
        kept = SpooledBlock(self._name, self._size, length, kinds, templates)
        self._size += length
        return kept

    def close(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def _write_all(descriptor: int, data: bytes, offset: int) -> None:
    """All of `data` at `offset` (a failed block's bytes are overwritten by the next)."""
    view = memoryview(data)
    while view:
        written = os.pwrite(descriptor, view, offset)
        view, offset = view[written:], offset + written


@dataclass
class LineSegments:
    """Lines written in bulk, read back from where they lie (each preceded by LINE_SEPARATOR,
    except where a segment begins report.json's list)."""

    segments: list[Segment] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(segment.count for segment in self.segments)

    def kinds(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for segment in self.segments:
            counts.update(dict(segment.kinds))
        return counts

    def texts(self, segment: Segment) -> list[str]:
        """A segment's lines."""
        with open(segment.file, "rb") as handle:
            handle.seek(segment.offset)
            data = handle.read(segment.length)
        if segment.templates:
            data = expand_records(data, segment.templates)
        pieces = data.decode("utf-8").split(_SEPARATOR)
        return pieces[1:] if pieces and not pieces[0] else pieces

    def tail(self, segment: Segment, count: int) -> list[str]:
        """A segment's last `count` lines (read from its end, not the whole segment)."""
        if count <= 0:
            return []
        mark = RECORD_MARK if segment.templates else LINE_SEPARATOR
        found: list[bytes] = []
        end, step = segment.offset + segment.length, 1 << 18
        with open(segment.file, "rb") as handle:
            start = end
            while start > segment.offset:
                start = max(segment.offset, start - step)
                handle.seek(start)
                data = handle.read(end - start)
                pieces = data.split(mark)
                if start > segment.offset or not pieces[0]:  # a piece of a line, or nothing
                    pieces = pieces[1:]
                if len(pieces) >= count or start == segment.offset:
                    found = pieces[-count:]
                    break
                step *= 2
        if segment.templates and found:
            lines = expand_records(mark + mark.join(found), segment.templates, False)
            return lines.decode("utf-8").split(_SEPARATOR)
        return [piece.decode("utf-8") for piece in found]


_SEPARATOR = LINE_SEPARATOR.decode()


class LineSpool:
    """The blocks of bulk lines the workers make, to be copied into report.json in a fixed
    order: by source, then by the path of the file that gave them, then as they came (one
    file's blocks come in one batch result, in the parser's order). Workers write their blocks
    to files of their own in `worker_folder` (the parent learns only where each lies); blocks
    sent as bytes are appended to one file of the parent's. `remove()` deletes them all; the
    engine calls it whatever happens."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.file: Path | None = None
        # Named now (the workers are told at their start), made by `open_for_workers`.
        name = f".orderwatch-lines-{os.getpid()}-{os.urandom(4).hex()}"
        self.worker_folder = directory.absolute() / name
        self._folder_made = False
        self._handle: IO[bytes] | None = None
        self._size = 0
        self._segments: list[tuple[tuple[int, str, int], str, Segment]] = []

    def open_for_workers(self) -> Path:
        """Make the folder the workers' spool files go to (the output folder exists by now)."""
        self.worker_folder.mkdir(exist_ok=True)
        self._folder_made = True
        return self.worker_folder

    def add(
        self, source_index: int, source: str, path: str, block: LineBlock | SpooledBlock
    ) -> None:
        if isinstance(block, SpooledBlock):
            if not block.length:
                return
            where = Path(block.file)
            if where.parent != self.worker_folder:
                raise ValueError(f"{where} is not in this run's spool folder")
            segment = Segment(
                source_index, path, block.offset, block.length, block.kinds, where, block.templates
            )
        else:
            if not block.lines:
                return
            if self._handle is None or self.file is None:
                descriptor, name = tempfile.mkstemp(
                    prefix=".orderwatch-lines-", suffix=".tmp", dir=self.directory
                )
                self.file, self._handle = Path(name), os.fdopen(descriptor, "wb")
            self._handle.write(block.lines)
            segment = Segment(
                source_index, path, self._size, len(block.lines), block.kinds, self.file
            )
            self._size += len(block.lines)
        key = (source_index, path, len(self._segments))
        self._segments.append((key, source, segment))

    def segments(self) -> LineSegments | None:
        """The spooled lines in report order (None when nothing was spooled). A file given
        twice (the same source named twice) keeps the lines of its first source only: their
        ids are the same."""
        if not self._segments:
            return None
        if self._handle is not None:
            self._handle.flush()
        taken: dict[tuple[str, str], int] = {}
        ordered = []
        for (index, path, _), source, segment in sorted(self._segments, key=lambda s: s[0]):
            if taken.setdefault((source, path), index) == index:
                ordered.append(segment)
        return LineSegments(ordered)

    def remove(self) -> None:
        if self._handle is not None:
            self._handle.close()
        if self.file is not None:
            self.file.unlink(missing_ok=True)
        if self._folder_made:
            shutil.rmtree(self.worker_folder, ignore_errors=True)


def copy_segments(lines: LineSegments, target: IO[bytes], skip_first: bool) -> LineSegments:
    """Copy the segments' bytes into `target` at its position (os.sendfile where it works), the
    first without its leading separator when `skip_first`; where they now lie in `target`."""
    target.flush()
    position = target.tell()
    placed: list[Segment] = []
    into = Path(target.name)
    with ExitStack() as stack:
        sources: dict[Path, IO[bytes]] = {}
        for number, segment in enumerate(lines.segments):
            source = sources.get(segment.file)
            if source is None:
                source = sources[segment.file] = stack.enter_context(open(segment.file, "rb"))
            first = skip_first and number == 0
            if segment.templates:  # compact records: their lines made as they are copied
                length = _expand_range(source, target, segment, not first)
            else:
                cut = len(LINE_SEPARATOR) if first else 0
                _copy_range(source, target, segment.offset + cut, segment.length - cut)
                length = segment.length - cut
            placed.append(
                Segment(segment.source_index, segment.path, position, length, segment.kinds, into)
            )
            position += length
    target.seek(position)
    return LineSegments(placed)


def _expand_range(
    source: IO[bytes], target: IO[bytes], segment: Segment, first_separated: bool
) -> int:
    """The lines of a segment of compact records written at `target`'s end (read where they
    lie in the page cache, written through a buffer of the C module's): their size."""
    target.flush()
    out = target.fileno()
    os.lseek(out, 0, os.SEEK_END)
    end = segment.offset + segment.length
    with (
        mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ) as mapped,
        memoryview(mapped) as whole,
        whole[segment.offset : end] as records,
    ):
        if len(records) != segment.length:
            raise OSError(f"{source.name} ends before its records")
        return expand_records(records, segment.templates, first_separated, out)


def _copy_range(source: IO[bytes], target: IO[bytes], offset: int, length: int) -> None:
    out = target.fileno()
    try:
        while length > 0:
            sent = os.sendfile(out, source.fileno(), offset, length)
            if sent == 0:
                raise OSError("sendfile copied nothing")
            offset += sent
            length -= sent
        return
    except (OSError, AttributeError):  # no sendfile between these files: read and write
        pass
    target.seek(0, os.SEEK_END)
    source.seek(offset)
    while length > 0:
        chunk = source.read(min(length, 1 << 20))
        if not chunk:
            raise OSError(f"{source.name} ends before its lines")
        target.write(chunk)
        length -= len(chunk)
    target.flush()


class ObservationLines(Sequence[dict[str, Any]]):
    """report.json's observations, kept encoded: read as dicts (decoded on access), written as
    the lines they are, filtered on id, kind and parser without decoding.

    `encoded` come first (timeline order), then the lines written in bulk (`bulk`: in the spool
    until report.json is written, then in report.json), artefact by artefact."""

    def __init__(self, encoded: list[EncodedObservation], bulk: LineSegments | None = None) -> None:
        self.encoded = encoded
        self.bulk = bulk

    def __len__(self) -> int:
        return len(self.encoded) + (self.bulk.count if self.bulk is not None else 0)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if self.bulk is None or not self.bulk.segments:
            if isinstance(index, slice):
                return [json.loads(e[-1]) for e in self.encoded[index]]
            return dict(json.loads(self.encoded[index][-1]))
        return list(self)[index]  # (tests) bulk lines are not indexed

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in self.encoded:
            yield json.loads(item[-1])
        for text in self.bulk_texts():
            yield json.loads(text)

    def lines(self) -> Iterator[str]:
        """The encoded observations' lines (the bulk lines are copied as bytes)."""
        return (item[-1] for item in self.encoded)

    def bulk_texts(self) -> Iterator[str]:
        if self.bulk is not None:
            for segment in self.bulk.segments:
                yield from self.bulk.texts(segment)

    def bulk_with_ids(self, ids: set[str] | frozenset[str]) -> list[dict[str, Any]]:
        """The bulk lines (decoded) whose id is in `ids`. A line starts '{"id": "' and an id is
        20 characters (domain.observations makes them), so only those lines are decoded."""
        return [json.loads(text) for text in self.bulk_texts() if text[8:28] in ids]

    def select(self, keep: Callable[[EncodedObservation], bool]) -> list[dict[str, Any]]:
        """The encoded observations (decoded, in order) whose encoded keys `keep` accepts (the
        bulk lines are not among them: see `bulk_kinds`)."""
        return [json.loads(item[-1]) for item in self.encoded if keep(item)]

    def bulk_kinds(self) -> Counter[str]:
        """How many lines of each kind were written in bulk."""
        return self.bulk.kinds() if self.bulk is not None else Counter()
