"""PDQ near-duplicate search by multi-index hashing, never comparing a query with every hash.

The 256-bit hash is split into 16 chunks of 16 bits. If two hashes differ in at most r bits, one
chunk differs in at most r // 16 bits (pigeonhole), so for r <= 31 it suffices to look up, in each
chunk's table, the query's chunk value and its 16 one-bit neighbours: 272 probes. Each table is
an order of entry ids sorted by chunk value with 65,537 offsets. Candidates are then verified with
a popcount of the XOR on the full hashes.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from orderwatch.forensics.hashsets.model import PDQ_BYTES

CHUNKS = 16
CHUNK_VALUES = 1 << 16
MAX_RADIUS = 2  # beyond 47 bits the probes outnumber a plain scan's work
BRUTE_FORCE_BELOW = 4096  # entries: a scan is quicker than probing for small sets


def pdq_arrays(hashes: np.ndarray, meta: np.ndarray) -> dict[str, np.ndarray]:
    """The index arrays for sorted, merged (n, 32) PDQ hashes."""
    count = len(hashes)
    chunks = hashes.view(">u2").astype(np.uint16)  # 16-bit keys: stable argsort is a radix sort
    order = np.empty((CHUNKS, count), np.uint32)
    offsets = np.zeros((CHUNKS, CHUNK_VALUES + 1), np.uint32)
    for chunk in range(CHUNKS):
        column = chunks[:, chunk]
        order[chunk] = np.argsort(column, kind="stable")
        np.cumsum(np.bincount(column, minlength=CHUNK_VALUES), out=offsets[chunk, 1:])
    return {
        "pdq.hashes": np.ascontiguousarray(hashes),
        "pdq.meta": meta.astype(np.uint16),
        "pdq.order": order,
        "pdq.offsets": offsets,
    }


@cache
def _flip_masks(radius: int) -> np.ndarray:
    """All 16-bit values with at most `radius` bits set (the probe offsets)."""
    values = np.arange(CHUNK_VALUES, dtype=np.uint16)
    return values[np.bitwise_count(values) <= radius].astype(np.intp)


def _row_popcount(words: np.ndarray) -> np.ndarray:
    """Set bits per row of an (n, 4) uint64 array (adding columns beats a reduction over axis 1)."""
    counts = np.bitwise_count(words)
    total = counts[:, 0].astype(np.intp)
    for column in range(1, counts.shape[1]):
        total += counts[:, column]
    return total


class PdqIndex:
    """One hash set's PDQ hashes with their multi-index tables."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.hashes = arrays["pdq.hashes"]
        self.meta = arrays["pdq.meta"]
        self.order = arrays["pdq.order"].reshape(-1)
        self.offsets = arrays["pdq.offsets"]
        self.count = len(self.meta)
        self._words = self.hashes.view(np.uint64).reshape(self.count, 4)
        self._flat_offsets = self.offsets.reshape(-1)
        self._offset_base = np.arange(CHUNKS, dtype=np.intp)[:, None] * (CHUNK_VALUES + 1)
        self._chunk_base = np.arange(CHUNKS, dtype=np.int64)[:, None] * self.count

    def __len__(self) -> int:
        return self.count

    def search(self, pdq: bytes, max_distance: int) -> tuple[np.ndarray, np.ndarray]:
        """Entries within `max_distance` bits of `pdq`: (entries, distances), nearest first."""
        if len(pdq) != PDQ_BYTES:
            raise ValueError(f"a PDQ hash is {PDQ_BYTES} bytes, got {len(pdq)}")
        if not 0 <= max_distance <= 8 * PDQ_BYTES:
            raise ValueError(f"max_distance must be 0..256, got {max_distance}")
        radius = max_distance // CHUNKS
        if radius > MAX_RADIUS or self.count < BRUTE_FORCE_BELOW:
            return self.scan(pdq, max_distance)
        query = np.frombuffer(pdq, np.uint8)
        values = query.view(">u2").astype(np.intp)
        probes = (values[:, None] ^ _flip_masks(radius)[None, :]) + self._offset_base
        starts = self._flat_offsets[probes].astype(np.int64)
        ends = self._flat_offsets[probes + 1].astype(np.int64)
        lengths = (ends - starts).reshape(-1)
        total = int(lengths.sum())
        if total == 0:
            empty = np.empty(0, np.intp)
            return empty, empty
        firsts = (starts + self._chunk_base).reshape(-1)
        skip = np.repeat(firsts - (np.cumsum(lengths) - lengths), lengths)
        candidates = np.take(self.order, skip + np.arange(total)).astype(np.intp)
        distances = self._distances(candidates, query)
        close = distances <= max_distance
        entries, first = np.unique(candidates[close], return_index=True)
        return self._nearest_first(entries, distances[close][first])

    def scan(self, pdq: bytes, max_distance: int) -> tuple[np.ndarray, np.ndarray]:
        """The same answer by comparing with every hash (the brute-force reference)."""
        query = np.frombuffer(pdq, np.uint8)
        distances = _row_popcount(self._words ^ query.view(np.uint64))
        entries = np.flatnonzero(distances <= max_distance)
        return self._nearest_first(entries, distances[entries])

    def _distances(self, entries: np.ndarray, query: np.ndarray) -> np.ndarray:
        words = np.take(self._words, entries, axis=0)  # take: much quicker than words[entries]
        words ^= query.view(np.uint64)
        return _row_popcount(words)

    @staticmethod
    def _nearest_first(entries: np.ndarray, distances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.lexsort((entries, distances))
        return entries[order].astype(np.intp), distances[order].astype(np.intp)
