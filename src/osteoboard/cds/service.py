"""The CDS Hooks 2.0 service on the app of ``osteoboard serve``: discovery, the three
services and their feedback endpoint under ``/cds-services``.

Every call carries a client JWT (:mod:`osteoboard.cds.clientauth`). A hook call's FHIR data
come from its prefetch, or from the client's FHIR server (:mod:`osteoboard.cds.fhirdata`);
the FHIR importer turns them into a Case, the engine evaluates it, and the cards are rendered
from the proposal (:mod:`osteoboard.cds.cards`). See docs/cds-hooks.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from osteoboard.api.bodies import require_json
from osteoboard.api.problems import ApiProblem, lang_of
from osteoboard.api.responses import problems_of
from osteoboard.case import BoneModifyingAgent, Case
from osteoboard.cds.cards import order_cards, patient_view_cards
from osteoboard.cds.clientauth import ClientRejected, ClientVerifier, VerifiedClient
from osteoboard.cds.fhirdata import DataUnavailable, FetchLimits, FhirAccess, gather
from osteoboard.cds.orders import check_order, draft_medication_requests, load_order_rules
from osteoboard.cds.settings import CdsSettings
from osteoboard.engine import evaluate
from osteoboard.fhir.errors import FhirImportError
from osteoboard.guideline import KnowledgeBase, load_knowledge_base
from osteoboard.store.db import Store

__all__ = ["OPTIONAL_PREFETCH", "PREFETCH", "SERVICES", "CdsRuntime", "install_cds", "router"]

#: The prefetch templates of every service (FHIR R4 searches by patient, newest first by the
#: R4 date search parameter of each type that has one). The importer reads each of these types.
PREFETCH: dict[str, str] = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}&_sort=-recorded-date",
    "observations": "Observation?patient={{context.patientId}}&_sort=-date",
    "medications": "MedicationRequest?patient={{context.patientId}}&_sort=-authoredon",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}&_sort=-effective",
    "medicationAdministrations": (
        "MedicationAdministration?patient={{context.patientId}}&_sort=-effective-time"
    ),
    "procedures": "Procedure?patient={{context.patientId}}&_sort=-date",
    "devices": "Device?patient={{context.patientId}}",
}
#: Prefetch keys used when the client fills them or its FHIR server answers them, never the
#: reason for a 412: Device (a cardiac implant) has no date search parameter to sort by, and
#: an EHR that prefetches only what it knew before must not be refused for it.
OPTIONAL_PREFETCH = frozenset({"devices"})


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    hook: Literal["patient-view", "order-select", "order-sign"]
    title: tuple[str, str]
    description: tuple[str, str]

    def discovery(self, lang: str) -> dict[str, Any]:
        pick = 0 if lang == "de" else 1
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title[pick],
            "description": self.description[pick],
            "prefetch": PREFETCH,
        }


SERVICES: dict[str, ServiceInfo] = {
    service.id: service
    for service in (
        ServiceInfo(
            "osteoboard-patient-view",
            "patient-view",
            ("osteoboard: Knochenmetastasen", "osteoboard: bone metastases"),
            (
                "Vorschlag für das Tumorboard bei Knochenmetastasen: Notfälle, Warnungen zur "
                "Arzneimittelsicherheit und die Empfehlungen je Fachgebiet.",
                "Tumour-board proposal for bone metastases: emergencies, drug-safety warnings "
                "and the recommendations per discipline.",
            ),
        ),
        ServiceInfo(
            "osteoboard-order-select",
            "order-select",
            (
                "osteoboard: knochenwirksame Therapie (Auswahl)",
                "osteoboard: bone-modifying agent (selection)",
            ),
            (
                "Prüft gewählte Zoledronsäure- oder Denosumab-Verordnungen: Dosis nach "
                "Kreatinin-Clearance, Hypokalzämie, Zahnstatus und Nierenfunktion.",
                "Checks selected zoledronic-acid or denosumab orders: dose by creatinine "
                "clearance, hypocalcaemia, dental status and renal function.",
            ),
        ),
        ServiceInfo(
            "osteoboard-order-sign",
            "order-sign",
            (
                "osteoboard: knochenwirksame Therapie (Unterschrift)",
                "osteoboard: bone-modifying agent (signing)",
            ),
            (
                "Prüft Zoledronsäure- oder Denosumab-Verordnungen vor der Unterschrift: Dosis "
                "nach Kreatinin-Clearance, Hypokalzämie, Zahnstatus und Nierenfunktion.",
                "Checks zoledronic-acid or denosumab orders before signing: dose by creatinine "
                "clearance, hypocalcaemia, dental status and renal function.",
            ),
        ),
    )
}


@dataclass
class CdsRuntime:
    """What the service keeps per app: settings, the JWT verifier, the FHIR transport."""

    settings: CdsSettings
    verifier: ClientVerifier
    fhir_transport: httpx.AsyncBaseTransport | None = None
    stats: dict[str, int] = field(default_factory=dict)


def runtime_of(request: Request) -> CdsRuntime:
    runtime = request.app.state.cds
    assert isinstance(runtime, CdsRuntime)
    return runtime


# -- request bodies (CDS Hooks 2.0) ---------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")  # the spec reserves `extension` and may add fields


class FhirAuthorization(_Body):
    access_token: Annotated[str, Field(min_length=1, max_length=8192)]
    token_type: Literal["Bearer", "bearer"]
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None


class HookRequest(_Body):
    hook: str
    hookInstance: Annotated[str, Field(min_length=1, max_length=200)]
    fhirServer: Annotated[str, Field(max_length=2000)] | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None


class Coding(_Body):
    system: Annotated[str, Field(max_length=500)] | None = None
    code: Annotated[str, Field(min_length=1, max_length=200)]
    display: Annotated[str, Field(max_length=500)] | None = None


class OverrideReason(_Body):
    reason: Coding | None = None
    userComment: Annotated[str, Field(max_length=2000)] | None = None


class AcceptedSuggestion(_Body):
    id: Annotated[str, Field(min_length=1, max_length=64)]


class FeedbackItem(_Body):
    card: Annotated[str, Field(min_length=1, max_length=64)]
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] = Field(default_factory=list, max_length=100)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: datetime


class FeedbackRequest(_Body):
    feedback: Annotated[list[FeedbackItem], Field(min_length=1, max_length=100)]


# -- the endpoints -----------------------------------------------------------------------------


def _lang(request: Request, settings: CdsSettings) -> str:
    asked = request.query_params.get("lang")
    if asked in ("de", "en"):
        return asked
    if "accept-language" in request.headers:
        return lang_of(request)
    return settings.cds_lang


async def _verify(request: Request) -> VerifiedClient:
    runtime = runtime_of(request)
    audience = runtime.settings.audience(request.url.path)
    try:
        return await runtime.verifier.verify(request.headers.get("authorization"), audience)
    except ClientRejected as exc:
        raise ApiProblem(
            401,
            "unauthorized",
            exc.text(),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)  # one call per JSON object of the body: the loop only on a duplicate
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key[:60]!r}")
            seen.add(key)
    return found


class CdsJSONRequest(Request):
    """A request whose JSON body refuses duplicate keys. (The case reader of the REST API,
    which also checks nesting and number lengths of a case document, takes ten times as
    long on a prefetch of FHIR resources; the body limit applies all the same.)"""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body, object_pairs_hook=_unique_keys)
            except (ValueError, RecursionError) as exc:
                what = str(exc).split(":")[0][:120] if isinstance(exc, ValueError) else "too deep"
                raise ApiProblem(
                    422,
                    "validation-error",
                    (f"body: kein gültiges JSON ({what})", f"body: not valid JSON ({what})"),
                ) from None
        return self._json


class CdsRoute(APIRoute):
    """A route that checks the caller's JWT before anything else (media type, body), then
    reads a JSON body (``application/json`` only, else 415)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        wants_body = self.body_field is not None

        async def guarded(request: Request) -> Response:
            request.state.cds_client = await _verify(request)
            if wants_body:
                require_json(request)
            return await handler(CdsJSONRequest(request.scope, request.receive))

        return guarded


