"""Fetching one patient's resources from a FHIR server (httpx): ``Patient/{id}/$everything``
where the server's CapabilityStatement offers it, otherwise the Patient and a search per
resource type the import reads. Paged searchsets are followed by their ``next`` links."""

from __future__ import annotations

from typing import Any

import httpx

from osteoboard.fhir.errors import problem
from osteoboard.fhir.loaders import PATIENT_DATA_TYPES, Entry, decode, parse_bundle, parse_json

__all__ = ["SEARCHED_TYPES", "fetch_patient"]

#: Resource types searched by patient when $everything is not offered.
SEARCHED_TYPES = PATIENT_DATA_TYPES
#: Most pages followed per search.
MAX_PAGES = 100
_HEADERS = {"Accept": "application/fhir+json"}


def _get(client: httpx.Client, url: str, params: dict[str, str] | None = None) -> Any:
    try:
        response = client.get(url, params=params, headers=_HEADERS)
    except httpx.HTTPError as exc:
        raise problem(
            url, f"Server nicht erreichbar: {exc}", f"server not reachable: {exc}"
        ) from None
    if response.status_code >= 400:
        raise problem(
            str(response.url),
            f"Server antwortet {response.status_code}",
            f"server answered {response.status_code}",
        )
    # Decoded and read as a file is: UTF-8 only, a key named twice refused.
    return parse_json(decode(response.content, str(response.url)), str(response.url))


def _offers_everything(client: httpx.Client, base: str) -> bool:
    try:
        meta = _get(client, f"{base}/metadata")
    except Exception:  # a server without a readable CapabilityStatement: search instead
        return False
    for rest in meta.get("rest", []) if isinstance(meta, dict) else []:
        for resource in rest.get("resource", []):
            if resource.get("type") == "Patient":
                ops = resource.get("operation", [])
                if any(op.get("name") in ("everything", "patient-everything") for op in ops):
                    return True
        if any(
            op.get("name") in ("everything", "patient-everything")
            for op in rest.get("operation", [])
        ):
            return True
    return False


def _pages(client: httpx.Client, url: str, params: dict[str, str] | None) -> list[Entry]:
    out: list[Entry] = []
    data = _get(client, url, params)
    for page in range(MAX_PAGES + 1):
        if page == MAX_PAGES:
            # Never a case from part of the patient's data.
            raise problem(
                url,
                f"mehr als {MAX_PAGES} Seiten – der Fall würde aus einem Teil der Daten "
                "gebildet; nicht importiert",
                f"more than {MAX_PAGES} pages – the case would be built from part of the "
                "data; not imported",
            )
        out.extend(parse_bundle(data, url, page=True))
        links = data.get("link") if isinstance(data, dict) else None
        nxt = next(
            (
                link.get("url")
                for link in (links if isinstance(links, list) else [])
                if isinstance(link, dict) and link.get("relation") == "next"
            ),
            None,
        )
        if not nxt:
            return out
        data = _get(client, nxt)
    return out


def fetch_patient(
    base_url: str,
    patient_id: str,
    *,
    client: httpx.Client | None = None,
    timeout: float = 30.0,
) -> list[Entry]:
    """Every resource of one patient the import reads, from the server at ``base_url``."""
    base = base_url.rstrip("/")
    own = client is None
    client = client or httpx.Client(timeout=timeout, follow_redirects=True)
    try:
        if _offers_everything(client, base):
            return _dedupe(_pages(client, f"{base}/Patient/{patient_id}/$everything", None))
        patient = _get(client, f"{base}/Patient/{patient_id}")
        if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
            raise problem(f"Patient/{patient_id}", "kein Patient", "not a Patient")
        out = [Entry(patient)]
        for rtype in SEARCHED_TYPES:
            out.extend(_pages(client, f"{base}/{rtype}", {"patient": patient_id, "_count": "200"}))
        return _dedupe(out)
    finally:
        if own:
            client.close()


def _dedupe(entries: list[Entry]) -> list[Entry]:
    """Each resource once (a page boundary or an include may repeat one)."""
    seen: set[tuple[Any, Any]] = set()
    out = []
    for e in entries:
        key = (e.get("resourceType"), e.get("id"))
        if key[1] is not None and key in seen:
            continue
        seen.add(key)
        out.append(e)
    return out
