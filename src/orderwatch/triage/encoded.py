"""Observations as triage workers send them: report.json's line, already encoded, and the few
fields the parent sorts, de-duplicates and filters on.

Pickling observation objects to the parent, then building and encoding a dict of each, cost more
than parsing a large history; a worker encodes each observation once and the parent only moves
strings. Objects still travel for the kinds the order's rules read (`WorkerOptions.rule_kinds`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import datetime
from operator import attrgetter
from typing import Any, overload

from orderwatch.domain.observations import Observation, format_time

# (id, time text or None, kind, provenance parser, provenance path, provenance record, JSON)
EncodedObservation = tuple[str, str | None, str, str, str, str, str]

_encode = json.JSONEncoder(ensure_ascii=False).encode
_string = json.encoder.encode_basestring  # json's own (C) string quoting, non-ASCII kept
_PROVENANCE = ("source", "parser", "path", "record", "original_time")


def encode_observation(observation: Observation) -> EncodedObservation:
    """One observation as report.json holds it (compact JSON), with its sort and filter keys.

    The line is what json's encoder makes of `to_dict()`, built from a template per kind with
    each value quoted by json's own functions: half the time of the dict and its encoding.
    """
    provenance = observation.provenance
    time = format_time(observation.time)
    template, values = _template(type(observation))
    parts = [observation.id, time, *values(observation), *provenance.__getstate__()]
    return (
        observation.id,
        time,
        observation.KIND,
        provenance.parser,
        provenance.path or "",
        provenance.record or "",
        template % tuple([_string(v) if v.__class__ is str else _value(v) for v in parts]),
    )


def _value(value: Any) -> str:
    """One value as json.dumps writes it (datetimes as to_dict writes them)."""
    if type(value) is str:
        return str(_string(value))
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, datetime):
        return str(_string(str(format_time(value))))
    return _encode(value)  # numbers, lists, dicts: json's encoder itself


def line_template(cls: type[Observation]) -> str:
    """A kind's line with a `%s` for each value: id, time, the kind's own fields in order, then
    provenance's source, parser, path, record and original_time (each as `json_value` writes)."""
    return _template(cls)[0]


def json_value(value: Any) -> str:
    """One value as it stands in a line (the JSON text `encode_observation` writes for it)."""
    return _value(value)


class ReportLines:
    """What a parser mediator is handed to keep observations as report.json lines only."""

    encode = staticmethod(encode_observation)
    template = staticmethod(line_template)
    value = staticmethod(json_value)


REPORT_LINES = ReportLines()

_TEMPLATES: dict[type, tuple[str, Callable[[Any], tuple[Any, ...]]]] = {}


def _template(cls: type[Observation]) -> tuple[str, Callable[[Any], tuple[Any, ...]]]:
    """A kind's line with a %s for each value, and a reader of its own fields' values."""
    found = _TEMPLATES.get(cls)
    if found is None:
        names = tuple(f.name for f in fields(cls) if f.name not in ("id", "time", "provenance"))
        keys = ["id", "kind", "time", *names]
        head = ", ".join(f"{_string(k)}: %s" for k in keys)
        head = head.replace('"kind": %s', f'"kind": {_string(cls.KIND)}', 1)
        tail = ", ".join(f"{_string(k)}: %s" for k in _PROVENANCE)
        template = "{" + head + ', "provenance": {' + tail + "}}"
        getter = attrgetter(*names) if len(names) > 1 else None
        found = (template, getter or (lambda o: tuple(getattr(o, n) for n in names)))
        _TEMPLATES[cls] = found
    return found


def unique_encoded(encoded: Iterable[EncodedObservation]) -> list[EncodedObservation]:
    """One per id, the copy with the first provenance path and record (as unique_observations)."""
    chosen: dict[str, EncodedObservation] = {}
    for item in encoded:
        kept = chosen.get(item[0])
        if kept is None or (item[4], item[5]) < (kept[4], kept[5]):
            chosen[item[0]] = item
    return list(chosen.values())


def sorted_encoded(encoded: Iterable[EncodedObservation]) -> list[EncodedObservation]:
    """Timeline order, as sorted_observations: dated first by time, then undated; kind, id."""
    return sorted(encoded, key=lambda e: (e[1] is None, e[1] or "", e[2], e[0]))


class ObservationLines(Sequence[dict[str, Any]]):
    """report.json's observations, kept encoded: read as dicts (decoded on access), written as
    the lines they are, filtered on id, kind and parser without decoding."""

    def __init__(self, encoded: list[EncodedObservation]) -> None:
        self.encoded = encoded

    def __len__(self) -> int:
        return len(self.encoded)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [json.loads(e[-1]) for e in self.encoded[index]]
        return dict(json.loads(self.encoded[index][-1]))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for item in self.encoded:
            yield json.loads(item[-1])

    def lines(self) -> Iterator[str]:
        return (item[-1] for item in self.encoded)

    def select(self, keep: Callable[[EncodedObservation], bool]) -> list[dict[str, Any]]:
        """The observations (decoded, in order) whose encoded keys `keep` accepts."""
        return [json.loads(item[-1]) for item in self.encoded if keep(item)]
