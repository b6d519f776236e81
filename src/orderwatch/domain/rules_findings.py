"""What the rules produce: findings with a severity, and how findings of one key fold together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.orderfile import DeclaredAccount, DeclaredDevice


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for low up to 3 for critical, for sorting (highest first)."""
        return _RANKS[self]


_RANKS = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}
_CONDITION_ORDER = {c: i for i, c in enumerate(ConditionType)}
_MAX_DETAILS = 10


@dataclass(frozen=True)
class Declarations:
    """What the person has declared (from the order file or the caseload)."""

    devices: tuple[DeclaredDevice, ...] = ()
    accounts: tuple[DeclaredAccount, ...] = ()
    # The person's name and declared aliases: a display name that is one of them is no alias.
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A possible breach of one condition, with the observations behind it.

    `key` says what makes two findings the same thing (one device, one site, one word ...), so
    repeats fold into one finding (triage) or one incident (monitoring).
    """

    condition: ConditionType
    severity: Severity
    title: str
    observations: tuple[str, ...]
    detail: str | None = None
    key: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.value,
            "severity": self.severity.value,
            "title": self.title,
            "observations": list(self.observations),
            "detail": self.detail,
            "key": self.key,
        }


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Highest severity first, then in the vocabulary's condition order, then by title."""
    return sorted(
        findings, key=lambda f: (-f.severity.rank, _CONDITION_ORDER[f.condition], f.title, f.key)
    )


def aggregate_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Fold findings with the same key into one citing every observation (first title kept,
    highest severity, details listed once each), sorted by sort_findings."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.key or f"{finding.condition}:{finding.title}", []).append(finding)
    folded: list[Finding] = []
    for key, group in groups.items():
        first = group[0]
        observations = tuple(dict.fromkeys(o for f in group for o in f.observations))
        details = list(dict.fromkeys(f.detail for f in group if f.detail))
        detail = "; ".join(details[:_MAX_DETAILS]) or None
        if len(details) > _MAX_DETAILS:
            detail = f"{detail}; and {len(details) - _MAX_DETAILS} more"
        severity = max((f.severity for f in group), key=lambda s: s.rank)
        folded.append(Finding(first.condition, severity, first.title, observations, detail, key))
    return sort_findings(folded)
