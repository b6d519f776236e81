"""The local store-and-forward spool: every observation goes here before it is sent.

One SQLite file (WAL, synchronous=FULL) in the agent's data dir. A collector writes its
observations and its own progress (cursors, rows seen) in one transaction, so a kill at any point
leaves either both or neither. Ids come from what an observation is (never from a counter), so a
re-collection after a crash gives the same ids and `INSERT OR IGNORE` keeps one copy.

Uploading claims the oldest rows under a batch id that is stored with them: after a crash or a
timeout the same rows go again under the same id (the server answers a replay from its record),
and they are deleted only once the server has acknowledged that batch.

Bound and overflow policy: when the spool holds more than `max_rows` observations or `max_bytes`
of JSON, unclaimed observations are dropped, oldest first, heartbeats before anything else, until
it is back under 90% of the bound; tamper observations are never dropped. One `tamper`
observation (`spool_overflow`) then says how many of each kind were dropped and from when to when.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orderwatch.agent.wire import wire_json
from orderwatch.domain.observations import (
    Observation,
    Provenance,
    TamperObservation,
    format_time,
    stable_id,
)

Clock = Callable[[], datetime]
_KEEP_FRACTION = 0.9

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    size INTEGER NOT NULL,
    created TEXT NOT NULL,
    batch TEXT
);
CREATE INDEX IF NOT EXISTS spool_batch ON spool(batch);
CREATE TABLE IF NOT EXISTS totals (one INTEGER PRIMARY KEY CHECK (one = 1),
    rows INTEGER NOT NULL, bytes INTEGER NOT NULL);
INSERT OR IGNORE INTO totals VALUES (1, 0, 0);
CREATE TRIGGER IF NOT EXISTS spool_added AFTER INSERT ON spool BEGIN
    UPDATE totals SET rows = rows + 1, bytes = bytes + NEW.size; END;
CREATE TRIGGER IF NOT EXISTS spool_removed AFTER DELETE ON spool BEGIN
    UPDATE totals SET rows = rows - 1, bytes = bytes - OLD.size; END;
CREATE TABLE IF NOT EXISTS rejected (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, body TEXT NOT NULL, reason TEXT NOT NULL,
    at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Batch:
    """Rows claimed for one upload, in spool order, under their stored batch id."""

    batch_id: str
    ids: list[str]
    bodies: list[str]

    def json_body(self) -> bytes:
        """The request body: {"batch_id": ..., "observations": [...]} without re-encoding."""
        items = ",".join(self.bodies)
        return f'{{"batch_id":"{self.batch_id}","observations":[{items}]}}'.encode()


@dataclass(frozen=True)
class Backlog:
    rows: int
    bytes: int
    claimed: int
    rejected: int
    oldest: str | None


class SpoolWriter:
    """One transaction: observations in, collector state in, all committed together.

    Observations are inserted in groups (`flush`); the spool writes the rest before commit.
    """

    FLUSH_EVERY = 1000

    def __init__(self, spool: Spool, connection: sqlite3.Connection) -> None:
        self._spool = spool
        self.connection = connection
        self.added = 0
        self._pending: list[tuple[str, str, str, int, str]] = []
        self._now = spool.now_text()

    def add(self, observation: Observation) -> None:
        """Spool one observation (one already spooled under its id is ignored: a re-collection).
        `added` counts the new ones once flushed."""
        body = wire_json(observation)
        self._pending.append(
            (observation.id, observation.KIND, body, len(body.encode()), self._now)
        )
        if len(self._pending) >= self.FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        cursor = self.connection.executemany(
            "INSERT OR IGNORE INTO spool (id, kind, body, size, created) VALUES (?, ?, ?, ?, ?)",
            self._pending,
        )
        self.added += max(0, cursor.rowcount)
        self._pending.clear()

    def spool_now(self) -> str:
        return self._spool.now_text()

    def get_state(self, key: str) -> str | None:
        row = self.connection.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        self.connection.execute(
            "INSERT INTO state (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


class Spool:
    """The spool file; one per agent process (the status command only reads it)."""

    def __init__(
        self,
        path: Path,
        *,
        source: str,
        max_rows: int = 1_000_000,
        max_bytes: int = 256 * 1024 * 1024,
        clock: Clock = utc_now,
    ) -> None:
        self.path = path
        self.source = source
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.clock = clock
        if not path.exists():  # owner-only; SQLite gives its -wal and -shm the same mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA synchronous = FULL")
        self.connection.executescript(_SCHEMA)

    def close(self) -> None:
        self.connection.close()

    def now_text(self) -> str:
        return format_time(self.clock()) or ""

    @contextmanager
    def transaction(self) -> Iterator[SpoolWriter]:
        """BEGIN IMMEDIATE ... COMMIT (the bound enforced before commit); rolled back on error."""
        self.connection.execute("BEGIN IMMEDIATE")
        writer = SpoolWriter(self, self.connection)
        try:
            yield writer
            writer.flush()
            self._enforce_bound()
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def add(self, observations: list[Observation]) -> int:
        """Spool several observations in one transaction; returns how many were new."""
        with self.transaction() as writer:
            for observation in observations:
                writer.add(observation)
        return writer.added

    def get_state(self, key: str) -> str | None:
        row = self.connection.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_state(self, key: str, value: str) -> None:
        with self.transaction() as writer:
            writer.set_state(key, value)

    # --- uploading ------------------------------------------------------------------------

    def claim_batch(self, max_count: int, max_bytes: int) -> Batch | None:
        """The batch to send next: one claimed earlier and not acknowledged (same id, same rows),
        else the oldest unclaimed rows that fit `max_count` and `max_bytes`."""
        with self.transaction() as writer:
            row = writer.connection.execute(
                "SELECT batch FROM spool WHERE batch IS NOT NULL ORDER BY seq LIMIT 1"
            ).fetchone()
            if row is not None:
                return self._batch(str(row[0]))
            budget = max_bytes - 100
            last = None
            rows = writer.connection.execute(
                "SELECT seq, size FROM spool WHERE batch IS NULL ORDER BY seq LIMIT ?",
                (max(1, max_count),),
            )
            for seq, size in rows:
                budget -= size + 1
                if budget < 0 and last is not None:
                    break
                last = seq
            if last is None:
                return None
            batch_id = uuid.uuid4().hex
            writer.connection.execute(
                "UPDATE spool SET batch = ? WHERE batch IS NULL AND seq <= ?", (batch_id, last)
            )
        return self._batch(batch_id)

    def _batch(self, batch_id: str) -> Batch:
        rows = self.connection.execute(
            "SELECT id, body FROM spool WHERE batch = ? ORDER BY seq", (batch_id,)
        ).fetchall()
        return Batch(batch_id, [str(r[0]) for r in rows], [str(r[1]) for r in rows])

    def acknowledge(self, batch_id: str) -> int:
        """The server stored the batch: its rows leave the spool. Returns how many."""
        with self.transaction() as writer:
            cursor = writer.connection.execute("DELETE FROM spool WHERE batch = ?", (batch_id,))
            return cursor.rowcount

    def release(self, batch_id: str) -> None:
        """Unclaim a batch the server refused as a whole; its rows go again under a new id."""
        with self.transaction() as writer:
            writer.connection.execute("UPDATE spool SET batch = NULL WHERE batch = ?", (batch_id,))

    def quarantine(self, ids: list[str], reason: str) -> int:
        """Move observations the server will never take out of the spool (kept, never sent)."""
        moved = 0
        with self.transaction() as writer:
            for observation_id in ids:
                writer.connection.execute(
                    "INSERT OR REPLACE INTO rejected (id, kind, body, reason, at) "
                    "SELECT id, kind, body, ?, ? FROM spool WHERE id = ?",
                    (reason[:2000], self.now_text(), observation_id),
                )
                moved += writer.connection.execute(
                    "DELETE FROM spool WHERE id = ?", (observation_id,)
                ).rowcount
        return moved

    def backlog(self) -> Backlog:
        rows, size = self.connection.execute("SELECT rows, bytes FROM totals").fetchone()
        claimed = self.connection.execute(
            "SELECT count(*) FROM spool WHERE batch IS NOT NULL"
        ).fetchone()[0]
        rejected = self.connection.execute("SELECT count(*) FROM rejected").fetchone()[0]
        oldest = self.connection.execute("SELECT min(created) FROM spool").fetchone()[0]
        return Backlog(int(rows), int(size), int(claimed), int(rejected), oldest)

    # --- the bound ------------------------------------------------------------------------

    def _enforce_bound(self) -> None:
        rows, size = self.connection.execute("SELECT rows, bytes FROM totals").fetchone()
        if rows <= self.max_rows and size <= self.max_bytes:
            return
        keep_rows = int(self.max_rows * _KEEP_FRACTION)
        keep_bytes = int(self.max_bytes * _KEEP_FRACTION)
        dropped: Counter[str] = Counter()
        seqs: list[int] = []
        times: list[str] = []
        for clause in ("kind = 'heartbeat'", "kind NOT IN ('heartbeat', 'tamper')"):
            while rows > keep_rows or size > keep_bytes:
                victims = self.connection.execute(
                    f"SELECT seq, kind, size, created FROM spool WHERE batch IS NULL AND {clause} "
                    "ORDER BY seq LIMIT 500"
                ).fetchall()
                if not victims:
                    break
                taken = []
                for seq, kind, bytes_, created in victims:
                    if rows <= keep_rows and size <= keep_bytes:
                        break
                    taken.append(seq)
                    dropped[kind] += 1
                    times.append(created)
                    rows, size = rows - 1, size - bytes_
                self.connection.executemany(
                    "DELETE FROM spool WHERE seq = ?", [(s,) for s in taken]
                )
                seqs += taken
        if not seqs:
            return
        counts = ", ".join(f"{n:,} {kind}" for kind, n in sorted(dropped.items()))
        detail = (
            f"spool over its bound ({self.max_rows:,} observations / {self.max_bytes:,} bytes): "
            f"dropped {sum(dropped.values()):,} unsent observations ({counts}) collected "
            f"{min(times)} to {max(times)}, oldest first"
        )
        tamper = TamperObservation(
            id=stable_id(self.source, "spool_overflow", min(seqs), max(seqs), len(seqs)),
            time=self.clock(),
            provenance=Provenance(self.source, "agent_spool", str(self.path), f"seq {min(seqs)}"),
            event="spool_overflow",
            detail=detail,
        )
        writer = SpoolWriter(self, self.connection)
        writer.add(tamper)
        writer.flush()
