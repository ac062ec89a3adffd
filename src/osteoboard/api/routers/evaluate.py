"""Stateless evaluation: a case in, the proposal out (nothing is stored)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from osteoboard.api.auth import Evaluator
from osteoboard.api.bodies import StrictRoute
from osteoboard.api.responses import problems_of
from osteoboard.case import Case
from osteoboard.engine import evaluate as run
from osteoboard.proposal import Proposal

__all__ = ["router"]

router = APIRouter(tags=["evaluate"], route_class=StrictRoute)


@router.post(
    "/evaluate",
    response_model=Proposal,
    summary="Evaluate a case without storing it",
    responses=problems_of(401, 403, 413, 415, 422),
)
def evaluate(case: Case, actor: Evaluator) -> Response:
    """The proposal for the case in the body (the JSON contract of `docs/contract.md`)."""
    return Response(run(case).model_dump_json(), media_type="application/json")
