"""Re-evaluation on a new knowledge base and the audit chain's check."""

from __future__ import annotations

from fastapi import APIRouter, Request

from osteoboard.api.auth import permit
from osteoboard.api.bodies import StrictRoute
from osteoboard.api.problems import lang_of
from osteoboard.api.responses import problems_of
from osteoboard.api.schemas import AuditOut
from osteoboard.api.stores import store_of
from osteoboard.store import audit
from osteoboard.store.permissions import Actor, Operation

__all__ = ["router"]

router = APIRouter(tags=["admin"], route_class=StrictRoute)


@router.get(
    "/audit/verify",
    response_model=AuditOut,
    summary="Walk the audit chain and name the first bad row, if any",
    responses=problems_of(401, 403),
)
def verify_audit(request: Request, actor: Actor = permit(Operation.audit_verify)) -> AuditOut:
    with store_of(request).read() as session:
        result = audit.verify(session)
    lang = lang_of(request)
    problems = [result.problem.message(lang)] if result.problem is not None else []
    return AuditOut(ok=result.ok, rows=result.rows, problems=problems)
