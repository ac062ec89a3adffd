"""CDS Hooks feedback: what a user of a CDS client did with a card (append-only, like the
other records: the database refuses to change or delete a row).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

MESSAGE = "CDS feedback is never changed"


def upgrade() -> None:
    op.create_table(
        "cds_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=False),
        sa.Column("tenant", sa.String(length=200), nullable=True),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("card_uuid", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("accepted_suggestions", sa.JSON(), nullable=False),
        sa.Column("override_reason", sa.JSON(), nullable=True),
        sa.Column("user_comment", sa.Text(), nullable=True),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('accepted', 'overridden')", name=op.f("ck_cds_feedback_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cds_feedback")),
    )
    op.create_index(
        "ix_cds_feedback_service_card", "cds_feedback", ["service_id", "card_uuid"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        # osteoboard_refuse() comes with revision 0001
        op.execute(
            "CREATE TRIGGER cds_feedback_append_only BEFORE UPDATE OR DELETE ON cds_feedback "
            f"FOR EACH ROW EXECUTE FUNCTION osteoboard_refuse('{MESSAGE}')"
        )
    else:
        for verb in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER cds_feedback_no_{verb} BEFORE {verb.upper()} ON cds_feedback "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER cds_feedback_append_only ON cds_feedback")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER cds_feedback_no_{verb}")
    op.drop_index("ix_cds_feedback_service_card", table_name="cds_feedback")
    op.drop_table("cds_feedback")
