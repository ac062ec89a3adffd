"""The FHIR resources of a call: from its prefetch where the client sent them, else fetched
from the client's FHIR server with the bearer token it gave (``fhirAuthorization``).

A prefetch key that is absent, or whose value is an OperationOutcome, is fetched by its
template; ``null`` means the client has no data for it. When a key can neither be read from
the prefetch nor fetched (no ``fhirServer``/``fhirAuthorization``, or the server fails), the
call cannot be answered: :class:`DataUnavailable`, which the service answers with 412.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

__all__ = ["DataUnavailable", "FhirAccess", "gather", "resources_of", "template_url"]

#: search pages followed per prefetch key at most (a page is the server's choice of size)
MAX_PAGES = 20
_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z][A-Za-z0-9]*)\s*\}\}")
_SAFE_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class DataUnavailable(Exception):
    """Prefetch keys the service needs and could not obtain; ``why`` in words (de, en)."""

    def __init__(self, keys: list[str], why: tuple[str, str]) -> None:
        super().__init__(", ".join(keys))
        self.keys = keys
        self.why = why


@dataclass(frozen=True)
class FhirAccess:
    """The client's FHIR server and the token for it, as the call gave them."""

    server: str
    token: str

    @classmethod
    def of(
        cls, fhir_server: str | None, authorization: Mapping[str, Any] | None
    ) -> FhirAccess | None:
        if not fhir_server or not isinstance(authorization, Mapping):
            return None
        token = authorization.get("access_token")
        kind = str(authorization.get("token_type", "Bearer"))
        if not isinstance(token, str) or not token or kind.lower() != "bearer":
            return None
        return cls(fhir_server.rstrip("/") + "/", token)


def template_url(template: str, context: Mapping[str, Any]) -> str:
    """The relative FHIR URL of a prefetch template with its tokens filled from ``context``.

    Only FHIR ids are put in (letters, digits, ``-`` and ``.``): a context value that is not
    one cannot change the query."""

    def fill(match: re.Match[str]) -> str:
        value = context.get(match.group(1))
        if not isinstance(value, str) or not _SAFE_ID.match(value):
            raise ValueError(f"context.{match.group(1)}")
        return value

    return _TOKEN.sub(fill, template)


def _is_outcome(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"


def resources_of(value: Any) -> list[dict[str, Any]]:
    """The resources in one prefetch value: a resource, a Bundle's entries, or nothing."""
    if not isinstance(value, Mapping):
        return []
    if value.get("resourceType") == "Bundle":
        found = []
        for entry in value.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, Mapping) else None
            if isinstance(resource, dict) and not _is_outcome(resource):
                found.append(resource)
        return found
    return [dict(value)] if isinstance(value, dict) and not _is_outcome(value) else []


async def _fetch(
    http: httpx.AsyncClient, access: FhirAccess, relative: str
) -> list[dict[str, Any]]:
    """Read or search ``relative`` on the server, following ``next`` links of a searchset."""
    url = urljoin(access.server, relative)
    origin = urlsplit(access.server)[:2]
    found: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        answer = await http.get(url)
        if answer.status_code == 404 and "?" not in relative:
            return found  # a read of something that is not there: no data
        answer.raise_for_status()
        body = answer.json()
        if not isinstance(body, Mapping):
            raise ValueError("the FHIR server answered with JSON that is not a resource")
        found.extend(resources_of(body))
        link = next(
            (
                item.get("url")
                for item in (body.get("link") or [])
                if isinstance(item, Mapping) and item.get("relation") == "next"
            ),
            None,
        )
        # the token goes to the client's own server only, never to a host a page names
        if not isinstance(link, str) or urlsplit(link)[:2] != origin:
            return found
        url = link
    return found


async def gather(
    templates: Mapping[str, str],
    prefetch: Mapping[str, Any] | None,
    context: Mapping[str, Any],
    access: FhirAccess | None,
    *,
    timeout_s: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[list[dict[str, Any]], list[str]]:
    """All resources for the templates, and the keys that had to be fetched."""
    prefetch = prefetch or {}
    resources: list[dict[str, Any]] = []
    wanted: dict[str, str] = {}
    for key, template in templates.items():
        if key in prefetch and not _is_outcome(prefetch[key]):
            resources.extend(resources_of(prefetch[key]))
            continue
        try:
            wanted[key] = template_url(template, context)
        except ValueError as exc:
            raise DataUnavailable(
                [key],
                (f"{exc} fehlt oder ist keine FHIR-ID", f"{exc} is missing or not a FHIR id"),
            ) from None
    if not wanted:
        return resources, []
    if access is None:
        raise DataUnavailable(
            sorted(wanted),
            (
                "nicht vorab geliefert, und fhirServer mit fhirAuthorization fehlt",
                "not prefetched, and fhirServer with fhirAuthorization is missing",
            ),
        )
    headers = {"Authorization": f"Bearer {access.token}", "Accept": "application/fhir+json"}
    try:
        async with httpx.AsyncClient(
            headers=headers, timeout=timeout_s, transport=transport, follow_redirects=False
        ) as http:
            pages = await asyncio.gather(
                *(_fetch(http, access, relative) for relative in wanted.values())
            )
    except (httpx.HTTPError, ValueError) as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        said = f"HTTP {status}" if status else type(exc).__name__
        raise DataUnavailable(
            sorted(wanted),
            (
                f"vom FHIR-Server nicht abrufbar ({said})",
                f"not fetchable from the FHIR server ({said})",
            ),
        ) from None
    for page in pages:
        resources.extend(page)
    return resources, sorted(wanted)
