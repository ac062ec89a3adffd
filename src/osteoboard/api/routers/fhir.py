"""FHIR import: a Bundle in, the case and its mapping report out; stored when asked."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from osteoboard.api.auth import FhirImporter
from osteoboard.api.bodies import BundleRoute
from osteoboard.api.problems import case_error_problem, lang_of
from osteoboard.api.responses import problems_of
from osteoboard.api.schemas import CaseCreated, VersionOut
from osteoboard.api.stores import store_of
from osteoboard.case import Case
from osteoboard.caseio import CaseError
from osteoboard.fhir import FhirImportError, MappingReport, import_resources, parse_bundle
from osteoboard.messages import Msg, Problem
from osteoboard.store import service
from osteoboard.store.permissions import Operation, require

__all__ = ["router"]

router = APIRouter(tags=["fhir"], route_class=BundleRoute)


class FhirImportOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case: Case
    report: MappingReport
    stored: CaseCreated | None = None


@router.post(
    "/fhir/import",
    response_model=FhirImportOut,
    summary="Make a case from a FHIR R4 Bundle (mCODE), with its mapping report",
    responses=problems_of(401, 403, 413, 415, 422),
)
def fhir_import(
    request: Request,
    actor: FhirImporter,
    bundle: Annotated[
        dict[str, Any], Body(description="A Bundle: collection, transaction or searchset.")
    ],
    board_date: Annotated[dt.date | None, Query(description="Board date (default: today).")] = None,
    patient_id: Annotated[
        str | None, Query(max_length=64, description="The Patient to import.")
    ] = None,
    store: Annotated[bool, Query(description="Also store the case (as POST /cases does).")] = False,
    note: Annotated[str | None, Query(max_length=10_000)] = None,
) -> Response:
    """The body is a FHIR Bundle (`docs/fhir.md`); the answer holds the case, the report
    (where each field came from, what was not used, every conflict) and, with `store=true`,
    the stored case (role coordinator: `case:write`)."""
    if store:
        require(actor, Operation.case_write)
    try:
        result = import_resources(
            parse_bundle(bundle, "body"),
            board_date=board_date or dt.date.today(),
            patient_id=patient_id,
        )
    except FhirImportError as exc:
        lang = lang_of(request)
        problems = [
            Problem(p.where, Msg("literal", {"text": p.de if lang == "de" else p.en}))
            for p in exc.problems
        ]
        return case_error_problem(request, CaseError(problems, more=exc.more))
    out = FhirImportOut(case=result.case, report=result.report)
    status = 200
    if store:
        with store_of(request).write() as session:
            version = service.create_case(session, actor, result.case, note=note)
            out.stored = CaseCreated(
                id=version.case_id,
                pseudonym=result.case.id,
                version=VersionOut.model_validate(version),
            )
        status = 201
    return Response(out.model_dump_json(), status_code=status, media_type="application/json")
