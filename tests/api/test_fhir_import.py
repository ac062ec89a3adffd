"""POST /api/v1/fhir/import: the case and its report, stored on request (coordinator), and a
422 problem document naming resource and element for bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from osteoboard.caseio import load_case

from .conftest import People

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUNDLE = json.loads((EXAMPLES / "fhir" / "05-kidney-femur-impending.json").read_text("utf-8"))
URL = "/api/v1/fhir/import?board_date=2026-11-20"


@pytest.fixture(params=["sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    # This file's tests need no PostgreSQL: the store is the same code on both.
    from .conftest import Database

    template, people = request.getfixturevalue("sqlite_template")
    target = tmp_path / "db.sqlite3"
    target.write_bytes(template.read_bytes())
    return Database(f"sqlite:///{target}", people)


def test_import_returns_case_and_report(client: TestClient, people: People) -> None:
    response = client.post(URL, json=BUNDLE, headers=people.bearer("admin"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["case"] == load_case(EXAMPLES / "05-kidney-femur-impending.yaml").model_dump(
        mode="json"
    )
    assert body["report"]["patient"] == "Patient/demo-005"
    assert body["stored"] is None


def test_store_needs_case_write(client: TestClient, people: People) -> None:
    refused = client.post(URL + "&store=true", json=BUNDLE, headers=people.bearer("admin"))
    assert refused.status_code == 403
    stored = client.post(URL + "&store=true", json=BUNDLE, headers=people.bearer("coordinator"))
    assert stored.status_code == 201, stored.text
    case_id = stored.json()["stored"]["id"]
    again = client.get(f"/api/v1/cases/{case_id}", headers=people.bearer("viewer"))
    assert again.status_code == 200


def test_bad_bundle_is_a_422_problem(client: TestClient, people: People) -> None:
    bad = json.loads(json.dumps(BUNDLE))
    observation = next(e["resource"] for e in bad["entry"] if "valueQuantity" in e["resource"])
    observation["valueQuantity"]["value"] = "viel"
    i = [e["resource"] for e in bad["entry"]].index(observation)
    response = client.post(
        URL, json=bad, headers={**people.bearer("coordinator"), "Accept-Language": "en"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert error["field"] == f"[{i}] (Observation/{observation['id']}): valueQuantity.value"
    assert "invalid in FHIR R4B" in error["detail"]
    not_bundle = client.post(URL, json={"resourceType": "Patient"}, headers=people.bearer("admin"))
    assert not_bundle.status_code == 422
    assert "kein Bundle" in not_bundle.json()["errors"][0]["detail"]


def test_a_bundle_larger_than_a_case_file_passes_a_raised_body_limit(
    settings: Any, store: Any, people: People
) -> None:
    """A hospital's bundle outgrows the 1 MB of a case file: with the body limit raised
    (OSTEOBOARD_MAX_BODY_BYTES) the import reads it; above the limit it is a 413."""
    from osteoboard.api import create_app

    padded = json.loads(json.dumps(BUNDLE))
    patient = next(
        e["resource"] for e in padded["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["text"] = {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml">' + "x" * 1_200_000 + "</div>",
    }
    body = json.dumps(padded).encode()
    assert len(body) > 1_200_000
    raised = create_app(settings.model_copy(update={"max_body_bytes": 3_000_000}), store=store)
    with TestClient(raised) as c:
        response = c.post(
            URL,
            content=body,
            headers={**people.bearer("admin"), "Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text[:300]
        assert response.json()["report"]["patient"] == "Patient/demo-005"
    default = create_app(settings, store=store)
    with TestClient(default) as c:
        response = c.post(
            URL,
            content=body,
            headers={**people.bearer("admin"), "Content-Type": "application/json"},
        )
        assert response.status_code == 413
