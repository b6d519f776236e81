"""Alembic environment: runs on the connection Database.upgrade() hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from orderwatch.storage.tables import load_table_modules

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through orderwatch.storage.Database.upgrade()")

context.configure(
    connection=connection,
    target_metadata=load_table_modules(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
