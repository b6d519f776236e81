"""Builds the demo unit: teams, staff, 1,300 persons with orders, declarations and visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from orderwatch.domain.access import Role
from orderwatch.storage.database import Database


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: Role
    note: str


@dataclass(frozen=True)
class DemoUnit:
    """What was built, and the logins to print."""

    logins: tuple[DemoLogin, ...]
    teams: int
    officers: int
    persons: int
    overdue: int
    seconds: float


def build_demo_unit(
    database: Database,
    *,
    persons: int = 1300,
    officers: int = 28,
    seed: int = 2024,
    today: date | None = None,
    password: str | None = None,
) -> DemoUnit:
    """Fill an upgraded, empty database with a synthetic unit (OrderwatchError if not empty).

    Every demo account shares one password (generated unless given), printed by the caller.
    """
    raise NotImplementedError
