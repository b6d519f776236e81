"""Device triage: one command from an evidence source to report.json, inventory.jsonl and HTML."""

from orderwatch.triage.engine import TriageOptions, TriageOutcome, run_triage

__all__ = ["TriageOptions", "TriageOutcome", "run_triage"]
