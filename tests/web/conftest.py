"""The web tests' unit fixture: built once per module, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_unit import Unit, seed

from orderwatch.settings import Settings
from orderwatch.storage import Database


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def unit(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path
) -> Iterator[Unit]:
    """The seeded unit on SQLite, then on PostgreSQL (see tests/conftest.py's `database`)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("web-data"))
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("web-sqlite") / "orderwatch.sqlite3"
        shutil.copyfile(_sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        yield seed(database, settings)
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
        yield seed(database, settings)
    finally:
        database.dispose()
        server.drop(name)
