"""Whatever the shared observation types serialise (Observation.to_dict) the agent API accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from orderwatch.domain.observations import (
    BrowserVisitObservation,
    Observation,
    Provenance,
    UsbDeviceObservation,
)
from orderwatch.monitor.batch_schema import validate_batch
from orderwatch.monitor.ingest import to_domain

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PROVENANCE = Provenance(
    source="laptop", parser="chrome_history", path="/Default/History", record="7"
)

SAMPLES: list[Observation] = [
    UsbDeviceObservation(
        id="u1",
        time=NOW,
        provenance=PROVENANCE,
        vendor="HP",
        product="v100w",
        serial="AA951D0000007252",
        revision="1024",
        friendly_name="HP v100w USB Device",
        vid="03F0",
        pid="3207",
    ),
    BrowserVisitObservation(
        id="v1", time=NOW, provenance=PROVENANCE, browser="chromium", url="http://a.test/"
    ),
]


@pytest.mark.parametrize("observation", SAMPLES, ids=lambda o: o.KIND)
def test_to_dict_form_is_accepted_and_the_device_is_the_source(observation: Observation) -> None:
    body = json.dumps({"batch_id": "b1", "observations": [observation.to_dict()]}).encode()
    batch = validate_batch(body, max_observations=10, max_bytes=1 << 20, now=NOW)
    stored = to_domain(batch.observations[0], "device-42")
    assert stored.provenance.source == "device-42"
    assert stored.provenance.record == "7"
    expected = observation.to_dict()
    got = stored.to_dict()
    expected["provenance"]["source"] = "device-42"
    assert got == expected
