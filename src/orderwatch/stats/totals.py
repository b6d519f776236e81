"""Sums of the raw statistics for a set of officers (a scope, a team, one officer): the
previous and current period of a figure, optionally filtered or split by its key."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from orderwatch.domain.statistics import Change, median
from orderwatch.monitor.alert_states import OUTCOME_KINDS
from orderwatch.storage.investigations_stats import Key, RawStatistics

BREACH_STATES = frozenset(s.value for s in OUTCOME_KINDS)


SeriesIndex = dict[str, dict[int, list[tuple[Key, list[int]]]]]


def index_series(raw: RawStatistics) -> SeriesIndex:
    """The raw series by metric, then officer: breakdown lines read only their own officers."""
    index: SeriesIndex = {}
    for metric, series in raw.series.items():
        by_officer = index.setdefault(metric, {})
        for (officer, key), counts in series.items():
            by_officer.setdefault(officer, []).append((key, counts))
    return index


class Totals:
    """Sums of the raw series for a set of officers (None: everyone counted)."""

    def __init__(
        self, raw: RawStatistics, officers: set[int] | None, index: SeriesIndex | None = None
    ) -> None:
        self.raw = raw
        self.officers = officers
        self.current = [False, True]  # the series hold [previous, current]
        self.index = index if index is not None else index_series(raw)

    def _wanted(self, officer: int) -> bool:
        return self.officers is None or officer in self.officers

    def _entries(self, metric: str) -> Iterator[tuple[Key, list[int]]]:
        """(key, counts) of the metric for the wanted officers only (no scan of the others)."""
        by_officer = self.index.get(metric, {})
        wanted = by_officer.keys() if self.officers is None else self.officers
        for officer in wanted:
            yield from by_officer.get(officer, ())

    def buckets(self, metric: str, keep: Callable[[Key], bool] = lambda _: True) -> list[int]:
        out = [0, 0]
        for key, counts in self._entries(metric):
            if keep(key):
                out = [a + b for a, b in zip(out, counts, strict=True)]
        return out

    def change(self, metric: str, keep: Callable[[Key], bool] = lambda _: True) -> Change:
        return self.fold(self.buckets(metric, keep))

    def fold(self, per_bucket: Iterable[int]) -> Change:
        previous = current = 0
        for is_current, value in zip(self.current, per_bucket, strict=True):
            if is_current:
                current += value
            else:
                previous += value
        return Change(current, previous)

    def keyed(
        self, metric: str, index: int, keep: Callable[[Key], bool] = lambda _: True
    ) -> dict[str, Change]:
        """The figure split by one part of its key (e.g. offence type), previous and current."""
        split: dict[str, list[int]] = {}
        for key, counts in self._entries(metric):
            if keep(key):
                into = split.setdefault(key[index], [0] * len(counts))
                split[key[index]] = [a + b for a, b in zip(into, counts, strict=True)]
        return {value: self.fold(counts) for value, counts in sorted(split.items())}

    def snapshot(self, table: dict[int, list[int]]) -> Change:
        previous = sum(v[0] for o, v in table.items() if self._wanted(o))
        current = sum(v[1] for o, v in table.items() if self._wanted(o))
        return Change(current, previous)

    def exam_median(self) -> Change:
        days = [(c, d) for o, c, d in self.raw.exam_days if self._wanted(o)]
        now = median([d for c, d in days if c])
        before = median([d for c, d in days if not c])
        return Change(now or 0, before or 0)

    def breaches_by_period(self) -> list[int]:
        alerts = self.buckets("alert_decisions", lambda k: k[0] in BREACH_STATES)
        offences = self.buckets("breach_offences")
        return [a + b for a, b in zip(alerts, offences, strict=True)]
