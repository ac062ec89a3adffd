"""Re-evaluation on a new knowledge base and the audit chain's check."""

from __future__ import annotations

from fastapi import APIRouter, Request

from osteoboard.api.auth import Auditor, Reevaluator
from osteoboard.api.bodies import StrictRoute
from osteoboard.api.problems import lang_of
from osteoboard.api.responses import problems_of
from osteoboard.api.schemas import AuditOut, ReevaluateIn, ReevaluationOut
from osteoboard.api.stores import store_of
from osteoboard.store import audit
from osteoboard.store.reevaluate import format_report, reevaluate

__all__ = ["router"]

router = APIRouter(tags=["admin"], route_class=StrictRoute)


@router.get(
    "/audit/verify",
    response_model=AuditOut,
    summary="Walk the audit chain and name the first bad row, if any",
    responses=problems_of(401, 403),
)
def verify_audit(request: Request, actor: Auditor) -> AuditOut:
    with store_of(request).read() as session:
        result = audit.verify(session)
    lang = lang_of(request)
    problems = [result.problem.message(lang)] if result.problem is not None else []
    return AuditOut(ok=result.ok, rows=result.rows, problems=problems)


@router.post(
    "/reevaluate",
    response_model=ReevaluationOut,
    summary="Re-evaluate the unsigned agenda cases on the knowledge base now loaded",
    responses=problems_of(401, 403, 404, 413, 415, 422),
)
def reevaluate_agenda(body: ReevaluateIn, request: Request, actor: Reevaluator) -> ReevaluationOut:
    """Every case on an agenda (of `meeting_id`, or of every meeting) that is not signed off
    and whose newest evaluation was made under another knowledge base is evaluated again;
    the answer says per case what changed. Signed records are never altered."""
    with store_of(request).write() as session:
        result = reevaluate(session, actor, meeting_id=body.meeting_id)
    lang = lang_of(request)
    return ReevaluationOut(
        kb_version=result.kb_version,
        kb_sha256=result.kb_sha256,
        reevaluated=result.reevaluated,
        signed=result.signed,
        current=result.current,
        not_evaluated=result.not_evaluated,
        report=format_report(result, lang),
    )
