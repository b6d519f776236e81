"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from datafiles import IN_CI, REPO, SHARED_DATA, shared_file
from orderwatch.settings import reset_settings

__all__ = ["IN_CI", "REPO", "SHARED_DATA", "shared_file"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data: real artefacts from peer projects' test suites (see its MANIFEST.md)."""
    if not (SHARED_DATA / "MANIFEST.md").is_file():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Every test gets its own data dir and fresh settings; nothing touches ~/.local/share."""
    monkeypatch.setenv("ORDERWATCH_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    monkeypatch.delenv("ORDERWATCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("ORDERWATCH_CONFIG", raising=False)
    reset_settings()
    yield
    reset_settings()


# --- storage: a fresh, upgraded database per test, on SQLite and on PostgreSQL -----------------

if TYPE_CHECKING:
    from orderwatch.storage import Database

POSTGRES_ADMIN_URL = os.environ.get(
    "ORDERWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_unreachable(reason: str) -> None:
    """Skip locally; in CI (CI=true) a missing PostgreSQL is a failure, never a silent skip."""
    message = f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An upgraded SQLite file, built once and copied for each test."""
    from orderwatch.storage import Database

    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


class _PostgresServer:
    """Creates uniquely named databases from a template upgraded once per test session.

    Creating and dropping a database each cost a second or more on a busy server, so the next
    database is prepared and the last one dropped in a background thread while tests run.
    """

    def __init__(self) -> None:
        import uuid
        from concurrent.futures import Future, ThreadPoolExecutor

        from sqlalchemy import create_engine, make_url

        self._url = make_url(POSTGRES_ADMIN_URL)
        self._admin = create_engine(
            self._url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        self._prefix = f"owtest_{uuid.uuid4().hex[:10]}"
        self.template = f"{self._prefix}_template"
        self._count = 0
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-fixture")
        self._next: Future[str] | None = None
        self._pending: list[Future[None]] = []

    def url(self, name: str) -> str:
        return self._url.set(database=name).render_as_string(hide_password=False)

    def execute(self, sql: str) -> None:
        from sqlalchemy import text

        with self._admin.connect() as connection:
            connection.execute(text(sql))

    def create_template(self) -> None:
        from orderwatch.storage import Database

        self.execute(f'CREATE DATABASE "{self.template}"')
        database = Database(self.url(self.template))
        database.upgrade()
        database.dispose()

    def _create(self) -> str:
        self._count += 1
        name = f"{self._prefix}_{self._count}"
        # PostgreSQL 15's default WAL_LOG strategy needs no checkpoint: fast on a busy server.
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def new_database(self) -> str:
        """A fresh copy of the template (prepared in the background while the last test ran)."""
        name = self._next.result() if self._next is not None else self._create()
        self._next = self._background.submit(self._create)
        return name

    def drop(self, name: str) -> None:
        """Drop in the background; close() waits for every drop."""
        self._pending.append(
            self._background.submit(self.execute, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )

    def close(self) -> None:
        if self._next is not None:
            self.drop(self._next.result())
        self.drop(self.template)
        for pending in self._pending:
            pending.result()
        self._background.shutdown()
        self._admin.dispose()


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[_PostgresServer | str]:
    """The PostgreSQL test server with the session's template, or the reason it is unusable."""
    from sqlalchemy.exc import OperationalError

    try:
        server = _PostgresServer()
        server.execute("SELECT 1")
    except OperationalError as error:
        yield str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        return
    try:
        server.create_template()
    except BaseException:
        server.close()
        raise
    yield server
    server.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(
    request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path
) -> Iterator[Database]:
    """A fresh, upgraded, empty orderwatch.storage.Database, once on SQLite, once on PostgreSQL."""
    import shutil

    from orderwatch.storage import Database

    if request.param == "sqlite":
        path = tmp_path / "orderwatch.sqlite3"
        shutil.copyfile(_sqlite_template, path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    server = request.getfixturevalue("_postgres_server")
    if isinstance(server, str):
        _postgres_unreachable(server)
    name = server.new_database()
    database = Database(server.url(name))
    try:
        yield database
    finally:
        database.dispose()
        server.drop(name)


from fixtures.images import *  # noqa: E402, F403  (disk-image fixtures, built once a session)