def verified_client(request: Request) -> VerifiedClient:
    """The caller, as :class:`CdsRoute` verified it."""
    client = request.state.cds_client
    assert isinstance(client, VerifiedClient)
    return client


Client = Annotated[VerifiedClient, Depends(verified_client)]

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"], route_class=CdsRoute)


@router.get(
    "",
    summary="CDS Hooks discovery",
    responses=problems_of(401),
)
async def discovery(request: Request, client: Client) -> Response:
    """The services with their hooks and prefetch templates."""
    lang = _lang(request, runtime_of(request).settings)
    services = [service.discovery(lang) for service in SERVICES.values()]
    return JSONResponse({"services": services})


def _service(service_id: str) -> ServiceInfo:
    service = SERVICES.get(service_id)
    if service is None:
        known = ", ".join(SERVICES)
        raise ApiProblem(
            404,
            "not-found",
            (
                f"Unbekannter Dienst {service_id!r}; es gibt: {known}",
                f"Unknown service {service_id!r}; there are: {known}",
            ),
        )
    return service


def _invalid(field_name: str, de: str, en: str) -> ApiProblem:
    return ApiProblem(
        422,
        "validation-error",
        (f"{field_name}: {de}", f"{field_name}: {en}"),
        extra={"errors": [{"field": field_name, "detail": en}]},
    )


