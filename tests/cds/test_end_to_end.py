"""End to end against a real FHIR server (the in-memory one of tests/support/fhir_server.py):
a synthetic patient is loaded with a transaction Bundle; the service is called with the
prefetch read from that server, and without any prefetch, when it queries the server itself
with the client's bearer token. Data that can neither be prefetched nor fetched give 412."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from osteoboard.case import Case
from osteoboard.cds.fhirdata import template_url
from osteoboard.cds.service import PREFETCH
from osteoboard.fhir import import_resources
from osteoboard.store.db import Store
from osteoboard.store.permissions import Actor, Role
from osteoboard.store.service import create_case
from tests.cds import bundles
from tests.cds.conftest import ClientKeys
from tests.support.fhir_server import FhirServer, post_transaction, running_fhir_server

PATIENT_VIEW = "/cds-services/osteoboard-patient-view"
ORDER_SIGN = "/cds-services/osteoboard-order-sign"
TOKEN = "fhir-access-token-for-the-cds-service"


@pytest.fixture(scope="module")
def fhir() -> Iterator[FhirServer]:
    """A FHIR server that demands the bearer token the CDS client hands to the service."""
    with running_fhir_server(bearer=TOKEN) as server:
        yield server


def _load(server: FhirServer, bundle: dict[str, Any]) -> str:
    """Load the bundle; the id the server gave the patient."""
    result = post_transaction(server.base_url, bundle, headers=server.headers())
    (patient,) = [
        e["response"]["location"]
        for e in result["entry"]
        if e["response"]["location"].startswith("Patient/")
    ]
    return str(patient.split("/")[1])


def _prefetch_from(server: FhirServer, patient_id: str) -> dict[str, Any]:
    """What a client would prefetch: each template run against its server."""
    out = {}
    with httpx.Client(base_url=server.base_url + "/", headers=server.headers()) as http:
        for key, template in PREFETCH.items():
            answer = http.get(template_url(template, {"patientId": patient_id}))
            assert answer.status_code == 200, answer.text
            out[key] = answer.json()
    return out


def _body(hook: str, patient_id: str, **more: Any) -> dict[str, Any]:
    context = {"userId": "Practitioner/1", "patientId": patient_id}
    context.update(more.pop("context", {}))
    return {"hook": hook, "hookInstance": f"hook-{patient_id}", "context": context, **more}


def _access(server: FhirServer, token: str = TOKEN) -> dict[str, Any]:
    return {
        "fhirServer": server.base_url,
        "fhirAuthorization": {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/*.read",
            "subject": "osteoboard",
        },
    }


def _post(client: TestClient, keys: ClientKeys, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=keys.auth(path))


def test_mscc_patient_with_prefetch_and_without(
    fhir: FhirServer, client: TestClient, client_keys: ClientKeys
) -> None:
    patient_id = _load(fhir, bundles.mscc_bundle())
    with_prefetch = _post(
        client,
        client_keys,
        PATIENT_VIEW,
        _body("patient-view", patient_id, prefetch=_prefetch_from(fhir, patient_id)),
    )
    assert with_prefetch.status_code == 200, with_prefetch.text
    fetched = _post(
        client, client_keys, PATIENT_VIEW, _body("patient-view", patient_id, **_access(fhir))
    )
    assert fetched.status_code == 200, fetched.text
    for answer in (with_prefetch, fetched):
        cards = answer.json()["cards"]
        critical = [c for c in cards if c["indicator"] == "critical"]
        assert len(critical) == 1
        assert "MSCC" in critical[0]["summary"]
    summaries = [c["summary"] for c in with_prefetch.json()["cards"]]
    assert summaries == [c["summary"] for c in fetched.json()["cards"]]


def test_zoledronic_acid_order_without_prefetch_gets_the_dose_warning(
    fhir: FhirServer, client: TestClient, client_keys: ClientKeys
) -> None:
    patient_id = _load(fhir, bundles.renal_bundle())
    draft = bundles.zoledronic_draft(patient_id, dose_mg=4.0)
    body = _body(
        "order-sign",
        patient_id,
        context={"draftOrders": bundles.draft_orders(draft)},
        **_access(fhir),
    )
    answer = _post(client, client_keys, ORDER_SIGN, body)
    assert answer.status_code == 200, answer.text
    card = answer.json()["cards"][0]
    assert card["indicator"] == "warning"
    (action,) = card["suggestions"][0]["actions"]
    dose = action["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert dose["value"] == 3.0


def test_a_prefetch_with_some_keys_fetches_only_the_rest(
    fhir: FhirServer, client: TestClient, client_keys: ClientKeys
) -> None:
    patient_id = _load(fhir, bundles.mscc_bundle())
    prefetch = _prefetch_from(fhir, patient_id)
    del prefetch["observations"]  # the client chose not to satisfy this template
    prefetch["procedures"] = None  # no data
    answer = _post(
        client,
        client_keys,
        PATIENT_VIEW,
        _body("patient-view", patient_id, prefetch=prefetch, **_access(fhir)),
    )
    assert answer.status_code == 200
    assert answer.json()["cards"][0]["indicator"] == "critical"  # the deficit came fetched


def test_412_when_the_data_can_be_neither_prefetched_nor_fetched(
    fhir: FhirServer, client: TestClient, client_keys: ClientKeys
) -> None:
    patient_id = _load(fhir, bundles.mscc_bundle())
    partial = _prefetch_from(fhir, patient_id)
    del partial["conditions"]
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error"}]}
    for body in (
        _body("patient-view", patient_id),  # nothing at all
        _body("patient-view", patient_id, prefetch=partial),  # a key missing, no server
        _body("patient-view", patient_id, prefetch={**partial, "conditions": outcome}),
        _body("patient-view", patient_id, **_access(fhir, token="wrong-token")),  # 401 there
        _body(
            "patient-view",
            patient_id,
            fhirServer="http://127.0.0.1:9",  # nothing listens there
            fhirAuthorization=_access(fhir)["fhirAuthorization"],
        ),
    ):
        answer = _post(client, client_keys, PATIENT_VIEW, body)
        assert answer.status_code == 412, answer.text
        problem = answer.json()
        assert problem["type"] == "urn:osteoboard:problem:precondition-failed"
        assert problem["prefetch"]


def test_a_stored_case_is_linked_to_its_case_page(
    fhir: FhirServer, client: TestClient, client_keys: ClientKeys, store: Store
) -> None:
    patient_id = _load(fhir, bundles.mscc_bundle())
    prefetch = _prefetch_from(fhir, patient_id)
    resources = [r for v in prefetch.values() for r in _entries(v)]
    case: Case = import_resources(resources, patient_id=patient_id).case
    with store.write() as session:
        coordinator = Actor(kind="user", name="anna", role=Role.coordinator)
        case_id = create_case(session, coordinator, case).case_id
    answer = _post(
        client, client_keys, PATIENT_VIEW, _body("patient-view", patient_id, prefetch=prefetch)
    )
    links = {card["links"][0]["url"] for card in answer.json()["cards"]}
    assert links == {f"https://cds.klinik.example/cases/{case_id}"}


def _entries(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict):
        return []
    if value.get("resourceType") == "Bundle":
        return [e["resource"] for e in value.get("entry", [])]
    return [value]


def test_a_server_answering_json_that_is_no_resource_gives_412_not_a_crash(
    fhir: FhirServer, client: TestClient, client_keys: ClientKeys
) -> None:
    import http.server
    import threading

    class ArrayHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"[1, 2, 3]"
            self.send_response(200)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ArrayHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        body = _body(
            "patient-view",
            "p-odd",
            fhirServer=f"http://127.0.0.1:{server.server_address[1]}",
            fhirAuthorization=_access(fhir)["fhirAuthorization"],
        )
        answer = _post(client, client_keys, PATIENT_VIEW, body)
        assert answer.status_code == 412, answer.text
    finally:
        server.shutdown()
        server.server_close()
