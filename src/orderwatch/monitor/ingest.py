"""Batch ingestion: validate, authenticate the device, store, apply the person's order, fold the
findings into incidents, notify, and answer only once all of it is committed.

A batch is all or nothing (one transaction). A replayed batch id gets the answer recorded the
first time; an observation id already stored for the device is never stored or alerted twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.lexicons import Lexicon
from orderwatch.domain.observations import (
    OBSERVATION_TYPES,
    HashMatchObservation,
    ImageObservation,
    Observation,
    Provenance,
    as_utc,
)
from orderwatch.domain.rules import Finding, missed_heartbeat_finding
from orderwatch.forensics.hashsets import HashSetCollection, load_hashsets
from orderwatch.monitor.batch_schema import (
    BatchRejected,
    FieldProblem,
    ValidBatch,
    validate_batch,
)
from orderwatch.monitor.credentials import credential_digest
from orderwatch.monitor.order_cache import CachedOrder, CompiledOrderCache
from orderwatch.settings import Settings
from orderwatch.storage import Database
from orderwatch.storage.monitoring_devices import monitoring_order
from orderwatch.storage.monitoring_ingest import (
    ConcurrentBatchError,
    batch_session,
    device_for_batch,
    fold_incidents,
    notify_officer,
    record_batch,
    store_observations,
    stored_batch,
)
from orderwatch.storage.monitoring_records import (
    DeviceContext,
    IncidentInput,
    NewObservation,
    StoredBatch,
)

Clock = Callable[[], datetime]
MAX_KEY = 300
HASHSET_FOLDER = "hashsets"  # under the data dir: the unit's .owhs indexes images are checked in


class AgentAuthError(Exception):
    """The device is not allowed to submit: 401 (no or unknown credential) or 403 (revoked,
    or naming another device)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class IngestResult:
    """The answer to the agent (the same for a replay), and e-mails waiting to be sent."""

    body: dict[str, Any]
    replayed: bool = False
    emails_pending: int = 0


def utc_now() -> datetime:
    return datetime.now(UTC)


def batch_digest(batch: ValidBatch) -> str:
    """What identifies a batch's content for replays: its observation ids, in order."""
    return hashlib.sha256("\x1f".join(batch.client_ids).encode()).hexdigest()


