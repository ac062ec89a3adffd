"""The shapes of the API's request and response bodies (besides the case model and the
proposal, which are the engine's own)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from osteoboard.case import Case
from osteoboard.proposal import Proposal
from osteoboard.store.reevaluate import CaseChange, SignedRecord

__all__ = [
    "AgendaEntryIn",
    "AgendaEntryMove",
    "AgendaEntryOut",
    "AuditOut",
    "CaseCreated",
    "CaseOut",
    "CaseSummaryOut",
    "EvaluationMeta",
    "EvaluationOut",
    "ItemDecisionIn",
    "ItemDecisionOut",
    "ItemOut",
    "LoginIn",
    "MeetingIn",
    "MeetingOut",
    "MeetingPatch",
    "OverallDecisionIn",
    "OverallDecisionOut",
    "ReevaluateIn",
    "ReevaluationOut",
    "SessionOut",
    "VersionOut",
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# -- session ------------------------------------------------------------------------------------


class LoginIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(_Out):
    user: str
    role: str
    csrf_token: str = Field(
        description="Send it as X-CSRF-Token with every change made with the session cookie."
    )
    expires_at: dt.datetime


# -- cases --------------------------------------------------------------------------------------


class VersionOut(_Out):
    number: int
    sha256: str = Field(description="sha256 of the stored case document.")
    primary_site: str | None
    board_date: dt.date | None
    note: str | None
    author: str
    created_at: dt.datetime


class CaseSummaryOut(_Out):
    id: int
    pseudonym: str
    latest_version: int
    primary_site: str | None
    board_date: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    evaluated: bool = Field(description="The newest version has an evaluation.")
    signed: bool = Field(description="Signed off at a meeting.")


class EvaluationMeta(_Out):
    id: int
    case_id: int
    version: int = Field(description="The case version evaluated.")
    engine_version: str
    kb_version: str
    kb_sha256: str
    proposal_sha256: str = Field(description="sha256 of the stored proposal JSON.")
    created_by: str
    created_at: dt.datetime


class EvaluationOut(EvaluationMeta):
    proposal: Proposal = Field(description="Exactly the engine's JSON contract, as stored.")


class CaseCreated(_Out):
    id: int
    pseudonym: str
    version: VersionOut


class CaseOut(_Out):
    id: int
    pseudonym: str
    latest_version: int
    created_at: dt.datetime
    created_by: str
    versions: list[VersionOut] = Field(description="Every version, oldest first.")
    document: Case = Field(description="The newest version's case document.")
    latest_evaluation: EvaluationMeta | None = Field(
        description="The newest evaluation of the newest version (null: not evaluated)."
    )


# -- meetings -----------------------------------------------------------------------------------


class MeetingIn(_In):
    date: dt.date
    title: str | None = Field(default=None, max_length=200)
    disciplines: list[str] = Field(default_factory=list, max_length=50)
    participants: list[str] = Field(default_factory=list, max_length=50)


class MeetingPatch(_In):
    date: dt.date | None = None
    title: str | None = Field(default=None, max_length=200)
    disciplines: list[str] | None = Field(default=None, max_length=50)
    participants: list[str] | None = Field(default=None, max_length=50)


class AgendaEntryIn(_In):
    case_id: int = Field(ge=1)
    position: int | None = Field(default=None, ge=1, description="1 = first; default: last.")


class AgendaEntryMove(_In):
    position: int = Field(ge=1)


class ItemOut(_Out):
    key: str = Field(description="CODE, or CODE[lesion]: what a decision names.")
    code: str
    lesion: str | None
    kind: Literal["emergency", "recommendation"]
    text_de: str
    text_en: str


class ItemDecisionIn(_In):
    item_key: str = Field(min_length=1, max_length=120, description="CODE or CODE[lesion].")
    outcome: Literal["accepted", "modified", "rejected"]
    reason: str | None = Field(
        default=None, max_length=10_000, description="Required for modified and rejected."
    )
    text: str | None = Field(default=None, max_length=10_000, description="What was decided.")


class ItemDecisionOut(_Out):
    item_key: str
    code: str
    lesion: str | None
    outcome: str
    reason: str | None
    text: str | None
    evaluation_id: int
    author: str
    decided_at: dt.datetime


class OverallDecisionIn(_In):
    text: str = Field(min_length=1, max_length=10_000)
    guideline_conform: bool
    deviation_reason: str | None = Field(
        default=None, max_length=10_000, description="Required when not guideline-conform."
    )


class OverallDecisionOut(_Out):
    text: str
    guideline_conform: bool
    deviation_reason: str | None
    author: str
    decided_at: dt.datetime


class AgendaEntryOut(_Out):
    id: int
    meeting_id: int
    case_id: int
    pseudonym: str
    position: int
    evaluation_id: int | None = Field(
        description="The evaluation the decisions refer to (null: the case is not evaluated)."
    )
    items: list[ItemOut] = Field(description="The items of that evaluation to decide on.")
    decisions: list[ItemDecisionOut]
    overall: OverallDecisionOut | None
    signed: bool
    signed_by: str | None
    signed_at: dt.datetime | None


class MeetingOut(_Out):
    id: int
    date: dt.date
    title: str | None
    disciplines: list[str]
    participants: list[str]
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    agenda: list[AgendaEntryOut] | None = Field(
        default=None, description="The agenda in order (in a single meeting only)."
    )


# -- re-evaluation and audit ------------------------------------------------------------------


class ReevaluateIn(_In):
    meeting_id: int | None = Field(default=None, ge=1, description="Only this meeting's agenda.")


class ReevaluationOut(_Out):
    kb_version: str = Field(description="The knowledge base now loaded.")
    kb_sha256: str
    reevaluated: list[CaseChange] = Field(
        description="Cases evaluated again, with what changed (codes added or removed, "
        "status or priority changed)."
    )
    signed: list[SignedRecord] = Field(
        description="Signed records left as they are, decided under their knowledge base."
    )
    current: int = Field(description="Cases already evaluated under this knowledge base.")
    not_evaluated: list[int] = Field(description="Ids of agenda cases never evaluated.")
    report: str = Field(description="The same as text (German unless Accept-Language: en).")


class AuditOut(_Out):
    ok: bool
    rows: int
    problems: list[str]
