"""Live monitoring: enrolled devices, batches, observations, alerts, evidence, outcomes,
notifications, and triggers that version a person's order and declarations.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Changes to these tables change what a person's compiled order must check.
VERSIONED = ("orders", "devices", "accounts")


def _fk(table: str, column: str, target: str, ondelete: str | None = "CASCADE") -> sa.Constraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"fk_{table}_{column}_{referred}", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "monitor_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("declared_device_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("code_sha256", sa.String(64), nullable=True),
        sa.Column("code_expires_at", WHEN, nullable=True),
        sa.Column("credential_sha256", sa.String(64), nullable=True),
        sa.Column("hostname", sa.String(255), nullable=True),
        sa.Column("agent_version", sa.String(64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("enrolled_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
        sa.Column("revoked_by", sa.Integer(), nullable=True),
        sa.Column("last_batch_at", WHEN, nullable=True),
        sa.Column("last_heartbeat_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_devices"),
        sa.UniqueConstraint("code_sha256", name="uq_monitor_devices_code_sha256"),
        sa.UniqueConstraint("credential_sha256", name="uq_monitor_devices_credential_sha256"),
        _fk("monitor_devices", "person_id", "persons.id"),
        _fk("monitor_devices", "declared_device_id", "devices.id", "SET NULL"),
    )
    op.create_index("ix_monitor_devices_person_id", "monitor_devices", ["person_id"])
    op.create_index(
        "ix_monitor_devices_declared_device_id", "monitor_devices", ["declared_device_id"]
    )
    op.create_table(
        "monitor_order_versions",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name="pk_monitor_order_versions"),
        _fk("monitor_order_versions", "person_id", "persons.id"),
    )
    op.create_table(
        "monitor_batches",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(100), nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_batches"),
        sa.UniqueConstraint("device_id", "batch_id", name="uq_monitor_batches_device_id"),
        _fk("monitor_batches", "device_id", "monitor_devices.id"),
    )
    op.create_index("ix_monitor_batches_received_at", "monitor_batches", ["received_at"])
    op.create_table(
        "monitor_observations",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("observed_at", WHEN, nullable=False),
        sa.Column("received_at", WHEN, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_observations"),
        sa.UniqueConstraint("device_id", "client_id", name="uq_monitor_observations_device_id"),
        _fk("monitor_observations", "person_id", "persons.id"),
        _fk("monitor_observations", "device_id", "monitor_devices.id"),
    )
    op.create_index(
        "ix_monitor_observations_person_id_observed_at",
        "monitor_observations",
        ["person_id", "observed_at"],
    )
    op.create_index("ix_monitor_observations_observed_at", "monitor_observations", ["observed_at"])
    op.create_table(
        "monitor_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("condition", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_seen", WHEN, nullable=False),
        sa.Column("last_seen", WHEN, nullable=False),
        sa.Column("opened_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("state_changed_at", WHEN, nullable=True),
        sa.Column("state_changed_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_alerts"),
        _fk("monitor_alerts", "person_id", "persons.id"),
        _fk("monitor_alerts", "device_id", "monitor_devices.id", "SET NULL"),
    )
    op.create_index("ix_monitor_alerts_person_id_key", "monitor_alerts", ["person_id", "key"])
    op.create_index(
        "ix_monitor_alerts_state_severity_rank", "monitor_alerts", ["state", "severity_rank"]
    )
    op.create_table(
        "monitor_evidence",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("observation_id", BIG_ID, nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("alert_id", "observation_id", name="pk_monitor_evidence"),
        _fk("monitor_evidence", "alert_id", "monitor_alerts.id"),
        _fk("monitor_evidence", "observation_id", "monitor_observations.id"),
    )
    op.create_index(
        "ix_monitor_evidence_observation_id",
        "monitor_evidence",
        ["observation_id"],
    )
    op.create_table(
        "monitor_alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(120), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=False),
        sa.Column("to_state", sa.String(24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_alert_events"),
        _fk("monitor_alert_events", "alert_id", "monitor_alerts.id"),
    )
    op.create_index("ix_monitor_alert_events_alert_id", "monitor_alert_events", ["alert_id"])
    op.create_table(
        "monitor_alert_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("condition", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_alert_outcomes"),
        sa.UniqueConstraint("alert_id", name="uq_monitor_alert_outcomes_alert_id"),
        _fk("monitor_alert_outcomes", "alert_id", "monitor_alerts.id"),
        _fk("monitor_alert_outcomes", "person_id", "persons.id"),
    )
    op.create_index("ix_monitor_alert_outcomes_person_id", "monitor_alert_outcomes", ["person_id"])
    op.create_index(
        "ix_monitor_alert_outcomes_recorded_at", "monitor_alert_outcomes", ["recorded_at"]
    )
    op.create_table(
        "monitor_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("read_at", WHEN, nullable=True),
        sa.Column("email_status", sa.String(10), nullable=False),
        sa.Column("email_error", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_notifications"),
        _fk("monitor_notifications", "user_id", "users.id"),
        _fk("monitor_notifications", "alert_id", "monitor_alerts.id"),
    )
    op.create_index(
        "ix_monitor_notifications_user_id_read_at", "monitor_notifications", ["user_id", "read_at"]
    )
    op.create_index("ix_monitor_notifications_alert_id", "monitor_notifications", ["alert_id"])
    op.create_index(
        "ix_monitor_notifications_email_status", "monitor_notifications", ["email_status"]
    )
    _create_version_triggers()


# Bump the person's version (skipped while the person itself is being deleted: the cascade
# removes the version row too).
_PG_FUNCTION = """
CREATE FUNCTION monitor_bump_order_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE pid integer;
BEGIN
  IF TG_OP = 'DELETE' THEN pid := OLD.person_id; ELSE pid := NEW.person_id; END IF;
  INSERT INTO monitor_order_versions (person_id, version)
    SELECT pid, 1 WHERE EXISTS (SELECT 1 FROM persons WHERE id = pid)
    ON CONFLICT (person_id) DO UPDATE SET version = monitor_order_versions.version + 1;
  RETURN NULL;
END $$
"""
_SQLITE_BODY = (
    "INSERT INTO monitor_order_versions (person_id, version) "
    "SELECT {row}.person_id, 1 WHERE EXISTS (SELECT 1 FROM persons WHERE id = {row}.person_id) "
    "ON CONFLICT (person_id) DO UPDATE SET version = version + 1;"
)


def _create_version_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in VERSIONED:
            op.execute(
                f"CREATE TRIGGER monitor_version_{table} AFTER INSERT OR UPDATE OR DELETE "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION monitor_bump_order_version()"
            )
        return
    for table in VERSIONED:
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            op.execute(
                f"CREATE TRIGGER monitor_version_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN {_SQLITE_BODY.format(row=row)} END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in VERSIONED:
            op.execute(f"DROP TRIGGER IF EXISTS monitor_version_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS monitor_bump_order_version()")
    else:
        for table in VERSIONED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS monitor_version_{table}_{event}")
    for table in (
        "monitor_notifications",
        "monitor_alert_outcomes",
        "monitor_alert_events",
        "monitor_evidence",
        "monitor_alerts",
        "monitor_observations",
        "monitor_batches",
        "monitor_order_versions",
        "monitor_devices",
    ):
        op.drop_table(table)
