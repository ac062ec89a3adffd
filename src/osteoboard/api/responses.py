"""The problem responses of an endpoint, for its OpenAPI description."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import Response

from osteoboard.api.problems import KIND_OF_STATUS, PROBLEM_JSON, TITLES

__all__ = ["ProblemDocument", "ValidationProblemDocument", "problems_of"]


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document."""

    type: str = Field(description="URN of the kind of problem, e.g. urn:osteoboard:problem:…")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The request path.")


class FieldError(BaseModel):
    pointer: str | None = Field(
        default=None, description="JSON Pointer of the field in the body, e.g. /lesions/0/level."
    )
    parameter: str | None = Field(default=None, description="A query or path parameter.")
    field: str | None = Field(default=None, description="The field as the CLI names it.")
    detail: str = Field(description="What is wrong and what is allowed.")


class ValidationProblemDocument(ProblemDocument):
    errors: list[FieldError]
    more_errors: int | None = None


def problems_of(*statuses: int) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        kind = KIND_OF_STATUS[status]
        model = ValidationProblemDocument if status == 422 else ProblemDocument
        out[status] = {
            "description": TITLES[kind][1],
            "model": model,
            "content": {PROBLEM_JSON: {}},
        }
    return out


def created(body: str, location: str) -> Response:
    """201 with a JSON body and the new resource's ``Location``."""
    return Response(
        body, status_code=201, media_type="application/json", headers={"Location": location}
    )
