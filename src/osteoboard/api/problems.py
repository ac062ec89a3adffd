"""Every error of the API as an RFC 9457 problem document (``application/problem+json``).

A problem has ``type`` (a URN naming the kind of problem), ``title`` (the kind in words),
``status``, ``detail`` (this occurrence in words) and ``instance`` (the request path). Titles
and details are German unless the request's ``Accept-Language`` prefers English. A validation
error (422) lists every problem of the input in ``errors[]``, each with the JSON Pointer of
the field (``/lesions/0/level``; query and path parameters by ``parameter``), the field path
as the command line writes it and what is allowed, in the words of
:mod:`osteoboard.messages`.

An unexpected exception becomes a generic 500 problem; the server log gets the exception's
class and the places in the code it passed through, never its message (which may quote
input).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from osteoboard.caseio import MAX_PROBLEMS, CaseError
from osteoboard.explain import explain, json_pointer
from osteoboard.messages import Lang, Problem, one_line

__all__ = [
    "KIND_OF_STATUS",
    "PROBLEM_JSON",
    "ApiProblem",
    "install_problem_handlers",
    "lang_of",
    "log_exception",
    "problem_response",
]

PROBLEM_JSON = "application/problem+json"
_TYPE_PREFIX = "urn:osteoboard:problem:"

log = logging.getLogger("osteoboard.api")

#: kind of problem -> its title (German, English)
TITLES: dict[str, tuple[str, str]] = {
    "validation-error": ("Ungültige Eingabe", "Invalid input"),
    "bad-request": ("Ungültige Anfrage", "Bad request"),
    "not-found": ("Nicht gefunden", "Not found"),
    "precondition-failed": ("Daten nicht verfügbar", "Data not available"),
    "method-not-allowed": ("Methode nicht erlaubt", "Method not allowed"),
    "not-acceptable": ("Format nicht verfügbar", "Not acceptable"),
    "content-too-large": ("Anfrage zu groß", "Content too large"),
    "unsupported-media-type": ("Nicht unterstütztes Format", "Unsupported media type"),
    "unauthorized": ("Anmeldung erforderlich", "Authentication required"),
    "forbidden": ("Keine Berechtigung", "Forbidden"),
    "csrf-failed": ("CSRF-Prüfung fehlgeschlagen", "CSRF check failed"),
    "conflict": ("Konflikt", "Conflict"),
    "read-only": ("Abgezeichnet: nur lesbar", "Signed off: read-only"),
    "too-many-requests": ("Zu viele Versuche", "Too many attempts"),
    "internal-error": ("Interner Fehler", "Internal error"),
    "service-unavailable": ("Vorübergehend nicht verfügbar", "Service unavailable"),
    "http-error": ("HTTP-Fehler", "HTTP error"),
}

#: detail of a problem -> (German, English); placeholders in braces
DETAILS: dict[str, tuple[str, str]] = {
    "invalid_input": (
        "{count} Problem(e) in der Eingabe; siehe errors",
        "{count} problem(s) in the input; see errors",
    ),
    "no_route": ("Keine Ressource unter {path}", "No resource at {path}"),
    "method": (
        "{method} ist hier nicht erlaubt (erlaubt: {allowed})",
        "{method} is not allowed here (allowed: {allowed})",
    ),
    "too_large": (
        "Der Inhalt der Anfrage ist größer als {limit} Bytes",
        "The request body is larger than {limit} bytes",
    ),
    "media_type": (
        "Inhalt als {expected} senden (erhalten: {got})",
        "Send the body as {expected} (got: {got})",
    ),
    "internal": (
        "Ein unerwarteter Fehler ist aufgetreten; er wurde unter {error_id} protokolliert",
        "An unexpected error occurred; it was logged as {error_id}",
    ),
    "http": ("{text}", "{text}"),
}


def lang_of(request: Request) -> Lang:
    """German unless ``Accept-Language`` ranks English above German."""
    header = request.headers.get("accept-language", "")
    best: tuple[float, Lang] = (0.0, "de")
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in ("de", "en"):
            continue
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > best[0]:
            best = (quality, "en" if primary == "en" else "de")
    return best[1]


def _say(key: str, lang: Lang, params: Mapping[str, Any]) -> str:
    de, en = DETAILS[key]
    return (de if lang == "de" else en).format(**params)


class ApiProblem(StarletteHTTPException):
    """An error the API answers with a problem document.

    ``detail`` is a key of :data:`DETAILS` with its parameters, or a German and English
    text; ``extra`` members are added to the document (RFC 9457 extensions). It is an
    HTTPException, so that it passes unchanged through FastAPI's reading of a body."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str | tuple[str, str],
        *,
        params: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, kind)
        self.status = status
        self.kind = kind
        self.message = detail
        self.params = dict(params or {})
        self.extra = dict(extra or {})
        self.response_headers = dict(headers or {})

    def detail_text(self, lang: Lang) -> str:
        if isinstance(self.message, tuple):
            return self.message[0] if lang == "de" else self.message[1]
        return _say(self.message, lang, self.params)


