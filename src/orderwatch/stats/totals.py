"""Sums of the raw statistics for a set of officers (a scope, a team, one officer): the
previous and current period of a figure, optionally filtered or split by its key."""

from __future__ import annotations

from collections.abc import Callable

from orderwatch.domain.statistics import Change, median
from orderwatch.monitor.alert_states import OUTCOME_KINDS
from orderwatch.storage.investigations_stats import Key, RawStatistics

BREACH_STATES = frozenset(s.value for s in OUTCOME_KINDS)


class Totals:
    """Sums of the raw counts for a set of officers (None: everyone counted). Per-officer
    figures are summed over the officers; keyed figures and trends are the scope's own."""

    def __init__(self, raw: RawStatistics, officers: set[int] | None) -> None:
        self.raw = raw
        self.officers = officers

    def _wanted(self, officer: int) -> bool:
        return self.officers is None or officer in self.officers

    def officer_change(self, metric: str) -> Change:
        """A per-officer figure summed over the wanted officers."""
        by_officer = self.raw.officers.get(metric, {})
        if self.officers is None:
            rows = list(by_officer.values())
        else:
            rows = [by_officer[o] for o in self.officers if o in by_officer]
        return Change(sum(r[1] for r in rows), sum(r[0] for r in rows))

    def change(self, metric: str, keep: Callable[[Key], bool] = lambda _: True) -> Change:
        """A keyed figure of the scope, summed over the keys kept."""
        previous = current = 0
        for key, (before, now) in self.raw.keyed.get(metric, {}).items():
            if keep(key):
                previous += before
                current += now
        return Change(current, previous)

    def keyed(
        self, metric: str, index: int, keep: Callable[[Key], bool] = lambda _: True
    ) -> dict[str, Change]:
        """The figure split by one part of its key (e.g. offence type), previous and current."""
        split: dict[str, list[int]] = {}
        for key, counts in self.raw.keyed.get(metric, {}).items():
            if keep(key):
                into = split.setdefault(key[index], [0, 0])
                into[0] += counts[0]
                into[1] += counts[1]
        return {value: Change(c[1], c[0]) for value, c in sorted(split.items())}

    def trend_change(self, metric: str) -> Change:
        """A figure counted per chart bucket, folded into the two periods."""
        previous = current = 0
        for bucket, count in zip(self.raw.buckets, self.raw.trends[metric], strict=True):
            if bucket.current:
                current += count
            else:
                previous += count
        return Change(current, previous)

    def breaches(self) -> Change:
        """Breach decisions on alerts plus breach offences not found through such an alert."""
        alerts = self.officer_change("breach_alerts")
        offences = self.officer_change("breach_offences")
        return Change(alerts.current + offences.current, alerts.previous + offences.previous)

    def snapshot(self, table: dict[int, list[int]]) -> Change:
        previous = sum(v[0] for o, v in table.items() if self._wanted(o))
        current = sum(v[1] for o, v in table.items() if self._wanted(o))
        return Change(current, previous)

    def exam_median(self) -> Change:
        """Median days from seizure to first examination, exhibits examined in each period."""
        days: list[list[int]] = [[], []]
        for (value,), counts in self.raw.keyed.get("exam_days", {}).items():
            for index in (0, 1):
                days[index] += [int(value)] * counts[index]
        return Change(median(days[1]) or 0, median(days[0]) or 0)
