"""The in-memory FHIR server of the tests answers like a FHIR server: capability statement,
transaction Bundles, read and search by patient, and a bearer token where it demands one."""

from __future__ import annotations

import httpx

from tests.support.fhir_server import post_transaction, running_fhir_server

PATIENT_URN = "urn:uuid:6a0d3b43-52a4-4c62-9a3c-1f2f0b2c7d10"


def _bundle() -> dict[str, object]:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": PATIENT_URN,
                "resource": {"resourceType": "Patient", "gender": "female"},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]},
                    "subject": {"reference": PATIENT_URN},
                    "valueQuantity": {"value": 1.9, "unit": "mg/dL"},
                },
                "request": {"method": "POST", "url": "Observation"},
            },
        ],
    }


def test_metadata_is_a_capability_statement(fhir_server: str) -> None:
    answer = httpx.get(f"{fhir_server}/metadata")
    assert answer.status_code == 200
    body = answer.json()
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"].startswith("4.")
    assert fhir_server.startswith("http://127.0.0.1:")


def test_transaction_then_read_and_search_by_patient(fhir_server: str) -> None:
    result = post_transaction(fhir_server, _bundle())
    assert result["type"] == "transaction-response"
    patient_location = result["entry"][0]["response"]["location"]
    patient_id = patient_location.split("/")[1]
    read = httpx.get(f"{fhir_server}/Patient/{patient_id}")
    assert read.status_code == 200 and read.json()["gender"] == "female"
    # the placeholder reference was rewritten to the new id; a bare id finds it too
    for query in (patient_id, f"Patient/{patient_id}"):
        found = httpx.get(f"{fhir_server}/Observation", params={"patient": query}).json()
        assert found["resourceType"] == "Bundle" and found["type"] == "searchset"
        assert [e["resource"]["subject"]["reference"] for e in found["entry"]] == [
            f"Patient/{patient_id}"
        ]
    assert httpx.get(f"{fhir_server}/Patient/no-such-id").status_code == 404


def test_a_server_with_a_bearer_token_refuses_requests_without_it() -> None:
    with running_fhir_server(bearer="s3cret") as server:
        assert httpx.get(f"{server.base_url}/metadata").status_code == 200
        assert httpx.get(f"{server.base_url}/Patient").status_code == 401
        wrong = {"Authorization": "Bearer other"}
        assert httpx.get(f"{server.base_url}/Patient", headers=wrong).status_code == 401
        created = httpx.post(
            f"{server.base_url}/Patient",
            json={"resourceType": "Patient"},
            headers=server.headers(),
        )
        assert created.status_code == 201
        assert created.headers["location"].startswith("Patient/")
