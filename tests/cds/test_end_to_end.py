"""End to end against a real FHIR server (the in-memory one of tests/support/fhir_server.py):
a synthetic patient is loaded with a transaction Bundle; the service is called with the
prefetch read from that server, and without any prefetch, when it queries the server itself
with the client's bearer token. Data that can neither be prefetched nor fetched give 412."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from osteoboard.case import Case
from osteoboard.cds.fhirdata import DataUnavailable, FhirAccess, gather, template_url
from osteoboard.cds.service import PREFETCH
from osteoboard.fhir import import_resources
from osteoboard.store.db import Store
from osteoboard.store.permissions import Actor, Role
from osteoboard.store.service import create_case
from tests.cds import bundles
from tests.cds.conftest import ClientKeys, cds_settings, run_coroutine
from tests.cds.stub_http import json_answer, running_stub
from tests.support.fhir_server import FhirServer, post_transaction, running_fhir_server

PATIENT_VIEW = "/cds-services/osteoboard-patient-view"
ORDER_SIGN = "/cds-services/osteoboard-order-sign"
TOKEN = "fhir-access-token-for-the-cds-service"


@pytest.fixture(scope="module")
def fhir() -> Iterator[FhirServer]:
    """A FHIR server that demands the bearer token the CDS client hands to the service."""
    with running_fhir_server(bearer=TOKEN) as server:
        yield server


#: a loopback port where nothing listens
NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def client(
    make_client: Callable[..., TestClient], client_keys: ClientKeys, fhir: FhirServer
) -> TestClient:
    """The app, its trusted client allowed to name the test FHIR server (and NOWHERE)."""
    return make_client(cds_settings(client_keys, fhir_servers=(fhir.base_url, NOWHERE)))


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
            fhirServer=NOWHERE,  # nothing listens there
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
    fhir: FhirServer, make_client: Callable[..., TestClient], client_keys: ClientKeys
) -> None:
    with running_stub(lambda path, base: json_answer([1, 2, 3])) as server:
        client = make_client(cds_settings(client_keys, fhir_servers=(server.base_url,)))
        body = _body(
            "patient-view",
            "p-odd",
            fhirServer=server.base_url,
            fhirAuthorization=_access(fhir)["fhirAuthorization"],
        )
        answer = _post(client, client_keys, PATIENT_VIEW, body)
        assert answer.status_code == 412, answer.text
        assert "JSON, das keine Ressource ist" in answer.json()["detail"]
        assert server.requests


# -- complete data from the server -------------------------------------------------------------


def _fetch(server: FhirServer, patient_id: str, templates: dict[str, str]) -> Any:
    return run_coroutine(
        gather(
            templates,
            None,
            {"patientId": patient_id},
            FhirAccess.of(server.base_url, {"access_token": TOKEN}),
            timeout_s=10,
        )
    )


def test_a_search_the_server_answers_in_part_is_refused_not_cut_off(fhir: FhirServer) -> None:
    """The server returns a page of 2 of the patient's 8 observations with a total of 8 and
    no next link: using the 2 as if they were all would be wrong."""
    patient_id = _load(fhir, bundles.mscc_bundle())
    with pytest.raises(DataUnavailable) as refused:
        _fetch(fhir, patient_id, {"observations": PREFETCH["observations"] + "&_count=2"})
    assert refused.value.keys == ["observations"]
    assert refused.value.why[1].startswith("the FHIR server counts 8 matches but gives 2")


def test_every_resource_is_fetched_newest_first(fhir: FhirServer) -> None:
    bundle = bundles.mscc_bundle()
    me = bundle["entry"][0]["fullUrl"]
    for day in range(1, 31):  # a creatinine a day in the month before the recent values
        lab = bundles._lab(me, "2160-0", 1.0 + day / 100, "mg/dL", bundles.RECENT_DAYS + day)
        bundle["entry"].append(
            {"resource": lab, "request": {"method": "POST", "url": "Observation"}}
        )
    patient_id = _load(fhir, bundle)
    resources, fetched = _fetch(fhir, patient_id, PREFETCH)
    assert fetched == sorted(PREFETCH)
    kinds = [r["resourceType"] for r in resources]
    assert kinds.count("Observation") == 38
    assert kinds.count("Patient") == kinds.count("Condition") // 2 == 1
    # newest first, as the template sorts them
    dates = [r["effectiveDateTime"] for r in resources if r["resourceType"] == "Observation"]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("kind", ["MedicationStatement", "MedicationAdministration"])
def test_a_bone_modifying_agent_recorded_as_statement_or_administration_is_fetched(
    fhir: FhirServer, client: TestClient, client_keys: ClientKeys, kind: str
) -> None:
    patient_id = _load(fhir, bundles.on_bone_agent_bundle(kind))
    resources, _ = _fetch(fhir, patient_id, PREFETCH)
    assert [r["resourceType"] for r in resources].count(kind) == 1
    case = import_resources(resources, patient_id=patient_id).case
    assert case.prior_therapy.bone_modifying_agent == "zoledronic_acid"
    # the prefetch a client builds from the templates carries it as well
    prefetch = _prefetch_from(fhir, patient_id)
    key = {"MedicationStatement": "medicationStatements"}.get(kind, "medicationAdministrations")
    assert prefetch[key]["entry"][0]["resource"]["resourceType"] == kind


def test_a_prefetch_in_part_is_fetched_whole_from_an_allowed_server(
    fhir: FhirServer, client: TestClient, client_keys: ClientKeys
) -> None:
    patient_id = _load(fhir, bundles.mscc_bundle())
    prefetch = _prefetch_from(fhir, patient_id)
    first = prefetch["observations"]
    prefetch["observations"] = {**first, "entry": first["entry"][:1], "total": len(first["entry"])}
    body = _body("patient-view", patient_id, prefetch=prefetch)
    refused = _post(client, client_keys, PATIENT_VIEW, body)
    assert refused.status_code == 412, refused.text
    answer = _post(client, client_keys, PATIENT_VIEW, {**body, **_access(fhir)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["cards"][0]["indicator"] == "critical"
