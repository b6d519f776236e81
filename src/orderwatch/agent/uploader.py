"""Sends the spool to the server: oldest first, one batch at a time, deleted only when stored.

Network errors, timeouts and 5xx answers back off (exponential, jittered, capped) and the same
batch goes again under the same id. A batch the server refuses as invalid (422) has the named
observations set aside (kept in the spool file's `rejected` table, never sent) and the rest go
again under a new id; 413 halves the batch size. 401/403 (credential unknown or revoked) stop
uploading until the slow retry; nothing is deleted.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from orderwatch.agent.backoff import Backoff
from orderwatch.agent.client import Answer, ServerClient
from orderwatch.agent.spool import Batch, Spool

log = logging.getLogger("orderwatch.agent")
_INDEX = re.compile(r"^observations\[(\d+)\]")
LAST_UPLOAD_KEY = "last_upload"


@dataclass
class UploadReport:
    """What one `upload()` call did."""

    batches: int = 0
    sent: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str | None = None
    waiting_seconds: float = 0.0  # until the next attempt, after a failure
    details: list[str] = field(default_factory=list)


class Uploader:
    """Drains the spool through a ServerClient; `upload()` is called each cycle."""

    def __init__(
        self,
        spool: Spool,
        client: ServerClient,
        *,
        max_count: int,
        max_bytes: int,
        backoff: Backoff,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.spool = spool
        self.client = client
        self.max_count = max(1, max_count)
        self.max_bytes = max_bytes
        self.backoff = backoff
        self.monotonic = monotonic
        self.next_attempt = 0.0
        self.refused: str | None = None  # 401/403 from the server, until an upload succeeds
        self.last_error: str | None = None  # the last failure, until an upload succeeds

    def due(self) -> bool:
        return self.monotonic() >= self.next_attempt

    def upload(self, budget_seconds: float = 30.0) -> UploadReport:
        """Send batches until the spool is empty, a failure, or the time budget is spent."""
        report = UploadReport()
        if not self.due():
            report.waiting_seconds = self.next_attempt - self.monotonic()
            return report
        deadline = self.monotonic() + budget_seconds
        while self.monotonic() < deadline:
            batch = self.spool.claim_batch(self.max_count, self.max_bytes)
            if batch is None:
                break
            try:
                answer = self.client.post_batch(batch.json_body())
            except httpx.HTTPError as error:
                self._failed(report, f"server unreachable: {type(error).__name__}: {error}")
                break
            if not self._handle(batch, answer, report):
                break
        return report

    def _handle(self, batch: Batch, answer: Answer, report: UploadReport) -> bool:
        """Act on one answer; False stops this round."""
        status = answer.status
        if status == 200:
            self.spool.acknowledge(batch.batch_id)
            self.backoff.succeeded()
            self.refused = self.last_error = None
            report.batches += 1
            report.sent += len(batch.ids)
            report.stored += int(answer.data.get("stored", 0) or 0)
            report.duplicates += int(answer.data.get("duplicates", 0) or 0)
            self.spool.set_state(
                LAST_UPLOAD_KEY,
                json.dumps(
                    {
                        "at": self.spool.now_text(),
                        "batch_id": batch.batch_id,
                        "observations": len(batch.ids),
                        "stored": answer.data.get("stored"),
                        "replayed": answer.replayed,
                    }
                ),
            )
            return True
        if status == 413:
            if len(batch.ids) == 1:
                report.rejected += self.spool.quarantine(batch.ids, f"413: {answer.detail()}")
            else:
                self.spool.release(batch.batch_id)
                self.max_count = max(1, len(batch.ids) // 2)
            report.details.append(f"batch too large; now at most {self.max_count} per batch")
            return True
        if status == 409:
            self.spool.release(batch.batch_id)  # the id was used for other rows: a new id
            report.details.append(f"batch id conflict: {answer.detail()}")
            return True
        if status in (400, 422):
            named = _named_observations(answer, batch)
            bad = named or batch.ids
            reason = f"{status}: {answer.detail()}"
            report.rejected += self.spool.quarantine(bad, reason)
            self.spool.release(batch.batch_id)
            log.warning("server refused %d observation(s): %s", len(bad), reason[:300])
            report.details.append(reason)
            return True
        if status in (401, 403):
            self.refused = f"HTTP {status}: {answer.detail()}"
            self.next_attempt = self.monotonic() + self.backoff.maximum
            report.error = self.refused
            report.waiting_seconds = self.backoff.maximum
            log.error("server refused the credential: %s", self.refused)
            return False
        self._failed(report, f"HTTP {status}: {answer.detail()}")
        return False

    def _failed(self, report: UploadReport, message: str) -> None:
        wait = self.backoff.failed()
        self.next_attempt = self.monotonic() + wait
        self.last_error = report.error = message
        report.waiting_seconds = wait
        log.warning("upload failed (%s); next attempt in %.0f s", message, wait)


def _named_observations(answer: Answer, batch: Batch) -> list[str]:
    """Ids of the observations a 422 answer points at (observations[3].time -> the 4th)."""
    detail = answer.data.get("detail")
    found: dict[str, None] = {}
    for problem in detail if isinstance(detail, list) else []:
        field_name = problem.get("field", "") if isinstance(problem, dict) else ""
        match = _INDEX.match(str(field_name))
        if match and int(match.group(1)) < len(batch.ids):
            found[batch.ids[int(match.group(1))]] = None
    return list(found)
