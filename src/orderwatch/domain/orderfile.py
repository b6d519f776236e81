"""The order YAML form (shared/examples/order.yaml) parsed into typed records, with line numbers.

Parsing is all or nothing: every problem is collected, and a file with any problem raises
InvalidInputError listing them, so an import never stores half a file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from orderwatch.domain.caseload import ManagementLevel, OrderKind, RiskLevel
from orderwatch.domain.conditions import Condition, ConditionError, parse_condition
from orderwatch.domain.errors import InvalidInputError, Problem


@dataclass(frozen=True)
class PersonRecord:
    ref: str
    name: str
    date_of_birth: date | None
    risk_level: RiskLevel
    management: ManagementLevel
    officer: str | None
    aliases: tuple[str, ...] = ()
    address: str | None = None


@dataclass(frozen=True)
class OrderRecord:
    kind: OrderKind
    court: str | None
    made: date
    expires: date | None
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class DeclaredDevice:
    kind: str
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    imei: str | None = None
    mac: str | None = None
    vendor: str | None = None
    product: str | None = None
    declared_on: date | None = None


@dataclass(frozen=True)
class DeclaredAccount:
    service: str
    identifier: str


@dataclass(frozen=True)
class OrderDocument:
    """One managed person with their order and declarations."""

    person: PersonRecord
    order: OrderRecord | None
    declared_devices: tuple[DeclaredDevice, ...] = field(default_factory=tuple)
    declared_accounts: tuple[DeclaredAccount, ...] = field(default_factory=tuple)


_DEVICE_FIELDS = {
    "kind",
    "make",
    "model",
    "serial",
    "imei",
    "mac",
    "vendor",
    "product",
    "declared_on",
}


class _Reader:
    """Walks the YAML node tree, collecting problems with line numbers."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(Problem(line, message))

    def mapping(self, node: yaml.Node | None, where: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{where} must be a mapping")
            return {}
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            out[str(key.value)] = value
        return out

    def sequence(self, node: yaml.Node | None, where: str) -> list[yaml.Node]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{where} must be a list")
            return []
        return list(node.value)

    def text(self, m: dict[str, yaml.Node], key: str, where: str, required: bool) -> str | None:
        node = m.get(key)
        if node is None or (isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null")):
            if required:
                self.problems.append(Problem(0, f"{where}.{key} is required"))
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, f"{where}.{key} must be text")
            return None
        return str(node.value).strip()

    def day(self, m: dict[str, yaml.Node], key: str, where: str, required: bool) -> date | None:
        value = self.text(m, key, where, required)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(m[key], f"{where}.{key} must be a date YYYY-MM-DD, not {value!r}")
            return None

    def choice(self, m: dict[str, yaml.Node], key: str, where: str, enum: Any, default: Any) -> Any:
        value = self.text(m, key, where, default is None)
        if value is None:
            return default
        try:
            return enum(value)
        except ValueError:
            options = " | ".join(e.value for e in enum)
            self.fail(m[key], f"{where}.{key} must be one of {options}, not {value!r}")
            return default


def parse_order_document(text: str, source: str = "order file") -> OrderDocument:
    """Parse one order file; raises InvalidInputError listing every problem with its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise InvalidInputError(source, [Problem(line, f"not valid YAML: {error}")]) from None
    reader = _Reader()
    top = reader.mapping(root, "the file")
    person = _person(reader, top.get("person"))
    order = _order(reader, top.get("order")) if "order" in top else None
    devices = tuple(
        _device(reader, n) for n in reader.sequence(top.get("declared_devices"), "declared_devices")
    )
    accounts = tuple(
        _account(reader, n)
        for n in reader.sequence(top.get("declared_accounts"), "declared_accounts")
    )
    for key, node in top.items():
        if key not in {"person", "order", "declared_devices", "declared_accounts"}:
            reader.fail(node, f"unknown section {key!r}")
    if reader.problems or person is None:
        raise InvalidInputError(source, reader.problems or [Problem(0, "no person section")])
    return OrderDocument(
        person=person,
        order=order,
        declared_devices=tuple(d for d in devices if d is not None),
        declared_accounts=tuple(a for a in accounts if a is not None),
    )


def _python_value(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


def _person(r: _Reader, node: yaml.Node | None) -> PersonRecord | None:
    if node is None:
        r.problems.append(Problem(0, "the file needs a 'person' section"))
        return None
    m = r.mapping(node, "person")
    ref = r.text(m, "ref", "person", True)
    name = r.text(m, "name", "person", True)
    dob = r.day(m, "date_of_birth", "person", False)
    risk = r.choice(m, "risk_level", "person", RiskLevel, RiskLevel.MEDIUM)
    management = r.choice(m, "management", "person", ManagementLevel, ManagementLevel.ACTIVE)
    officer = r.text(m, "officer", "person", False)
    address = r.text(m, "address", "person", False)
    aliases = tuple(
        str(n.value)
        for n in r.sequence(m.get("aliases"), "person.aliases")
        if isinstance(n, yaml.ScalarNode)
    )
    if ref is None or name is None:
        return None
    return PersonRecord(ref, name, dob, risk, management, officer, aliases, address)


def _order(r: _Reader, node: yaml.Node | None) -> OrderRecord | None:
    m = r.mapping(node, "order")
    if not m:
        return None
    kind = r.choice(m, "kind", "order", OrderKind, None)
    court = r.text(m, "court", "order", False)
    made = r.day(m, "made", "order", True)
    expires = r.day(m, "expires", "order", False)
    if made and expires and expires < made:
        r.fail(m["expires"], "order.expires is before order.made")
    conditions: list[Condition] = []
    seen: set[str] = set()
    for item in r.sequence(m.get("conditions"), "order.conditions"):
        if not isinstance(item, yaml.MappingNode):
            r.fail(item, "each condition must be a mapping with a 'type'")
            continue
        try:
            condition = parse_condition(_python_value(item))
        except ConditionError as error:
            r.fail(item, str(error))
            continue
        if condition.type.value in seen:
            r.fail(item, f"condition {condition.type.value} appears twice")
            continue
        seen.add(condition.type.value)
        conditions.append(condition)
    if kind is None or made is None:
        return None
    return OrderRecord(kind, court, made, expires, tuple(conditions))


def _device(r: _Reader, node: yaml.Node) -> DeclaredDevice | None:
    m = r.mapping(node, "a declared device")
    if not m:
        return None
    unknown = sorted(set(m) - _DEVICE_FIELDS)
    if unknown:
        r.fail(node, f"a declared device has unknown field(s): {', '.join(unknown)}")
    kind = r.text(m, "kind", "declared device", False)
    if kind is None:
        r.fail(node, "a declared device needs a 'kind'")
        return None
    values = {
        k: r.text(m, k, "declared device", False) for k in _DEVICE_FIELDS - {"kind", "declared_on"}
    }
    if not any(values[k] for k in ("serial", "imei", "mac", "model", "product")):
        r.fail(node, "a declared device needs at least one of serial, imei, mac, model or product")
    return DeclaredDevice(
        kind=kind, declared_on=r.day(m, "declared_on", "declared device", False), **values
    )


def _account(r: _Reader, node: yaml.Node) -> DeclaredAccount | None:
    m = r.mapping(node, "a declared account")
    service = r.text(m, "service", "declared account", False)
    identifier = r.text(m, "identifier", "declared account", False)
    if not service or not identifier:
        r.fail(node, "a declared account needs 'service' and 'identifier'")
        return None
    return DeclaredAccount(service, identifier)
