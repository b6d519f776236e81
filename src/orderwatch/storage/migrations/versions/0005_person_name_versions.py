"""A person's name or aliases changing bumps their order version, as an order or a declaration
does: live monitoring recompiles the order, whose rules tell the person's own display names
from aliases.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE FUNCTION monitor_bump_person_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO monitor_order_versions (person_id, version) VALUES (NEW.id, 1)
    ON CONFLICT (person_id) DO UPDATE SET version = monitor_order_versions.version + 1;
  RETURN NULL;
END $$
"""
_PG_TRIGGER = (
    "CREATE TRIGGER monitor_version_persons_names AFTER UPDATE OF full_name, aliases "
    "ON persons FOR EACH ROW WHEN (OLD.full_name IS DISTINCT FROM NEW.full_name "
    "OR OLD.aliases::text IS DISTINCT FROM NEW.aliases::text) "
    "EXECUTE FUNCTION monitor_bump_person_version()"
)
_SQLITE_TRIGGER = (
    "CREATE TRIGGER monitor_version_persons_names AFTER UPDATE OF full_name, aliases ON persons "
    "WHEN OLD.full_name IS NOT NEW.full_name OR OLD.aliases IS NOT NEW.aliases "
    "BEGIN INSERT INTO monitor_order_versions (person_id, version) VALUES (NEW.id, 1) "
    "ON CONFLICT (person_id) DO UPDATE SET version = version + 1; END"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS monitor_version_persons_names"
        + (" ON persons" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS monitor_bump_person_version()")
