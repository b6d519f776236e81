"""The agent's run loop: announce itself, run the due collectors, upload, write its status.

Overt by design: the process names itself `orderwatch-agent`, logs at start what it collects and
for which enrolment, and keeps a world-readable status file. It reads no keystrokes, passwords
or cookies: only the collectors below, switched on by the order's conditions.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from orderwatch import __version__
from orderwatch.agent.backoff import Backoff
from orderwatch.agent.client import ServerClient
from orderwatch.agent.collectors.base import CollectContext, Collector, CollectorReport
from orderwatch.agent.collectors.browser_history import BrowserHistoryCollector
from orderwatch.agent.collectors.health import (
    HeartbeatCollector,
    TamperCollector,
    agent_started,
    agent_stopping,
)
from orderwatch.agent.collectors.images import ImageClassifier, ImagesCollector, load_classifier
from orderwatch.agent.collectors.removable import (
    RemovableStorageCollector,
    RemovableStorageSource,
)
from orderwatch.agent.collectors.software import SoftwareCollector
from orderwatch.agent.config import (
    PROCESS_NAME,
    SPOOL_FILE,
    AgentConfig,
    load_config,
    load_enrolment,
    prepare_data_dir,
    update_conditions,
)
from orderwatch.agent.plan import CollectionPlan, collection_plan
from orderwatch.agent.spool import Spool, utc_now
from orderwatch.agent.status import write_status
from orderwatch.agent.uploader import Uploader, UploadReport
from orderwatch.domain.observations import format_time

log = logging.getLogger("orderwatch.agent")
Clock = Callable[[], datetime]


class AgentService:
    """One running agent over its data dir. Seams for tests: transport, clock, removable source,
    classifier, program root (tamper check) and rng (backoff jitter)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        config: AgentConfig | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = utc_now,
        removable_source: RemovableStorageSource | None = None,
        classifier: ImageClassifier | None = None,
        program_root: Path | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.data_dir = prepare_data_dir(data_dir)
        self.config = config or load_config(data_dir)
        self.enrolment, credential = load_enrolment(data_dir)
        self.clock = clock
        self.spool = Spool(
            data_dir / SPOOL_FILE,
            source=self.enrolment.source,
            max_rows=self.config.spool_max_observations,
            max_bytes=int(self.config.spool_max_mb * 1024 * 1024),
            clock=clock,
        )
        self.client = ServerClient(
            self.enrolment.server,
            credential=credential,
            timeout=self.config.upload_timeout_seconds,
            transport=transport,
            user_agent=f"{PROCESS_NAME}/{__version__}",
        )
        backoff = Backoff(
            self.config.backoff_initial_seconds, self.config.backoff_max_seconds, rng=rng
        )
        self.uploader = Uploader(
            self.spool,
            self.client,
            max_count=min(
                self.enrolment.max_batch_observations,
                self.config.upload_batch_max or self.enrolment.max_batch_observations,
            ),
            max_bytes=self.enrolment.max_batch_bytes,
            backoff=backoff,
        )
        if classifier is None and self.config.image_classifier:
            classifier = load_classifier(self.config.image_classifier)
        self.collectors: list[Collector] = [
            BrowserHistoryCollector(),
            RemovableStorageCollector(removable_source),
            SoftwareCollector(),
            ImagesCollector(classifier),
            HeartbeatCollector(),
            TamperCollector(data_dir, program_root),
        ]
        for collector in self.collectors:
            collector.setup(self.spool.connection)
        self.plan: CollectionPlan = collection_plan(self.enrolment.conditions)
        self.results: dict[str, dict[str, Any]] = {}
        self.started_at = clock()
        self._due: dict[str, float] = {}
        self._config_due = 0.0
        self._stop = threading.Event()
        self._stop_reason = "stopped"
        self.last_upload: UploadReport | None = None

    @property
    def context(self) -> CollectContext:
        return CollectContext(self.spool, self.plan, self.config, self.enrolment.source, self.clock)

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        """Say what is collected and for whom, and record the start (tamper checks)."""
        log.info(
            "%s %s started (pid %d) for monitored device %d enrolled with %s; order conditions: "
            "%s; data dir %s",
            PROCESS_NAME,
            __version__,
            os.getpid(),
            self.enrolment.device_id,
            self.enrolment.server,
            ", ".join(c.get("type", "?") for c in self.enrolment.conditions) or "none",
            self.data_dir,
        )
        for line in self.plan.describe():
            log.info("collecting %s", line)
        for reported in agent_started(self.context, os.getpid()):
            log.warning("tamper: %s", reported)
        self._write_status("running")

    def run(self, once: bool = False, interval: float | None = None) -> None:
        """Cycle until stopped (SIGTERM/SIGINT), or one full cycle with `once`."""
        wait = interval if interval is not None else self.config.interval_seconds
        previous = _install_signal_handlers(self.request_stop)
        self.start()
        try:
            while not self._stop.is_set():
                more = self.run_cycle()
                if once:
                    self._drain()
                    break
                self._stop.wait(0.2 if more else wait)
        finally:
            self.stop(self._stop_reason, announce=not once)
            _restore_signal_handlers(previous)

    def request_stop(self, reason: str) -> None:
        self._stop_reason = reason
        self._stop.set()

    def stop(self, reason: str, announce: bool = True) -> None:
        """Record a clean stop, try one last upload, write the status, close everything."""
        agent_stopping(self.context, reason, announce=announce)
        try:
            self.last_upload = self.uploader.upload(budget_seconds=5.0)
        except Exception as error:  # the stop must complete
            log.warning("last upload failed: %s", error)
        self._write_status("stopped")
        log.info("%s stopped (%s)", PROCESS_NAME, reason)
        self.client.close()
        self.spool.close()

    # --- one cycle ------------------------------------------------------------------------

    def run_cycle(self, upload_budget: float | None = None) -> bool:
        """Due collectors, then uploads. True when a backlog is left for an immediate retry."""
        self._refresh_conditions()
        now = time.monotonic()
        for collector in self.collectors:
            name = collector.NAME
            if not self.plan.collector_on(name) or now < self._due.get(name, 0.0):
                continue
            self._due[name] = now + collector.interval(self.config)
            self._run_collector(collector)
        budget = upload_budget or self.config.upload_seconds_per_cycle
        report = self.uploader.upload(budget_seconds=budget)
        self.last_upload = report
        self._write_status("running")
        backlog = self.spool.backlog()
        return report.error is None and backlog.rows > backlog.claimed and report.batches > 0

    def _run_collector(self, collector: Collector) -> None:
        started = time.process_time()
        try:
            report = collector.collect(self.context)
        except Exception as error:  # one collector failing must not stop the agent
            log.exception("collector %s failed", collector.NAME)
            report = CollectorReport(errors=[f"{type(error).__name__}: {error}"])
        for message in report.errors[:5]:
            log.warning("%s: %s", collector.NAME, message)
        self.results[collector.NAME] = {
            "last_run": format_time(self.clock()),
            "result": report.summary(),
            "cpu_seconds": round(time.process_time() - started, 3),
        }
        if report.spooled:
            log.info("%s: %s", collector.NAME, report.summary())

    def _drain(self) -> None:
        """--once: upload until the spool is empty or the server fails."""
        while True:
            backlog = self.spool.backlog()
            if backlog.rows == 0:
                return
            report = self.uploader.upload(budget_seconds=self.config.upload_seconds_per_cycle)
            self.last_upload = report
            if report.error is not None or report.batches == 0:
                return

    def _refresh_conditions(self) -> None:
        """Re-read the conditions from the server now and then (orders change)."""
        now = time.monotonic()
        if now < self._config_due:
            return
        self._config_due = now + self.config.config_refresh_minutes * 60
        try:
            answer = self.client.configuration()
        except httpx.HTTPError as error:
            log.info("conditions not refreshed (server unreachable: %s)", type(error).__name__)
            return
        conditions = answer.data.get("conditions")
        if answer.status != 200 or not isinstance(conditions, list):
            log.warning("conditions not refreshed: %s", answer.detail())
            return
        if conditions != self.enrolment.conditions:
            update_conditions(self.data_dir, self.enrolment, conditions)
            self.plan = collection_plan(conditions)
            log.info("order conditions changed; now collecting:")
            for line in self.plan.describe():
                log.info("collecting %s", line)

    def _write_status(self, state: str) -> None:
        backlog = self.spool.backlog()
        last = self.spool.get_state("last_upload")
        status = {
            "agent": PROCESS_NAME,
            "version": __version__,
            "pid": os.getpid(),
            "state": state,
            "started_at": format_time(self.started_at),
            "updated_at": format_time(self.clock()),
            "stopped_at": format_time(self.clock()) if state == "stopped" else None,
            "server": self.enrolment.server,
            "device_id": self.enrolment.device_id,
            "conditions": [c.get("type") for c in self.enrolment.conditions],
            "collecting": self.plan.describe(),
            "collectors": {
                c.NAME: {"on": self.plan.collector_on(c.NAME), **self.results.get(c.NAME, {})}
                for c in self.collectors
            },
            "last_upload": None if last is None else _json(last),
            "upload_error": self.uploader.refused or self.uploader.last_error,
            "backlog": {
                "observations": backlog.rows,
                "bytes": backlog.bytes,
                "oldest": backlog.oldest,
                "rejected": backlog.rejected,
            },
        }
        write_status(self.data_dir, status)


def set_process_name(name: str) -> None:
    """Linux: the name `ps`/`top` show (the kernel keeps 15 characters: orderwatch-agen)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _install_signal_handlers(stop: Callable[[str], None]) -> dict[int, Any]:
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handler(number: int, frame: FrameType | None) -> None:
        stop(f"signal {signal.Signals(number).name}")

    previous: dict[int, Any] = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        previous[number] = signal.signal(number, handler)
    return previous


def _restore_signal_handlers(previous: dict[int, Any]) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)
