"""Fixtures for the monitoring tests: the monitored unit per test, or once per module, on SQLite
and on PostgreSQL (the databases come from tests/conftest.py's templates)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from monitor_unit import MonitorUnit, build_unit

from orderwatch.security import hash_password
from orderwatch.settings import Settings
from orderwatch.storage import Database


@pytest.fixture(scope="session")
def monitor_password_hash() -> str:
    """One argon2 hash for every fixture account (hashing is slow on purpose)."""
    return hash_password("monitor-test-password")


@pytest.fixture
def munit(database: Database, monitor_password_hash: str, tmp_path: Path) -> MonitorUnit:
    """A fresh monitored unit for one test."""
    return build_unit(database, Settings(data_dir=tmp_path), monitor_password_hash)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def module_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path
) -> Iterator[Database]:
    """One upgraded database per test module and engine (tests must not rely on each other)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("monitor-sqlite") / "orderwatch.sqlite3"
        shutil.copyfile(_sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    server = request.getfixturevalue("_postgres_server")
    if isinstance(server, str):
        message = f"PostgreSQL unreachable: {server}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    name = server.new_database()
    database = Database(server.url(name))
    try:
        yield database
    finally:
        database.dispose()
        server.drop(name)


@pytest.fixture(scope="module")
def module_unit(
    module_database: Database, monitor_password_hash: str, tmp_path_factory: pytest.TempPathFactory
) -> MonitorUnit:
    """The monitored unit shared by a module's tests (each uses its own observations)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("monitor-data"))
    return build_unit(module_database, settings, monitor_password_hash)
