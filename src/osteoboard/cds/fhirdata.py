"""The FHIR resources of a call: from its prefetch where the client sent them, else fetched
from the client's FHIR server with the bearer token it gave (``fhirAuthorization``).

A prefetch key that is absent, whose value is an OperationOutcome, or whose searchset is
only a part of the result (a ``next`` page, or a ``total`` above its matches) is fetched by its
template; ``null`` means the client has no data for it. When a key can neither be read from
the prefetch nor fetched completely (no ``fhirServer``/``fhirAuthorization``, a server the
client may not name, the server fails, or an answer exceeds a limit), the call cannot be
answered: :class:`DataUnavailable`, which the service answers with 412. A part of the data is
never used as if it were all of it.

Limits per call (:class:`FetchLimits`), those of the FHIR import where they exist: each answer
is read as a stream and stopped at ``response_bytes``; all answers together at the import's
input limit (``MAX_INPUT_BYTES``); prefetched and fetched resources together at the import's
resource limit (``MAX_RESOURCES``); a search at the CLI's page limit (``MAX_PAGES``). Redirects
are not followed, and a ``next`` page is fetched only below the call's ``fhirServer``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import httpx

from osteoboard.cds.settings import FhirBase
from osteoboard.fhir.client import MAX_PAGES
from osteoboard.fhir.importer import MAX_RESOURCES
from osteoboard.fhir.loaders import MAX_INPUT_BYTES

__all__ = [
    "DataUnavailable",
    "FetchLimits",
    "FhirAccess",
    "gather",
    "incomplete",
    "resources_of",
    "template_url",
]

#: page size the service asks for in its own searches (``_count``; a server may give fewer)
PAGE_SIZE = 1000
_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z][A-Za-z0-9]*)\s*\}\}")
_SAFE_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


class DataUnavailable(Exception):
    """Prefetch keys the service needs and could not obtain; ``why`` in words (de, en)."""

    def __init__(self, keys: list[str], why: tuple[str, str]) -> None:
        super().__init__(", ".join(keys))
        self.keys = keys
        self.why = why


@dataclass(frozen=True)
class FetchLimits:
    """How much of a client's FHIR data the service reads for one call."""

    #: largest body of one answer of the FHIR server
    response_bytes: int = 20_000_000
    #: all answers of one call together (the FHIR import's input limit)
    total_bytes: int = MAX_INPUT_BYTES
    #: prefetched and fetched resources of one call together (the FHIR import's limit)
    resources: int = MAX_RESOURCES
    #: pages followed per search
    pages: int = MAX_PAGES


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


class _Refused(Exception):
    """An answer the service does not use; ``why`` in words (de, en)."""

    def __init__(self, de: str, en: str) -> None:
        super().__init__(en)
        self.why = (de, en)


class _KeyFailed(Exception):
    def __init__(self, key: str, why: tuple[str, str]) -> None:
        super().__init__(key)
        self.key = key
        self.why = why


def _number(n: int) -> tuple[str, str]:
    return f"{n:,}".replace(",", "."), f"{n:,}"


