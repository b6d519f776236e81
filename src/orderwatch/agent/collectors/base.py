"""What every collector shares: its context (spool, plan, device, clock) and its report.

A collector writes its observations and its own progress in one spool transaction, so a kill
between the two is impossible; `interval()` says how often the service runs it.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from orderwatch.agent.config import AgentConfig
from orderwatch.agent.plan import CollectionPlan
from orderwatch.agent.spool import Spool
from orderwatch.domain.observations import Provenance, stable_id


@dataclass
class CollectContext:
    """What a collector may use: it never talks to the server itself."""

    spool: Spool
    plan: CollectionPlan
    config: AgentConfig
    source: str  # "monitored device N": provenance source and the seed of observation ids
    clock: Callable[[], datetime]

    def observation_id(self, collector: str, *parts: object) -> str:
        return stable_id(self.source, collector, *parts)

    def provenance(
        self, collector: str, path: str | None, record: str | None = None, original: object = None
    ) -> Provenance:
        return Provenance(
            source=self.source,
            parser=collector,
            path=path,
            record=record,
            original_time=None if original is None else str(original),
        )


@dataclass
class CollectorReport:
    """One run of a collector: what it spooled, what it looked at, what went wrong."""

    spooled: int = 0
    examined: int = 0
    errors: list[str] = field(default_factory=list)
    note: str = ""

    def summary(self) -> str:
        text = f"{self.spooled} new observation(s), {self.examined} item(s) examined"
        if self.note:
            text += f"; {self.note}"
        if self.errors:
            text += f"; {len(self.errors)} error(s): " + "; ".join(self.errors[:3])
        return text


class Collector(ABC):
    """Base of every collector; NAME is also its key in the collection plan."""

    NAME: ClassVar[str] = ""

    def setup(self, connection: sqlite3.Connection) -> None:  # noqa: B027 (optional hook)
        """Create the collector's own tables in the spool file (idempotent)."""

    @abstractmethod
    def interval(self, config: AgentConfig) -> float:
        """Seconds between runs (0: every cycle)."""

    @abstractmethod
    def collect(self, context: CollectContext) -> CollectorReport:
        """Look once, spool what is new, and record progress in the same transaction."""
