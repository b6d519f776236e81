"""Loaded hash sets: exact and PDQ matching over .owhs indexes and raw inputs built in memory."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np

from orderwatch.forensics.hashsets.builder import build_index_arrays
from orderwatch.forensics.hashsets.digests import as_digest, digest_matrix
from orderwatch.forensics.hashsets.exact import DigestTable
from orderwatch.forensics.hashsets.importers import detect_format
from orderwatch.forensics.hashsets.model import (
    EXACT_ALGORITHMS,
    PDQ_BYTES,
    PDQ_MATCH_DISTANCE,
    HashSetMatch,
)
from orderwatch.forensics.hashsets.owhs import read_index
from orderwatch.forensics.hashsets.pdq_index import PdqIndex
from orderwatch.forensics.hashsets.sink import CATEGORY_MASK, KNOWN_GOOD_BIT

Digest = bytes | str | None


class HashSet:
    """One hash set: its header (provenance, counts) and its searchable tables."""

    def __init__(self, header: dict[str, Any], arrays: dict[str, np.ndarray], path: Path | None):
        self.header = header
        self.path = path
        self.name: str = header["name"]
        self.categories: list[str] = header["categories"]
        self.tables = {
            algorithm: DigestTable(algorithm, arrays)
            for algorithm in EXACT_ALGORITHMS
            if f"{algorithm}.prefix" in arrays
        }
        self.pdq = PdqIndex(arrays) if "pdq.hashes" in arrays else None
        self.size_array: np.ndarray = arrays.get("sizes", np.empty(0, np.uint64))
        self.photodna_count = len(arrays.get("photodna.meta", ()))
        self._matches: dict[tuple[int, str, int], HashSetMatch] = {}

    @property
    def total_hashes(self) -> int:
        """Entries over every matchable algorithm (MD5, SHA-1, SHA-256, PDQ)."""
        return sum(len(t) for t in self.tables.values()) + (len(self.pdq) if self.pdq else 0)

    def describe(self, meta: int, method: str, distance: int = 0) -> HashSetMatch:
        """The match for an entry's tag (immutable, so equal matches share one object)."""
        key = (meta, method, distance)
        match = self._matches.get(key)
        if match is None:
            category = self.categories[meta & CATEGORY_MASK] or None
            known_good = bool(meta & KNOWN_GOOD_BIT)
            match = self._matches[key] = HashSetMatch(
                self.name, category, method, distance, known_good
            )
        return match


class HashSetCollection:
    """Every hash set loaded for a run; a file's matches come from all of them."""

    def __init__(self, sets: list[HashSet]) -> None:
        self.sets = sets
        self.names: list[str] = [s.name for s in sets]
        self.total_hashes: int = sum(s.total_hashes for s in sets)
        self._sizes: frozenset[int] | None = None

    def match(
        self, md5: Digest, sha1: Digest, sha256: Digest, size: int | None = None
    ) -> list[HashSetMatch]:
        """Exact matches of one file (one per hash set, strongest method). `size` is not needed:
        a digest match decides; it is accepted so inventory records can be passed straight in."""
        given = {"sha256": sha256, "sha1": sha1, "md5": md5}
        digests = {
            algorithm: as_digest(given[algorithm], size)
            for algorithm, size in EXACT_ALGORITHMS.items()
        }
        found: list[HashSetMatch] = []
        matched: set[int] = set()
        for algorithm, digest in digests.items():  # strongest first, as match_many
            if digest is None:
                continue
            for number, hash_set in enumerate(self.sets):
                table = hash_set.tables.get(algorithm)
                if table is None or number in matched:
                    continue
                entry = table.lookup_one(digest)
                if entry is not None:
                    matched.add(number)
                    found.append(hash_set.describe(int(table.meta[entry]), algorithm))
        return found

    def match_many(
        self, md5s: Sequence[Digest], sha1s: Sequence[Digest], sha256s: Sequence[Digest]
    ) -> list[list[HashSetMatch]]:
        """Exact matches of many files at once (vectorised); entries may be None when unknown."""
        count = len(md5s)
        if len(sha1s) != count or len(sha256s) != count:
            raise ValueError("md5s, sha1s and sha256s must have one entry per file")
        with _gc_paused():  # a million fresh lists would otherwise trigger many collections
            results: list[list[HashSetMatch]] = list(map(list, repeat((), count)))
        done = [np.zeros(count, bool) for _ in self.sets]  # one match per file and set
        for algorithm, values in (("sha256", sha256s), ("sha1", sha1s), ("md5", md5s)):
            if not any(algorithm in s.tables for s in self.sets):
                continue
            queries, valid = digest_matrix(values, EXACT_ALGORITHMS[algorithm])
            for number, hash_set in enumerate(self.sets):
                table = hash_set.tables.get(algorithm)
                if table is None:
                    continue
                rows, entries = table.lookup(queries)
                fresh = valid[rows] & ~done[number][rows]
                rows, entries = rows[fresh], entries[fresh]
                done[number][rows] = True
                tags = table.meta[entries].tolist()
                for row, tag in zip(rows.tolist(), tags, strict=True):
                    results[row].append(hash_set.describe(tag, algorithm))
        return results

    def match_pdq(self, pdq: bytes, max_distance: int = PDQ_MATCH_DISTANCE) -> list[HashSetMatch]:
        """Near-duplicates of a 32-byte PDQ hash: the nearest entry per hash set, nearest first."""
        if isinstance(pdq, str):
            pdq = bytes.fromhex(pdq)
        if len(pdq) != PDQ_BYTES:
            raise ValueError(f"a PDQ hash is {PDQ_BYTES} bytes, got {len(pdq)}")
        found = []
        for hash_set in self.sets:
            if hash_set.pdq is None:
                continue
            entries, distances = hash_set.pdq.search(pdq, max_distance)
            if len(entries):
                meta = int(hash_set.pdq.meta[entries[0]])
                found.append(hash_set.describe(meta, "pdq", int(distances[0])))
        return sorted(found, key=lambda m: m.distance)

    def sizes(self) -> frozenset[int]:
        """File sizes carried by known-bad records (VICS, CSV), for triage's quick mode."""
        if self._sizes is None:
            self._sizes = frozenset(int(v) for s in self.sets for v in s.size_array.tolist())
        return self._sizes

    def size_array(self) -> np.ndarray:
        """The same sizes as a sorted numpy array (cheaper for big sets)."""
        arrays = [s.size_array for s in self.sets if len(s.size_array)]
        return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, np.uint64)

    def is_known_good(self, md5: Digest, sha1: Digest) -> bool:
        """Whether the file is in a known-good set (NSRL) by MD5 or SHA-1."""
        matches = self.match_many([md5], [sha1], [None])[0]
        return any(m.known_good for m in matches)


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_hashsets(paths: Sequence[Path]) -> HashSetCollection:
    """Open .owhs indexes (memory-mapped) and build raw inputs (VICS JSON, CSV, plain lists, NSRL
    SQLite) in memory; each raw file becomes a set named after its file stem."""
    sets = []
    for path in map(Path, paths):
        if detect_format(path) == "owhs":
            header, arrays = read_index(path)
        else:
            header, arrays, _ = build_index_arrays([path], path.stem)
        sets.append(HashSet(header, arrays, path))
    return HashSetCollection(sets)
