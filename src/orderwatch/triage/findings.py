"""The order side of a triage: read the order file, then evaluate its conditions (domain.rules)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from orderwatch.domain.errors import InvalidInputError, Problem
from orderwatch.domain.observations import Observation
from orderwatch.domain.orderfile import OrderDocument, parse_order_document
from orderwatch.triage.report import file_sha256


def load_order(path: Path) -> OrderDocument:
    """Parse an order file; raises InvalidInputError (one line for the CLI) when it is bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInputError(str(path), [Problem(0, f"cannot read: {error.strerror}")]) from None
    except UnicodeDecodeError:
        raise InvalidInputError(str(path), [Problem(0, "not UTF-8 text")]) from None
    return parse_order_document(text, source=str(path))


def evaluate_order(
    document: OrderDocument, observations: Sequence[Observation], now: datetime
) -> list[Any]:
    """The findings of the order's conditions against a triage's observations, as of `now`."""
    from orderwatch.domain.rules import Declarations, evaluate_conditions

    conditions = document.order.conditions if document.order is not None else ()
    declarations = Declarations(
        devices=tuple(document.declared_devices),
        accounts=tuple(document.declared_accounts),
        names=(document.person.name, *document.person.aliases) if document.person else (),
    )
    return list(evaluate_conditions(conditions, observations, declarations, now=now))


def order_summary(document: OrderDocument, path: Path) -> dict[str, Any]:
    """What the report says about the order it evaluated (no personal detail beyond the ref)."""
    order = document.order
    return {
        "path": str(path),
        "sha256": file_sha256(path),
        "person_ref": document.person.ref,
        "kind": order.kind.value if order is not None else None,
        "made": order.made.isoformat() if order is not None else None,
        "conditions": [c.type.value for c in order.conditions] if order is not None else [],
        "declared_devices": len(document.declared_devices),
        "declared_accounts": len(document.declared_accounts),
    }
