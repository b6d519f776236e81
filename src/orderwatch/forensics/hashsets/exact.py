"""Exact-match tables: sorted digests with a bucket directory, looked up in vectorised batches.

Entries are sorted by digest. `prefix` holds the first 8 bytes as integers (padded with WINDOW
sentinels), `tail` the remaining bytes, `meta` each entry's category id and known-good bit, and
`directory[b]` the first entry whose top `bits` bits equal b. With about 1-2 entries per bucket, a
lookup reads one directory slot and one window of WINDOW prefixes (one or two cache lines), then
verifies the tail of the rare prefix hits. Buckets longer than the window fall back to a binary
search. Plain `np.searchsorted` instead costs ~26 dependent cache misses per lookup at 50 million.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orderwatch.forensics.hashsets.digests import sort_prefixes
from orderwatch.forensics.hashsets.sink import CATEGORY_MASK, KNOWN_GOOD_BIT

WINDOW = 8
BATCH = 16384
_SENTINEL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)


@dataclass(frozen=True)
class MergeStats:
    """What sorting and merging one algorithm's digests did."""

    unique: int
    duplicates: int
    conflicts: int


def sort_and_merge(
    digests: np.ndarray, meta: np.ndarray
) -> tuple[np.ndarray, np.ndarray, MergeStats]:
    """Sort digests bytewise and merge duplicates: the first record with a category gives it, and
    an entry is known good only if every record of it is (a listed bad file never becomes good)."""
    count = len(digests)
    if count == 0:
        return digests, meta, MergeStats(0, 0, 0)
    prefix = sort_prefixes(digests)
    order = np.argsort(prefix)
    sorted_prefix = prefix[order]
    tie = sorted_prefix[1:] == sorted_prefix[:-1]
    if tie.any():
        # Equal prefixes (duplicates, or astronomically rare true collisions): order by full digest.
        involved = np.zeros(count, bool)
        involved[1:] |= tie
        involved[:-1] |= tie
        positions = np.flatnonzero(involved)
        rows = order[positions]
        words = _tail_words(digests[rows, 8:])
        keys = [words[:, column] for column in range(words.shape[1] - 1, -1, -1)]
        # Input order last, so a duplicate group lists its records as they were read.
        rows = rows[np.lexsort([rows, *keys, sorted_prefix[positions]])]
        order[positions] = rows
    digests = np.take(digests, order, axis=0)  # take: far quicker than digests[order]
    meta = meta[order]
    same = np.zeros(count, bool)
    if tie.any():
        same[1:] = tie & (digests[1:, 8:] == digests[:-1, 8:]).all(axis=1)
    starts = np.flatnonzero(~same)
    if len(starts) == count:
        return digests, meta, MergeStats(count, 0, 0)
    category = (meta & CATEGORY_MASK).astype(np.int64)
    good = (meta & KNOWN_GOOD_BIT) > 0
    first_tagged = np.minimum.reduceat(np.where(category > 0, np.arange(count), count), starts)
    chosen = np.append(category, 0)[first_tagged]
    lowest = np.minimum.reduceat(np.where(category > 0, category, CATEGORY_MASK + 1), starts)
    highest = np.maximum.reduceat(category, starts)
    all_good = np.logical_and.reduceat(good, starts)
    any_good = np.logical_or.reduceat(good, starts)
    disagree = (highest > 0) & (lowest != highest)
    conflicts = int(disagree.sum() + (all_good != any_good).sum())
    merged = (chosen | np.where(all_good, KNOWN_GOOD_BIT, 0)).astype(np.uint16)
    stats = MergeStats(len(starts), count - len(starts), conflicts)
    return np.take(digests, starts, axis=0), merged, stats


