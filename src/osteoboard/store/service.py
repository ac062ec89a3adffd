"""The store's service layer: cases, evaluations, meetings, agendas and decisions.

Every function takes a SQLAlchemy :class:`~sqlalchemy.orm.Session` (from
:meth:`osteoboard.store.db.Store.write` for writes, :meth:`~osteoboard.store.db.Store.read`
for reads) and the :class:`~osteoboard.store.permissions.Actor` on whose behalf it runs. It
checks the actor's role against the permission table, validates its input, writes, and
appends one audit row per write in the same transaction. It never commits: the caller's
transaction does, so a failed call leaves nothing half-written.

Errors are :class:`~osteoboard.store.errors.StoreError` subclasses with a German and an
English message. The returned ORM objects are valid while their session is open.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, make_transient_to_detached

from osteoboard.case import Case
from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.proposal import Proposal
from osteoboard.store import audit
from osteoboard.store.db import lock_for_write
from osteoboard.store.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDenied,
    SignedError,
    StateError,
)
from osteoboard.store.models import (
    ITEM_KEY_LEN,
    OUTCOMES,
    AgendaEntry,
    CaseRecord,
    CaseVersion,
    Evaluation,
    ItemDecision,
    Meeting,
    OverallDecision,
    Patient,
    utcnow,
)
from osteoboard.store.permissions import Actor, Operation, Role, require

__all__ = [
    "CaseSummary",
    "ProposalItem",
    "StoredProposal",
    "VersionDocument",
    "add_agenda_entry",
    "case_document",
    "case_history",
    "compute_evaluation",
    "count_cases",
    "create_case",
    "create_meeting",
    "create_patient",
    "current_evaluation",
    "delete_meeting",
    "evaluate_case",
    "get_agenda_entry",
    "get_case",
    "get_case_version",
    "get_evaluation",
    "get_meeting",
    "get_patient",
    "latest_evaluation",
    "list_agenda",
    "list_cases",
    "list_evaluations",
    "list_meetings",
    "move_agenda_entry",
    "new_case_version",
    "proposal_items",
    "proposal_of",
    "record_evaluation",
    "record_item_decision",
    "record_overall_decision",
    "remove_agenda_entry",
    "sign_off",
    "store_evaluation",
    "update_meeting",
    "version_document",
]

_PSEUDONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
MAX_TEXT = 10_000
MAX_SHORT = 200
MAX_LIST = 50
MAX_LIMIT = 500


# -- small helpers ------------------------------------------------------------------------------


def _text(
    value: str | None, field: str, *, limit: int = MAX_TEXT, required: bool = False
) -> str | None:
    """A free text: stripped, printable (line breaks and tabs allowed), at most ``limit``."""
    if value is None or not value.strip():
        if required:
            raise InvalidInputError("required", field=field)
        return None
    value = value.strip()
    if len(value) > limit:
        raise InvalidInputError("text_too_long", field=field, limit=limit, count=len(value))
    if any(not (ch.isprintable() or ch in "\n\t") for ch in value):
        raise InvalidInputError("not_printable", field=field)
    return value


def _names(values: Sequence[str], field: str, *, limit: int) -> list[str]:
    """A list of short texts (disciplines, participants): each non-empty, no duplicates."""
    if isinstance(values, str):
        values = [values]
    if len(values) > MAX_LIST:
        raise InvalidInputError("list_too_long", field=field, limit=MAX_LIST, count=len(values))
    out: list[str] = []
    for i, value in enumerate(values):
        text = _text(value, f"{field}[{i}]", limit=limit, required=True)
        assert text is not None
        if text not in out:
            out.append(text)
    return out


def _case_json(case: Case) -> str:
    return case.model_dump_json(exclude_none=True)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _get(session: Session, model: Any, ident: int, kind: str, *options: Any) -> Any:
    obj = session.get(model, ident, options=options)
    if obj is None:
        raise NotFoundError.of(kind, ident)
    return obj


# -- patients and cases -------------------------------------------------------------------------


def create_patient(session: Session, actor: Actor, pseudonym: str) -> Patient:
    """A new patient known only by ``pseudonym`` (the ``id`` of their case documents)."""
    require(actor, Operation.case_write)
    if not isinstance(pseudonym, str) or not _PSEUDONYM.match(pseudonym) or len(pseudonym) > 64:
        raise InvalidInputError("bad_name", field="pseudonym", got=repr(pseudonym)[:80])
    if session.scalar(select(Patient.id).where(Patient.pseudonym == pseudonym)) is not None:
        raise ConflictError("pseudonym_taken", pseudonym=pseudonym)
    patient = Patient(pseudonym=pseudonym, created_at=utcnow(), created_by=actor.label)
    session.add(patient)
    session.flush()
    audit.append(session, actor, "patient.create", "patient", patient.id, audit.digest(pseudonym))
    return patient


def get_patient(session: Session, actor: Actor, pseudonym: str) -> Patient:
    """The patient with this pseudonym."""
    require(actor, Operation.case_read)
    patient = session.scalar(select(Patient).where(Patient.pseudonym == pseudonym))
    if patient is None:
        raise NotFoundError.of("patient", pseudonym)
    return patient


def _add_version(
    session: Session, actor: Actor, record: CaseRecord, number: int, case: Case, note: str | None
) -> CaseVersion:
    document = _case_json(case)
    version = CaseVersion(
        case_id=record.id,
        number=number,
        document=document,
        sha256=_sha256(document),
        primary_site=case.primary.site.value if case.primary.site else None,
        board_date=case.board_date,
        note=_text(note, "note"),
        author=actor.label,
        created_at=utcnow(),
    )
    session.add(version)
    record.latest_version = number
    session.flush()
    audit.append(session, actor, "case_version.create", "case_version", version.id, version.sha256)
    return version


def create_case(
    session: Session, actor: Actor, case: Case, *, note: str | None = None
) -> CaseVersion:
    """Store a new case (its version 1) for the patient ``case.id``, creating the patient
    when the pseudonym is new. Returns the version; ``version.case`` is the case."""
    require(actor, Operation.case_write)
    patient = session.scalar(select(Patient).where(Patient.pseudonym == case.id))
    if patient is None:
        patient = create_patient(session, actor, case.id)
    record = CaseRecord(
        patient_id=patient.id, created_at=utcnow(), created_by=actor.label, latest_version=0
    )
    session.add(record)
    session.flush()
    audit.append(
        session, actor, "case.create", "case", record.id, audit.digest({"patient": patient.id})
    )
    return _add_version(session, actor, record, 1, case, note)


_SIGNED = (
    select(AgendaEntry.id)
    .where(AgendaEntry.case_id == bindparam("case_id"), AgendaEntry.signed_at.is_not(None))
    .limit(1)
)


def _refuse_if_signed(session: Session, case_id: int) -> None:
    """Refuse a write to a case signed off at some meeting. Asked before every write of a
    case (every stored evaluation): one plain row; the entry itself only for the error."""
    signed = session.scalar(_SIGNED, {"case_id": case_id})
    if signed is not None:
        raise _signed(session.get_one(AgendaEntry, signed))


def _signed(entry: AgendaEntry) -> SignedError:
    when = entry.signed_at.isoformat(timespec="minutes") if entry.signed_at else "?"
    return SignedError("signed", entry=entry.id, when=when, who=entry.signed_by or "?")


def new_case_version(
    session: Session,
    actor: Actor,
    case_id: int,
    case: Case,
    *,
    note: str | None = None,
    expected_version: int | None = None,
) -> CaseVersion:
    """Store an edit of a case as its next version (the earlier ones stay as they are).

    ``expected_version``: the version the edit is based on; when the case has moved on
    since, :class:`ConflictError` (nothing is written). The document must keep the case's
    pseudonym. A case signed off at a meeting is closed: :class:`SignedError`.
    """
    require(actor, Operation.case_write)
    record: CaseRecord = _get(session, CaseRecord, case_id, "case")
    if expected_version is not None and expected_version != record.latest_version:
        raise ConflictError(
            "stale_version", case=case_id, latest=record.latest_version, expected=expected_version
        )
    if case.id != record.patient.pseudonym:
        raise InvalidInputError(
            "pseudonym_changed", field="id", pseudonym=record.patient.pseudonym, got=case.id
        )
    _refuse_if_signed(session, case_id)
    return _add_version(session, actor, record, record.latest_version + 1, case, note)


def get_case(session: Session, actor: Actor, case_id: int) -> CaseRecord:
    """The case (``.patient``, ``.versions`` oldest first, ``.latest_version``)."""
    require(actor, Operation.case_read)
    record: CaseRecord = _get(session, CaseRecord, case_id, "case")
    return record


def get_case_version(
    session: Session, actor: Actor, case_id: int, number: int | None = None
) -> CaseVersion:
    """Version ``number`` of a case (default: the newest). ``.document`` is its JSON,
    :func:`case_document` gives it as an :class:`osteoboard.case.Case`."""
    record = get_case(session, actor, case_id)
    number = record.latest_version if number is None else number
    version = session.scalar(
        select(CaseVersion).where(CaseVersion.case_id == case_id, CaseVersion.number == number)
    )
    if version is None:
        raise NotFoundError("no_version", case=case_id, number=number)
    return version


@dataclass(frozen=True)
class VersionDocument:
    """A case version's id, number and stored document, read as one plain row."""

    id: int
    number: int
    document: str


