"""The tables of the system of record (SQLAlchemy 2 declarative models).

Patients are known by pseudonym only. A case's document is never overwritten: an edit is a
new :class:`CaseVersion`. An :class:`Evaluation` keeps the proposal JSON exactly as the
engine wrote it, with the engine and knowledge-base versions that produced it. Meetings have
agenda entries; per entry the board records a decision on each proposal item, an overall
decision and finally a sign-off, after which the entry is read-only (the service refuses, and
database triggers created by the migrations refuse too).

The migrations in ``migrations/versions`` create exactly these tables; a test compares them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "AgendaEntry",
    "ApiToken",
    "AuditHead",
    "AuditRow",
    "Base",
    "CaseRecord",
    "CaseVersion",
    "CdsFeedback",
    "Evaluation",
    "ItemDecision",
    "LoginAttempt",
    "LoginSession",
    "Meeting",
    "OverallDecision",
    "Patient",
    "User",
    "UtcDateTime",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

OUTCOMES = ("accepted", "modified", "rejected")
ROLES = ("admin", "coordinator", "board_member", "viewer")

#: lengths shared by the models, the migration and the service's checks
PSEUDONYM_LEN = 64
NAME_LEN = 64
ACTOR_LEN = 80
HASH_LEN = 64
ITEM_KEY_LEN = 120


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite keeps it as naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must carry a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# -- patients and cases --------------------------------------------------------------------


class Patient(Base):
    """A patient, known by pseudonym only (no name, no birth date)."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LEN), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(ACTOR_LEN))

    cases: Mapped[list[CaseRecord]] = relationship(
        back_populates="patient", order_by="CaseRecord.id"
    )


class CaseRecord(Base):
    """One presentation of a patient to the board; its content lives in its versions."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(ACTOR_LEN))
    #: number of the newest version (denormalised for listing; versions are the record)
    latest_version: Mapped[int] = mapped_column(Integer)

    patient: Mapped[Patient] = relationship(back_populates="cases")
    versions: Mapped[list[CaseVersion]] = relationship(
        back_populates="case", order_by="CaseVersion.number"
    )


class CaseVersion(Base):
    """One version of a case document, never changed after it is written."""

    __tablename__ = "case_versions"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    #: the case as validated by osteoboard.case.Case, as JSON (fields that are null left out)
    document: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(HASH_LEN))
    primary_site: Mapped[str | None] = mapped_column(String(40), index=True)
    board_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(ACTOR_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    case: Mapped[CaseRecord] = relationship(back_populates="versions")
    evaluations: Mapped[list[Evaluation]] = relationship(
        back_populates="case_version", order_by="Evaluation.id"
    )


class Evaluation(Base):
    """The engine's proposal for one case version, with what produced it."""

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_version_id: Mapped[int] = mapped_column(ForeignKey("case_versions.id"), index=True)
    engine_version: Mapped[str] = mapped_column(String(32))
    kb_version: Mapped[str] = mapped_column(String(32))
    kb_sha256: Mapped[str] = mapped_column(String(HASH_LEN))
    #: the proposal exactly as the engine's JSON contract (docs/contract.md)
    proposal: Mapped[str] = mapped_column(Text)
    proposal_sha256: Mapped[str] = mapped_column(String(HASH_LEN))
    created_by: Mapped[str] = mapped_column(String(ACTOR_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    case_version: Mapped[CaseVersion] = relationship(back_populates="evaluations")


# -- meetings and decisions -------------------------------------------------------------------


class Meeting(Base):
    """A board meeting: its date, the disciplines present and the participants."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    title: Mapped[str | None] = mapped_column(String(200))
    disciplines: Mapped[list[str]] = mapped_column(JSON)
    participants: Mapped[list[str]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(ACTOR_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    entries: Mapped[list[AgendaEntry]] = relationship(
        back_populates="meeting", order_by="AgendaEntry.position"
    )


class AgendaEntry(Base):
    """A case on a meeting's agenda, with the board's decisions and sign-off.

    ``evaluation_id`` is set at sign-off: the evaluation the signed decisions refer to.
    """

    __tablename__ = "agenda_entries"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("evaluations.id"))
    signed_by: Mapped[str | None] = mapped_column(String(ACTOR_LEN))
    signed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(ACTOR_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="entries")
    case: Mapped[CaseRecord] = relationship()
    evaluation: Mapped[Evaluation | None] = relationship()
    item_decisions: Mapped[list[ItemDecision]] = relationship(
        back_populates="entry", order_by="ItemDecision.id"
    )
    overall: Mapped[OverallDecision | None] = relationship(back_populates="entry")

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


class ItemDecision(Base):
    """The board's decision on one proposal item (key: code, or code[lesion])."""

    __tablename__ = "item_decisions"
    __table_args__ = (
        UniqueConstraint("agenda_entry_id", "item_key"),
        CheckConstraint("outcome IN ('accepted', 'modified', 'rejected')", name="outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agenda_entry_id: Mapped[int] = mapped_column(ForeignKey("agenda_entries.id"), index=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"))
    item_key: Mapped[str] = mapped_column(String(ITEM_KEY_LEN))
    code: Mapped[str] = mapped_column(String(ITEM_KEY_LEN))
    lesion: Mapped[str | None] = mapped_column(String(PSEUDONYM_LEN))
    outcome: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(ACTOR_LEN))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)

    entry: Mapped[AgendaEntry] = relationship(back_populates="item_decisions")


