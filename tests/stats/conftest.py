"""The statistics tests' unit: built once per module and engine (SQLite, then PostgreSQL)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from stats_fixture import StatsUnit, build

from orderwatch.storage import Database


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def stats_unit(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path
) -> Iterator[StatsUnit]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("stats-sqlite") / "orderwatch.sqlite3"
        shutil.copyfile(_sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        yield build(database)
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
        yield build(database)
    finally:
        database.dispose()
        server.drop(name)
