"""The shared rules engine: an order's conditions applied to observations, giving findings.

Triage evaluates a whole set at once (`evaluate_conditions`); live monitoring compiles each
person's order once (`compile_order`) and feeds it one observation at a time. Both run the same
checks (domain/rules_checks.py), so a batch gives what the stream gives once folded by key.

`inspection_on_request` has no device evidence: it is decided by home-visit outcomes recorded by
officers, so the engine never reports on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from orderwatch.domain.conditions import Condition, ConditionType
from orderwatch.domain.lexicons import Lexicon, default_lexicon
from orderwatch.domain.observations import HeartbeatObservation, Observation, as_utc
from orderwatch.domain.rules_checks import CHECKS, OrderContext
from orderwatch.domain.rules_findings import (
    Declarations,
    Finding,
    Severity,
    aggregate_findings,
    sort_findings,
)
from orderwatch.domain.rules_identity import DeclaredIdentities
from orderwatch.domain.textmatch import KeywordMatcher

__all__ = [
    "DEFAULT_HEARTBEAT_THRESHOLD",
    "CompiledOrder",
    "Declarations",
    "Finding",
    "Severity",
    "aggregate_findings",
    "compile_order",
    "evaluate_conditions",
    "missed_heartbeat_finding",
    "sort_findings",
]

DEFAULT_HEARTBEAT_THRESHOLD = timedelta(hours=6)


def missed_heartbeat_finding(
    last_heartbeat: datetime | None, now: datetime, threshold: timedelta
) -> Finding | None:
    """A keep_monitoring finding when the agent has been silent longer than `threshold`."""
    if last_heartbeat is None:
        title = "Monitoring agent has never reported"
        return Finding(
            ConditionType.KEEP_MONITORING, Severity.HIGH, title, (), None, "keep_monitoring:silent"
        )
    silent = as_utc(now) - as_utc(last_heartbeat)
    if silent <= threshold:
        return None
    hours = silent.total_seconds() / 3600
    title = f"Monitoring agent silent for {hours:.0f} h (threshold {_hours(threshold)})"
    detail = f"last heartbeat {as_utc(last_heartbeat):%Y-%m-%d %H:%M} UTC"
    return Finding(
        ConditionType.KEEP_MONITORING, Severity.HIGH, title, (), detail, "keep_monitoring:silent"
    )


class CompiledOrder:
    """One person's order compiled for checking; recompile when the order or declarations change.

    `evaluate` is safe to call from several threads; heartbeat tracking assumes one stream.
    """

    def __init__(
        self,
        conditions: Sequence[Condition],
        declarations: Declarations,
        lexicon: Lexicon | None,
        now: datetime | None,
        heartbeat_threshold: timedelta,
    ) -> None:
        by_type = {c.type: c for c in conditions}
        words = by_type.get(ConditionType.PROHIBITED_WORDS)
        self._context = OrderContext(
            conditions=by_type,
            declared=DeclaredIdentities.build(
                declarations.devices, declarations.accounts, declarations.names
            ),
            lexicon=lexicon if ConditionType.NO_CONTACT_WITH_CHILDREN in by_type else None,
            words=_words_matcher(words),
            apps=_apps_matcher(by_type.get(ConditionType.PROHIBITED_APPS_OR_SITES)),
            now=now,
        )
        self._threshold = heartbeat_threshold
        self._last_heartbeat: datetime | None = None
        self._last_heartbeat_id: str | None = None

    @property
    def conditions(self) -> tuple[ConditionType, ...]:
        return tuple(self._context.conditions)

    def evaluate(self, observation: Observation) -> list[Finding]:
        """Findings one observation supports (not yet folded by key)."""
        return self._evaluate(self._context, observation)

    def evaluate_many(self, observations: Sequence[Observation]) -> list[Finding]:
        """The findings of evaluate() of each observation, in order, with the keyword matching
        of all their texts done at once (one scan per matcher: live batches of short texts)."""
        context = self._context.with_hits(observations)
        found: list[Finding] = []
        for observation in observations:
            found += self._evaluate(context, observation)
        return found

    def _evaluate(self, context: OrderContext, observation: Observation) -> list[Finding]:
        if isinstance(observation, HeartbeatObservation):
            return self._heartbeat(observation)
        check = CHECKS.get(observation.kind)
        return check(context, observation) if check is not None else []

    def _heartbeat(self, observation: HeartbeatObservation) -> list[Finding]:
        found: list[Finding] = []
        previous = self._last_heartbeat
        time = observation.time
        if time is None:
            return found
        if ConditionType.KEEP_MONITORING in self._context.conditions and previous is not None:
            gap = missed_heartbeat_finding(previous, time, self._threshold)
            if gap is not None:
                ids = (self._last_heartbeat_id or "", observation.id)
                key = f"keep_monitoring:gap:{as_utc(previous):%Y%m%dT%H%M%S}"
                found.append(
                    Finding(
                        gap.condition,
                        gap.severity,
                        gap.title.replace("silent", "gap"),
                        tuple(i for i in ids if i),
                        gap.detail,
                        key,
                    )
                )
        if previous is None or as_utc(time) >= as_utc(previous):
            self._last_heartbeat, self._last_heartbeat_id = time, observation.id
        return found

    def finish(self) -> list[Finding]:
        """Findings that need the whole set: an agent silent from its last heartbeat until `now`
        (only when heartbeats were seen and `now` was given)."""
        now = self._context.now
        if (
            ConditionType.KEEP_MONITORING not in self._context.conditions
            or now is None
            or self._last_heartbeat is None
        ):
            return []
        finding = missed_heartbeat_finding(self._last_heartbeat, now, self._threshold)
        if finding is None:
            return []
        ids = (self._last_heartbeat_id,) if self._last_heartbeat_id else ()
        return [
            Finding(
                finding.condition, finding.severity, finding.title, ids, finding.detail, finding.key
            )
        ]


def compile_order(
    conditions: Sequence[Condition],
    declarations: Declarations,
    *,
    lexicon: Lexicon | None = None,
    now: datetime | None = None,
    heartbeat_threshold: timedelta = DEFAULT_HEARTBEAT_THRESHOLD,
) -> CompiledOrder:
    """Compile once per person's order. `lexicon` defaults to the shipped grooming indicators;
    `now` enables the declaration grace period and the silent-agent check in finish()."""
    if lexicon is None and any(
        c.type is ConditionType.NO_CONTACT_WITH_CHILDREN for c in conditions
    ):
        lexicon = default_lexicon()
    return CompiledOrder(conditions, declarations, lexicon, now, heartbeat_threshold)


def evaluate_conditions(
    conditions: Sequence[Condition],
    observations: Sequence[Observation],
    declarations: Declarations,
    *,
    lexicon: Lexicon | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    """Batch evaluation (triage): every observation, folded by key, highest severity first."""
    compiled = compile_order(conditions, declarations, lexicon=lexicon, now=now)
    ordered = sorted(observations, key=lambda o: (o.time is None, as_utc(o.time) if o.time else 0))
    findings: list[Finding] = []
    for observation in ordered:
        findings.extend(compiled.evaluate(observation))
    findings.extend(compiled.finish())
    return aggregate_findings(findings)


def _words_matcher(condition: Condition | None) -> KeywordMatcher | None:
    if condition is None:
        return None
    words, phrases = condition.strings("words"), condition.strings("phrases")
    return KeywordMatcher(words, phrases) if words or phrases else None


def _apps_matcher(condition: Condition | None) -> KeywordMatcher | None:
    """The order's prohibited apps, each hit labelled "app:<name>"."""
    apps = condition.strings("apps") if condition is not None else ()
    return KeywordMatcher(apps, (), {app: f"app:{app}" for app in apps}) if apps else None


def _hours(value: timedelta) -> str:
    return f"{value.total_seconds() / 3600:g} h"