@dataclass(frozen=True)
class _Work:
    """What a hook call computes off the event loop."""

    service: ServiceInfo
    resources: list[dict[str, Any]]
    patient_id: str
    context: dict[str, Any]
    lang: str
    settings: CdsSettings
    store: Store
    #: the client's FHIR server: absolute references on it are the patient's
    server: str | None = None


def _case_of(work: _Work) -> Case:
    from osteoboard.fhir import import_resources

    result = import_resources(
        work.resources, board_date=date.today(), patient_id=work.patient_id, server=work.server
    )
    return result.case


def _link(work: _Work, case: Case) -> str:
    from osteoboard.store.cdsfeedback import case_id_of

    with work.store.statement() as connection:
        case_id = case_id_of(connection, case.id)
    if case_id is None:
        return work.settings.proposal_url
    return f"{work.settings.public_url}/cases/{case_id}"


def _agent_of(request: dict[str, Any]) -> BoneModifyingAgent | None:
    """The agent a draft MedicationRequest orders (the importer's medication code table)."""
    from osteoboard.fhir.codes import load_fhir_codes

    concept = request.get("medicationCodeableConcept")
    codings = concept.get("coding") if isinstance(concept, dict) else None
    table = load_fhir_codes().medications
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict):
            entry = table.find(coding.get("system"), coding.get("code"))
            if entry is not None:
                return BoneModifyingAgent(entry.agent)
    return None


def _compute(work: _Work) -> list[dict[str, Any]]:
    kb: KnowledgeBase = load_knowledge_base()
    case = _case_of(work)
    link = _link(work, case)
    if work.service.hook == "patient-view":
        return patient_view_cards(evaluate(case, kb), kb, work.lang, link)
    rules = load_order_rules(kb)
    selections = work.context.get("selections") if work.service.hook == "order-select" else None
    cards: list[dict[str, Any]] = []
    for draft in draft_medication_requests(work.context.get("draftOrders"), selections):
        agent = _agent_of(draft)
        if agent is None or agent not in rules.report:
            continue
        cards += order_cards(check_order(case, draft, agent, kb, rules), kb, rules, work.lang, link)
    return cards


def _check_context(service: ServiceInfo, context: dict[str, Any]) -> str:
    patient_id = context.get("patientId")
    if not isinstance(patient_id, str) or not patient_id:
        raise _invalid(
            "context.patientId",
            "muss die FHIR-ID des Patienten sein",
            "must be the patient's FHIR id",
        )
    if service.hook in ("order-select", "order-sign"):
        orders = context.get("draftOrders")
        if not isinstance(orders, dict) or orders.get("resourceType") != "Bundle":
            raise _invalid(
                "context.draftOrders",
                "muss ein FHIR-Bundle der Entwürfe sein",
                "must be a FHIR Bundle of the draft orders",
            )
    if service.hook == "order-select":
        selections = context.get("selections")
        if not isinstance(selections, list) or not all(isinstance(s, str) for s in selections):
            raise _invalid(
                "context.selections",
                "muss eine Liste von Verweisen sein (MedicationRequest/{id})",
                "must be a list of references (MedicationRequest/{id})",
            )
    return patient_id


def _fhir_access(
    body: HookRequest, settings: CdsSettings, client: VerifiedClient
) -> tuple[FhirAccess | None, tuple[str, str] | None]:
    """The call's FHIR server and token when the service may use them for this client;
    otherwise None and, where the call named a server, why it is not asked."""
    access = FhirAccess.of(
        body.fhirServer,
        body.fhirAuthorization.model_dump() if body.fhirAuthorization is not None else None,
    )
    if access is None or body.fhirServer is None:
        return None, None
    trusted = settings.cds_clients.get(client.iss)
    if trusted is not None and trusted.allows_fhir_server(body.fhirServer):
        return access, None
    named = body.fhirServer[:200]
    return None, (
        f"nicht vorab geliefert, und fhirServer {named!r} ist für diesen Client nicht "
        "freigegeben (fhir_servers in OSTEOBOARD_CDS_CLIENTS)",
        f"not prefetched, and fhirServer {named!r} is not allowed for this client "
        "(fhir_servers in OSTEOBOARD_CDS_CLIENTS)",
    )


