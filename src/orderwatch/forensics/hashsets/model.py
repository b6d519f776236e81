"""Value types of the hash-set package: matches, build reports and the format error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orderwatch.domain.errors import InvalidInputError, Problem

# Digest length in bytes per exact-match algorithm, strongest first (the order matches are kept in).
EXACT_ALGORITHMS: dict[str, int] = {"sha256": 32, "sha1": 20, "md5": 16}
PDQ_BYTES = 32
PHOTODNA_BYTES = 144
# Hamming distance up to which two PDQ hashes count as the same picture (Meta's recommendation).
PDQ_MATCH_DISTANCE = 31

# progress(stage, done, total): stage is "reading FILE", "indexing" or "writing"; total 0 = unknown.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class HashSetMatch:
    """One hash-set hit for one file: which set, its category, how it matched and how closely."""

    hashset: str
    category: str | None
    method: str  # md5 | sha1 | sha256 | pdq
    distance: int  # 0 for exact matches; Hamming distance for pdq
    known_good: bool


@dataclass(frozen=True)
class RecordProblem(Problem):
    """A problem in a record-oriented input (VICS JSON media, NSRL rows): numbered by record."""

    def __str__(self) -> str:
        return f"record {self.line}: {self.message}" if self.line else self.message


class HashSetFormatError(InvalidInputError):
    """A hash-set input is malformed: names the file, the line or record numbers and the reasons."""

    def __init__(self, source: str, problems: list[Problem], more: int = 0) -> None:
        super().__init__(source, problems)
        self.more = more
        if more:
            self.args = (f"{self.args[0]}; and {more} more problem(s)",)


@dataclass
class BuildReport:
    """What a build read and wrote: counts per algorithm and category, merges and problems."""

    name: str
    output: Path | None
    inputs: list[dict[str, object]] = field(default_factory=list)
    records: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # unique digests per algorithm
    duplicates: dict[str, int] = field(default_factory=dict)  # duplicates merged per algorithm
    conflicts: int = 0  # digests whose records disagreed on category or known-good status
    categories: dict[str, int] = field(default_factory=dict)  # records per category label
    known_good_records: int = 0
    distinct_sizes: int = 0
    problems: list[tuple[str, Problem]] = field(default_factory=list)  # kept (capped) for display
    problem_count: int = 0
    seconds: float = 0.0
