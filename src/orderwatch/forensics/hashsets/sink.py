"""RecordSink: where importers put digests, categories, sizes and problems while reading."""

from __future__ import annotations

from array import array
from collections import Counter

import numpy as np

from orderwatch.domain.errors import Problem
from orderwatch.forensics.hashsets.model import (
    EXACT_ALGORITHMS,
    PDQ_BYTES,
    PHOTODNA_BYTES,
)

KNOWN_GOOD_BIT = 0x8000
CATEGORY_MASK = 0x7FFF
DIGEST_SIZES: dict[str, int] = {**EXACT_ALGORITHMS, "pdq": PDQ_BYTES, "photodna": PHOTODNA_BYTES}
MAX_KEPT_PROBLEMS = 1000


class _Column:
    """Digests of one algorithm: whole arrays from fast paths, bytes appended one by one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []
        self.pending = bytearray()
        self.pending_meta = array("H")

    def flush(self) -> None:
        if self.pending_meta:
            digests = np.frombuffer(bytes(self.pending), np.uint8).reshape(-1, self.size)
            self.chunks.append((digests, np.frombuffer(self.pending_meta, np.uint16).copy()))
            self.pending = bytearray()
            self.pending_meta = array("H")

    def take(self) -> tuple[np.ndarray, np.ndarray]:
        self.flush()
        if not self.chunks:
            return np.empty((0, self.size), np.uint8), np.empty(0, np.uint16)
        digests = np.concatenate([c[0] for c in self.chunks])
        meta = np.concatenate([c[1] for c in self.chunks])
        self.chunks = []
        return digests, meta


class RecordSink:
    """Accumulates one build's records; per-file problems are read back after each input."""

    def __init__(self) -> None:
        self.columns = {name: _Column(size) for name, size in DIGEST_SIZES.items()}
        self.category_ids: dict[str, int] = {}
        self.category_counts: Counter[str] = Counter()
        self.size_chunks: list[np.ndarray] = []
        self.sizes_pending = array("q")
        self.records = 0
        self.known_good_records = 0
        self.problems: list[Problem] = []
        self.problem_count = 0

    def meta_for(self, category: str | None, known_good: bool = False) -> int:
        """The 16-bit record tag: category id (0 = none) and the known-good bit."""
        ident = 0
        if category is not None:
            ident = self.category_ids.get(category, 0)
            if not ident:
                ident = len(self.category_ids) + 1
                if ident > CATEGORY_MASK:
                    raise ValueError("more than 32767 distinct categories")
                self.category_ids[category] = ident
        return ident | (KNOWN_GOOD_BIT if known_good else 0)

    def record(self, category: str | None, known_good: bool = False, count: int = 1) -> None:
        """Count input records (media, rows, lines) by category."""
        self.records += count
        if known_good:
            self.known_good_records += count
        if category is not None:
            self.category_counts[category] += count

    def add(self, algorithm: str, digest: bytes, meta: int) -> None:
        """One digest (raw bytes of the algorithm's length)."""
        column = self.columns[algorithm]
        column.pending += digest
        column.pending_meta.append(meta)
        if len(column.pending_meta) >= 1 << 20:
            column.flush()

    def add_array(self, algorithm: str, digests: np.ndarray, meta: int | np.ndarray) -> None:
        """Many digests at once, an (n, size) uint8 array."""
        if len(digests) == 0:
            return
        tags = np.broadcast_to(np.asarray(meta, np.uint16), (len(digests),)).copy()
        column = self.columns[algorithm]
        column.flush()  # keep records in the order they were read
        column.chunks.append((np.ascontiguousarray(digests), tags))

    def add_size(self, size: int) -> None:
        """A file size carried by a known-bad record (VICS/CSV), for triage's quick mode."""
        self.sizes_pending.append(size)

    def problem(self, problem: Problem) -> None:
        """A malformed line or record; the first few are kept with their numbers."""
        self.problem_count += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(problem)

    def take_problems(self) -> tuple[list[Problem], int]:
        """This input's problems (kept, total), clearing them for the next input."""
        kept, total = self.problems, self.problem_count
        self.problems, self.problem_count = [], 0
        return kept, total

    def digest_count(self) -> int:
        """Digests added so far, all algorithms together."""
        return sum(
            len(c.pending_meta) + sum(len(chunk[1]) for chunk in c.chunks)
            for c in self.columns.values()
        )

    def take(self, algorithm: str) -> tuple[np.ndarray, np.ndarray]:
        """All digests of one algorithm read so far, with their tags."""
        return self.columns[algorithm].take()

    def take_sizes(self) -> np.ndarray:
        """Distinct sizes, sorted."""
        chunks = [*self.size_chunks, np.frombuffer(self.sizes_pending, np.int64)]
        sizes = np.concatenate(chunks).astype(np.uint64)
        return np.unique(sizes)

    def category_table(self) -> list[str]:
        """Labels by id: index 0 is the empty label of untagged records."""
        table = [""] * (len(self.category_ids) + 1)
        for label, ident in self.category_ids.items():
            table[ident] = label
        return table