def problem_document(
    status: int, kind: str, detail: str, instance: str, lang: Lang, **extra: Any
) -> dict[str, Any]:
    de, en = TITLES.get(kind, TITLES["http-error"])
    return {
        "type": _TYPE_PREFIX + kind,
        "title": de if lang == "de" else en,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }


def problem_response(request: Request, problem: ApiProblem) -> Response:
    lang = lang_of(request)
    document = problem_document(
        problem.status,
        problem.kind,
        problem.detail_text(lang),
        request.url.path,
        lang,
        **problem.extra,
    )
    headers = {"Content-Language": lang, **problem.response_headers}
    return JSONResponse(
        document, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers
    )


# --------------------------------------------------------------------------------------------
# Validation errors


def _problem_text(problem: Problem, lang: Lang) -> str:
    """What is wrong and the hints, without the field (which the entry names apart)."""
    text = "; ".join([problem.what.render(lang), *(h.render(lang) for h in problem.hints)])
    return one_line(text, 600)


def _error_entry(err: Mapping[str, Any], problem: Problem, lang: Lang) -> dict[str, Any]:
    loc: tuple[int | str, ...] = tuple(err.get("loc", ()))
    where, rest = (loc[0], loc[1:]) if loc else ("body", ())
    if err.get("type") == "invalid_key" and rest:
        rest = rest[:-1]  # the key is not a field; the block that holds it is
    detail = _problem_text(problem, lang)
    entry: dict[str, Any]
    if where == "body":
        entry = {"pointer": json_pointer(rest), "field": problem.where}
    else:
        entry = {"parameter": str(rest[0]) if rest else str(where), "in": str(where)}
    entry["detail"] = detail
    return entry


def _body_model(request: Request) -> type[BaseModel] | None:
    route = request.scope.get("route")
    field = getattr(route, "body_field", None)
    annotation = getattr(getattr(field, "field_info", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def validation_problem(
    request: Request, errors: Sequence[Mapping[str, Any]], body: Any
) -> Response:
    """422 with every error (the first :data:`MAX_PROBLEMS`), explained as the CLI does."""
    lang = lang_of(request)
    model = _body_model(request)
    shown = list(errors[:MAX_PROBLEMS])
    entries = []
    for err in shown:
        loc = tuple(err.get("loc", ()))
        inner = {**err, "loc": loc[1:]} if loc and loc[0] == "body" else err
        root = "case" if loc and loc[0] == "body" else str(loc[0]) if loc else "body"
        data = body if loc and loc[0] == "body" else None
        problem = explain([inner], model if data is not None else None, data, root=root)[0]
        entries.append(_error_entry(err, problem, lang))
    return _validation_response(request, entries, len(errors), lang)


def _validation_response(
    request: Request, entries: list[dict[str, Any]], total: int, lang: Lang
) -> Response:
    extra: dict[str, Any] = {"errors": entries}
    if total > len(entries):
        extra["more_errors"] = total - len(entries)
    document = problem_document(
        422,
        "validation-error",
        _say("invalid_input", lang, {"count": total}),
        request.url.path,
        lang,
        **extra,
    )
    return JSONResponse(
        document, status_code=422, media_type=PROBLEM_JSON, headers={"Content-Language": lang}
    )


def case_error_problem(request: Request, exc: CaseError) -> Response:
    """422 for a document the case reader refused (bad JSON, duplicate key, too deep …)."""
    lang = lang_of(request)
    entries = [
        {"pointer": "", "field": p.where, "detail": _problem_text(p, lang)} for p in exc.problems
    ]
    return _validation_response(request, entries, len(entries) + exc.more, lang)


# --------------------------------------------------------------------------------------------
# Handlers


#: HTTP status -> the kind of problem it is, unless a more specific kind applies
KIND_OF_STATUS: dict[int, str] = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "content-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    429: "too-many-requests",
    500: "internal-error",
    503: "service-unavailable",
}


def _http_kind(status: int) -> str:
    return KIND_OF_STATUS.get(status, "http-error")


async def _on_api_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiProblem)
    return problem_response(request, exc)


async def _on_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return validation_problem(request, exc.errors(), exc.body)


async def _on_case_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CaseError)
    return case_error_problem(request, exc)


async def _on_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    kind = _http_kind(status)
    headers = dict(exc.headers or {})
    if status == 404:
        problem = ApiProblem(404, kind, "no_route", params={"path": request.url.path})
    elif status == 405:
        allowed = headers.get("Allow", "")
        problem = ApiProblem(
            405, kind, "method", params={"method": request.method, "allowed": allowed}
        )
    else:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        text = exc.detail if isinstance(exc.detail, str) else phrase
        problem = ApiProblem(status, kind, "http", params={"text": one_line(text, 300)})
    problem.response_headers.update(headers)
    return problem_response(request, problem)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiProblem, _on_api_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(CaseError, _on_case_error)
    app.add_exception_handler(StarletteHTTPException, _on_http)


def log_exception(exc: BaseException, error_id: str) -> None:
    """The exception's class and the code it passed through; never its message."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = " <- ".join(
        f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in frames[::-1]
    )
    log.error("unhandled %s (error %s) at %s", type(exc).__name__, error_id, where)
