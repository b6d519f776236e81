"""Investigations (referrals, warrants, arrests, offences, charges, safeguarding, bail), exhibits
and their append-only chain of custody.

Revision ID: 0003
Revises: 0002
Create Date: 2025-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)
PARENT = "investigations.id"


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.Constraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=f"fk_{table}_{column}_{referred}", ondelete=ondelete
    )


def _child(table: str, *columns: sa.Column[object], extra: tuple[sa.Constraint, ...] = ()) -> None:
    """A table of records belonging to one investigation (deleted with it)."""
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("investigation_id", sa.Integer(), nullable=False),
        *columns,
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        _fk(table, "investigation_id", PARENT, "CASCADE"),
        *extra,
    )
    op.create_index(f"ix_{table}_investigation_id", table, ["investigation_id"])


def upgrade() -> None:
    op.create_table(
        "investigations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("subject_name", sa.String(200), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_investigations"),
        sa.UniqueConstraint("reference", name="uq_investigations_reference"),
        _fk("investigations", "person_id", "persons.id", "SET NULL"),
        _fk("investigations", "officer_id", "users.id"),
    )
    op.create_index("ix_investigations_person_id", "investigations", ["person_id"])
    op.create_index("ix_investigations_outcome_on", "investigations", ["outcome_on"])
    op.create_index(
        "ix_investigations_officer_id_opened_on", "investigations", ["officer_id", "opened_on"]
    )
    _child(
        "investigation_referrals",
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.String(120), nullable=True),
    )
    op.create_index(
        "ix_investigation_referrals_received_on", "investigation_referrals", ["received_on"]
    )
    _child(
        "investigation_warrants",
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("executed_on", sa.Date(), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_investigation_warrants_executed_on", "investigation_warrants", ["executed_on"]
    )
    _child("investigation_arrests", sa.Column("arrested_on", sa.Date(), nullable=False))
    op.create_index(
        "ix_investigation_arrests_arrested_on", "investigation_arrests", ["arrested_on"]
    )
    _child(
        "investigation_offences",
        sa.Column("offence_type", sa.String(60), nullable=False),
        sa.Column("identified_on", sa.Date(), nullable=False),
        sa.Column("cyber", sa.Boolean(), nullable=False),
        sa.Column("breach", sa.Boolean(), nullable=False),
        sa.Column("breach_condition", sa.String(40), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        extra=(_fk("investigation_offences", "alert_id", "monitor_alerts.id", "SET NULL"),),
    )
    op.create_index(
        "ix_investigation_offences_identified_on", "investigation_offences", ["identified_on"]
    )
    op.create_index("ix_investigation_offences_alert_id", "investigation_offences", ["alert_id"])
    _child(
        "investigation_charges",
        sa.Column("offence_id", sa.Integer(), nullable=True),
        sa.Column("charged_on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("result_on", sa.Date(), nullable=True),
        extra=(
            _fk("investigation_charges", "offence_id", "investigation_offences.id", "SET NULL"),
        ),
    )
    op.create_index("ix_investigation_charges_charged_on", "investigation_charges", ["charged_on"])
    _child(
        "investigation_safeguarding",
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        extra=(
            sa.CheckConstraint(
                "children >= 0", name="ck_investigation_safeguarding_children_not_negative"
            ),
        ),
    )
    op.create_index(
        "ix_investigation_safeguarding_recorded_on", "investigation_safeguarding", ["recorded_on"]
    )
    _child(
        "investigation_bail",
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("return_on", sa.Date(), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
    )
    _create_exhibits()


def _create_exhibits() -> None:
    op.create_table(
        "exhibits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("investigation_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("device_kind", sa.String(40), nullable=False),
        sa.Column("seized_on", sa.Date(), nullable=False),
        sa.Column("seized_from", sa.String(300), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("undeclared", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("priority_reason", sa.String(300), nullable=False),
        sa.Column("priority_set_by", sa.String(120), nullable=True),
        sa.Column("examiner_id", sa.Integer(), nullable=True),
        sa.Column("triaged_on", sa.Date(), nullable=True),
        sa.Column("full_exam_on", sa.Date(), nullable=True),
        sa.Column("first_exam_on", sa.Date(), nullable=True),
        sa.Column("disposed_on", sa.Date(), nullable=True),
        sa.Column("triage_runs", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exhibits"),
        sa.UniqueConstraint("reference", name="uq_exhibits_reference"),
        _fk("exhibits", "investigation_id", PARENT),
        _fk("exhibits", "examiner_id", "users.id", "SET NULL"),
    )
    op.create_index("ix_exhibits_investigation_id", "exhibits", ["investigation_id"])
    op.create_index("ix_exhibits_seized_on", "exhibits", ["seized_on"])
    op.create_index("ix_exhibits_first_exam_on", "exhibits", ["first_exam_on"])
    op.create_index("ix_exhibits_examiner_id", "exhibits", ["examiner_id"])
    op.create_index("ix_exhibits_status_priority", "exhibits", ["status", "priority"])
    op.create_table(
        "exhibit_custody",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exhibit_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("seal_number", sa.String(64), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_by_name", sa.String(120), nullable=False),
        sa.Column("recorded_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_exhibit_custody"),
        sa.UniqueConstraint("exhibit_id", "seq", name="uq_exhibit_custody_exhibit_id"),
        _fk("exhibit_custody", "exhibit_id", "exhibits.id"),
    )
    _make_custody_append_only()


def _make_custody_append_only() -> None:
    """The database refuses to change or remove a custody entry (defence in depth)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION exhibit_custody_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'exhibit_custody is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER exhibit_custody_no_change BEFORE UPDATE OR DELETE ON exhibit_custody "
            "FOR EACH ROW EXECUTE FUNCTION exhibit_custody_append_only()"
        )
        op.execute(
            "CREATE TRIGGER exhibit_custody_no_truncate BEFORE TRUNCATE ON exhibit_custody "
            "FOR EACH STATEMENT EXECUTE FUNCTION exhibit_custody_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER exhibit_custody_no_{event.lower()} BEFORE {event} ON exhibit_custody "
            "BEGIN SELECT RAISE(ABORT, 'exhibit_custody is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS exhibit_custody_no_truncate ON exhibit_custody")
        op.execute("DROP TRIGGER IF EXISTS exhibit_custody_no_change ON exhibit_custody")
        op.execute("DROP FUNCTION IF EXISTS exhibit_custody_append_only()")
    for table in (
        "exhibit_custody",
        "exhibits",
        "investigation_bail",
        "investigation_safeguarding",
        "investigation_charges",
        "investigation_offences",
        "investigation_arrests",
        "investigation_warrants",
        "investigation_referrals",
        "investigations",
    ):
        op.drop_table(table)
