"""Who is asking, and may they: sessions, tokens, CSRF and the permission table.

A request authenticates in one of two ways:

- ``Authorization: Bearer obt_…`` — an API token of a system (no cookie, so no CSRF check);
- the session cookie set by ``POST /api/v1/session`` (HttpOnly, SameSite=Strict, Secure
  unless ``OSTEOBOARD_COOKIE_SECURE=false``). A state-changing request (POST, PUT, PATCH,
  DELETE) with the cookie must also send the session's CSRF token in the ``X-CSRF-Token``
  header, which only a page of this origin can read (from the login's answer or
  ``GET /api/v1/session``).

Every endpoint names the operation it performs; :func:`permit` refuses it with 403 unless
the role's entry in the store's permission table
(:data:`osteoboard.store.permissions.PERMISSIONS`) allows it — the same table the service
layer checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from osteoboard.api.problems import ApiProblem
from osteoboard.api.stores import store_of
from osteoboard.store.accounts import check_csrf, resolve_session, resolve_token
from osteoboard.store.errors import AuthenticationError
from osteoboard.store.permissions import Actor, Operation, allowed

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "Auditor",
    "Authenticated",
    "Caller",
    "CaseEvaluator",
    "CaseReader",
    "CaseWriter",
    "DecisionWriter",
    "Evaluator",
    "FhirImporter",
    "MeetingReader",
    "MeetingWriter",
    "Reevaluator",
    "Signer",
    "authenticate",
    "permit",
]

COOKIE = "osteoboard_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    """The authenticated caller: the store's actor and how it came."""

    actor: Actor
    via: str  # "token" or "session"
    #: for a session: its CSRF token and end
    csrf_token: str | None = None
    expires_at: datetime | None = None


def _unauthorized(detail: tuple[str, str]) -> ApiProblem:
    return ApiProblem(
        401, "unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="osteoboard"'}
    )


_NO_CREDENTIALS = (
    "Anmeldung erforderlich: Sitzungs-Cookie (POST /api/v1/session) oder "
    "Authorization: Bearer <Token>",
    "Authentication required: a session cookie (POST /api/v1/session) or "
    "Authorization: Bearer <token>",
)
_BAD_SCHEME = (
    "Authorization muss die Form 'Bearer <Token>' haben",
    "Authorization must be 'Bearer <token>'",
)
_CSRF = (
    "Für Änderungen mit Sitzungs-Cookie den CSRF-Token der Sitzung im Header X-CSRF-Token "
    "mitsenden (GET /api/v1/session nennt ihn)",
    "Changes with a session cookie need the session's CSRF token in the X-CSRF-Token "
    "header (GET /api/v1/session returns it)",
)


# Declared for the OpenAPI document (the docs page's "Authorize"); the checks are below.
_TOKEN = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token of a system: osteoboard token create NAME --role ROLE.",
)
_SESSION = APIKeyCookie(
    name=COOKIE,
    auto_error=False,
    scheme_name="session",
    description="The session cookie set by POST /api/v1/session.",
)
_CSRF_TOKEN = APIKeyHeader(
    name=CSRF_HEADER,
    auto_error=False,
    scheme_name="csrf",
    description="With the session cookie, for POST, PUT, PATCH and DELETE: the csrf_token "
    "of POST or GET /api/v1/session.",
)


def authenticate(
    request: Request,
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(_TOKEN)],
    session_id: Annotated[str | None, Depends(_SESSION)],
    csrf: Annotated[str | None, Depends(_CSRF_TOKEN)],
) -> Caller:
    """The caller of a request, or a 401 problem; a cookie without the CSRF token on a
    state-changing request is a 403 problem."""
    cached = request.scope.get("osteoboard.caller")
    if isinstance(cached, Caller):
        return cached
    store = store_of(request)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _unauthorized(_BAD_SCHEME)
        try:
            with store.statement() as connection:
                actor = resolve_token(connection, secret.strip())
        except AuthenticationError as exc:
            raise _unauthorized((exc.message("de"), exc.message("en"))) from None
        caller = Caller(actor, "token")
    else:
        if not session_id:
            raise _unauthorized(_NO_CREDENTIALS)
        try:
            with store.read() as session:
                record, actor = resolve_session(session, session_id)
                csrf_ok = check_csrf(record, csrf)
                csrf_token, expires_at = record.csrf_secret, record.expires_at
        except AuthenticationError as exc:
            raise _unauthorized((exc.message("de"), exc.message("en"))) from None
        if request.method not in _SAFE and not csrf_ok:
            raise ApiProblem(403, "csrf-failed", _CSRF)
        caller = Caller(actor, "session", csrf_token, expires_at)
    request.scope["osteoboard.caller"] = caller
    return caller


def _forbidden(actor: Actor, operation: Operation) -> ApiProblem:
    return ApiProblem(
        403,
        "forbidden",
        (
            f"Die Rolle {actor.role.value} darf {operation.value} nicht",
            f"Role {actor.role.value} may not {operation.value}",
        ),
    )


#: The authenticated caller (any role).
Authenticated = Annotated[Caller, Depends(authenticate)]


def permit(operation: Operation) -> Any:
    """A dependency: the caller's actor, when its role may perform ``operation``."""

    async def check(caller: Authenticated) -> Actor:  # no I/O: no trip to the thread pool
        if not allowed(caller.actor.role, operation):
            raise _forbidden(caller.actor, operation)
        return caller.actor

    check.__name__ = f"permit_{operation.name}"
    return Depends(check)


# The actor of a request whose caller may perform the operation (as a parameter's type).
Evaluator = Annotated[Actor, permit(Operation.evaluate)]
CaseReader = Annotated[Actor, permit(Operation.case_read)]
CaseWriter = Annotated[Actor, permit(Operation.case_write)]
CaseEvaluator = Annotated[Actor, permit(Operation.case_evaluate)]
MeetingReader = Annotated[Actor, permit(Operation.meeting_read)]
MeetingWriter = Annotated[Actor, permit(Operation.meeting_write)]
DecisionWriter = Annotated[Actor, permit(Operation.decision_write)]
Signer = Annotated[Actor, permit(Operation.sign_off)]
Reevaluator = Annotated[Actor, permit(Operation.reevaluate)]
Auditor = Annotated[Actor, permit(Operation.audit_verify)]
FhirImporter = Annotated[Actor, permit(Operation.fhir_import)]
