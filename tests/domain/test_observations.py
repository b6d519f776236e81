from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orderwatch.domain.observations import (
    OBSERVATION_TYPES,
    BrowserVisitObservation,
    Provenance,
    UsbDeviceObservation,
    observation_from_dict,
    stable_id,
)


def test_round_trip_through_json_form() -> None:
    visit = BrowserVisitObservation(
        id=stable_id("img", "chrome", 7),
        time=datetime(2011, 4, 7, 12, 3, 11, tzinfo=UTC),
        provenance=Provenance(
            source="img.E01", parser="chrome_history", path="/History", record="7"
        ),
        browser="chrome",
        url="http://start.ubuntu.com/10.04/Google/",
        title="Ubuntu Start Page",
    )
    data = visit.to_dict()
    assert data["kind"] == "browser_visit"
    assert data["time"] == "2011-04-07T12:03:11Z"
    assert data["provenance"]["record"] == "7"
    assert observation_from_dict(data) == visit


def test_nested_times_round_trip() -> None:
    usb = UsbDeviceObservation(
        id="u1",
        provenance=Provenance(source="s", parser="usbstor"),
        serial="AA951D0000007252",
        first_seen=datetime(2012, 4, 7, 10, 31, 37, tzinfo=UTC),
    )
    assert observation_from_dict(usb.to_dict()).first_seen == usb.first_seen  # type: ignore[attr-defined]


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown observation kind"):
        observation_from_dict({"kind": "telepathy"})


def test_all_design_kinds_present() -> None:
    assert set(OBSERVATION_TYPES) >= {
        "file",
        "hash_match",
        "browser_visit",
        "search_term",
        "download",
        "usb_device",
        "account",
        "installed_software",
        "encrypted_container",
        "signature_mismatch",
        "history_deletion",
        "text",
        "image",
        "app_event",
        "heartbeat",
        "tamper",
    }


def test_stable_id_is_reproducible() -> None:
    assert stable_id("a", 1) == stable_id("a", 1) != stable_id("a", 2)