_VERSION_ROW = (
    select(CaseRecord.latest_version, CaseVersion.id, CaseVersion.number, CaseVersion.document)
    .select_from(CaseRecord)
    .outerjoin(
        CaseVersion,
        (CaseVersion.case_id == CaseRecord.id)
        & (
            CaseVersion.number
            == func.coalesce(bindparam("number", type_=Integer), CaseRecord.latest_version)
        ),
    )
    .where(CaseRecord.id == bindparam("case_id"))
)


def version_document(
    session: Session | Connection, actor: Actor, case_id: int, number: int | None = None
) -> VersionDocument:
    """Like :func:`get_case_version`, in one query on a session or a plain connection (the
    evaluation endpoint reads a version on every call)."""
    require(actor, Operation.case_read)
    row = session.execute(_VERSION_ROW, {"case_id": case_id, "number": number}).one_or_none()
    if row is None:
        raise NotFoundError.of("case", case_id)
    if row.id is None:
        raise NotFoundError(
            "no_version", case=case_id, number=row.latest_version if number is None else number
        )
    return VersionDocument(row.id, row.number, row.document)


def case_document(version: CaseVersion | VersionDocument) -> Case:
    """The stored document of a version as the validated case model."""
    return Case.model_validate_json(version.document)


def case_history(session: Session, actor: Actor, case_id: int) -> list[CaseVersion]:
    """Every version of a case, oldest first, each with author, time and note."""
    return list(get_case(session, actor, case_id).versions)


