"""The messages between the triage parent and its workers, and the inventory record they build.

Everything here is picklable: a Batch goes to a worker, a BatchResult comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from orderwatch.domain.observations import Observation, format_time
from orderwatch.forensics.parsers.interface import LineBlock
from orderwatch.triage.encoded import EncodedObservation, SpooledBlock

MACB = ("mtime", "atime", "ctime", "btime")


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """One per-item failure: where, at which stage, and why. The run goes on."""

    path: str
    stage: str  # walk | open | read | pdq | archive | parse:<parser> | verify | worker
    message: str
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "stage": self.stage,
            "message": self.message,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class FileTask:
    """One file to examine. `hash_all` is False in a quick run when no hash set has its size.
    `claimed`: whether an artefact parser wants it, as the parent found when it planned the
    batches (the worker then does not ask the registry again); None when nobody asked."""

    source_index: int
    source: str
    record: Any  # forensics.sources.FileRecord
    hash_all: bool = True
    claimed: bool | None = None


@dataclass(frozen=True, slots=True)
class Batch:
    """What one worker call does: some files, or the verification of one source."""

    files: tuple[FileTask, ...] = ()
    verify_source: int | None = None
    verify_path: str | None = None

    @property
    def size(self) -> int:
        return sum(int(t.record.size or 0) for t in self.files)


@dataclass(slots=True)
class FileResult:
    """What a worker found about one file; the parent adds hash-set matches and writes it out.

    A worker sends every observation encoded (`encoded`, or in `blocks` of lines a parser wrote
    in bulk); `observations` keeps the objects of the kinds the order's rules read (all of them
    when the options name no kinds)."""

    source_index: int
    inventory: dict[str, Any]
    observations: list[Observation] = field(default_factory=list)
    encoded: list[EncodedObservation] = field(default_factory=list)
    blocks: list[LineBlock | SpooledBlock] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    bytes_hashed: int = 0
    pdq: bytes | None = None


# What the parent needs of a file to match it against hash sets: MD5, SHA-1, SHA-256, PDQ.
MatchKey = tuple[str | None, str | None, str | None, bytes | None]


@dataclass(slots=True)
class BatchResult:
    """The answer to one Batch, folded in the worker so the parent handles a batch, not files.

    `lines` are the files' inventory.jsonl lines, ready to write; `keys` (when the run matches
    hash sets) give each line's hashes, so the parent rewrites only the lines that match."""

    lines: list[str] = field(default_factory=list)
    keys: list[MatchKey] | None = None
    files: int = 0
    deleted_files: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0
    size: int = 0  # the files' recorded sizes (progress)
    observations: list[Observation] = field(default_factory=list)
    encoded: list[EncodedObservation] = field(default_factory=list)
    # (source index, file path, block): lines a parser wrote in bulk, as bytes the parent
    # spools or as where the worker spooled them
    blocks: list[tuple[int, str, LineBlock | SpooledBlock]] = field(default_factory=list)
    errors: list[ErrorRecord] = field(default_factory=list)
    archives: list[dict[str, Any]] = field(default_factory=list)
    verify_source: int | None = None
    verified: bool | None = None

    def add(self, result: FileResult, line: str) -> None:
        """Fold one examined file (and its encoded inventory line) into the batch."""
        entry = result.inventory
        self.lines.append(line)
        if self.keys is not None:
            self.keys.append((entry["md5"], entry["sha1"], entry["sha256"], result.pdq))
        self.files += 1
        self.deleted_files += int(entry["deleted"])
        self.files_hashed += int(entry["hashed"])
        self.bytes_hashed += result.bytes_hashed
        self.size += entry["size"]
        self.observations.extend(result.observations)
        self.encoded.extend(result.encoded)
        for block in result.blocks:
            self.blocks.append((result.source_index, entry["path"], block))
        self.errors.extend(result.errors)
        archive = entry.get("archive")
        if archive:
            self.archives.append({"source": entry["source"], "path": entry["path"], **archive})


def time_text(value: object) -> str | None:
    """A FileRecord timestamp (datetime, POSIX seconds or text) as UTC ISO 8601."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, int | float):
        return format_time(datetime.fromtimestamp(float(value), tz=UTC))
    return str(value)


def time_value(value: object) -> datetime | None:
    """A FileRecord timestamp as a UTC datetime (None when absent or not understood)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def base_inventory(task: FileTask) -> dict[str, Any]:
    """The inventory fields known before reading: the contract's keys first, then extras."""
    record = task.record
    entry: dict[str, Any] = {
        "path": record.path,
        "size": int(record.size or 0),
        "deleted": bool(record.deleted),
        "md5": None,
        "sha1": None,
        "sha256": None,
        "type": None,
        "extension_mismatch": False,
        "entropy": None,
        "pdq": None,
        "match": [],
        "source": task.source,
        "inode": getattr(record, "inode", None),
        "hidden": bool(getattr(record, "hidden", False)),
        "system": bool(getattr(record, "system", False)),
        "hashed": False,
    }
    for name in MACB:
        entry[name] = time_text(getattr(record, name, None))
    return entry