@router.post(
    "/{service_id}",
    summary="Call a CDS service",
    responses=problems_of(401, 404, 412, 413, 415, 422),
)
async def call_service(
    service_id: str, body: HookRequest, request: Request, client: Client
) -> Response:
    """The cards for the hook's context."""
    runtime = runtime_of(request)
    service = _service(service_id)
    if body.hook != service.hook:
        raise _invalid("hook", f"muss {service.hook!r} sein", f"must be {service.hook!r}")
    patient_id = _check_context(service, body.context)
    access, no_access = _fhir_access(body, runtime.settings, client)
    try:
        resources, fetched = await gather(
            PREFETCH,
            body.prefetch,
            body.context,
            access,
            timeout_s=runtime.settings.cds_fhir_timeout_s,
            limits=FetchLimits(response_bytes=runtime.settings.cds_fhir_max_response_bytes),
            no_access=no_access,
            transport=runtime.fhir_transport,
            optional=OPTIONAL_PREFETCH,
        )
    except DataUnavailable as exc:
        keys = ", ".join(exc.keys)
        raise ApiProblem(
            412,
            "precondition-failed",
            (f"FHIR-Daten {keys}: {exc.why[0]}", f"FHIR data {keys}: {exc.why[1]}"),
            extra={"prefetch": exc.keys},
        ) from None
    runtime.stats["fetched"] = runtime.stats.get("fetched", 0) + (1 if fetched else 0)
    work = _Work(
        service=service,
        resources=resources,
        patient_id=patient_id,
        context=body.context,
        lang=_lang(request, runtime.settings),
        settings=runtime.settings,
        store=request.app.state.store,
        server=body.fhirServer,
    )
    try:
        cards = await run_in_threadpool(_compute, work)
    except FhirImportError as exc:
        # Data that are not valid FHIR: the client's own prefetch (422, naming the resource
        # and element), or what its FHIR server answered (412: the data cannot be used).
        lines_de, lines_en = exc.lines("de"), exc.lines("en")
        raise ApiProblem(
            412 if fetched else 422,
            "precondition-failed" if fetched else "validation-error",
            ("; ".join(lines_de[:10]), "; ".join(lines_en[:10])),
            extra={"errors": [{"field": "prefetch", "detail": line} for line in lines_en[:20]]},
        ) from None
    return JSONResponse({"cards": cards})


@router.post(
    "/{service_id}/feedback",
    summary="Feedback on a service's cards",
    responses=problems_of(401, 404, 413, 415, 422),
)
async def feedback(
    service_id: str, body: FeedbackRequest, request: Request, client: Client
) -> Response:
    """Store what the user did with each card (accepted suggestions, or overridden)."""
    service = _service(service_id)
    store: Store = request.app.state.store
    entries = []
    for item in body.feedback:
        reason = item.overrideReason
        coding = reason.reason.model_dump(exclude_none=True) if reason and reason.reason else None
        if item.outcome == "accepted" and not item.acceptedSuggestions:
            raise _invalid(
                "feedback[].acceptedSuggestions",
                "ist bei outcome 'accepted' nötig",
                "is required with outcome 'accepted'",
            )
        stamp = item.outcomeTimestamp
        entries.append(
            _entry(
                card=item.card,
                outcome=item.outcome,
                accepted=[s.id for s in item.acceptedSuggestions],
                reason=coding,
                comment=reason.userComment if reason else None,
                at=stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC),
            )
        )

    def write() -> int:
        from osteoboard.store.cdsfeedback import record_feedback

        with store.write() as session:
            rows = record_feedback(
                session,
                actor=client.label,
                client=client.iss[:200],
                tenant=client.tenant[:200] if client.tenant else None,
                service_id=service.id,
                entries=entries,
            )
            return len(rows)

    stored = await run_in_threadpool(write)
    return JSONResponse({"stored": stored})


def _entry(
    *,
    card: str,
    outcome: str,
    accepted: list[str],
    reason: dict[str, Any] | None,
    comment: str | None,
    at: datetime,
) -> Any:
    from osteoboard.store.cdsfeedback import FeedbackEntry

    return FeedbackEntry(card, outcome, accepted, reason, comment, at)


def install_cds(
    app: FastAPI,
    settings: CdsSettings | None = None,
    *,
    verifier: ClientVerifier | None = None,
) -> None:
    """Mount the CDS Hooks service on ``app`` (its store is ``app.state.store``)."""
    settings = settings or CdsSettings.from_env()
    app.state.cds = CdsRuntime(settings, verifier or ClientVerifier(settings))
    app.include_router(router)