@dataclass(frozen=True)
class CaseSummary:
    """One line of :func:`list_cases`."""

    id: int
    pseudonym: str
    latest_version: int
    primary_site: str | None
    board_date: date | None
    created_at: datetime
    updated_at: datetime
    evaluated: bool  # the newest version has an evaluation
    signed: bool  # signed off at some meeting


def _case_columns(meeting_id: int | None) -> tuple[Any, Any, Any]:
    """The join to a case's newest version and the signed / evaluated flags."""
    latest = and_(
        CaseVersion.case_id == CaseRecord.id, CaseVersion.number == CaseRecord.latest_version
    )
    signed_cond: list[ColumnElement[bool]] = [
        AgendaEntry.case_id == CaseRecord.id,
        AgendaEntry.signed_at.is_not(None),
    ]
    if meeting_id is not None:
        signed_cond.append(AgendaEntry.meeting_id == meeting_id)
    is_signed = exists(select(AgendaEntry.id).where(*signed_cond))
    evaluated = exists(select(Evaluation.id).where(Evaluation.case_version_id == CaseVersion.id))
    return latest, is_signed, evaluated


def _filtered(
    query: Select[Any],
    is_signed: Any,
    *,
    pseudonym: str | None,
    meeting_id: int | None,
    signed: bool | None,
    primary_site: str | None,
) -> Select[Any]:
    if pseudonym is not None:
        query = query.where(Patient.pseudonym == pseudonym)
    if meeting_id is not None:
        query = query.where(
            exists(
                select(AgendaEntry.id).where(
                    AgendaEntry.case_id == CaseRecord.id, AgendaEntry.meeting_id == meeting_id
                )
            )
        )
    if signed is not None:
        query = query.where(is_signed if signed else ~is_signed)
    if primary_site is not None:
        query = query.where(CaseVersion.primary_site == primary_site)
    return query


def list_cases(
    session: Session,
    actor: Actor,
    *,
    pseudonym: str | None = None,
    meeting_id: int | None = None,
    signed: bool | None = None,
    primary_site: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CaseSummary]:
    """Cases, newest first, filtered by pseudonym (exact), meeting (on its agenda), signed
    (signed off at a meeting — that meeting when ``meeting_id`` is given — or not) and
    primary site (of the newest version); at most ``limit`` (1–500) from ``offset`` on."""
    require(actor, Operation.case_read)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError("position_range", field="limit", limit=MAX_LIMIT, got=limit)
    if offset < 0:
        raise InvalidInputError("negative", field="offset", got=offset)
    latest, is_signed, evaluated = _case_columns(meeting_id)
    query = (
        select(CaseRecord, Patient.pseudonym, CaseVersion, is_signed, evaluated)
        .join(Patient, Patient.id == CaseRecord.patient_id)
        .join(CaseVersion, latest)
    )
    query = _filtered(
        query,
        is_signed,
        pseudonym=pseudonym,
        meeting_id=meeting_id,
        signed=signed,
        primary_site=primary_site,
    )
    query = query.order_by(CaseRecord.id.desc()).limit(limit).offset(offset)
    return [
        CaseSummary(
            id=record.id,
            pseudonym=pseudo,
            latest_version=record.latest_version,
            primary_site=version.primary_site,
            board_date=version.board_date,
            created_at=record.created_at,
            updated_at=version.created_at,
            evaluated=bool(was_evaluated),
            signed=bool(was_signed),
        )
        for record, pseudo, version, was_signed, was_evaluated in session.execute(query)
    ]