class IngestionService:
    """Turns agent batches into stored observations and alerts. Thread-safe; one per process."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        hashsets: HashSetCollection | None = None,
        lexicon: Lexicon | None = None,
        clock: Clock = utc_now,
        order_max_age: timedelta = timedelta(hours=1),
    ) -> None:
        self.database = database
        self.settings = settings
        self.hashsets = hashsets
        self.clock = clock
        self.orders = CompiledOrderCache(lexicon=lexicon, max_age=order_max_age)
        self.window = timedelta(minutes=settings.incident_window_minutes)
        self.heartbeat_threshold = timedelta(minutes=settings.heartbeat_missed_after_minutes)

    def ingest(self, credential: str | None, body: bytes) -> IngestResult:
        """Store one batch; AgentAuthError or BatchRejected when it is refused."""
        if not credential:
            raise AgentAuthError(401, "send the device credential: Authorization: Bearer <it>")
        now = self.clock()
        batch = validate_batch(
            body,
            max_observations=self.settings.max_batch_observations,
            max_bytes=self.settings.max_batch_bytes,
            now=now,
        )
        digest = batch_digest(batch)
        credential_sha256 = credential_digest(credential)
        try:
            with batch_session(self.database) as session:
                device = self._device(device_for_batch(session, credential_sha256, batch.batch_id))
                self._check_device(device, batch)
                if device.replay is not None:
                    return self._replay(device.replay, digest)
                return self._store(session, device, batch, digest, now)
        except ConcurrentBatchError:
            # The same batch arrived twice at once and the other copy committed first.
            with self.database.read_session() as session:
                device = self._device(device_for_batch(session, credential_sha256, batch.batch_id))
                replay = stored_batch(session, device.device_id, batch.batch_id)
            if replay is None:
                raise
            return self._replay(replay, digest)

    @staticmethod
    def _device(device: DeviceContext | None) -> DeviceContext:
        if device is None:
            raise AgentAuthError(401, "unknown device credential; enrol the agent again")
        return device

    @staticmethod
    def _check_device(device: DeviceContext, batch: ValidBatch) -> None:
        if device.revoked:
            raise AgentAuthError(403, f"monitored device {device.device_id} has been revoked")
        if batch.device_id is not None and batch.device_id != device.device_id:
            raise AgentAuthError(
                403,
                f"this credential belongs to monitored device {device.device_id}, "
                f"not {batch.device_id}",
            )

    @staticmethod
    def _replay(replay: StoredBatch, digest: str) -> IngestResult:
        if replay.body_sha256 != digest:
            message = "this batch id was used for other observations; send them under a new one"
            raise BatchRejected(409, [FieldProblem("batch_id", message)])
        return IngestResult(replay.result, replayed=True)

    def _store(
        self, session: Any, device: DeviceContext, batch: ValidBatch, digest: str, now: datetime
    ) -> IngestResult:
        order = self.orders.get(
            device.person_id,
            device.order_version,
            now,
            lambda: monitoring_order(session, device.person_id),
        )
        unique = list({o.id: o for o in reversed(batch.observations)}.values())[::-1]
        rows = [
            NewObservation(o.id, o.kind, as_utc(o.time) if o.time else now, raw)
            for o, raw in zip(unique, _payloads(batch, unique), strict=True)
        ]
        stored = store_observations(session, device, rows, now)
        fresh = [o for o in unique if o.id in stored]
        evaluated = self._evaluate(order, device, fresh, now)
        incidents = fold_findings(evaluated.findings, stored, _observed_at(rows))
        folded = fold_incidents(
            session, device.person_id, device.device_id, incidents, now, self.window
        )
        pending = notify_officer(
            session, device.person_id, folded, now, email_enabled=bool(self.settings.smtp_host)
        )
        result = {
            "batch_id": batch.batch_id,
            "device_id": device.device_id,
            "received": len(batch.observations),
            "stored": len(stored),
            "duplicates": len(batch.observations) - len(stored),
        }
        record_batch(session, device, batch.batch_id, digest, result, now, evaluated.last_heartbeat)
        return IngestResult(result, emails_pending=pending)

    def _evaluate(
        self, order: CachedOrder, device: DeviceContext, observations: Sequence[Any], now: datetime
    ) -> _Evaluated:
        """Findings of the new observations; heartbeats are checked per device for gaps."""
        heartbeats: list[tuple[datetime, str]] = []
        source = f"monitored device {device.device_id}"
        agent = Provenance(source=source, parser="agent")  # shared by items naming none
        checked: list[Observation] = []
        for item in observations:
            if item.kind == "heartbeat":
                if item.time is not None:
                    heartbeats.append((as_utc(item.time), item.id))
                continue
            if item.kind not in order.kinds:
                continue  # none of the person's conditions can be evidenced by this kind
            observation = to_domain(item, source, agent)
            checked.append(observation)
            if isinstance(observation, ImageObservation) and self.hashsets is not None:
                checked += image_hash_matches(self.hashsets, observation)
        # All at once: the keyword matching of the batch's texts runs as one scan per matcher.
        findings = order.compiled.evaluate_many(checked) if checked else []
        last = device.last_heartbeat_at
        for time, client_id in sorted(heartbeats):
            if last is not None and ConditionType.KEEP_MONITORING in order.conditions:
                gap = heartbeat_gap_finding(device, last, time, client_id, self.heartbeat_threshold)
                if gap is not None:
                    findings.append(gap)
            last = time if last is None or time > last else last
        return _Evaluated(findings, last if heartbeats else None)


@dataclass(frozen=True)
class _Evaluated:
    findings: list[Finding]
    last_heartbeat: datetime | None


def _payloads(batch: ValidBatch, unique: Sequence[Any]) -> list[dict[str, Any]]:
    """The JSON each kept observation arrived as (first copy of a repeated id)."""
    by_id: dict[str, dict[str, Any]] = {}
    for raw in batch.raw_observations:
        by_id.setdefault(str(raw.get("id")), raw)
    return [by_id[o.id] for o in unique]


def _observed_at(rows: Sequence[NewObservation]) -> dict[str, datetime]:
    return {r.client_id: r.observed_at for r in rows}


def to_domain(item: Any, source: str, agent: Provenance | None = None) -> Observation:
    """The domain observation for a validated batch item (the device is its source; `agent`,
    when given, is the provenance of items that name none)."""
    values = dict(item.__dict__)
    values.pop("kind")
    given = values.pop("provenance")  # its `source` is ignored: the device is the source
    for name in ("time", "first_seen", "last_seen"):
        if values.get(name) is not None:
            values[name] = as_utc(values[name])
    if given is None and agent is not None:
        provenance = agent
    else:
        provenance = Provenance(
            source=source,
            parser=given.parser if given else "agent",
            path=given.path if given else None,
            record=given.record if given else None,
            original_time=given.original_time if given else None,
        )
    cls = OBSERVATION_TYPES[item.kind]
    return cls(provenance=provenance, **values)


def image_hash_matches(
    hashsets: HashSetCollection, image: ImageObservation
) -> list[HashMatchObservation]:
    """The unit's hash-set matches of an image (exact, then PDQ), as hash_match observations
    citing the image's own id; known-good sets (NSRL) are left out."""
    matches = hashsets.match(image.md5, image.sha1, None)
    if image.pdq:
        matches += hashsets.match_pdq(bytes.fromhex(image.pdq))
    return [
        HashMatchObservation(
            id=image.id,
            time=image.time,
            provenance=image.provenance,
            path=image.path,
            hashset=m.hashset,
            category=m.category,
            method=m.method,
            distance=m.distance,
        )
        for m in matches
        if not m.known_good
    ]


