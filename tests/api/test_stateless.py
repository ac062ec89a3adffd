"""The API without a store: health, knowledge base, stateless evaluation, problem documents,
the body limit and the offline documentation page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from osteoboard.api import Settings, create_app
from osteoboard.caseio import load_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.store.db import Store

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROBLEM = "application/problem+json"


def _case(name: str = "04-lung-mscc-emergency.yaml") -> dict[str, Any]:
    return load_case(EXAMPLES / name).model_dump(mode="json", exclude_none=True)


def _assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    doc: dict[str, Any] = response.json()
    assert doc["type"] == f"urn:osteoboard:problem:{kind}"
    assert doc["status"] == status
    assert doc["title"] and doc["detail"]
    assert doc["instance"] == response.request.url.path
    assert "Traceback" not in response.text
    return doc


def test_health_needs_no_login_and_names_the_knowledge_base(bare_client: TestClient) -> None:
    kb = load_knowledge_base()
    body = bare_client.get("/api/v1/health", headers={"Authorization": ""}).json()
    assert body["status"] == "ok" and body["database"] == "sqlite"
    assert body["knowledge_base"] == {"version": kb.version, "sha256": kb.sha256}


def test_knowledge_base_lists_rules_actions_and_sources_with_an_etag(
    bare_client: TestClient,
) -> None:
    kb = load_knowledge_base()
    response = bare_client.get("/api/v1/knowledge-base")
    body = response.json()
    assert (body["version"], body["sha256"]) == (kb.version, kb.sha256)
    assert [r["id"] for r in body["rules"]] == [r.rule.id for r in kb.rules]
    assert {a["code"] for a in body["actions"]} == set(kb.actions)
    assert set(body["sources"]) == set(kb.sources)
    assert all("note" not in r for r in body["rules"])  # reviewers' notes stay inside
    again = bare_client.get(
        "/api/v1/knowledge-base", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304 and not again.content


@pytest.mark.parametrize(
    "name", ["04-lung-mscc-emergency.yaml", "08-missing-data.yaml", "09-myeloma-relapse.yaml"]
)
def test_evaluate_returns_the_engines_contract(bare_client: TestClient, name: str) -> None:
    response = bare_client.post("/api/v1/evaluate", json=_case(name))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    expected = evaluate(load_case(EXAMPLES / name)).model_dump(mode="json")
    assert response.json() == expected


def test_validation_errors_name_each_field_by_json_pointer_in_german(
    bare_client: TestClient,
) -> None:
    case = _case()
    case["lesions"][0]["level"] = "X9"
    case["patient"]["agee"] = 70
    doc = _assert_problem(bare_client.post("/api/v1/evaluate", json=case), 422, "validation-error")
    assert doc["title"] == "Ungültige Eingabe"
    by_pointer = {e["pointer"]: e for e in doc["errors"]}
    assert set(by_pointer) == {"/lesions/0/level", "/patient/agee"}
    assert by_pointer["/patient/agee"]["detail"] == "unbekanntes Feld; meinten Sie 'age'?"
    assert by_pointer["/lesions/0/level"]["field"] == "lesions[0].level"
    assert "C1–C7, T1–T12, L1–L5 oder S1–S5" in by_pointer["/lesions/0/level"]["detail"]


def test_a_hostile_long_key_is_pointed_at_by_its_block_not_echoed(
    bare_client: TestClient,
) -> None:
    case = _case()
    case["patient"]["k" * 500_000] = 1
    case["patient"]["a/b~\x1b"] = 1
    response = bare_client.post("/api/v1/evaluate", json=case)
    doc = _assert_problem(response, 422, "validation-error")
    assert len(response.content) < 20_000
    pointers = sorted(e["pointer"] for e in doc["errors"])
    assert pointers == ["/patient", "/patient/a~1b~0\x1b"]


def test_english_by_accept_language(bare_client: TestClient) -> None:
    case = _case()
    case["lesions"][0]["type"] = "lyric"
    response = bare_client.post(
        "/api/v1/evaluate", json=case, headers={"Accept-Language": "en-GB,en;q=0.9,de;q=0.5"}
    )
    doc = _assert_problem(response, 422, "validation-error")
    assert doc["title"] == "Invalid input"
    assert response.headers["content-language"] == "en"
    (error,) = doc["errors"]
    assert error["pointer"] == "/lesions/0/type"
    assert error["detail"] == (
        "must be one of 'lytic', 'mixed' or 'blastic' (got 'lyric'); did you mean 'lytic'?"
    )
    german = bare_client.post(
        "/api/v1/evaluate", json=case, headers={"Accept-Language": "en;q=0.3, de"}
    )
    assert german.json()["errors"][0]["detail"].startswith("muss einer dieser Werte sein")


def test_a_body_the_case_reader_refuses_is_a_422_with_its_line(bare_client: TestClient) -> None:
    twice = b'{"id": "a",\n "id": "b"}'
    response = bare_client.post(
        "/api/v1/evaluate", content=twice, headers={"Content-Type": "application/json"}
    )
    doc = _assert_problem(response, 422, "validation-error")
    assert doc["errors"] == [
        {
            "pointer": "",
            "field": "body",
            "detail": "ungültiges JSON in Zeile 2: Schlüssel 'id' kommt zweimal vor",
        }
    ]
    deep = b'{"a": ' * 40 + b"1" + b"}" * 40
    response = bare_client.post(
        "/api/v1/evaluate", content=deep, headers={"Content-Type": "application/json"}
    )
    (error,) = _assert_problem(response, 422, "validation-error")["errors"]
    assert error["detail"] == "ungültiges JSON in Zeile 1: tiefer als 32 Ebenen verschachtelt"
    deeper = b"[" * 100_000 + b"]" * 100_000  # not even a mapping: refused, not a crash
    response = bare_client.post(
        "/api/v1/evaluate", content=deeper, headers={"Content-Type": "application/json"}
    )
    _assert_problem(response, 422, "validation-error")
    not_json = bare_client.post(
        "/api/v1/evaluate", content=b'{"id": ', headers={"Content-Type": "application/json"}
    )
    assert _assert_problem(not_json, 422, "validation-error")["errors"][0]["pointer"] == ""


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"[1, 2]", "ein Fall ist ein Block von Feldern"),
        (b'{"resourceType": "Bundle", "type": "collection"}', "import-fhir"),
        (b'{"case": {"id": "x"}, "required": []}', "'case:'"),
        (b"", "ein Fall ist ein Block von Feldern"),
    ],
    ids=["list", "fhir", "wrapped", "empty"],
)
def test_a_body_that_is_no_case_says_what_it_is_as_the_command_line_does(
    bare_client: TestClient, body: bytes, detail: str
) -> None:
    response = bare_client.post(
        "/api/v1/evaluate", content=body, headers={"Content-Type": "application/json"}
    )
    (error,) = _assert_problem(response, 422, "validation-error")["errors"]
    assert error["field"] == "body" and detail in error["detail"], error
    nested = bare_client.post("/api/v1/evaluate", json={"id": "x", "patient": [1, 2]})
    (error,) = _assert_problem(nested, 422, "validation-error")["errors"]
    assert error["field"] == "patient"
    assert error["detail"].startswith("muss ein Block von Feldern sein"), error


def test_many_errors_are_listed_up_to_the_limit_and_the_rest_counted(
    bare_client: TestClient,
) -> None:
    case = _case()
    case["lesions"] = [{"id": f"L{i}", "region": "spine", "level": "Q"} for i in range(30)]
    doc = _assert_problem(bare_client.post("/api/v1/evaluate", json=case), 422, "validation-error")
    assert len(doc["errors"]) == 20 and doc["more_errors"] == 10


def test_a_body_that_is_not_json_is_415(bare_client: TestClient) -> None:
    response = bare_client.post(
        "/api/v1/evaluate", content=b"id: x", headers={"Content-Type": "text/plain"}
    )
    doc = _assert_problem(response, 415, "unsupported-media-type")
    assert "application/json" in doc["detail"]


def test_yaml_declared_as_json_is_an_error_of_its_json(bare_client: TestClient) -> None:
    # YAML is a superset of JSON, but a body declared JSON is read as JSON only: a client
    # that sends YAML under that type has a bug, and a YAML-only reading (say, ``no`` as
    # false) must not pass unnoticed.
    response = bare_client.post(
        "/api/v1/evaluate",
        content=b"id: x\npatient: {age: 70}\n",
        headers={"Content-Type": "application/json"},
    )
    (error,) = _assert_problem(response, 422, "validation-error")["errors"]
    assert error["field"] == "body" and "JSON" in error["detail"], error
    as_json = bare_client.post(
        "/api/v1/evaluate",
        content=b' \n{"id": "x", "patient": {"age": 70}}',
        headers={"Content-Type": "application/json"},
    )
    assert as_json.status_code == 200, as_json.text


def test_unknown_path_and_method_are_problems(bare_client: TestClient) -> None:
    _assert_problem(bare_client.get("/api/v1/no-such-thing"), 404, "not-found")
    doc = _assert_problem(bare_client.delete("/api/v1/health"), 405, "method-not-allowed")
    assert "GET" in doc["detail"]


def test_body_over_the_limit_is_413_by_length_and_by_counted_stream(
    bare_store: Store, viewer_token: dict[str, str]
) -> None:
    app = create_app(Settings(cookie_secure=False, max_body_bytes=4096), store=bare_store)
    with TestClient(app, headers=viewer_token) as c:
        big = json.dumps({"id": "x", "pad": "y" * 5000}).encode()
        declared = c.post(
            "/api/v1/evaluate", content=big, headers={"Content-Type": "application/json"}
        )
        doc = _assert_problem(declared, 413, "content-too-large")
        assert "4096" in doc["detail"]

        def chunks() -> Any:  # no Content-Length: sent chunked and counted
            for _ in range(10):
                yield b" " * 1000

        streamed = c.post(
            "/api/v1/evaluate", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert "content-length" not in streamed.request.headers
        _assert_problem(streamed, 413, "content-too-large")
        small = c.post("/api/v1/evaluate", json={"id": "x"})
        assert small.status_code == 200


def test_an_unexpected_error_is_a_generic_500_logged_without_its_message(
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    bare_store: Store,
    viewer_token: dict[str, str],
) -> None:
    from osteoboard.api.routers import evaluate as route

    def broken(case: Any) -> Any:
        raise ValueError(f"secret detail of {case.id}")

    monkeypatch.setattr(route, "run", broken)
    app = create_app(Settings(cookie_secure=False), store=bare_store)
    with TestClient(app, raise_server_exceptions=False, headers=viewer_token) as c:
        response = c.post("/api/v1/evaluate", json={"id": "pseudo-77"})
    doc = _assert_problem(response, 500, "internal-error")
    assert "secret" not in response.text and "pseudo-77" not in response.text
    assert doc["error_id"] in doc["detail"]
    assert "ValueError" in caplog.text and doc["error_id"] in caplog.text
    assert "secret detail" not in caplog.text and "pseudo-77" not in caplog.text


def test_openapi_documents_case_in_and_proposal_out(bare_client: TestClient) -> None:
    spec = bare_client.get("/api/openapi.json").json()
    op = spec["paths"]["/api/v1/evaluate"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Case"}
    ok = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/Proposal"}
    assert "application/problem+json" in op["responses"]["422"]["content"]
    assert "security" not in spec["paths"]["/api/v1/health"]["get"]  # no login
    assert set(spec["components"]["securitySchemes"]) == {"token", "session", "csrf"}
    assert {"token": []} in op["security"] and {"session": []} in op["security"]


def test_docs_page_loads_only_local_assets(bare_client: TestClient) -> None:
    page = bare_client.get("/api/docs")
    assert page.status_code == 200
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text) + re.findall(
        r"url: '([^']+)'", page.text
    )
    assert urls, page.text
    for url in urls:
        assert url.startswith("/api/"), f"{url} is not served by the app"
        asset = bare_client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    assert "cdn" not in page.text.lower()
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls)


def test_docs_name_every_endpoint(bare_client: TestClient) -> None:
    """docs/api.md lists every path of the OpenAPI document (parameters by any name)."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    documented = re.sub(r"\{[a-z_]+\}", "{}", text)
    paths = bare_client.get("/api/openapi.json").json()["paths"]
    missing = [
        path
        for path in paths
        if re.sub(r"\{[a-z_]+\}", "{}", path) not in documented
        and not path.endswith("/{document}.{fmt}")
    ]
    assert not missing, f"docs/api.md does not name {missing}"
    assert "/api/v1/evaluations/{id}/protocol.html" in text


def test_a_database_that_cannot_be_reached_is_503(
    caplog: pytest.LogCaptureFixture, viewer_token: dict[str, str]
) -> None:
    from .server import free_port

    nowhere = Store(f"postgresql+psycopg://nobody:secret-pw@127.0.0.1:{free_port()}/none")
    with TestClient(create_app(Settings(cookie_secure=False), store=nowhere)) as c:
        health = c.get("/api/v1/health")
        cases = c.get("/api/v1/cases", headers=viewer_token)
    nowhere.dispose()
    for response in (health, cases):
        doc = _assert_problem(response, 503, "service-unavailable")
        assert response.headers["retry-after"] == "5"
        assert "secret-pw" not in doc["detail"]
    assert "OperationalError" in caplog.text and "secret-pw" not in caplog.text