def count_cases(
    session: Session,
    actor: Actor,
    *,
    pseudonym: str | None = None,
    meeting_id: int | None = None,
    signed: bool | None = None,
    primary_site: str | None = None,
) -> int:
    """How many cases :func:`list_cases` finds with these filters (for paging)."""
    require(actor, Operation.case_read)
    latest, is_signed, _ = _case_columns(meeting_id)
    query = (
        select(func.count(CaseRecord.id))
        .join(Patient, Patient.id == CaseRecord.patient_id)
        .join(CaseVersion, latest)
    )
    query = _filtered(
        query,
        is_signed,
        pseudonym=pseudonym,
        meeting_id=meeting_id,
        signed=signed,
        primary_site=primary_site,
    )
    return int(session.scalar(query) or 0)


# -- evaluations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredProposal:
    """A proposal with its JSON as stored and that JSON's sha256. Made before the write
    transaction (:meth:`of`), they keep the store's write lock, which every writer waits for,
    to the statements: the JSON of an example's proposal (35-41 KB) takes about 0.15 ms."""

    proposal: Proposal
    json: str
    sha256: str

    @classmethod
    def of(cls, proposal: Proposal) -> StoredProposal:
        data = proposal.model_dump_json()
        return cls(proposal, data, _sha256(data))


def compute_evaluation(version: CaseVersion, kb: KnowledgeBase | None = None) -> Proposal:
    """Run the engine on a stored version (no database access; may run outside the write
    transaction, then :func:`record_evaluation` stores the result)."""
    from osteoboard.engine import evaluate

    return evaluate(case_document(version), kb or load_knowledge_base())


#: The version's case and pseudonym, and an agenda entry that signed the case off (if any):
#: one round trip before every stored evaluation.
_VERSION_OWNER = (
    select(
        CaseVersion.case_id,
        Patient.pseudonym,
        select(AgendaEntry.id)
        .where(AgendaEntry.case_id == CaseVersion.case_id, AgendaEntry.signed_at.is_not(None))
        .limit(1)
        .scalar_subquery()
        .label("signed"),
    )
    .join(CaseRecord, CaseRecord.id == CaseVersion.case_id)
    .join(Patient, Patient.id == CaseRecord.patient_id)
    .where(CaseVersion.id == bindparam("version_id"))
)
_EVALUATIONS: Table = Evaluation.__table__  # type: ignore[assignment]
_ADD_EVALUATION = insert(_EVALUATIONS)


#: PostgreSQL: the evaluation inserted only while its version exists, belongs to the patient
#: the proposal names and its case is not signed: the checks and the write in one round trip
#: (after the write lock, so that the sign-off read is current). No row: the checks are read
#: one by one to say which failed.
_ADD_EVALUATION_IF_OPEN = (
    insert(_EVALUATIONS)
    .from_select(
        [c.name for c in _EVALUATIONS.columns if c.name != "id"],
        select(
            *[bindparam(c.name, type_=c.type) for c in _EVALUATIONS.columns if c.name != "id"]
        ).where(
            exists(
                select(CaseVersion.id)
                .join(CaseRecord, CaseRecord.id == CaseVersion.case_id)
                .join(Patient, Patient.id == CaseRecord.patient_id)
                .where(
                    CaseVersion.id == bindparam("case_version_id"),
                    Patient.pseudonym == bindparam("pseudonym"),
                    ~exists(
                        select(AgendaEntry.id).where(
                            AgendaEntry.case_id == CaseVersion.case_id,
                            AgendaEntry.signed_at.is_not(None),
                        )
                    ),
                )
            )
        ),
    )
    .returning(_EVALUATIONS.c.id)
)


def record_evaluation(
    session: Session, actor: Actor, version_id: int, proposal: Proposal | StoredProposal
) -> Evaluation:
    """Store the proposal for a case version, exactly as the engine's JSON contract (give it
    as :class:`StoredProposal` to have its JSON made before the write transaction).

    Runs inside the store's write lock, on every evaluation the API stores: plain rows and
    statements built once, no unit of work; on PostgreSQL the checks and the insert are one
    statement."""
    require(actor, Operation.case_evaluate)
    stored = proposal if isinstance(proposal, StoredProposal) else StoredProposal.of(proposal)
    kb = stored.proposal.knowledge_base
    if session.get_bind().dialect.name == "postgresql" and kb is not None:
        session.flush()  # anything the caller added goes first
        lock_for_write(session)
        values = _evaluation_row(actor, version_id, stored)
        new_id = session.execute(
            _ADD_EVALUATION_IF_OPEN, {**values, "pseudonym": stored.proposal.case_id}
        ).scalar_one_or_none()
        if new_id is not None:
            return _inserted_evaluation(session, actor, new_id, values)
        # Refused: read the checks one by one, to name the one that failed.
    found = session.execute(_VERSION_OWNER, {"version_id": version_id}).one_or_none()
    if found is None:
        raise NotFoundError.of("case_version", version_id)
    _case_id, pseudonym, signed = found
    if signed is not None:
        raise _signed(session.get_one(AgendaEntry, signed))
    return _insert_evaluation(session, actor, version_id, pseudonym, stored)


