"""Covering indexes for the statistics dashboard: alerts by when they were raised or decided,
visits by when they were done (each with the person, so the officer join needs no table read).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_monitor_alerts_opened_at_person_id", "monitor_alerts", ["opened_at", "person_id"]),
    (
        "ix_monitor_alerts_state_changed_at_cover",
        "monitor_alerts",
        ["state_changed_at", "person_id", "state", "condition"],
    ),
    ("ix_visits_done_on_person_id_due_on", "visits", ["done_on", "person_id", "due_on"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
