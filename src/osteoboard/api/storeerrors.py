"""The store's errors as problem documents: not found 404, conflict and signed 409,
invalid input 422 (with the field as JSON Pointer), forbidden 403, not authenticated 401,
locked out 429 with ``Retry-After``; a database that cannot be reached 503."""

from __future__ import annotations

from fastapi import FastAPI, Request
from sqlalchemy.exc import OperationalError
from starlette.responses import Response

from osteoboard.api.problems import (
    KIND_OF_STATUS,
    ApiProblem,
    lang_of,
    log_exception,
    problem_response,
)
from osteoboard.store.errors import (
    AuthenticationError,
    LockedOutError,
    SignedError,
    StoreError,
)

__all__ = ["install_store_errors", "store_problem"]


def _pointer(field: str) -> str:
    return "".join(
        "/" + part.replace("~", "~0").replace("/", "~1") for part in field.split(".") if part
    )


def _text(exc: StoreError, lang: str) -> str:
    """The message without its field (the problem names the field apart)."""
    text = exc.message("de" if lang == "de" else "en")
    prefix = f"{exc.field}: " if exc.field else ""
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text


def store_problem(exc: StoreError, lang: str) -> ApiProblem:
    status = exc.status
    kind = (
        "read-only" if isinstance(exc, SignedError) else KIND_OF_STATUS.get(status, "bad-request")
    )
    detail = (exc.message("de"), exc.message("en"))
    headers: dict[str, str] = {}
    extra: dict[str, object] = {}
    if isinstance(exc, LockedOutError):
        headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = 'Bearer realm="osteoboard"'
    if status == 422:
        field = exc.field or ""
        extra["errors"] = [
            {"pointer": _pointer(field), "field": field or "body", "detail": _text(exc, lang)}
        ]
    return ApiProblem(status, kind, detail, extra=extra, headers=headers)


async def _on_store_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoreError)
    return problem_response(request, store_problem(exc, lang_of(request)))


_UNAVAILABLE = (
    "Die Datenbank ist gerade nicht erreichbar; bitte gleich noch einmal versuchen",
    "The database cannot be reached right now; please try again shortly",
)


async def _on_database_down(request: Request, exc: Exception) -> Response:
    """The database refused or dropped the connection: 503, logged by class only."""
    log_exception(exc, "database")
    problem = ApiProblem(503, "service-unavailable", _UNAVAILABLE, headers={"Retry-After": "5"})
    return problem_response(request, problem)


def install_store_errors(app: FastAPI) -> None:
    app.add_exception_handler(StoreError, _on_store_error)
    app.add_exception_handler(OperationalError, _on_database_down)
