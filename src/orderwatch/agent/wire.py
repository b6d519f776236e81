"""The JSON an observation travels as: `Observation.to_dict()` shaped for the batch API.

The server names the source itself (the enrolled device), so `provenance.source` is left out, and
so are fields without a value (the API's defaults stand for them). The fields are walked directly
(not through `dataclasses.asdict`): a first scan serialises 100,000 visits.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from orderwatch.domain.observations import Observation, format_time

_PROVENANCE = ("parser", "path", "record", "original_time")
# Longer text (a data: URL, a page title) is cut to fit the API's 8 KiB fields; the spool keeps
# the observation as sent, and the cut says how much is missing.
MAX_TEXT = 8000
_FIELDS: dict[type[Observation], tuple[str, ...]] = {}
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _fields(cls: type[Observation]) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        skipped = {"id", "time", "provenance"}
        names = tuple(f.name for f in dataclasses.fields(cls) if f.name not in skipped)
        _FIELDS[cls] = names
    return names


def wire_form(observation: Observation) -> dict[str, Any]:
    """The observation as the batch API takes it (no source, no empty fields)."""
    out: dict[str, Any] = {"id": observation.id, "kind": observation.KIND}
    if observation.time is not None:
        out["time"] = format_time(observation.time)
    for name in _fields(type(observation)):
        value = getattr(observation, name)
        if value is None:
            continue
        if isinstance(value, datetime):
            value = format_time(value)
        elif isinstance(value, str) and len(value) > MAX_TEXT:
            value = value[:MAX_TEXT] + f"... [{len(value) - MAX_TEXT:,} more characters]"
        out[name] = value
    provenance = observation.provenance
    out["provenance"] = {
        name: getattr(provenance, name)
        for name in _PROVENANCE
        if getattr(provenance, name) is not None
    }
    return out


def wire_json(observation: Observation) -> str:
    """`wire_form` as compact JSON text, as stored in the spool and sent."""
    return _ENCODER.encode(wire_form(observation))
