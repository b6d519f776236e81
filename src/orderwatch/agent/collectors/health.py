"""The agent's own health: heartbeats, and tamper events (stopped uncleanly, clock moved back,
its own program or settings files changed). Both are always on: they are how the agent shows
that it runs and has not been interfered with."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import orderwatch
from orderwatch import __version__
from orderwatch.agent.collectors.base import CollectContext, Collector, CollectorReport
from orderwatch.agent.config import CONFIG_FILE, CREDENTIAL_FILE, AgentConfig
from orderwatch.agent.spool import SpoolWriter
from orderwatch.domain.observations import (
    AppEventObservation,
    HeartbeatObservation,
    TamperObservation,
    format_time,
    parse_time,
)

NAME = "agent_health"
ALIVE_KEY = "agent.alive"  # {"pid", "started", "last_alive", "clean"}
FILES_KEY = "agent.files"  # {"version", "at", "digests": {path: sha256}}
CLOCK_TOLERANCE = timedelta(minutes=2)
LISTED = 10


class HeartbeatCollector(Collector):
    """A heartbeat every `heartbeat_minutes`, naming the agent's version."""

    NAME = "heartbeat"

    def interval(self, config: AgentConfig) -> float:
        return config.heartbeat_minutes * 60

    def collect(self, context: CollectContext) -> CollectorReport:
        now = context.clock()
        heartbeat = HeartbeatObservation(
            id=context.observation_id(NAME, "heartbeat", format_time(now)),
            time=now,
            provenance=context.provenance(NAME, None, "heartbeat"),
            agent_version=__version__,
        )
        return CollectorReport(spooled=context.spool.add([heartbeat]), examined=1)


def agent_started(context: CollectContext, pid: int) -> list[str]:
    """Record this start; a previous run that never stopped cleanly, or a clock now earlier than
    the last one seen, becomes a tamper observation. Returns what was reported."""
    now = context.clock()
    reported = []
    with context.spool.transaction() as writer:
        previous = json.loads(writer.get_state(ALIVE_KEY) or "null")
        if previous is not None and not previous.get("clean"):
            detail = (
                f"the agent (pid {previous.get('pid')}, started {previous.get('started')}) "
                f"stopped without shutting down; last seen running at {previous.get('last_alive')}"
                f"; started again at {format_time(now)}"
            )
            _tamper(context, writer, "agent_stopped", detail, previous.get("last_alive"))
            reported.append(detail)
        if previous is not None:
            moved = _clock_check(context, writer, previous.get("last_alive"), now)
            reported += [moved] if moved else []
        state = {"pid": pid, "started": format_time(now), "last_alive": format_time(now)}
        writer.set_state(ALIVE_KEY, json.dumps({**state, "clean": False}))
    return reported


def agent_stopping(context: CollectContext, reason: str, announce: bool = True) -> None:
    """A clean stop, said as an app_event (a person stopping the service is worth knowing);
    a one-shot run (`announce=False`) only marks it clean."""
    now = context.clock()
    with context.spool.transaction() as writer:
        state = json.loads(writer.get_state(ALIVE_KEY) or "{}")
        if announce:
            writer.add(
                AppEventObservation(
                    id=context.observation_id(NAME, "stopped", format_time(now)),
                    time=now,
                    provenance=context.provenance(NAME, None, f"pid {state.get('pid')}"),
                    app="orderwatch-agent",
                    event="agent_stopped",
                    detail=f"stopped cleanly ({reason}); running since {state.get('started')}",
                )
            )
        writer.set_state(
            ALIVE_KEY, json.dumps({**state, "last_alive": format_time(now), "clean": True})
        )


class TamperCollector(Collector):
    """Each cycle: the clock has not gone back, and the agent is marked alive. Every
    `tamper_check_minutes`: the agent's program files and settings are as they were."""

    NAME = "tamper"

    def __init__(self, data_dir: Path, program_root: Path | None = None) -> None:
        self.data_dir = data_dir
        self.program_root = program_root or Path(orderwatch.__file__).parent
        self._files_due = 0.0

    def interval(self, config: AgentConfig) -> float:
        return 0.0

    def collect(self, context: CollectContext) -> CollectorReport:
        report = CollectorReport(examined=1)
        now = context.clock()
        check_files = time.monotonic() >= self._files_due
        if check_files:
            self._files_due = time.monotonic() + context.config.tamper_check_minutes * 60
            digests = self._digests()
            report.examined += len(digests)
        with context.spool.transaction() as writer:
            state = json.loads(writer.get_state(ALIVE_KEY) or "{}")
            _clock_check(context, writer, state.get("last_alive"), now)
            writer.set_state(ALIVE_KEY, json.dumps({**state, "last_alive": format_time(now)}))
            if check_files:
                self._files_check(context, writer, digests, now)
        report.spooled = writer.added
        return report

    def _watched(self) -> list[Path]:
        files = sorted(
            p
            for pattern in ("*.py", "*.yaml")
            for p in self.program_root.rglob(pattern)
            if "__pycache__" not in p.parts
        )
        return [*files, self.data_dir / CONFIG_FILE, self.data_dir / CREDENTIAL_FILE]

    def _digests(self) -> dict[str, str]:
        digests = {}
        for path in self._watched():
            try:
                digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            except FileNotFoundError:
                continue
            except OSError as error:
                digests[str(path)] = f"unreadable: {error.strerror}"
        return digests

    def _files_check(
        self, context: CollectContext, writer: SpoolWriter, digests: dict[str, str], now: datetime
    ) -> None:
        baseline = json.loads(writer.get_state(FILES_KEY) or "null")
        writer.set_state(
            FILES_KEY,
            json.dumps({"version": __version__, "at": format_time(now), "digests": digests}),
        )
        if baseline is None or baseline.get("version") != __version__:
            return  # first run, or an upgrade: a new baseline
        before: dict[str, str] = baseline.get("digests", {})
        changed = sorted(p for p in digests if p in before and before[p] != digests[p])
        added = sorted(p for p in digests if p not in before)
        removed = sorted(p for p in before if p not in digests)
        if not (changed or added or removed):
            return
        parts = []
        for word, paths in (("changed", changed), ("added", added), ("removed", removed)):
            if paths:
                more = f" and {len(paths) - LISTED} more" if len(paths) > LISTED else ""
                parts.append(f"{word}: {', '.join(paths[:LISTED])}{more}")
        detail = (
            f"the agent's own files differ from {baseline.get('at')} (same version "
            f"{__version__}): " + "; ".join(parts)
        )
        _tamper(context, writer, "files_changed", detail[:8000], baseline.get("at"))


def _clock_check(
    context: CollectContext, writer: SpoolWriter, last: str | None, now: datetime
) -> str | None:
    try:
        previous = parse_time(last)
    except ValueError:
        previous = None
    if previous is None or now >= previous - CLOCK_TOLERANCE:
        return None
    back = previous - now
    detail = (
        f"the clock went back {back.total_seconds():,.0f} s: it said {format_time(previous)} "
        f"earlier and says {format_time(now)} now"
    )
    _tamper(context, writer, "clock_moved_back", detail, last)
    return detail


def _tamper(
    context: CollectContext, writer: SpoolWriter, event: str, detail: str, original: object
) -> None:
    now = context.clock()
    writer.add(
        TamperObservation(
            id=context.observation_id(NAME, event, format_time(now), detail),
            time=now,
            provenance=context.provenance(NAME, None, event, original),
            event=event,
            detail=detail,
        )
    )
