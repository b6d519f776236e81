from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from orderwatch.domain.access import Actor
from orderwatch.domain.errors import OrderwatchError
from orderwatch.settings import get_settings
from orderwatch.storage import Database, DatabaseUnavailableError, mask_url, record_audit
from orderwatch.storage.audit import ReadSessionError
from orderwatch.storage.tables import load_table_modules


def test_upgraded_schema_matches_the_tables(database: Database) -> None:
    assert database.current_revision() == database.head_revision() is not None
    with database.engine.connect() as connection:
        metadata = load_table_modules()
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_upgrade_is_idempotent(database: Database) -> None:
    database.upgrade()
    assert database.current_revision() == database.head_revision()


def test_session_commits_and_rolls_back(database: Database) -> None:
    actor = Actor.command_line("tests")
    with database.session() as session:
        record_audit(session, actor, "note", "test", 1)
    with pytest.raises(RuntimeError), database.session() as session:
        record_audit(session, actor, "note", "test", 2)
        raise RuntimeError("abandon")
    with database.read_session() as session:
        ids = session.execute(text("SELECT entity_id FROM audit_log")).scalars().all()
    assert ids == ["1"]


def test_audited_calls_refuse_a_read_session(database: Database) -> None:
    with pytest.raises(ReadSessionError), database.read_session() as session:
        record_audit(session, Actor.command_line(), "note", "test")


def test_sqlite_pragmas(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'x' / 'db.sqlite3'}")
    database.upgrade()
    assert (tmp_path / "x" / "db.sqlite3").is_file()
    with database.read_session() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    database.dispose()


def test_default_url_is_sqlite_in_the_data_dir() -> None:
    settings = get_settings()
    database = Database.from_settings(settings)
    assert database.dialect == "sqlite"
    assert database.url == f"sqlite:///{settings.data_dir / 'orderwatch.sqlite3'}"


def test_unreachable_postgresql_is_one_line_with_the_password_masked() -> None:
    database = Database("postgresql+psycopg://ow:s3cret-pw@127.0.0.1:1/orderwatch")
    with pytest.raises(DatabaseUnavailableError) as caught:
        database.check()
    message = str(caught.value)
    assert isinstance(caught.value, OrderwatchError)
    assert "s3cret-pw" not in message
    assert message.startswith("cannot connect to database postgresql+psycopg://ow:***@127.0.0.1:1/")
    assert "\n" not in message


def test_unopenable_sqlite_names_the_file() -> None:
    with pytest.raises(DatabaseUnavailableError, match=r"/no/such/dir/db\.sqlite3"):
        Database("sqlite:////no/such/dir/db.sqlite3").check()


def test_bad_urls() -> None:
    with pytest.raises(DatabaseUnavailableError, match="not a database URL"):
        Database("nonsense")
    with pytest.raises(DatabaseUnavailableError, match="cannot use database"):
        Database("nosuchdialect://x/y")
    assert mask_url("postgresql://u:p@h/d") == "postgresql://u:***@h/d"
