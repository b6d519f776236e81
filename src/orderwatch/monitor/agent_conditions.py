"""What an agent should collect, from the person's order: each condition with the observation
kinds that evidence it. Word lists and lexicons stay on the server (matching happens there)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from orderwatch.domain.conditions import CONDITION_LABELS, Condition, ConditionType

C = ConditionType
# Every observation kind whose checks (domain/rules_checks.py) can evidence each condition; the
# server skips the rules for kinds none of a person's conditions needs (a test keeps this true).
COLLECT: dict[ConditionType, tuple[str, ...]] = {
    C.DECLARE_DEVICES: ("usb_device",),
    C.RETAIN_HISTORY: ("browser_visit", "history_deletion", "app_event", "installed_software"),
    C.NO_ENCRYPTION_OR_WIPING: ("installed_software", "encrypted_container", "app_event"),
    C.NO_ANONYMISATION: ("installed_software", "browser_visit", "download", "app_event"),
    C.DECLARE_ACCOUNTS: ("account",),
    C.DECLARE_CLOUD_STORAGE: (
        "installed_software",
        "browser_visit",
        "download",
        "account",
        "app_event",
    ),
    C.NO_INDECENT_IMAGES: ("image", "hash_match"),
    C.NO_ADULT_PORNOGRAPHY: ("browser_visit", "download", "image"),
    C.NO_CONTACT_WITH_CHILDREN: ("text", "search_term"),
    C.PROHIBITED_WORDS: ("text", "search_term", "browser_visit", "download"),
    C.PROHIBITED_APPS_OR_SITES: ("installed_software", "browser_visit", "download", "app_event"),
    C.KEEP_MONITORING: ("heartbeat", "tamper"),
    C.INSPECTION_ON_REQUEST: (),
}
ALWAYS = ("heartbeat", "tamper")  # the agent always says it is running and when it was touched


def agent_conditions(conditions: Sequence[Condition]) -> list[dict[str, Any]]:
    """[{type, label, collect: [kinds]}] for the enrolment answer and GET /agent/config."""
    return [
        {"type": c.type.value, "label": CONDITION_LABELS[c.type], "collect": list(COLLECT[c.type])}
        for c in conditions
    ]


def kinds_to_collect(conditions: Sequence[Condition]) -> list[str]:
    """Every observation kind the order makes relevant, heartbeats and tamper events included."""
    kinds = dict.fromkeys(ALWAYS)
    for condition in conditions:
        kinds.update(dict.fromkeys(COLLECT[condition.type]))
    return sorted(kinds)
