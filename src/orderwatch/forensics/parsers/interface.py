"""What a parser sees: an artefact (one file, wherever it lives) and a mediator to report through.

Parsers are written once and used by triage (files inside an evidence image) and by the agent (live
files on the device). They only extract observations; meaning is given by `domain.rules`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, ClassVar, Protocol, overload

from orderwatch.domain.observations import Observation, Provenance, StableIds

if TYPE_CHECKING:
    from orderwatch.triage.encoded import EncodedObservation


def file_name_key(path: str) -> str:
    """The lower-cased last component of a POSIX path (the registry's index key)."""
    return path.rsplit("/", 1)[-1].lower()


class Artefact(ABC):
    """One file handed to a parser. `path` is POSIX-style, relative to the evidence source root."""

    path: str

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    @abstractmethod
    def open(self) -> BinaryIO:
        """A read-only binary stream of the file's content."""

    @abstractmethod
    def sibling(self, name: str) -> Artefact | None:
        """Another file in the same folder (e.g. `History-wal`), or None when absent."""

    @abstractmethod
    def size(self) -> int:
        """Size in bytes."""

    @contextmanager
    def local_copy(
        self, companions: tuple[str, ...] = ("-wal", "-journal", "-shm")
    ) -> Iterator[Path]:
        """A private copy on local disk (with companion files such as SQLite's WAL) to open freely.

        The evidence is never opened for writing; the copy is deleted afterwards. Only the fixed
        file name is used for the copy, so nothing the artefact contains can steer where it lands.
        """
        with tempfile.TemporaryDirectory(prefix="orderwatch-artefact-") as tmp:
            target = Path(tmp) / "artefact"
            with self.open() as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, 1024 * 1024)
            for suffix in companions:
                companion = self.sibling(self.name + suffix)
                if companion is not None:
                    with companion.open() as source, open(str(target) + suffix, "wb") as out:
                        shutil.copyfileobj(source, out, 1024 * 1024)
            yield target


class LocalArtefact(Artefact):
    """A file on the local file system (the agent, a mounted folder, tests)."""

    def __init__(self, file_path: Path, root: Path | None = None) -> None:
        self.file_path = Path(file_path)
        self.root = root or self.file_path.parent
        self.path = "/" + self.file_path.relative_to(self.root).as_posix()

    def open(self) -> BinaryIO:
        return open(self.file_path, "rb")

    def sibling(self, name: str) -> Artefact | None:
        candidate = self.file_path.with_name(name)
        if not candidate.is_file():
            return None
        return LocalArtefact(candidate, self.root)

    def size(self) -> int:
        return self.file_path.stat().st_size


LINE_SEPARATOR = b",\n    "  # what precedes each line of a LineBlock (report.json's own)
# A compact record (what a parser may write to a LineSink instead of lines: a third of the bytes):
# RECORD_MARK, its template's tag (b"1" for the first template, b"2" for the second...), then the
# texts of the template's slots parted by SLOT_MARK. JSON escapes every byte below 0x20, so
# neither mark occurs in a slot's text. `expand_records` makes the lines.
RECORD_MARK = b"\x1e"
SLOT_MARK = b"\x1f"
# A compact block's templates: each a line's pieces, its slots' texts go between them.
Templates = tuple[tuple[bytes, ...], ...]
Buffer = bytes | bytearray | memoryview


@overload
def expand_records(data: Buffer, templates: Templates, first_separated: bool = True) -> bytes: ...


@overload
def expand_records(data: Buffer, templates: Templates, first_separated: bool, fd: int) -> int: ...


def expand_records(
    data: Buffer, templates: Templates, first_separated: bool = True, fd: int | None = None
) -> bytes | int:
    """The lines of whole compact records, each preceded by LINE_SEPARATOR (not the first,
    unless `first_separated`): their bytes, or, given `fd`, how many were written there at its
    position. ValueError names the first record its template does not fit."""
    try:
        from orderwatch.forensics.parsers._visitlines import expand_lines
    except ImportError:  # (the C module is not built: nothing wrote compact records)
        lines = python_expand_records(bytes(data), templates, first_separated)
        if fd is None:
            return lines
        with memoryview(lines) as view:
            done = 0
            while done < len(view):
                done += os.write(fd, view[done:])
        return len(lines)
    if fd is None:
        return bytes(expand_lines(data, templates, first_separated))
    return int(expand_lines(data, templates, first_separated, fd))


def python_expand_records(data: bytes, templates: Templates, first_separated: bool) -> bytes:
    """What `_visitlines.expand_lines` does, in Python (the tests compare them)."""
    out: list[bytes] = []
    records = data.split(RECORD_MARK)
    if records[0]:
        raise ValueError("compact record 0 (byte 0) has no known tag")
    for number, record in enumerate(records[1:]):
        tag = record[:1]
        if not tag or not b"1" <= tag <= b"9" or int(tag) > len(templates):
            raise ValueError(f"compact record {number} has no known tag")
        pieces = templates[int(tag) - 1]
        slots = record[1:].split(SLOT_MARK) if len(pieces) > 1 else []
        if len(slots) != len(pieces) - 1 or (len(pieces) == 1 and record[1:]):
            raise ValueError(f"compact record {number} does not fit its template")
        if number or first_separated:
            out.append(LINE_SEPARATOR)
        out.append(pieces[0])
        for slot, piece in zip(slots, pieces[1:], strict=True):
            out += (slot, piece)
    return b"".join(out)


