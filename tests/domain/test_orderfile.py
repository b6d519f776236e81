from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from orderwatch.domain.caseload import ManagementLevel, OrderKind, RiskLevel
from orderwatch.domain.conditions import ConditionType
from orderwatch.domain.errors import InvalidInputError
from orderwatch.domain.orderfile import parse_order_document

EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "order.yaml"

GOOD = """\
person:
  ref: OW-9
  name: Test Person
  risk_level: low
order:
  kind: SOPO
  made: 2024-01-02
  conditions:
    - type: prohibited_words
      words: [kite]
declared_devices:
  - {kind: phone, imei: "1234"}
declared_accounts:
  - {service: email, identifier: t@example.org}
"""


def test_parses_the_shared_example() -> None:
    if not EXAMPLE.is_file():
        pytest.skip(f"{EXAMPLE} not found")
    doc = parse_order_document(EXAMPLE.read_text(), str(EXAMPLE))
    assert doc.person.ref == "OW-0001"
    assert doc.person.risk_level is RiskLevel.HIGH
    assert doc.order is not None and doc.order.kind is OrderKind.SHPO
    assert doc.order.expires == date(2028, 5, 9)
    assert len(doc.order.conditions) == 12
    words = next(c for c in doc.order.conditions if c.type is ConditionType.PROHIBITED_WORDS)
    assert words.strings("phrases") == ("are you home alone",)
    assert doc.declared_devices[1].serial == "4C530001230517117082"
    assert doc.declared_accounts[1].identifier == "sam.person.79"


def test_minimal_document() -> None:
    doc = parse_order_document(GOOD)
    assert doc.person.management is ManagementLevel.ACTIVE
    assert doc.order is not None and doc.order.made == date(2024, 1, 2)
    assert doc.declared_devices[0].imei == "1234"


def test_every_problem_is_reported_with_its_line() -> None:
    bad = (
        GOOD.replace("risk_level: low", "risk_level: extreme")
        .replace("type: prohibited_words", "type: no_kites")
        .replace("made: 2024-01-02", "made: 2024-13-02")
    )
    with pytest.raises(InvalidInputError) as info:
        parse_order_document(bad, "bad.yaml")
    lines = {p.line for p in info.value.problems}
    assert {4, 7, 9} <= lines
    assert "known types" in str(info.value)
    assert str(info.value).startswith("bad.yaml: ")


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_order_document("person:\n  ref: [unclosed\n")
    assert info.value.problems[0].line >= 2


def test_expiry_before_made_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match=r"before order\.made"):
        parse_order_document(
            GOOD.replace("made: 2024-01-02", "made: 2024-01-02\n  expires: 2023-01-01")
        )
