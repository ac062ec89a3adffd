"""Request bodies read as the command line reads case files.

A JSON body goes through :func:`osteoboard.caseio.read_document`, so the API refuses what
the command line refuses (duplicate keys, nesting deeper than 32 levels, numbers with too
many digits, NUL characters) with the same one-line messages, as a 422 problem. A body
endpoint accepts ``application/json`` (or ``…+json``) only: anything else is a 415 problem,
and a body so declared is read as JSON only (YAML under that type is a 422).
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from osteoboard.api.problems import ApiProblem
from osteoboard.case import Case
from osteoboard.caseio import (
    MAX_DOCUMENT_BYTES,
    CaseError,
    check_case_document,
    decode_utf8,
    read_document,
)

__all__ = [
    "BundleJSONRequest",
    "BundleRoute",
    "CaseJSONRequest",
    "DocumentProblem",
    "StrictJSONRequest",
    "StrictRoute",
    "is_json",
    "require_json",
]


class DocumentProblem(ApiProblem):
    """A body the case reader refused; answered as a 422 with its problems."""

    def __init__(self, error: CaseError) -> None:
        super().__init__(422, "validation-error", ("", ""))
        self.error = error


class StrictJSONRequest(Request):
    def document_limit(self) -> int:
        """Longest body read as a document: a case file's limit."""
        return MAX_DOCUMENT_BYTES

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                text = decode_utf8(body, "body")
                self._json = read_document(
                    text, name="body", limit=self.document_limit(), json_only=True
                )
            except CaseError as exc:
                raise DocumentProblem(exc) from None
        return self._json


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def require_json(request: Request) -> None:
    """415 unless the request says its body is JSON (``application/json`` or ``…+json``)."""
    if not is_json(request.headers.get("content-type")):
        raise ApiProblem(
            415,
            "unsupported-media-type",
            "media_type",
            params={
                "expected": "application/json",
                "got": request.headers.get("content-type", "–")[:100],
            },
        )


class CaseJSONRequest(StrictJSONRequest):
    """A case: also refused, as the command line refuses it, when the body is no case at all
    (a list, a FHIR resource, a case wrapped under ``case:``, nothing)."""

    async def json(self) -> Any:
        data = await super().json()
        try:
            check_case_document(data, "body")
        except CaseError as exc:
            raise DocumentProblem(exc) from None
        return data


class BundleJSONRequest(StrictJSONRequest):
    """A FHIR Bundle: as long as the configured body limit allows (a hospital's bundle
    outgrows a case file's limit; the limit itself is checked before, with a 413)."""

    def document_limit(self) -> int:
        settings = getattr(self.app.state, "settings", None)
        configured = getattr(settings, "max_body_bytes", MAX_DOCUMENT_BYTES)
        return max(MAX_DOCUMENT_BYTES, int(configured))


class StrictRoute(APIRoute):
    """A route whose JSON body is read strictly, and whose body must be JSON."""

    request_class: type[StrictJSONRequest] = StrictJSONRequest

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        wants_body = self.body_field is not None
        field_info = getattr(self.body_field, "field_info", None)
        case_body = getattr(field_info, "annotation", None) is Case
        request_class = CaseJSONRequest if case_body else self.request_class

        async def strict_handler(request: Request) -> Response:
            if wants_body:
                require_json(request)
            strict = request_class(request.scope, request.receive)
            if case_body:
                await strict.json()  # an empty body too is read as the command line reads it
            return await handler(strict)

        return strict_handler


class BundleRoute(StrictRoute):
    """A StrictRoute for FHIR Bundles (:class:`BundleJSONRequest`)."""

    request_class = BundleJSONRequest
