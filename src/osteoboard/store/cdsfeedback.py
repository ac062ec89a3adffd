"""CDS Hooks feedback in the store: one row per card outcome a client reports, each with
its audit row, and the stored case a CDS card links to.

The caller (the CDS Hooks service) has verified the client's JWT; the client is recorded by
its issuer (``iss``) and tenant, the audit actor as ``cds:<iss>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from osteoboard.store import audit
from osteoboard.store.models import CaseRecord, CdsFeedback, Patient, utcnow

__all__ = ["FeedbackEntry", "case_id_of", "list_feedback", "record_feedback"]


@dataclass(frozen=True)
class FeedbackEntry:
    """One feedback item as the client sent it (already checked)."""

    card_uuid: str
    outcome: str
    accepted_suggestions: list[str]
    override_reason: dict[str, Any] | None
    user_comment: str | None
    outcome_at: datetime


def record_feedback(
    session: Session,
    *,
    actor: str,
    client: str,
    tenant: str | None,
    service_id: str,
    entries: Sequence[FeedbackEntry],
) -> list[CdsFeedback]:
    """Store every entry and its audit row (in the session's transaction)."""
    rows = []
    received = utcnow()
    for entry in entries:
        row = CdsFeedback(
            received_at=received,
            client=client,
            tenant=tenant,
            service_id=service_id,
            card_uuid=entry.card_uuid,
            outcome=entry.outcome,
            accepted_suggestions=list(entry.accepted_suggestions),
            override_reason=entry.override_reason,
            user_comment=entry.user_comment,
            outcome_at=entry.outcome_at,
        )
        session.add(row)
        session.flush()
        content = {
            "client": client,
            "tenant": tenant,
            "service_id": service_id,
            "card": entry.card_uuid,
            "outcome": entry.outcome,
            "accepted": entry.accepted_suggestions,
            "reason": entry.override_reason,
            "comment": entry.user_comment,
            "at": entry.outcome_at.isoformat(),
        }
        audit.append(
            session, actor, "cds_feedback.create", "cds_feedback", row.id, audit.digest(content)
        )
        rows.append(row)
    return rows


def list_feedback(session: Session, service_id: str | None = None) -> list[CdsFeedback]:
    """Stored feedback, oldest first (of one service when given)."""
    query = select(CdsFeedback).order_by(CdsFeedback.id)
    if service_id is not None:
        query = query.where(CdsFeedback.service_id == service_id)
    return list(session.scalars(query))


_CASE_OF = (
    select(CaseRecord.id)
    .join(Patient, CaseRecord.patient_id == Patient.id)
    .where(Patient.pseudonym == bindparam("pseudonym"))
    .order_by(CaseRecord.id.desc())
    .limit(1)
)


def case_id_of(session: Session | Connection, pseudonym: str) -> int | None:
    """The newest stored case of the patient with this pseudonym, if there is one (asked on
    every CDS Hooks call: a plain connection will do, without an ORM session)."""
    found: int | None = session.scalar(_CASE_OF, {"pseudonym": pseudonym})
    return found
