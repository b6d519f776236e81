"""Each person's order compiled once and reused for every observation of theirs.

An entry is valid for the order version it was compiled at (database triggers bump the version
whenever the order, declared devices or accounts, or the person's name or aliases change) and for
at most `max_age`, so
the declaration grace period is measured from a recent "now".
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.lexicons import Lexicon
from orderwatch.domain.rules import CompiledOrder, compile_order
from orderwatch.monitor.agent_conditions import kinds_to_collect
from orderwatch.storage.monitoring_records import MonitoringOrder


@dataclass(frozen=True)
class CachedOrder:
    version: int
    compiled_at: datetime
    compiled: CompiledOrder
    conditions: frozenset[ConditionType]
    kinds: frozenset[str]  # observation kinds any of the conditions can be evidenced by


class CompiledOrderCache:
    """A bounded, thread-safe LRU of compiled orders keyed by person id."""

    def __init__(
        self,
        *,
        lexicon: Lexicon | None = None,
        max_entries: int = 20_000,
        max_age: timedelta = timedelta(hours=1),
    ) -> None:
        self._lexicon = lexicon
        self._max_entries = max_entries
        self._max_age = max_age
        self._entries: OrderedDict[int, CachedOrder] = OrderedDict()
        self._lock = threading.Lock()
        self.compilations = 0  # how many times an order was (re)compiled, for tests and stats

    def get(
        self, person_id: int, version: int, now: datetime, load: Callable[[], MonitoringOrder]
    ) -> CachedOrder:
        """The person's compiled order at `version`; `load` is called only when it must be
        (re)compiled."""
        with self._lock:
            entry = self._entries.get(person_id)
            if entry is not None and self._fresh(entry, version, now):
                self._entries.move_to_end(person_id)
                return entry
        order = load()
        compiled = compile_order(
            order.conditions, order.declarations, lexicon=self._lexicon, now=now
        )
        entry = CachedOrder(
            version,
            now,
            compiled,
            frozenset(c.type for c in order.conditions),
            frozenset(kinds_to_collect(order.conditions)),
        )
        with self._lock:
            self.compilations += 1
            self._entries[person_id] = entry
            self._entries.move_to_end(person_id)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return entry

    def _fresh(self, entry: CachedOrder, version: int, now: datetime) -> bool:
        return entry.version == version and abs(now - entry.compiled_at) <= self._max_age

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
