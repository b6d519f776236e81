"""Every kind's JSON form lists each of its fields once, in declaration order, times in UTC; and
every kind survives pickling (how triage workers hand observations to the parent)."""

from __future__ import annotations

import dataclasses
import pickle
import typing
from datetime import UTC, datetime, timedelta, timezone

from orderwatch.domain.observations import OBSERVATION_TYPES, Observation, Provenance

WHEN = datetime(2024, 3, 17, 9, 30, tzinfo=timezone(timedelta(hours=2)))


def _sample(cls: type[Observation]) -> Observation:
    """One observation of `cls` with a distinct value in every field (times for datetimes)."""
    hints = typing.get_type_hints(cls)
    values: dict[str, object] = {
        "id": f"id-{cls.KIND}",
        "time": WHEN,
        "provenance": Provenance("img.E01", "p", "/a/b", "row 7", "13350000000000000"),
    }
    for number, f in enumerate(dataclasses.fields(cls)):
        if f.name in values:
            continue
        hint = str(hints[f.name])
        if "datetime" in hint:
            values[f.name] = WHEN + timedelta(days=number)
        elif "bool" in hint:
            values[f.name] = True
        elif "int" in hint:
            values[f.name] = number
        elif "float" in hint:
            values[f.name] = number / 2
        elif "dict" in hint:
            values[f.name] = {"score": 0.5}
        else:
            values[f.name] = f"{f.name}-{number}"
    return cls(**values)  # type: ignore[arg-type]


def test_every_kind_gives_every_field_once_in_order() -> None:
    for kind, cls in OBSERVATION_TYPES.items():
        observation = _sample(cls)
        data = observation.to_dict()
        common = ("id", "time", "provenance")
        own = [f.name for f in dataclasses.fields(cls) if f.name not in common]
        assert list(data) == ["id", "kind", "time", *own, "provenance"]
        assert data["kind"] == kind and data["time"] == "2024-03-17T07:30:00Z"
        for name in own:
            value = getattr(observation, name)
            expected = (
                value.astimezone(UTC).isoformat().replace("+00:00", "Z")
                if isinstance(value, datetime)
                else value
            )
            assert data[name] == expected, (kind, name)
        assert data["provenance"] == {
            "source": "img.E01",
            "parser": "p",
            "path": "/a/b",
            "record": "row 7",
            "original_time": "13350000000000000",
        }


def test_every_kind_survives_pickling() -> None:
    for cls in OBSERVATION_TYPES.values():
        observation = _sample(cls)
        back = pickle.loads(pickle.dumps(observation, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == observation and back.to_dict() == observation.to_dict()
        assert hash(back.provenance) == hash(observation.provenance)  # frozen: still hashable