class OverallDecision(Base):
    """The board's overall decision on an agenda entry and its guideline conformity."""

    __tablename__ = "overall_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agenda_entry_id: Mapped[int] = mapped_column(ForeignKey("agenda_entries.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    guideline_conform: Mapped[bool] = mapped_column(Boolean)
    deviation_reason: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(ACTOR_LEN))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)

    entry: Mapped[AgendaEntry] = relationship(back_populates="overall")


# -- accounts -----------------------------------------------------------------------------------


class User(Base):
    """A local account: argon2id password hash and one role."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'coordinator', 'board_member', 'viewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiToken(Base):
    """A token for a system: only the sha256 of its secret is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'coordinator', 'board_member', 'viewer')", name="role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(ACTOR_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LoginSession(Base):
    """A server-side login session: the sha256 of its id, its expiry, its CSRF secret."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id_sha256: Mapped[str] = mapped_column(String(HASH_LEN), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_secret: Mapped[str] = mapped_column(String(HASH_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """One login attempt, for counting failures per user name within the lock-out window."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(NAME_LEN))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    succeeded: Mapped[bool] = mapped_column(Boolean)


# -- audit trail ----------------------------------------------------------------------------------


class AuditRow(Base):
    """One link of the audit chain (see osteoboard.store.audit)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(ACTOR_LEN))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(40))
    content_sha256: Mapped[str] = mapped_column(String(HASH_LEN))
    prev_hash: Mapped[str] = mapped_column(String(HASH_LEN))
    row_hash: Mapped[str] = mapped_column(String(HASH_LEN))


class AuditHead(Base):
    """The chain's head (one row, id 1): the last sequence number and row hash. Writers lock
    it to append one at a time; ``audit verify`` compares it with the last row, so a deleted
    last row is found too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    row_hash: Mapped[str] = mapped_column(String(HASH_LEN))


# -- CDS Hooks -------------------------------------------------------------------------------

CDS_OUTCOMES = ("accepted", "overridden")
#: lengths shared by the model, the migration and the service's checks
CDS_CLIENT_LEN = 200
CDS_ID_LEN = 64
CDS_COMMENT_LEN = 2000


class CdsFeedback(Base):
    """What a user of a CDS client did with one card (CDS Hooks feedback): accepted some of
    its suggestions, or overrode it (with a reason, perhaps). Append-only."""

    __tablename__ = "cds_feedback"
    __table_args__ = (
        CheckConstraint("outcome IN ('accepted', 'overridden')", name="outcome"),
        Index("ix_cds_feedback_service_card", "service_id", "card_uuid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: the JWT's iss and tenant of the client that sent it
    client: Mapped[str] = mapped_column(String(CDS_CLIENT_LEN))
    tenant: Mapped[str | None] = mapped_column(String(CDS_CLIENT_LEN), nullable=True)
    service_id: Mapped[str] = mapped_column(String(CDS_ID_LEN))
    card_uuid: Mapped[str] = mapped_column(String(CDS_ID_LEN))
    outcome: Mapped[str] = mapped_column(String(20))
    #: the uuids of the accepted suggestions (empty for overridden)
    accepted_suggestions: Mapped[list[str]] = mapped_column(JSON)
    #: the override reason's Coding (system, code, display), when one was chosen
    override_reason: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    user_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome_at: Mapped[datetime] = mapped_column(UtcDateTime)
