from __future__ import annotations

from datetime import date

import pytest

from orderwatch.domain.caseload import (
    ManagementLevel,
    OrderStatus,
    RiskLevel,
    VisitCadence,
    caseload_sort_key,
    days_overdue,
    is_overdue,
    next_visit_due,
    order_status,
)


def test_cadence_by_risk() -> None:
    since = date(2025, 1, 1)
    active = ManagementLevel.ACTIVE
    assert next_visit_due(RiskLevel.VERY_HIGH, active, None, since) == date(2025, 1, 29)
    assert next_visit_due(RiskLevel.LOW, active, date(2025, 3, 1), since) == date(2026, 3, 1)


def test_reactive_has_no_routine_visits() -> None:
    assert next_visit_due(RiskLevel.HIGH, ManagementLevel.REACTIVE, None, date(2025, 1, 1)) is None
    assert not is_overdue(None, date(2030, 1, 1))


def test_custom_cadence_and_validation() -> None:
    cadence = VisitCadence({"very_high": 7, "high": 14, "medium": 30, "low": 90})
    due = next_visit_due(
        RiskLevel.HIGH, ManagementLevel.ACTIVE, date(2025, 1, 1), date(2024, 1, 1), cadence
    )
    assert due == date(2025, 1, 15)
    with pytest.raises(ValueError, match="no interval for: low"):
        VisitCadence({"very_high": 7, "high": 14, "medium": 30})


def test_overdue_starts_the_day_after() -> None:
    due = date(2025, 5, 1)
    assert not is_overdue(due, due)
    assert is_overdue(due, date(2025, 5, 2))
    assert days_overdue(due, date(2025, 5, 11)) == 10


def test_order_status() -> None:
    made, expires = date(2023, 5, 10), date(2028, 5, 9)
    assert order_status(made, expires, date(2023, 5, 9)) is OrderStatus.NOT_YET_IN_FORCE
    assert order_status(made, expires, date(2025, 1, 1)) is OrderStatus.IN_FORCE
    assert order_status(made, expires, date(2028, 4, 1)) is OrderStatus.EXPIRING_SOON
    assert order_status(made, expires, date(2028, 5, 10)) is OrderStatus.EXPIRED
    assert order_status(made, None, date(2090, 1, 1)) is OrderStatus.IN_FORCE


def test_sort_puts_most_overdue_first() -> None:
    rows = [
        ("a", caseload_sort_key(0, date(2025, 2, 1), RiskLevel.LOW)),
        ("b", caseload_sort_key(5, date(2025, 1, 1), RiskLevel.LOW)),
        ("c", caseload_sort_key(20, date(2024, 12, 1), RiskLevel.LOW)),
        ("d", caseload_sort_key(0, date(2025, 1, 15), RiskLevel.HIGH)),
    ]
    assert [name for name, _ in sorted(rows, key=lambda r: r[1])] == ["c", "b", "d", "a"]
