"""The kinds each condition is told to collect (and the only kinds ingestion runs the rules on
for it) cover every kind the shared rules can raise that condition from."""

from __future__ import annotations

from typing import Any

import pytest

from orderwatch.domain.conditions import ConditionType, parse_condition
from orderwatch.domain.observations import observation_from_dict
from orderwatch.domain.rules import Declarations, compile_order
from orderwatch.monitor.agent_conditions import COLLECT

PARAMS: dict[str, dict[str, Any]] = {
    "prohibited_words": {"words": ["example-banned-word"]},
    "prohibited_apps_or_sites": {"apps": ["Kik"], "domains": ["example-chat-site.test"]},
    "no_adult_pornography": {"domains": ["adult-site.example"]},
}
SITES = (
    "https://www.torproject.org/download/",
    "https://nordvpn.com/pricing",
    "https://mega.nz/folder/x",
    "https://adult-site.example/v",
    "https://example-chat-site.test/room",
    "https://search.example/?q=example-banned-word",
)
APPS = ("Tor Browser", "Dropbox", "Kik Messenger", "VeraCrypt", "Eraser", "NordVPN")
CORPUS: list[dict[str, Any]] = [
    {"kind": "usb_device", "vendor": "X", "product": "Y", "serial": "UNDECLARED"},
    {"kind": "history_deletion", "browser": "Chrome", "indicator": "history_cleared", "detail": ""},
    {"kind": "encrypted_container", "path": "/c.bin", "size": 10**9, "entropy": 7.99},
    {"kind": "hash_match", "path": "/x.jpg", "hashset": "set", "method": "md5"},
    {"kind": "image", "path": "/y.jpg", "scores": {"porn": 0.99}},
    {"kind": "account", "service": "Instagram", "identifier": "hidden.one"},
    {"kind": "account", "service": "Dropbox", "identifier": "hidden@example.org"},
    {"kind": "tamper", "event": "agent_stopped"},
    {"kind": "file", "path": "/a.txt"},
    {"kind": "signature_mismatch", "path": "/a.jpg", "extension": "jpg", "detected_type": "zip"},
    *({"kind": "browser_visit", "browser": "Chrome", "url": u, "recovered": True} for u in SITES),
    *({"kind": "download", "url": u} for u in SITES),
    *({"kind": "installed_software", "name": a} for a in APPS),
    {"kind": "installed_software", "name": "Shredder Pro", "category": "wiping"},
    *({"kind": "app_event", "app": a, "event": "opened"} for a in APPS),
    {"kind": "app_event", "app": "Chrome", "event": "history_cleared"},
    *(
        {"kind": kind, field: text, **extra}
        for kind, field, extra in (
            ("text", "text", {"app": "SMS"}),
            ("search_term", "term", {"engine": "Google"}),
        )
        for text in ("the example-banned-word", "are you home alone", "how old are you")
    ),
]


@pytest.mark.parametrize("condition", list(ConditionType), ids=str)
def test_findings_come_only_from_the_kinds_collected_for_the_condition(
    condition: ConditionType,
) -> None:
    order = compile_order(
        [parse_condition({"type": condition.value, **PARAMS.get(condition.value, {})})],
        Declarations(),
    )
    raised_by: set[str] = set()
    for number, record in enumerate(CORPUS):
        provenance = {"source": "test", "parser": "test"}
        observation = observation_from_dict({"id": str(number), "provenance": provenance, **record})
        if order.evaluate(observation):
            raised_by.add(observation.kind)
    assert raised_by <= set(COLLECT[condition])
    if condition not in (ConditionType.INSPECTION_ON_REQUEST,):
        assert raised_by, f"the corpus should exercise {condition}"
