"""The order-condition vocabulary (DESIGN.md, v1): typed records with their parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ConditionType(StrEnum):
    """Every condition type an order may carry."""

    DECLARE_DEVICES = "declare_devices"
    RETAIN_HISTORY = "retain_history"
    NO_ENCRYPTION_OR_WIPING = "no_encryption_or_wiping"
    NO_ANONYMISATION = "no_anonymisation"
    DECLARE_ACCOUNTS = "declare_accounts"
    DECLARE_CLOUD_STORAGE = "declare_cloud_storage"
    NO_INDECENT_IMAGES = "no_indecent_images"
    NO_ADULT_PORNOGRAPHY = "no_adult_pornography"
    NO_CONTACT_WITH_CHILDREN = "no_contact_with_children"
    PROHIBITED_WORDS = "prohibited_words"
    PROHIBITED_APPS_OR_SITES = "prohibited_apps_or_sites"
    KEEP_MONITORING = "keep_monitoring"
    INSPECTION_ON_REQUEST = "inspection_on_request"


KNOWN_CONDITION_TYPES: tuple[str, ...] = tuple(t.value for t in ConditionType)

# Parameters each type accepts: name -> (kind, default). kind is "int" or "strings".
_PARAMETERS: dict[ConditionType, dict[str, tuple[str, Any]]] = {
    ConditionType.DECLARE_DEVICES: {"within_days": ("int", 3)},
    ConditionType.NO_ANONYMISATION: {"allow": ("strings", ())},
    ConditionType.PROHIBITED_WORDS: {"words": ("strings", ()), "phrases": ("strings", ())},
    ConditionType.PROHIBITED_APPS_OR_SITES: {"apps": ("strings", ()), "domains": ("strings", ())},
    ConditionType.NO_ADULT_PORNOGRAPHY: {"domains": ("strings", ())},
}


class ConditionError(ValueError):
    """A condition record is not valid; the message says why."""


@dataclass(frozen=True)
class Condition:
    """One condition of an order: its type and its (validated, defaulted) parameters."""

    type: ConditionType
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """A short human wording of the type."""
        return CONDITION_LABELS[self.type]

    def strings(self, name: str) -> tuple[str, ...]:
        """A list parameter (words, phrases, apps, domains, allow), empty when absent."""
        value = self.params.get(name, ())
        return tuple(value)

    def integer(self, name: str) -> int:
        """An integer parameter with its default."""
        return int(self.params[name])

    def to_record(self) -> dict[str, Any]:
        """The YAML/JSON form: {"type": ..., **params}."""
        record: dict[str, Any] = {"type": self.type.value}
        for name, value in self.params.items():
            record[name] = list(value) if isinstance(value, tuple) else value
        return record


CONDITION_LABELS: dict[ConditionType, str] = {
    ConditionType.DECLARE_DEVICES: "Declare all devices",
    ConditionType.RETAIN_HISTORY: "Retain browsing history",
    ConditionType.NO_ENCRYPTION_OR_WIPING: "No encryption or wiping software",
    ConditionType.NO_ANONYMISATION: "No anonymisation tools",
    ConditionType.DECLARE_ACCOUNTS: "Declare all online accounts",
    ConditionType.DECLARE_CLOUD_STORAGE: "Declare cloud storage",
    ConditionType.NO_INDECENT_IMAGES: "No indecent images",
    ConditionType.NO_ADULT_PORNOGRAPHY: "No adult pornography",
    ConditionType.NO_CONTACT_WITH_CHILDREN: "No contact with children",
    ConditionType.PROHIBITED_WORDS: "Prohibited words",
    ConditionType.PROHIBITED_APPS_OR_SITES: "Prohibited apps or sites",
    ConditionType.KEEP_MONITORING: "Keep monitoring installed",
    ConditionType.INSPECTION_ON_REQUEST: "Devices available for inspection",
}


def parse_condition(record: Mapping[str, Any]) -> Condition:
    """Build a Condition from a mapping like {"type": "prohibited_words", "words": [...]}.

    Raises ConditionError naming the unknown type (with the known ones) or the bad parameter.
    """
    if not isinstance(record, Mapping):
        raise ConditionError("a condition must be a mapping with a 'type'")
    raw_type = record.get("type")
    if raw_type is None:
        raise ConditionError("a condition needs a 'type'")
    try:
        ctype = ConditionType(str(raw_type))
    except ValueError:
        known = ", ".join(KNOWN_CONDITION_TYPES)
        raise ConditionError(f"unknown condition type {raw_type!r}; known types: {known}") from None
    allowed = _PARAMETERS.get(ctype, {})
    params: dict[str, Any] = {}
    for name, value in record.items():
        if name == "type":
            continue
        if name not in allowed:
            accepted = ", ".join(sorted(allowed)) or "none"
            raise ConditionError(
                f"{ctype.value} does not take parameter {name!r} (accepted: {accepted})"
            )
        kind, _ = allowed[name]
        params[name] = _coerce(ctype, name, kind, value)
    for name, (_, default) in allowed.items():
        params.setdefault(name, default)
    return Condition(ctype, params)


def _coerce(ctype: ConditionType, name: str, kind: str, value: Any) -> Any:
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConditionError(f"{ctype.value}.{name} must be a whole number >= 0, not {value!r}")
        return value
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConditionError(f"{ctype.value}.{name} must be a list of text, not {value!r}")
    cleaned = tuple(v.strip() for v in value if v.strip())
    return cleaned
