"""The initial schema: patients, cases and their versions, evaluations, meetings, agenda
entries and decisions, accounts, the audit chain, and the triggers that keep the record
append-only and a signed agenda entry read-only.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

GENESIS = "0" * 64


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'board_member', 'viewer')",
            name=op.f("ck_api_tokens_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_api_tokens_name")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_api_tokens_secret_sha256")),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempts_username_at", ["username", "at"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("disciplines", sa.JSON(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_date"), ["date"], unique=False)

    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patients")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_patients_pseudonym")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role IN ('admin', 'coordinator', 'board_member', 'viewer')", name=op.f("ck_users_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_cases_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("id_sha256", name=op.f("uq_login_sessions_id_sha256")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "case_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("primary_site", sa.String(length=40), nullable=True),
        sa.Column("board_date", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_versions_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_versions")),
        sa.UniqueConstraint("case_id", "number", name=op.f("uq_case_versions_case_id_number")),
    )
    with op.batch_alter_table("case_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_versions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_case_versions_primary_site"), ["primary_site"], unique=False
        )

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_version_id", sa.Integer(), nullable=False),
        sa.Column("engine_version", sa.String(length=32), nullable=False),
        sa.Column("kb_version", sa.String(length=32), nullable=False),
        sa.Column("kb_sha256", sa.String(length=64), nullable=False),
        sa.Column("proposal", sa.Text(), nullable=False),
        sa.Column("proposal_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_version_id"],
            ["case_versions.id"],
            name=op.f("fk_evaluations_case_version_id_case_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluations_case_version_id"), ["case_version_id"], unique=False
        )

    op.create_table(
        "agenda_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.Column("signed_by", sa.String(length=80), nullable=True),
        sa.Column("signed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_agenda_entries_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_agenda_entries_evaluation_id_evaluations"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_agenda_entries_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_user_id"],
            ["users.id"],
            name=op.f("fk_agenda_entries_signed_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_entries")),
        sa.UniqueConstraint(
            "meeting_id", "case_id", name=op.f("uq_agenda_entries_meeting_id_case_id")
        ),
    )
    with op.batch_alter_table("agenda_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_entries_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agenda_entries_meeting_id"), ["meeting_id"], unique=False
        )

    op.create_table(
        "item_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agenda_entry_id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=120), nullable=False),
        sa.Column("code", sa.String(length=120), nullable=False),
        sa.Column("lesion", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('accepted', 'modified', 'rejected')",
            name=op.f("ck_item_decisions_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["agenda_entry_id"],
            ["agenda_entries.id"],
            name=op.f("fk_item_decisions_agenda_entry_id_agenda_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_item_decisions_evaluation_id_evaluations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_decisions")),
        sa.UniqueConstraint(
            "agenda_entry_id", "item_key", name=op.f("uq_item_decisions_agenda_entry_id_item_key")
        ),
    )
    with op.batch_alter_table("item_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_decisions_agenda_entry_id"), ["agenda_entry_id"], unique=False
        )

    op.create_table(
        "overall_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agenda_entry_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("guideline_conform", sa.Boolean(), nullable=False),
        sa.Column("deviation_reason", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_entry_id"],
            ["agenda_entries.id"],
            name=op.f("fk_overall_decisions_agenda_entry_id_agenda_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overall_decisions")),
        sa.UniqueConstraint("agenda_entry_id", name=op.f("uq_overall_decisions_agenda_entry_id")),
    )
    op.bulk_insert(
        sa.table(
            "audit_head",
            sa.column("id", sa.Integer),
            sa.column("seq", sa.BigInteger),
            sa.column("row_hash", sa.String),
        ),
        [{"id": 1, "seq": 0, "row_hash": GENESIS}],
    )
    create_guards()


def downgrade() -> None:
    drop_guards()
    op.drop_table("overall_decisions")
    with op.batch_alter_table("item_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_decisions_agenda_entry_id"))

    op.drop_table("item_decisions")
    with op.batch_alter_table("agenda_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_entries_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_agenda_entries_case_id"))

    op.drop_table("agenda_entries")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_case_version_id"))

    op.drop_table("evaluations")
    with op.batch_alter_table("case_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_versions_primary_site"))
        batch_op.drop_index(batch_op.f("ix_case_versions_case_id"))

    op.drop_table("case_versions")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_user_id"))

    op.drop_table("login_sessions")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_patient_id"))

    op.drop_table("cases")
    op.drop_table("users")
    op.drop_table("patients")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_date"))

    op.drop_table("meetings")
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempts_username_at")

    op.drop_table("login_attempts")
    op.drop_table("audit_log")
    op.drop_table("audit_head")
    op.drop_table("api_tokens")


# -- guards: the database itself refuses what the service never does -------------------------

#: (table, message) of tables whose rows are never changed nor deleted
APPEND_ONLY = (
    ("case_versions", "case versions are never changed; store a new version"),
    ("evaluations", "evaluations are never changed"),
    ("audit_log", "the audit log is append-only"),
)
#: tables whose rows belong to an agenda entry and are read-only once it is signed
OF_SIGNED_ENTRY = ("item_decisions", "overall_decisions")
SIGNED = "agenda entry is signed; its decisions are read-only"
#: the columns of a signed agenda entry that never change (its position on the agenda may)
SEALED_ENTRY_COLUMNS = (
    "id",
    "meeting_id",
    "case_id",
    "evaluation_id",
    "signed_by",
    "signed_by_user_id",
    "signed_at",
    "created_by",
    "created_at",
)


def create_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _create_postgresql_guards()
    else:
        _create_sqlite_guards()


def drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _ in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP TRIGGER agenda_entries_signed ON agenda_entries")
        for table in OF_SIGNED_ENTRY:
            op.execute(f"DROP TRIGGER {table}_signed ON {table}")
        op.execute("DROP FUNCTION osteoboard_refuse()")
        op.execute("DROP FUNCTION osteoboard_refuse_signed_entry()")
        op.execute("DROP FUNCTION osteoboard_refuse_of_signed_entry()")
        return
    for table, _ in APPEND_ONLY:
        op.execute(f"DROP TRIGGER {table}_no_update")
        op.execute(f"DROP TRIGGER {table}_no_delete")
    op.execute("DROP TRIGGER agenda_entries_signed_no_update")
    op.execute("DROP TRIGGER agenda_entries_signed_no_delete")
    for table in OF_SIGNED_ENTRY:
        for verb in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER {table}_signed_no_{verb}")


def _create_sqlite_guards() -> None:
    for table, message in APPEND_ONLY:
        for verb in ("update", "delete"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in SEALED_ENTRY_COLUMNS)
    op.execute(
        "CREATE TRIGGER agenda_entries_signed_no_update BEFORE UPDATE ON agenda_entries "
        f"WHEN OLD.signed_at IS NOT NULL AND ({changed}) "
        f"BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END"
    )
    op.execute(
        "CREATE TRIGGER agenda_entries_signed_no_delete BEFORE DELETE ON agenda_entries "
        f"WHEN OLD.signed_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END"
    )
    for table in OF_SIGNED_ENTRY:
        for verb, row in (("insert", "NEW"), ("update", "OLD"), ("delete", "OLD")):
            op.execute(
                f"CREATE TRIGGER {table}_signed_no_{verb} BEFORE {verb.upper()} ON {table} "
                f"WHEN (SELECT signed_at FROM agenda_entries "
                f"WHERE id = {row}.agenda_entry_id) IS NOT NULL "
                f"BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END"
            )


def _create_postgresql_guards() -> None:
    old_row = ", ".join(f"OLD.{c}" for c in SEALED_ENTRY_COLUMNS)
    new_row = ", ".join(f"NEW.{c}" for c in SEALED_ENTRY_COLUMNS)
    op.execute(
        """
        CREATE FUNCTION osteoboard_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION osteoboard_refuse_signed_entry() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.signed_at IS NOT NULL AND (TG_OP = 'DELETE'
                OR ({old_row}) IS DISTINCT FROM ({new_row})) THEN
                RAISE EXCEPTION '{SIGNED}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION osteoboard_refuse_of_signed_entry() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            entry integer;
        BEGIN
            IF TG_OP = 'INSERT' THEN entry := NEW.agenda_entry_id;
            ELSE entry := OLD.agenda_entry_id;
            END IF;
            IF (SELECT signed_at FROM agenda_entries WHERE id = entry) IS NOT NULL THEN
                RAISE EXCEPTION '{SIGNED}' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END $$
        """
    )
    for table, message in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION osteoboard_refuse('{message}')"
        )
    op.execute(
        "CREATE TRIGGER agenda_entries_signed BEFORE UPDATE OR DELETE ON agenda_entries "
        "FOR EACH ROW EXECUTE FUNCTION osteoboard_refuse_signed_entry()"
    )
    for table in OF_SIGNED_ENTRY:
        op.execute(
            f"CREATE TRIGGER {table}_signed BEFORE INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION osteoboard_refuse_of_signed_entry()"
        )