def store_evaluation(
    session: Session, actor: Actor, version: CaseVersion, proposal: Proposal
) -> Evaluation:
    """Store a proposal for a version without a permission check of its own (for callers
    that checked theirs, such as the re-evaluation)."""
    pseudonym = version.case.patient.pseudonym
    return _insert_evaluation(session, actor, version.id, pseudonym, StoredProposal.of(proposal))


def _evaluation_row(actor: Actor, version_id: int, stored: StoredProposal) -> dict[str, Any]:
    proposal = stored.proposal
    assert proposal.knowledge_base is not None
    return {
        "case_version_id": version_id,
        "engine_version": proposal.engine_version,
        "kb_version": proposal.knowledge_base.version,
        "kb_sha256": proposal.knowledge_base.sha256,
        "proposal": stored.json,
        "proposal_sha256": stored.sha256,
        "created_by": actor.label,
        "created_at": utcnow(),
    }


def _insert_evaluation(
    session: Session,
    actor: Actor,
    version_id: int,
    pseudonym: str,
    stored: StoredProposal,
) -> Evaluation:
    proposal = stored.proposal
    if proposal.knowledge_base is None:
        raise InvalidInputError("required", field="proposal.knowledge_base")
    if proposal.case_id != pseudonym:
        raise InvalidInputError(
            "pseudonym_changed",
            field="proposal.case_id",
            pseudonym=pseudonym,
            got=proposal.case_id,
        )
    values = _evaluation_row(actor, version_id, stored)
    session.flush()  # anything the caller added goes first
    # A plain insert (the unit of work costs more than the write); the object for the row is
    # then put in the session as the stored row it is, without reading it back.
    # inserted_primary_key: the driver's last row id (SQLite before 3.35 has no RETURNING)
    inserted = cast(CursorResult[Any], session.execute(_ADD_EVALUATION, values))
    key = inserted.inserted_primary_key
    assert key is not None  # a single-row insert
    return _inserted_evaluation(session, actor, key[0], values)


def _inserted_evaluation(
    session: Session, actor: Actor, new_id: int, values: dict[str, Any]
) -> Evaluation:
    """The object of a row just inserted, put in the session as the stored row it is, and
    its audit row."""
    evaluation = Evaluation(id=new_id, **values)
    make_transient_to_detached(evaluation)
    session.add(evaluation)
    audit.append(
        session,
        actor,
        "evaluation.create",
        "evaluation",
        evaluation.id,
        evaluation.proposal_sha256,
    )
    return evaluation


def evaluate_case(
    session: Session,
    actor: Actor,
    case_id: int,
    number: int | None = None,
    *,
    kb: KnowledgeBase | None = None,
) -> Evaluation:
    """Evaluate version ``number`` of a case (default: the newest) with the knowledge base
    ``kb`` (default: the bundled one) and store the evaluation."""
    require(actor, Operation.case_evaluate)
    version = get_case_version(session, actor, case_id, number)
    _refuse_if_signed(session, case_id)
    return record_evaluation(session, actor, version.id, compute_evaluation(version, kb))


def proposal_of(evaluation: Evaluation) -> Proposal:
    """The stored proposal as the engine's model (for the renderers: protocol, letter)."""
    return Proposal.model_validate_json(evaluation.proposal)


def get_evaluation(session: Session, actor: Actor, evaluation_id: int) -> Evaluation:
    """One evaluation; ``.proposal`` is the contract JSON, ``.case_version`` its version."""
    require(actor, Operation.case_read)
    evaluation: Evaluation = _get(session, Evaluation, evaluation_id, "evaluation")
    return evaluation


def list_evaluations(session: Session, actor: Actor, case_id: int) -> list[Evaluation]:
    """Every evaluation of every version of a case, oldest first."""
    get_case(session, actor, case_id)
    return list(
        session.scalars(
            select(Evaluation)
            .join(CaseVersion)
            .where(CaseVersion.case_id == case_id)
            .order_by(Evaluation.id)
        )
    )