def heartbeat_gap_finding(
    device: DeviceContext, previous: datetime, time: datetime, client_id: str, threshold: timedelta
) -> Finding | None:
    """keep_monitoring when a heartbeat follows a silence longer than the threshold."""
    silent = missed_heartbeat_finding(previous, time, threshold)
    if silent is None:
        return None
    hours = (time - previous).total_seconds() / 3600
    title = f"Monitoring agent on {device.label} was silent for {hours:.1f} h"
    key = f"keep_monitoring:gap:device{device.device_id}:{previous:%Y%m%dT%H%M}"
    detail = f"heartbeats stopped {previous:%Y-%m-%d %H:%M} UTC, resumed {time:%Y-%m-%d %H:%M} UTC"
    return Finding(silent.condition, silent.severity, title, (client_id,), detail, key)


def fold_findings(
    findings: Sequence[Finding], stored: dict[str, int], observed_at: dict[str, datetime]
) -> list[IncidentInput]:
    """Group one batch's findings by key: highest severity, first title and detail, the
    observations behind them (row ids, with what matched) and how many there were."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        key = (finding.key or f"{finding.condition}:{finding.title}")[:MAX_KEY]
        groups.setdefault(key, []).append(finding)
    incidents = []
    for key, group in groups.items():
        evidence: dict[int, str | None] = {}
        times: list[datetime] = []
        for finding in group:
            for client_id in finding.observations:
                row_id = stored.get(client_id)
                if row_id is None:
                    continue
                if row_id not in evidence or evidence[row_id] is None:
                    evidence[row_id] = finding.detail
                times.append(observed_at[client_id])
        if not times:
            continue
        first = group[0]
        incidents.append(
            IncidentInput(
                key=key,
                condition=first.condition,
                severity=max((f.severity for f in group), key=lambda s: s.rank),
                title=first.title,
                detail=first.detail,
                first_seen=min(times),
                last_seen=max(times),
                count=len(evidence),
                evidence=tuple(evidence.items()),
            )
        )
    return incidents


def unit_hashsets(settings: Settings) -> HashSetCollection | None:
    """The unit's hash sets: every .owhs index in <data dir>/hashsets (None when there are none)."""
    folder = settings.data_dir / HASHSET_FOLDER
    paths = sorted(folder.glob("*.owhs")) if folder.is_dir() else []
    return load_hashsets(paths) if paths else None
