from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from storage_unit import SYSTEM, Unit

from orderwatch.domain.errors import InvalidInputError, PermissionDeniedError
from orderwatch.domain.orderfile import parse_order_document
from orderwatch.storage import (
    get_person_by_reference,
    import_order_document,
    import_order_documents,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "order.yaml"

ORDER = """\
person:
  ref: OW-0001
  name: Sam Person
  date_of_birth: 1979-04-02
  risk_level: high
  officer: {officer}
order:
  kind: SHPO
  court: Example Crown Court
  made: 2023-05-10
  expires: 2028-05-09
  conditions:
    - type: declare_devices
      within_days: 3
    - type: prohibited_words
      words: [example-banned-word]
declared_devices:
  - {{kind: laptop, make: Dell, model: Latitude 5420, serial: 7XK2Q53}}
  - {{kind: phone, make: Samsung, model: Galaxy A14, imei: "356938035643809"}}
declared_accounts:
  - {{service: email, identifier: sam.person@example.org}}
"""


def _count(unit: Unit, table: str) -> int:
    with unit.database.read_session() as session:
        return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_import_creates_person_order_and_declarations(unit: Unit) -> None:
    document = parse_order_document(ORDER.format(officer="ofc.a1"))
    with unit.database.session() as session:
        person = import_order_document(session, SYSTEM, document, source="ow1.yaml")
        file = get_person_by_reference(session, unit["ofc.a1"], "OW-0001")
    assert person.officer.username == "ofc.a1" and person.managed_since.isoformat() == "2023-05-10"
    assert file.order is not None and [c.type.value for c in file.order.conditions] == [
        "declare_devices",
        "prohibited_words",
    ]
    assert [d.kind for d in file.devices] == ["laptop", "phone"]
    assert [a.identifier for a in file.accounts] == ["sam.person@example.org"]


def test_reimport_updates_without_duplicating(unit: Unit) -> None:
    first = parse_order_document(ORDER.format(officer="ofc.a1"))
    second = parse_order_document(
        ORDER.format(officer="ofc.a2").replace("risk_level: high", "risk_level: low")
        + "  - {service: facebook, identifier: sam.79}\n"
    )
    with unit.database.session() as session:
        import_order_document(session, SYSTEM, first)
        again = import_order_document(session, SYSTEM, second)
    assert again.officer.username == "ofc.a2" and again.risk_level.value == "low"
    assert (_count(unit, "devices"), _count(unit, "accounts"), _count(unit, "orders")) == (2, 2, 1)


def test_unknown_officers_are_all_named_and_nothing_is_stored(unit: Unit) -> None:
    documents = [
        ("good.yaml", parse_order_document(ORDER.format(officer="ofc.a1"))),
        (
            "bad1.yaml",
            parse_order_document(ORDER.format(officer="dc.nobody").replace("OW-0001", "OW-2")),
        ),
        (
            "bad2.yaml",
            parse_order_document(ORDER.format(officer="sup.a").replace("OW-0001", "OW-3")),
        ),
    ]
    before = _count(unit, "persons")
    with pytest.raises(InvalidInputError) as caught, unit.database.session() as session:
        import_order_documents(session, SYSTEM, documents)
    assert str(caught.value) == (
        "2 order files: bad1.yaml: officer 'dc.nobody' does not exist (or is not an officer); "
        "bad2.yaml: officer 'sup.a' does not exist (or is not an officer)"
    )
    assert _count(unit, "persons") == before and _count(unit, "orders") == 0


def test_failure_part_way_rolls_back_earlier_documents(unit: Unit) -> None:
    # The second document fails only while writing: its reference belongs to a person the
    # officer cannot reach, found after the first document was already written.
    documents = [
        ("a.yaml", parse_order_document(ORDER.format(officer="ofc.a1"))),
        ("b.yaml", parse_order_document(ORDER.format(officer="ofc.a1").replace("OW-0001", "P-B1"))),
    ]
    with pytest.raises(InvalidInputError) as caught, unit.database.session() as session:
        import_order_documents(session, unit["ofc.a1"], documents)
    assert str(caught.value) == "b.yaml: the reference P-B1 is already in use"
    assert _count(unit, "orders") == 0 and _count(unit, "devices") == 0
    with unit.database.read_session() as session:
        refs = (
            session.execute(text("SELECT reference FROM persons ORDER BY reference"))
            .scalars()
            .all()
        )
    assert refs == ["P-A1", "P-A2", "P-B1"]


def test_duplicate_references_in_one_batch(unit: Unit) -> None:
    document = parse_order_document(ORDER.format(officer="ofc.a1"))
    pair = [("a.yaml", document), ("b.yaml", document)]
    with pytest.raises(InvalidInputError) as caught, unit.database.session() as session:
        import_order_documents(session, SYSTEM, pair)
    assert str(caught.value) == "b.yaml: person.ref OW-0001 is also in a.yaml"


def test_officer_imports_for_themselves_only(unit: Unit) -> None:
    no_officer = parse_order_document(
        ORDER.format(officer="ofc.a1").replace("  officer: ofc.a1\n", "")
    )
    other = parse_order_document(ORDER.format(officer="ofc.b1"))
    with unit.database.session() as session:
        mine = import_order_document(session, unit["ofc.a1"], no_officer)
        assert mine.officer.username == "ofc.a1"
        with pytest.raises(InvalidInputError, match="not an officer you may assign"):
            import_order_document(session, unit["ofc.a1"], other)
        with pytest.raises(PermissionDeniedError):
            import_order_document(session, unit["admin"], other)
        with pytest.raises(InvalidInputError, match=r"person\.officer is required"):
            import_order_document(session, SYSTEM, no_officer)


def test_the_shared_example_imports(unit: Unit) -> None:
    if not EXAMPLE.is_file():
        pytest.skip(f"{EXAMPLE} is absent")
    document = parse_order_document(
        EXAMPLE.read_text().replace("officer: dc.jones", "officer: ofc.b1"), str(EXAMPLE)
    )
    with unit.database.session() as session:
        person = import_order_document(session, SYSTEM, document, source=str(EXAMPLE))
        file = get_person_by_reference(session, unit["sup.b"], person.reference)
    assert file.order is not None and len(file.order.conditions) == 12
    assert len(file.devices) == 3 and len(file.accounts) == 2