@dataclass
class _Budget:
    """What the answers of one call have used so far of the limits."""

    limits: FetchLimits
    bytes: int = 0
    resources: int = 0

    def read(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.limits.total_bytes:
            de, en = _number(self.limits.total_bytes)
            raise _Refused(
                f"die Antworten des FHIR-Servers sind zusammen größer als {de} Bytes",
                f"the FHIR server's answers together are larger than {en} bytes",
            )

    def count(self, n: int) -> None:
        self.resources += n
        if self.resources > self.limits.resources:
            de, en = _number(self.limits.resources)
            raise _Refused(
                f"mehr als {de} Ressourcen: für einen Patienten zu viele",
                f"more than {en} resources: too many for one patient",
            )


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


def _next_link(bundle: Mapping[str, Any]) -> str | None:
    links = bundle.get("link")
    for item in links if isinstance(links, list) else []:
        if isinstance(item, Mapping) and item.get("relation") == "next":
            url = item.get("url")
            return url if isinstance(url, str) and url else None
    return None


def _matches(value: Mapping[str, Any]) -> int:
    """The search matches of a Bundle (entries not marked as include or outcome)."""
    entries = value.get("entry")
    count = 0
    for entry in entries if isinstance(entries, list) else []:
        search = entry.get("search") if isinstance(entry, Mapping) else None
        mode = search.get("mode") if isinstance(search, Mapping) else None
        count += mode in (None, "match")
    return count


def _total(value: Mapping[str, Any]) -> int | None:
    total = value.get("total")
    return total if isinstance(total, int) and not isinstance(total, bool) else None


def incomplete(value: Any) -> bool:
    """Whether a prefetched value is only part of its search's result: a searchset Bundle with
    a ``next`` page, or whose ``total`` is more than the matches it holds."""
    if not isinstance(value, Mapping) or value.get("resourceType") != "Bundle":
        return False
    total = _total(value)
    return _next_link(value) is not None or (total is not None and total > _matches(value))


_NOT_FOUND = object()
_TRUNCATED = (
    "unvollständige Daten werden nicht verwendet",
    "incomplete data are not used",
)


async def _get_json(
    http: httpx.AsyncClient, url: str, budget: _Budget, *, read: bool = False
) -> Any:
    """The JSON body of ``GET url``, read as a stream up to the limits (with ``read``:
    :data:`_NOT_FOUND` when the server answers 404, there is no such resource)."""
    cap = budget.limits.response_bytes
    de, en = _number(cap)
    too_large = (
        f"eine Antwort des FHIR-Servers ist größer als {de} Bytes "
        "(OSTEOBOARD_CDS_FHIR_MAX_RESPONSE_BYTES)",
        f"an answer of the FHIR server is larger than {en} bytes "
        "(OSTEOBOARD_CDS_FHIR_MAX_RESPONSE_BYTES)",
    )
    async with http.stream("GET", url) as answer:
        if read and answer.status_code == 404:
            return _NOT_FOUND
        answer.raise_for_status()  # any other status than 2xx, redirects included
        declared = answer.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _Refused(*too_large)
        body = bytearray()
        async for chunk in answer.aiter_bytes():
            body += chunk
            if len(body) > cap:
                raise _Refused(*too_large)
            budget.read(len(chunk))
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise _Refused(
            "der FHIR-Server antwortet nicht mit JSON", "the FHIR server does not answer JSON"
        ) from None


def _with_count(relative: str) -> str:
    if "?" not in relative or re.search(r"[?&]_count=", relative):
        return relative
    return f"{relative}&_count={PAGE_SIZE}"


async def _fetch(
    http: httpx.AsyncClient, access: FhirAccess, relative: str, budget: _Budget
) -> list[dict[str, Any]]:
    """Read or search ``relative`` on the server, following every ``next`` page of a
    searchset; :class:`_Refused` when the result cannot be had whole."""
    base = FhirBase.parse(access.server)
    url = urljoin(access.server, _with_count(relative))
    found: list[dict[str, Any]] = []
    matched = 0
    for page_number in range(budget.limits.pages):
        body = await _get_json(http, url, budget, read=page_number == 0 and "?" not in relative)
        if body is _NOT_FOUND:
            return found  # a read of something that is not there: no data
        if not isinstance(body, Mapping):
            raise _Refused(
                "der FHIR-Server antwortet mit JSON, das keine Ressource ist",
                "the FHIR server answered with JSON that is not a resource",
            )
        page = resources_of(body)
        budget.count(len(page))
        found.extend(page)
        if body.get("resourceType") != "Bundle":
            return found
        matched += _matches(body)
        link = _next_link(body)
        if link is None:
            total = _total(body)
            if total is not None and total > matched:
                raise _Refused(
                    f"der FHIR-Server nennt {total} Treffer, liefert aber {matched}; "
                    + _TRUNCATED[0],
                    f"the FHIR server counts {total} matches but gives {matched}; " + _TRUNCATED[1],
                )
            return found
        url = urljoin(url, link)
        try:
            below = base.covers(FhirBase.parse(url, query=True))
        except ValueError:
            below = False
        # the token goes to the client's own server only, never to a host a page names
        if not below:
            raise _Refused(
                "die nächste Seite der Suche liegt nicht unter fhirServer; " + _TRUNCATED[0],
                "the search's next page is not below fhirServer; " + _TRUNCATED[1],
            )
    raise _Refused(
        f"die Suche hat mehr als {budget.limits.pages} Seiten; " + _TRUNCATED[0],
        f"the search has more than {budget.limits.pages} pages; " + _TRUNCATED[1],
    )


_NO_ACCESS = (
    "nicht vorab geliefert, und fhirServer mit fhirAuthorization fehlt",
    "not prefetched, and fhirServer with fhirAuthorization is missing",
)


def _valid(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The resources of an optional key that are valid FHIR R4B: one that is not is left out
    (a required key's would refuse the call, an optional one's never does)."""
    from osteoboard.fhir.errors import FhirImportError
    from osteoboard.fhir.r4b import parse_resource

    kept = []
    for resource in resources:
        try:
            parse_resource(resource, "")
        except FhirImportError:
            continue
        kept.append(resource)
    return kept


async def gather(
    templates: Mapping[str, str],
    prefetch: Mapping[str, Any] | None,
    context: Mapping[str, Any],
    access: FhirAccess | None,
    *,
    timeout_s: float,
    limits: FetchLimits | None = None,
    no_access: tuple[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    optional: Collection[str] = (),
) -> tuple[list[dict[str, Any]], list[str]]:
    """All resources for the templates, and the keys that had to be fetched.

    ``no_access``: why the server cannot be asked when ``access`` is None (default: no
    ``fhirServer`` with ``fhirAuthorization``). ``optional``: keys used when the client
    prefetched them (even in part) or its server answers them, and left out otherwise: never
    the reason for a refusal."""
    prefetch = prefetch or {}
    budget = _Budget(limits or FetchLimits())
    resources: list[dict[str, Any]] = []
    used: list[str] = []
    wanted: dict[str, str] = {}
    partial: list[str] = []
    for key, template in templates.items():
        if key in prefetch and not _is_outcome(prefetch[key]):
            if key in optional:
                resources.extend(_valid(resources_of(prefetch[key])))
                used.append(key)
                continue
            if not incomplete(prefetch[key]):
                resources.extend(resources_of(prefetch[key]))
                used.append(key)
                continue
            partial.append(key)
        if key in optional and access is None:
            continue
        try:
            wanted[key] = template_url(template, context)
        except ValueError as exc:
            raise DataUnavailable(
                [key],
                (f"{exc} fehlt oder ist keine FHIR-ID", f"{exc} is missing or not a FHIR id"),
            ) from None
    try:
        budget.count(len(resources))
    except _Refused as exc:
        raise DataUnavailable(used, exc.why) from None
    if not wanted:
        return resources, []
    if access is None:
        why = no_access or _NO_ACCESS
        if partial:
            why = (
                f"{', '.join(partial)} nur teilweise vorab geliefert; {why[0]}",
                f"{', '.join(partial)} prefetched only in part; {why[1]}",
            )
        raise DataUnavailable(sorted(wanted), why)
    headers = {"Authorization": f"Bearer {access.token}", "Accept": "application/fhir+json"}

    got: dict[str, int] = {}

    async def fetch(key: str, relative: str) -> list[dict[str, Any]]:
        if key in optional:
            # Its own budget (of the same size): an optional key never refuses the call.
            try:
                found = _valid(await _fetch(http, access, relative, _Budget(budget.limits)))
            except (_Refused, httpx.HTTPError, httpx.InvalidURL, ValueError):
                return []
            got[key] = len(found)
            return found
        try:
            return await _fetch(http, access, relative, budget)
        except _Refused as exc:
            raise _KeyFailed(key, exc.why) from None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            said = f"HTTP {status}" if status else type(exc).__name__
            raise _KeyFailed(
                key,
                (
                    f"vom FHIR-Server nicht abrufbar ({said})",
                    f"not fetchable from the FHIR server ({said})",
                ),
            ) from None

    try:
        async with (
            httpx.AsyncClient(
                headers=headers, timeout=timeout_s, transport=transport, follow_redirects=False
            ) as http,
            asyncio.TaskGroup() as group,
        ):
            tasks = [group.create_task(fetch(key, url)) for key, url in wanted.items()]
    except ExceptionGroup as failures:
        failed = [e for e in failures.exceptions if isinstance(e, _KeyFailed)]
        if len(failed) != len(failures.exceptions):
            raise
        raise DataUnavailable([failed[0].key], failed[0].why) from None
    for task in tasks:
        resources.extend(task.result())
    # The keys whose data came from the server: an optional key only when it brought some.
    return resources, sorted(k for k in wanted if k not in optional or got.get(k))
