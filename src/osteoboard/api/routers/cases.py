"""Cases, their versions and evaluations, and the documents of an evaluation."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from osteoboard.api.auth import CaseEvaluator, CaseReader, CaseWriter
from osteoboard.api.bodies import StrictRoute
from osteoboard.api.problems import ApiProblem
from osteoboard.api.responses import created, problems_of
from osteoboard.api.schemas import (
    CaseCreated,
    CaseOut,
    CaseSummaryOut,
    EvaluationMeta,
    EvaluationOut,
    VersionOut,
)
from osteoboard.api.stores import store_of
from osteoboard.case import Case
from osteoboard.engine import evaluate as run
from osteoboard.proposal import Proposal
from osteoboard.store import service
from osteoboard.store.models import CaseVersion, Evaluation

__all__ = ["evaluation_json", "router"]

router = APIRouter(tags=["cases"], route_class=StrictRoute)

CaseId = Annotated[int, Path(ge=1, description="The case's number in the store.")]
EvaluationId = Annotated[int, Path(ge=1)]
JSON = "application/json"


def _version_out(version: CaseVersion) -> VersionOut:
    return VersionOut.model_validate(version)


def evaluation_meta(evaluation: Evaluation, case_id: int, number: int) -> EvaluationMeta:
    return EvaluationMeta(
        id=evaluation.id,
        case_id=case_id,
        version=number,
        engine_version=evaluation.engine_version,
        kb_version=evaluation.kb_version,
        kb_sha256=evaluation.kb_sha256,
        proposal_sha256=evaluation.proposal_sha256,
        created_by=evaluation.created_by,
        created_at=evaluation.created_at,
    )


def evaluation_json(evaluation: Evaluation, case_id: int, number: int) -> bytes:
    """The evaluation with its proposal exactly as stored (spliced in, not re-encoded)."""
    meta = evaluation_meta(evaluation, case_id, number).model_dump_json()
    return f'{meta[:-1]},"proposal":{evaluation.proposal}}}'.encode()


@router.post(
    "/cases",
    status_code=201,
    response_model=CaseCreated,
    summary="Store a new case (its version 1)",
    responses=problems_of(401, 403, 413, 415, 422),
)
def create_case(
    case: Case,
    request: Request,
    actor: CaseWriter,
    note: Annotated[str | None, Query(max_length=10_000, description="Why, in words.")] = None,
) -> Response:
    """The body is a case document (`docs/case-format.md`); its `id` is the patient's
    pseudonym (a new pseudonym creates the patient)."""
    with store_of(request).write() as session:
        version = service.create_case(session, actor, case, note=note)
        out = CaseCreated(id=version.case_id, pseudonym=case.id, version=_version_out(version))
    return created(out.model_dump_json(), f"{request.url.path}/{out.id}")


@router.get(
    "/cases",
    response_model=list[CaseSummaryOut],
    summary="List cases, newest first",
    responses=problems_of(401, 403, 422),
)
def list_cases(
    request: Request,
    actor: CaseReader,
    pseudonym: Annotated[str | None, Query(max_length=64)] = None,
    meeting: Annotated[int | None, Query(ge=1, description="On this meeting's agenda.")] = None,
    signed: Annotated[bool | None, Query(description="Signed off (at that meeting).")] = None,
    primary_site: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CaseSummaryOut]:
    with store_of(request).read() as session:
        rows = service.list_cases(
            session,
            actor,
            pseudonym=pseudonym,
            meeting_id=meeting,
            signed=signed,
            primary_site=primary_site,
            limit=limit,
            offset=offset,
        )
    return [CaseSummaryOut.model_validate(row) for row in rows]


@router.get(
    "/cases/{case_id}",
    response_model=CaseOut,
    summary="A case: its versions, newest document and latest evaluation",
    responses=problems_of(401, 403, 404),
)
def get_case(case_id: CaseId, request: Request, actor: CaseReader) -> CaseOut:
    with store_of(request).read() as session:
        record = service.get_case(session, actor, case_id)
        versions = list(record.versions)
        latest = service.latest_evaluation(session, case_id)
        return CaseOut(
            id=record.id,
            pseudonym=record.patient.pseudonym,
            latest_version=record.latest_version,
            created_at=record.created_at,
            created_by=record.created_by,
            versions=[_version_out(v) for v in versions],
            document=service.case_document(versions[-1]),
            latest_evaluation=(
                evaluation_meta(latest, case_id, record.latest_version) if latest else None
            ),
        )


@router.post(
    "/cases/{case_id}/versions",
    status_code=201,
    response_model=VersionOut,
    summary="Store an edit as the case's next version",
    responses=problems_of(401, 403, 404, 409, 413, 415, 422),
)
def new_version(
    case_id: CaseId,
    case: Case,
    request: Request,
    actor: CaseWriter,
    note: Annotated[str | None, Query(max_length=10_000)] = None,
    expected_version: Annotated[
        int | None,
        Query(ge=1, description="The version the edit is based on: 409 if the case moved on."),
    ] = None,
) -> Response:
    with store_of(request).write() as session:
        version = service.new_case_version(
            session, actor, case_id, case, note=note, expected_version=expected_version
        )
        out = _version_out(version)
    return created(out.model_dump_json(), f"{request.url.path}/{out.number}")


@router.get(
    "/cases/{case_id}/versions",
    response_model=list[VersionOut],
    summary="The case's history: every version, oldest first",
    responses=problems_of(401, 403, 404),
)
def history(case_id: CaseId, request: Request, actor: CaseReader) -> list[VersionOut]:
    with store_of(request).read() as session:
        return [_version_out(v) for v in service.case_history(session, actor, case_id)]


@router.get(
    "/cases/{case_id}/versions/{number}",
    response_model=Case,
    summary="The case document of one version",
    responses=problems_of(401, 403, 404),
)
def version_document(
    case_id: CaseId,
    number: Annotated[int, Path(ge=1)],
    request: Request,
    actor: CaseReader,
) -> Response:
    with store_of(request).read() as session:
        version = service.get_case_version(session, actor, case_id, number)
        return Response(version.document, media_type=JSON)


@router.post(
    "/cases/{case_id}/evaluate",
    status_code=201,
    response_model=EvaluationOut,
    summary="Evaluate a case version and store the evaluation",
    responses=problems_of(401, 403, 404, 409),
)
def evaluate_case(
    case_id: CaseId,
    request: Request,
    actor: CaseEvaluator,
    version: Annotated[int | None, Query(ge=1, description="Default: the newest.")] = None,
) -> Response:
    """Runs the engine on the version (default: the newest) and stores the proposal with
    the engine's and the knowledge base's versions. Refused (409) once the case is signed."""
    store = store_of(request)
    with store.statement() as connection:
        stored = service.version_document(connection, actor, case_id, version)
    version_id, number = stored.id, stored.number
    # The engine, and the proposal's JSON, outside any transaction: the write below is short.
    proposal = service.StoredProposal.of(run(service.case_document(stored)))
    with store.write() as session:
        evaluation = service.record_evaluation(session, actor, version_id, proposal)
        body = evaluation_json(evaluation, case_id, number)
        location = f"/api/v1/evaluations/{evaluation.id}"
    return Response(body, status_code=201, media_type=JSON, headers={"Location": location})


@router.get(
    "/cases/{case_id}/evaluations",
    response_model=list[EvaluationMeta],
    summary="Every evaluation of the case, oldest first",
    responses=problems_of(401, 403, 404),
)
def evaluations(case_id: CaseId, request: Request, actor: CaseReader) -> list[EvaluationMeta]:
    with store_of(request).read() as session:
        return [
            evaluation_meta(e, case_id, e.case_version.number)
            for e in service.list_evaluations(session, actor, case_id)
        ]


@router.get(
    "/evaluations/{evaluation_id}",
    response_model=EvaluationOut,
    summary="One evaluation with its proposal",
    responses=problems_of(401, 403, 404),
)
def get_evaluation(evaluation_id: EvaluationId, request: Request, actor: CaseReader) -> Response:
    with store_of(request).read() as session:
        evaluation = service.get_evaluation(session, actor, evaluation_id)
        version = evaluation.case_version
        return Response(
            evaluation_json(evaluation, version.case_id, version.number), media_type=JSON
        )


class Document(StrEnum):
    protocol = "protocol"
    letter = "letter"


class Format(StrEnum):
    html = "html"
    pdf = "pdf"


_LETTER_SETTINGS = (
    "Die Einstellungen des Patientenbriefs sind ungültig (osteoboard.toml, "
    "OSTEOBOARD_LETTER_*): {detail}",
    "The patient letter's settings are invalid (osteoboard.toml, OSTEOBOARD_LETTER_*): {detail}",
)


def _render(document: Document, fmt: Format, proposal: Proposal, case: Case) -> bytes:
    if document is Document.protocol:
        if fmt is Format.html:
            from osteoboard.render.html import render_protocol_html

            return render_protocol_html(proposal, case).encode()
        from osteoboard.render.protocol import render_protocol_pdf

        return render_protocol_pdf(proposal, case)
    from osteoboard.render.letter import (
        SettingsError,
        load_contact,
        render_letter_html,
        render_letter_pdf,
    )

    try:
        contact = load_contact()
    except SettingsError as exc:
        de, en = _LETTER_SETTINGS
        detail = str(exc)
        raise ApiProblem(
            500, "internal-error", (de.format(detail=detail), en.format(detail=detail))
        ) from None
    if fmt is Format.html:
        return render_letter_html(proposal, case, contact=contact).encode()
    return render_letter_pdf(proposal, case, contact=contact)


@router.get(
    "/evaluations/{evaluation_id}/{document}.{fmt}",
    summary="The board protocol or the patient letter of an evaluation, as HTML or PDF",
    response_class=Response,
    responses={
        200: {
            "content": {"text/html": {}, "application/pdf": {}},
            "description": "The document.",
        },
        **problems_of(401, 403, 404),
    },
)
def evaluation_document(
    evaluation_id: EvaluationId,
    document: Document,
    fmt: Format,
    request: Request,
    actor: CaseReader,
) -> Response:
    """`protocol.html`, `protocol.pdf` (PDF/UA-1), `letter.html`, `letter.pdf`: rendered
    from the stored proposal and the case version it was made for."""
    with store_of(request).read() as session:
        evaluation = service.get_evaluation(session, actor, evaluation_id)
        proposal = Proposal.model_validate_json(evaluation.proposal)
        case = service.case_document(evaluation.case_version)
        pseudonym = case.id
    data = _render(document, fmt, proposal, case)
    media = "text/html; charset=utf-8" if fmt is Format.html else "application/pdf"
    audience = "board" if document is Document.protocol else "patient"
    name = f"{pseudonym}-{evaluation_id}.{audience}.{fmt.value}"
    headers = {"Content-Disposition": f'inline; filename="{name}"'}
    if fmt is Format.html:  # the web pages' policy for a rendered document: its styles only
        from osteoboard.web.security import document_policy

        headers["Content-Security-Policy"] = document_policy(data.decode())
    return Response(data, media_type=media, headers=headers)
