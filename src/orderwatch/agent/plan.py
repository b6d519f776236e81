"""What the agent collects: only the observation kinds the enrolled order's conditions need.

The server sends each condition with the kinds that evidence it (`collect`); a collector runs only
when one of its kinds is wanted. Heartbeats and tamper events are always sent: they are how the
agent shows it is running and untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orderwatch.domain.conditions import ConditionType
from orderwatch.monitor.agent_conditions import ALWAYS, COLLECT

# Each collector and the kinds it can produce.
COLLECTOR_KINDS: dict[str, tuple[str, ...]] = {
    "browser_history": ("browser_visit", "search_term", "download", "history_deletion"),
    "removable_storage": ("usb_device",),
    "software": ("installed_software", "app_event"),
    "images": ("image",),
    "heartbeat": ("heartbeat",),
    "tamper": ("tamper",),
}
COLLECTOR_LABELS: dict[str, str] = {
    "browser_history": "browser history (visits, searches, downloads, deletions)",
    "removable_storage": "removable storage devices connected",
    "software": "installed software changes",
    "images": "new images: hashes and PDQ only, never the image",
    "heartbeat": "heartbeat",
    "tamper": "tamper events (agent stopped, clock moved back, files changed, spool overflow)",
}


@dataclass(frozen=True)
class CollectionPlan:
    """The kinds to send, and for each the conditions that ask for it."""

    kinds: frozenset[str]
    reasons: Mapping[str, tuple[str, ...]]  # kind -> condition types

    def wants(self, kind: str) -> bool:
        return kind in self.kinds

    def collector_on(self, name: str) -> bool:
        return any(kind in self.kinds for kind in COLLECTOR_KINDS[name])

    def collector_reasons(self, name: str) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for kind in COLLECTOR_KINDS[name]:
            found.update(dict.fromkeys(self.reasons.get(kind, ())))
        return tuple(found)

    def describe(self) -> list[str]:
        """One line per collector: on (and for which conditions) or off."""
        lines = []
        for name, label in COLLECTOR_LABELS.items():
            if not self.collector_on(name):
                lines.append(f"off: {label} (no condition needs it)")
                continue
            sent = [k for k in COLLECTOR_KINDS[name] if k in self.kinds]
            why = ", ".join(self.collector_reasons(name)) or "always"
            lines.append(f"on: {label} [{', '.join(sent)}] for {why}")
        return lines


def collection_plan(conditions: Sequence[Mapping[str, Any]]) -> CollectionPlan:
    """The plan for the conditions the server sent ({type, collect: [kinds]} records)."""
    reasons: dict[str, dict[str, None]] = {kind: {} for kind in ALWAYS}
    for condition in conditions:
        ctype = str(condition.get("type", ""))
        collect = condition.get("collect")
        if not isinstance(collect, list):
            try:
                collect = list(COLLECT[ConditionType(ctype)])
            except ValueError:
                collect = []  # a condition type newer than this agent: nothing to add
        for kind in collect:
            reasons.setdefault(str(kind), {})[ctype] = None
    return CollectionPlan(frozenset(reasons), {kind: tuple(why) for kind, why in reasons.items()})