def latest_evaluation(session: Session, case_id: int) -> Evaluation | None:
    """The newest evaluation of the case's newest version (None: not evaluated)."""
    return session.scalar(
        select(Evaluation)
        .join(CaseVersion)
        .join(CaseRecord, CaseRecord.id == CaseVersion.case_id)
        .where(CaseVersion.case_id == case_id, CaseVersion.number == CaseRecord.latest_version)
        .order_by(Evaluation.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class ProposalItem:
    """An item the board decides on: an emergency or a recommendation of a proposal."""

    key: str  # CODE, or CODE[lesion]
    code: str
    lesion: str | None
    kind: str  # "emergency" or "recommendation"
    text_de: str
    text_en: str


def proposal_items(evaluation: Evaluation) -> list[ProposalItem]:
    """The emergencies and recommendations of an evaluation, in the proposal's order."""
    data = json.loads(evaluation.proposal)
    items: list[ProposalItem] = []
    for kind, group in (("emergency", "emergencies"), ("recommendation", "recommendations")):
        for item in data.get(group, []):
            lesion = item.get("lesion")
            key = item["code"] if lesion is None else f"{item['code']}[{lesion}]"
            text = item.get("text") or {}
            items.append(
                ProposalItem(
                    key, item["code"], lesion, kind, text.get("de", ""), text.get("en", "")
                )
            )
    return items


# -- meetings and agenda ------------------------------------------------------------------------


def _meeting_content(meeting: Meeting) -> dict[str, Any]:
    return {
        "date": meeting.date.isoformat(),
        "title": meeting.title,
        "disciplines": meeting.disciplines,
        "participants": meeting.participants,
    }


def create_meeting(
    session: Session,
    actor: Actor,
    date: date,
    *,
    title: str | None = None,
    disciplines: Sequence[str] = (),
    participants: Sequence[str] = (),
) -> Meeting:
    """A board meeting on ``date`` with the disciplines present and the participants."""
    require(actor, Operation.meeting_write)
    now = utcnow()
    meeting = Meeting(
        date=date,
        title=_text(title, "title", limit=MAX_SHORT),
        disciplines=_names(disciplines, "disciplines", limit=80),
        participants=_names(participants, "participants", limit=120),
        created_by=actor.label,
        created_at=now,
        updated_at=now,
    )
    session.add(meeting)
    session.flush()
    audit.append(
        session,
        actor,
        "meeting.create",
        "meeting",
        meeting.id,
        audit.digest(_meeting_content(meeting)),
    )
    return meeting


def update_meeting(
    session: Session,
    actor: Actor,
    meeting_id: int,
    *,
    date: date | None = None,
    title: str | None = None,
    disciplines: Sequence[str] | None = None,
    participants: Sequence[str] | None = None,
) -> Meeting:
    """Change a meeting's date, title, disciplines or participants (None: unchanged; an
    empty title removes it)."""
    require(actor, Operation.meeting_write)
    meeting: Meeting = _get(session, Meeting, meeting_id, "meeting")
    if date is not None:
        meeting.date = date
    if title is not None:
        meeting.title = _text(title, "title", limit=MAX_SHORT)
    if disciplines is not None:
        meeting.disciplines = _names(disciplines, "disciplines", limit=80)
    if participants is not None:
        meeting.participants = _names(participants, "participants", limit=120)
    meeting.updated_at = utcnow()
    session.flush()
    audit.append(
        session,
        actor,
        "meeting.update",
        "meeting",
        meeting.id,
        audit.digest(_meeting_content(meeting)),
    )
    return meeting


def delete_meeting(session: Session, actor: Actor, meeting_id: int) -> None:
    """Delete a meeting with its agenda and recorded decisions; refused when any of its
    entries is signed."""
    require(actor, Operation.meeting_write)
    meeting: Meeting = _get(session, Meeting, meeting_id, "meeting")
    if any(entry.signed for entry in meeting.entries):
        raise SignedError("meeting_has_signed", meeting=meeting_id)
    for entry in list(meeting.entries):
        _delete_entry(session, actor, entry)
    session.delete(meeting)
    session.flush()
    audit.append(session, actor, "meeting.delete", "meeting", meeting_id, audit.digest(None))


def get_meeting(session: Session, actor: Actor, meeting_id: int) -> Meeting:
    """A meeting; ``.entries`` is its agenda in order."""
    require(actor, Operation.meeting_read)
    meeting: Meeting = _get(session, Meeting, meeting_id, "meeting")
    return meeting


def list_meetings(
    session: Session,
    actor: Actor,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[Meeting]:
    """Meetings between two dates (inclusive), in date order."""
    require(actor, Operation.meeting_read)
    query = select(Meeting)
    if date_from is not None:
        query = query.where(Meeting.date >= date_from)
    if date_to is not None:
        query = query.where(Meeting.date <= date_to)
    return list(session.scalars(query.order_by(Meeting.date, Meeting.id)))


def _entry_content(entry: AgendaEntry) -> dict[str, Any]:
    return {"meeting": entry.meeting_id, "case": entry.case_id, "position": entry.position}


def _renumber(session: Session, entries: list[AgendaEntry]) -> None:
    for position, entry in enumerate(entries, start=1):
        if entry.position != position:
            entry.position = position
    session.flush()


def add_agenda_entry(
    session: Session, actor: Actor, meeting_id: int, case_id: int, *, position: int | None = None
) -> AgendaEntry:
    """Put a case on a meeting's agenda, at ``position`` (1 = first; default: last)."""
    require(actor, Operation.meeting_write)
    meeting: Meeting = _get(session, Meeting, meeting_id, "meeting")
    _get(session, CaseRecord, case_id, "case")
    _refuse_if_signed(session, case_id)
    entries = list(meeting.entries)
    if any(entry.case_id == case_id for entry in entries):
        raise ConflictError("already_on_agenda", case=case_id, meeting=meeting_id)
    if position is None:
        position = len(entries) + 1
    if not 1 <= position <= len(entries) + 1:
        raise InvalidInputError(
            "position_range", field="position", limit=len(entries) + 1, got=position
        )
    entry = AgendaEntry(
        meeting_id=meeting_id,
        case_id=case_id,
        position=position,
        created_by=actor.label,
        created_at=utcnow(),
    )
    for other in entries:
        if other.position >= position:
            other.position += 1
    session.add(entry)
    session.flush()
    session.refresh(meeting, ["entries"])
    audit.append(
        session,
        actor,
        "agenda_entry.create",
        "agenda_entry",
        entry.id,
        audit.digest(_entry_content(entry)),
    )
    return entry


def move_agenda_entry(session: Session, actor: Actor, entry_id: int, position: int) -> AgendaEntry:
    """Move an entry to ``position`` on its agenda (1 = first); the others close up."""
    require(actor, Operation.meeting_write)
    entry: AgendaEntry = _get(session, AgendaEntry, entry_id, "agenda_entry")
    entries = [e for e in entry.meeting.entries if e.id != entry.id]
    if not 1 <= position <= len(entries) + 1:
        raise InvalidInputError(
            "position_range", field="position", limit=len(entries) + 1, got=position
        )
    entries.insert(position - 1, entry)
    _renumber(session, entries)
    audit.append(
        session,
        actor,
        "agenda_entry.move",
        "agenda_entry",
        entry.id,
        audit.digest(_entry_content(entry)),
    )
    return entry


def _delete_entry(session: Session, actor: Actor, entry: AgendaEntry) -> None:
    gone = audit.digest(None)
    for decision in list(entry.item_decisions):
        session.delete(decision)
        audit.append(session, actor, "item_decision.delete", "item_decision", decision.id, gone)
    if entry.overall is not None:
        session.delete(entry.overall)
        audit.append(
            session, actor, "overall_decision.delete", "overall_decision", entry.overall.id, gone
        )
    session.delete(entry)
    session.flush()
    audit.append(
        session, actor, "agenda_entry.delete", "agenda_entry", entry.id, audit.digest(None)
    )


def remove_agenda_entry(session: Session, actor: Actor, entry_id: int) -> None:
    """Take a case off an agenda (with any decisions recorded); refused once signed."""
    require(actor, Operation.meeting_write)
    entry: AgendaEntry = _get(session, AgendaEntry, entry_id, "agenda_entry")
    if entry.signed:
        raise _signed(entry)
    meeting = entry.meeting
    _delete_entry(session, actor, entry)
    session.refresh(meeting, ["entries"])
    _renumber(session, list(meeting.entries))


def get_agenda_entry(session: Session, actor: Actor, entry_id: int) -> AgendaEntry:
    """An agenda entry with ``.item_decisions``, ``.overall``, ``.evaluation`` (set when
    signed) and the sign-off fields."""
    require(actor, Operation.meeting_read)
    entry: AgendaEntry = _get(session, AgendaEntry, entry_id, "agenda_entry")
    return entry


def list_agenda(session: Session, actor: Actor, meeting_id: int) -> list[AgendaEntry]:
    """A meeting's agenda in order."""
    return list(get_meeting(session, actor, meeting_id).entries)


def current_evaluation(session: Session, entry: AgendaEntry) -> Evaluation | None:
    """The evaluation an entry's decisions refer to: the one it was signed with, else the
    newest evaluation of the case's newest version (None: not evaluated yet)."""
    if entry.evaluation is not None:
        return entry.evaluation
    return latest_evaluation(session, entry.case_id)


# -- decisions and sign-off ---------------------------------------------------------------------


def _open_entry(session: Session, actor: Actor, entry_id: int) -> tuple[AgendaEntry, Evaluation]:
    require(actor, Operation.decision_write)
    entry: AgendaEntry = _get(session, AgendaEntry, entry_id, "agenda_entry")
    if entry.signed:
        raise _signed(entry)
    evaluation = current_evaluation(session, entry)
    if evaluation is None:
        raise StateError("not_evaluated", case=entry.case_id, number=entry.case.latest_version)
    return entry, evaluation


def _decision_content(decision: ItemDecision) -> dict[str, Any]:
    return {
        "entry": decision.agenda_entry_id,
        "evaluation": decision.evaluation_id,
        "item": decision.item_key,
        "outcome": decision.outcome,
        "reason": decision.reason,
        "text": decision.text,
    }


def record_item_decision(
    session: Session,
    actor: Actor,
    entry_id: int,
    item_key: str,
    outcome: str,
    *,
    reason: str | None = None,
    text: str | None = None,
) -> ItemDecision:
    """The board's decision on one item of the entry's current evaluation: ``item_key`` is
    ``CODE`` or ``CODE[lesion]`` (see :func:`proposal_items`), ``outcome`` one of accepted,
    modified, rejected (the last two need a ``reason``), ``text`` what was decided in words.
    Recording again replaces the earlier decision (the audit trail keeps both)."""
    entry, evaluation = _open_entry(session, actor, entry_id)
    if outcome not in OUTCOMES:
        raise InvalidInputError(
            "one_of", field="outcome", allowed=", ".join(OUTCOMES), got=repr(outcome)[:40]
        )
    items = {item.key: item for item in proposal_items(evaluation)}
    item = items.get(item_key)
    if item is None or len(item_key) > ITEM_KEY_LEN:
        raise InvalidInputError(
            "unknown_item",
            field="item_key",
            item=repr(item_key)[:ITEM_KEY_LEN],
            evaluation=evaluation.id,
            items=", ".join(items) or "—",
        )
    reason = _text(reason, "reason", required=outcome != "accepted")
    text = _text(text, "text")
    decision = session.scalar(
        select(ItemDecision).where(
            ItemDecision.agenda_entry_id == entry.id, ItemDecision.item_key == item_key
        )
    )
    if decision is None:
        decision = ItemDecision(item_key=item_key)
        entry.item_decisions.append(decision)
    decision.evaluation_id = evaluation.id
    decision.code = item.code
    decision.lesion = item.lesion
    decision.outcome = outcome
    decision.reason = reason
    decision.text = text
    decision.author = actor.label
    decision.decided_at = utcnow()
    session.flush()
    audit.append(
        session,
        actor,
        "item_decision.record",
        "item_decision",
        decision.id,
        audit.digest(_decision_content(decision)),
    )
    return decision


def _overall_content(overall: OverallDecision) -> dict[str, Any]:
    return {
        "entry": overall.agenda_entry_id,
        "text": overall.text,
        "guideline_conform": overall.guideline_conform,
        "deviation_reason": overall.deviation_reason,
    }


def record_overall_decision(
    session: Session,
    actor: Actor,
    entry_id: int,
    text: str,
    guideline_conform: bool,
    *,
    deviation_reason: str | None = None,
) -> OverallDecision:
    """The board's overall decision on an entry, whether it conforms to the guideline, and
    if not, why (``deviation_reason`` is then required). Recording again replaces it."""
    entry, _ = _open_entry(session, actor, entry_id)
    if not isinstance(guideline_conform, bool):
        raise InvalidInputError(
            "one_of", field="guideline_conform", allowed="true, false", got=repr(guideline_conform)
        )
    body = _text(text, "text", required=True)
    assert body is not None
    why = _text(deviation_reason, "deviation_reason")
    if not guideline_conform and why is None:
        raise InvalidInputError("deviation_reason_required", field="deviation_reason")
    overall = entry.overall
    if overall is None:
        overall = OverallDecision()
        entry.overall = overall
    overall.text = body
    overall.guideline_conform = guideline_conform
    overall.deviation_reason = why if not guideline_conform else None
    overall.author = actor.label
    overall.decided_at = utcnow()
    session.flush()
    audit.append(
        session,
        actor,
        "overall_decision.record",
        "overall_decision",
        overall.id,
        audit.digest(_overall_content(overall)),
    )
    return overall


def _record_content(entry: AgendaEntry, evaluation: Evaluation) -> dict[str, Any]:
    """What a sign-off seals: the evaluation, every decision and the overall decision."""
    assert entry.overall is not None
    return {
        "entry": entry.id,
        "evaluation": evaluation.id,
        "proposal_sha256": evaluation.proposal_sha256,
        "decisions": [_decision_content(d) for d in entry.item_decisions],
        "overall": _overall_content(entry.overall),
        "signed_by": entry.signed_by,
        "signed_at": entry.signed_at.isoformat() if entry.signed_at else None,
    }


def sign_off(session: Session, actor: Actor, entry_id: int) -> AgendaEntry:
    """Sign an agenda entry off: a logged-in board member confirms that every item of the
    current evaluation has a decision and the overall decision is recorded. From then on
    the entry, its decisions and its case are read-only."""
    require(actor, Operation.sign_off)
    if actor.kind != "user" or actor.role is not Role.board_member:
        raise PermissionDenied("sign_off_user_only")
    entry, evaluation = _open_entry(session, actor, entry_id)
    items = [item.key for item in proposal_items(evaluation)]
    decided = {d.item_key: d for d in entry.item_decisions}
    for key, decision in decided.items():
        if decision.evaluation_id != evaluation.id or key not in items:
            raise StateError(
                "stale_evaluation", item=key, old=decision.evaluation_id, current=evaluation.id
            )
    missing = [key for key in items if key not in decided]
    if missing:
        raise StateError("undecided_items", items=", ".join(missing))
    if entry.overall is None:
        raise StateError("no_overall_decision")
    entry.evaluation_id = evaluation.id
    entry.signed_by = actor.label
    entry.signed_by_user_id = actor.id
    entry.signed_at = utcnow()
    session.flush()
    session.refresh(entry, ["evaluation"])
    audit.append(
        session,
        actor,
        "agenda_entry.sign_off",
        "agenda_entry",
        entry.id,
        audit.digest(_record_content(entry, evaluation)),
    )
    return entry