@dataclass(frozen=True, slots=True)
class LineBlock:
    """Many observations of one artefact written as report.json lines, in bulk (UTF-8, each
    line preceded by LINE_SEPARATOR), in the parser's order. Their ids are unique by
    construction (the artefact's own record keys): the triage copies the bytes into report.json
    as they are, without reading, de-duplicating or sorting them. `kinds` counts them by kind."""

    lines: bytes
    kinds: tuple[tuple[str, int], ...]

    @property
    def count(self) -> int:
        return sum(count for _, count in self.kinds)

    def texts(self) -> list[str]:
        """Each line as text (tests, benchmarks)."""
        if not self.lines:
            return []
        return self.lines.decode("utf-8").split(LINE_SEPARATOR.decode())[1:]


@dataclass
class ParseError:
    """A per-artefact failure: recorded, and the run carries on."""

    path: str
    parser: str
    message: str


class LineWriter(Protocol):
    """How report.json writes observations (`triage.encoded.REPORT_LINES`): a parser that makes
    many of one kind may write their lines itself from the kind's template."""

    def encode(self, observation: Observation) -> EncodedObservation: ...

    def template(self, cls: type[Observation]) -> str: ...

    def value(self, value: Any) -> str: ...


class LineSink(Protocol):
    """Where a parser may write a block of lines as it makes them (a triage worker's spool file,
    `triage.encoded.BlockWriter`), rather than hold them all as one bytes object."""

    def place(self) -> tuple[int, int] | None:
        """(file descriptor, offset) to write the next block at; None: keep it as bytes."""
        ...

    def written(
        self, length: int, kinds: tuple[tuple[str, int], ...], templates: Templates = ()
    ) -> Any:
        """Claim the `length` bytes written at the place: the block that stands for them in
        `ParserMediator.blocks` (with `kinds` and `count` as a LineBlock has). With `templates`
        the bytes are compact records of them (RECORD_MARK), else lines."""
        ...


@dataclass
class ParserMediator:
    """The one channel from a parser to the rest of the system (plaso's mediator).

    Given `lines`, observations of kinds outside `object_kinds` are kept only as their
    report.json lines (`encoded`, or `blocks` when a parser writes many at once): a triage needs
    objects only for the kinds its order's rules read. Without `lines` (or with `object_kinds`
    None) every observation is kept as an object.
    """

    source: str
    on_observation: Callable[[Observation], None] | None = None
    observations: list[Observation] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
    lines: LineWriter | None = None
    object_kinds: frozenset[str] | None = None
    encoded: list[EncodedObservation] = field(default_factory=list)
    # Lines written in bulk (`lines` set): LineBlocks, or what `sink` gave for those written there.
    blocks: list[Any] = field(default_factory=list)
    sink: LineSink | None = None
    _ids: dict[tuple[str, str], StableIds] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def wants_object(self, kind: str) -> bool:
        """Whether an observation of `kind` must be made as an object (else a line will do)."""
        return (
            self.lines is None
            or self.object_kinds is None
            or self.on_observation is not None
            or kind in self.object_kinds
        )

    def produce(self, observation: Observation) -> None:
        if self.on_observation is not None:
            self.on_observation(observation)
        elif self.lines is None or self.wants_object(observation.KIND):
            self.observations.append(observation)
        else:
            self.encoded.append(self.lines.encode(observation))

    def error(self, path: str, parser: str, message: str) -> None:
        self.errors.append(ParseError(path, parser, message))

    def provenance(
        self, parser: str, path: str, record: object = None, original_time: object = None
    ) -> Provenance:
        return Provenance(
            source=self.source,
            parser=parser,
            path=path,
            record=None if record is None else str(record),
            original_time=None if original_time is None else str(original_time),
        )

    def observation_id(self, parser: str, path: str, *record: object) -> str:
        """Reproducible: the same artefact parsed twice gives the same ids."""
        ids = self._ids.get((parser, path))
        if ids is None:
            ids = self._ids[(parser, path)] = StableIds(self.source, parser, path)
        return ids(*record)


class ArtefactParser(ABC):
    """Base of every parser plugin. Subclasses set NAME, DESCRIPTION and FILE_NAMES/matches()."""

    NAME: ClassVar[str] = ""
    DESCRIPTION: ClassVar[str] = ""
    # Exact file names (case-insensitive) this parser wants; override matches() for more.
    FILE_NAMES: ClassVar[tuple[str, ...]] = ()

    def matches(self, path: str) -> bool:
        """Whether this parser wants the file at `path` (decided on the path alone: cheap).

        Parsers that keep this default are looked up by file name in the registry's index, so
        they cost nothing for the files they do not want.
        """
        return file_name_key(path) in {n.lower() for n in self.FILE_NAMES}

    def matches_many(self, paths: list[str]) -> list[bool]:
        """matches() of each path, in order (the registry asks a run of walked files at once; a
        parser asked about every file may answer them in one loop)."""
        return [self.matches(path) for path in paths]

    def base_names(self) -> str | None:
        """For a parser with its own matches(): a regular expression every base name it claims
        fullmatches (case ignored), so the registry asks it only about those (one pattern for
        all such parsers per file); None: asked about every file."""
        return None

    @abstractmethod
    def parse(self, artefact: Artefact, mediator: ParserMediator) -> None:
        """Read the artefact and report observations (and per-record errors) to the mediator.

        Raise an exception only when the whole artefact is unreadable; the caller records it.
        """
