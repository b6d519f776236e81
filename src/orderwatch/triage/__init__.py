"""Device triage: one command from an evidence source to report.json, inventory.jsonl and HTML.

The public names load on first use, so `orderwatch --help` does not import the whole engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orderwatch.triage.engine import TriageOptions, TriageOutcome, run_triage

__all__ = ["TriageOptions", "TriageOutcome", "run_triage"]

# What each worker process imports before its first file (the fork server's preload).
WORKER_MODULES = ("orderwatch.triage.worker",)


def __getattr__(name: str) -> Any:
    if name in __all__:
        from orderwatch.triage import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'orderwatch.triage' has no attribute {name!r}")