def _tail_words(tails: np.ndarray) -> np.ndarray:
    """Tail bytes as big-endian 64-bit words (zero-padded), so word order is byte order."""
    width = -(-tails.shape[1] // 8) * 8
    padded = np.zeros((len(tails), width), np.uint8)
    padded[:, : tails.shape[1]] = tails
    return padded.view(">u8").astype(np.uint64)


def directory_bits(count: int) -> int:
    """Bucket bits for `count` entries: 1 to 2 entries per bucket on average."""
    return max(1, min(32, int(count).bit_length() - 1))


def table_arrays(algorithm: str, digests: np.ndarray, meta: np.ndarray) -> dict[str, np.ndarray]:
    """The arrays of one table from sorted, merged digests (names prefixed with the algorithm)."""
    count = len(digests)
    bits = directory_bits(count)
    prefix = sort_prefixes(digests)
    buckets = (prefix >> np.uint64(64 - bits)).astype(np.intp)
    dtype = np.uint32 if count < 2**32 else np.uint64
    directory = np.zeros((1 << bits) + 1, dtype)
    np.cumsum(np.bincount(buckets, minlength=1 << bits), out=directory[1:])
    padded = np.concatenate([prefix, np.full(WINDOW, _SENTINEL, np.uint64)])
    return {
        f"{algorithm}.prefix": padded,
        f"{algorithm}.tail": np.ascontiguousarray(digests[:, 8:]),
        f"{algorithm}.meta": meta.astype(np.uint16),
        f"{algorithm}.directory": directory,
    }


class DigestTable:
    """One algorithm's entries of one hash set, searchable in batches."""

    def __init__(self, algorithm: str, arrays: dict[str, np.ndarray]) -> None:
        self.algorithm = algorithm
        self.prefix = arrays[f"{algorithm}.prefix"]
        self.tail = arrays[f"{algorithm}.tail"]
        self.meta = arrays[f"{algorithm}.meta"]
        self.directory = arrays[f"{algorithm}.directory"]
        self.count = len(self.meta)
        self.bits = int(len(self.directory) - 1).bit_length() - 1
        self._shift = np.uint64(64 - self.bits)
        self._shift_bits = 64 - self.bits
        self._steps = np.arange(WINDOW, dtype=np.intp)

    def __len__(self) -> int:
        return self.count

    def lookup(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Matches of an (n, digest size) uint8 query array: (query rows, entry indexes)."""
        found_rows: list[np.ndarray] = []
        found_entries: list[np.ndarray] = []
        for start in range(0, len(queries), BATCH):
            rows, entries = self._lookup_batch(queries[start : start + BATCH])
            if len(rows):
                found_rows.append(rows + start)
                found_entries.append(entries)
        if not found_rows:
            empty = np.empty(0, np.intp)
            return empty, empty
        return np.concatenate(found_rows), np.concatenate(found_entries)

    def lookup_one(self, digest: bytes) -> int | None:
        """The entry index of one digest, or None: the same walk in plain Python (a few
        microseconds, where a one-row numpy batch costs tens)."""
        wanted = int.from_bytes(digest[:8], "big")
        bucket = wanted >> self._shift_bits
        low = int(self.directory[bucket])
        window = self.prefix[low : low + WINDOW].tolist()
        tail = digest[8:]
        for step, value in enumerate(window):
            entry = low + step
            if value == wanted and entry < self.count and self.tail[entry].tobytes() == tail:
                return entry
        if window[-1] >> self._shift_bits != bucket:
            return None
        entry = max(int(np.searchsorted(self.prefix[: self.count], np.uint64(wanted))), low)
        while entry < self.count and int(self.prefix[entry]) == wanted:
            if self.tail[entry].tobytes() == tail:
                return entry
            entry += 1
        return None

    def _lookup_batch(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        wanted = sort_prefixes(queries)
        bucket = wanted >> self._shift
        low = np.take(self.directory, bucket).astype(np.intp)
        window = np.take(self.prefix, low[:, None] + self._steps)
        rows, step = np.nonzero(window == wanted[:, None])
        entries = low[rows] + step
        # The window's last slot still in the bucket: the bucket may go on past the window.
        spill = np.flatnonzero((window[:, -1] >> self._shift) == bucket)
        if len(spill):
            extra_rows, extra_entries = self._search_long_buckets(wanted, low, spill)
            rows = np.concatenate([rows, extra_rows])
            entries = np.concatenate([entries, extra_entries])
        keep = entries < self.count
        rows, entries = rows[keep], entries[keep]
        if len(rows):
            tails = np.take(self.tail, entries, axis=0)
            same_tail = (tails == np.take(queries, rows, axis=0)[:, 8:]).all(axis=1)
            rows, entries = rows[same_tail], entries[same_tail]
        return rows, entries

    def _search_long_buckets(
        self, wanted: np.ndarray, low: np.ndarray, spill: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        rows: list[int] = []
        entries: list[int] = []
        prefixes = self.prefix[: self.count]
        for row in spill.tolist():
            position = int(np.searchsorted(prefixes, wanted[row]))
            position = max(position, int(low[row]) + WINDOW)
            while position < self.count and prefixes[position] == wanted[row]:
                rows.append(row)
                entries.append(position)
                position += 1
        return np.asarray(rows, np.intp), np.asarray(entries, np.intp)
