"""The database: an engine from a URL, sessions, and the Alembic upgrades shipped inside."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from orderwatch.domain.errors import OrderwatchError
from orderwatch.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailableError(OrderwatchError):
    """The database cannot be reached or opened; the message names it (password masked)."""


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, safe to print and log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


class Database:
    """One database (SQLite file or PostgreSQL), its connection pool and its session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.display_url = mask_url(url)
        try:
            parsed = make_url(url)
        except ArgumentError as error:
            raise DatabaseUnavailableError(f"not a database URL: {self.display_url}") from error
        self.dialect = parsed.get_backend_name()
        connect_args: dict[str, Any] = {}
        if self.dialect == "postgresql":
            connect_args["connect_timeout"] = 5
        elif self.dialect == "sqlite":
            connect_args["timeout"] = 30
        try:
            self.engine: Engine = create_engine(
                url, echo=echo, connect_args=connect_args, pool_pre_ping=True
            )
        except (ArgumentError, NoSuchModuleError, ImportError) as error:
            raise DatabaseUnavailableError(
                f"cannot use database {self.display_url}: {error}"
            ) from error
        event.listen(self.engine, "handle_error", self._on_error)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The configured database (ORDERWATCH_DATABASE_URL, else SQLite in the data dir)."""
        return cls(settings.effective_database_url)

    def _on_error(self, context: ExceptionContext) -> None:
        # No connection means the failure happened while connecting: say so in one line.
        if context.connection is None and not context.is_pre_ping:
            reason = str(context.original_exception).strip().splitlines()
            first = reason[0] if reason else type(context.original_exception).__name__
            raise DatabaseUnavailableError(
                f"cannot connect to database {self.display_url}: {first}"
            ) from context.original_exception

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises.

        On SQLite the transaction takes the write lock at once (BEGIN IMMEDIATE), so audited
        reads and writes never fail half-way on a lock upgrade.
        """
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A read-only unit of work (listings); never takes SQLite's write lock."""
        with self._read_sessions() as session, session.begin():
            yield session

    def check(self) -> None:
        """Connect once; raises DatabaseUnavailableError when the database cannot be reached."""
        with self.engine.connect():
            pass

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to the newest migration (creates the SQLite file and its folder)."""
        if self.dialect == "sqlite":
            database = make_url(self.url).database
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        config = self._alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def current_revision(self) -> str | None:
        """The schema revision the database is at (None when never upgraded)."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        """The newest migration shipped with this version of orderwatch."""
        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred and late).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    connection.exec_driver_sql(f"BEGIN {mode}")
