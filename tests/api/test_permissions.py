"""Every endpoint against every role: the status each role gets, as a table.

The table is written out here, not computed from the permission table, so that it states
what each role may do; a second test checks that it names every endpoint of the app, so an
endpoint added without a row fails. Each request gets freshly made objects to act on, and
each role a logged-in session (cookie and CSRF token)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from osteoboard.caseio import load_case
from osteoboard.store import service
from osteoboard.store.db import Store
from osteoboard.store.permissions import Actor, Role

from .conftest import ROLES, People, login, new_client

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CASE = load_case(EXAMPLES / "03-prostate-solitary-psma.yaml")

A, C, B, V = "admin", "coordinator", "board_member", "viewer"
ANON = "anonymous"


@dataclass(frozen=True)
class Row:
    method: str
    template: str
    #: role -> status; roles not named get 403
    allowed: dict[str, int]
    body: Callable[[dict[str, Any]], Any] | None = None
    public: bool = False

    def expected(self, role: str) -> int:
        if role == ANON:
            return self.allowed.get(ANON, 401)
        return self.allowed.get(role, 403)


def every(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def _bundle_body() -> Any:
    return json.loads((EXAMPLES / "fhir" / "03-prostate-solitary-psma.json").read_text("utf-8"))


def _case_body(ids: dict[str, Any]) -> Any:
    return CASE.model_dump(mode="json", exclude_none=True)


TABLE: tuple[Row, ...] = (
    Row("GET", "/api/v1/health", {**every(200), ANON: 200}, public=True),
    Row("GET", "/api/v1/knowledge-base", every(200)),
    Row("POST", "/api/v1/evaluate", every(200), body=_case_body),
    Row("GET", "/api/v1/session", every(200)),
    Row("POST", "/api/v1/cases", {C: 201}, body=_case_body),
    Row("GET", "/api/v1/cases", every(200)),
    Row("GET", "/api/v1/cases/{case_id}", every(200)),
    Row("POST", "/api/v1/cases/{case_id}/versions", {C: 201}, body=_case_body),
    Row("GET", "/api/v1/cases/{case_id}/versions", every(200)),
    Row("GET", "/api/v1/cases/{case_id}/versions/{number}", every(200)),
    Row("POST", "/api/v1/cases/{case_id}/evaluate", {C: 201, B: 201}),
    Row("GET", "/api/v1/cases/{case_id}/evaluations", every(200)),
    Row("GET", "/api/v1/evaluations/{evaluation_id}", every(200)),
    Row("GET", "/api/v1/evaluations/{evaluation_id}/{document}.{fmt}", every(200)),
    Row(
        "POST",
        "/api/v1/meetings",
        {C: 201},
        body=lambda ids: {"date": "2026-12-03", "disciplines": ["Onkologie"]},
    ),
    Row("GET", "/api/v1/meetings", every(200)),
    Row("GET", "/api/v1/meetings/{meeting_id}", every(200)),
    Row("PATCH", "/api/v1/meetings/{meeting_id}", {C: 200}, body=lambda ids: {"title": "neu"}),
    Row("DELETE", "/api/v1/meetings/{meeting_id}", {C: 204}),
    Row(
        "POST",
        "/api/v1/meetings/{meeting_id}/agenda",
        {C: 201},
        body=lambda ids: {"case_id": ids["other_case_id"]},
    ),
    Row("GET", "/api/v1/agenda-entries/{entry_id}", every(200)),
    Row("PATCH", "/api/v1/agenda-entries/{entry_id}", {C: 200}, body=lambda ids: {"position": 1}),
    Row("DELETE", "/api/v1/agenda-entries/{entry_id}", {C: 204}),
    Row(
        "POST",
        "/api/v1/agenda-entries/{entry_id}/decisions",
        {B: 200},
        body=lambda ids: {"item_key": ids["item_key"], "outcome": "accepted"},
    ),
    Row(
        "PUT",
        "/api/v1/agenda-entries/{entry_id}/overall",
        {B: 200},
        body=lambda ids: {"text": "wie vorgeschlagen", "guideline_conform": True},
    ),
    Row("POST", "/api/v1/agenda-entries/{entry_id}/sign-off", {B: 200}),
    Row("POST", "/api/v1/reevaluate", {A: 200, C: 200}, body=lambda ids: {}),
    Row("GET", "/api/v1/audit/verify", {A: 200}),
    Row("POST", "/api/v1/fhir/import", {A: 200, C: 200}, body=lambda ids: _bundle_body()),
)

#: Endpoints covered by their own tests instead (they change the caller's session).
OWN_TESTS = {
    ("POST", "/api/v1/session"),
    ("DELETE", "/api/v1/session"),
    # CDS Hooks: callers are CDS clients with a signed JWT, not roles (tests/cds)
    ("GET", "/cds-services"),
    ("POST", "/cds-services/{service_id}"),
    ("POST", "/cds-services/{service_id}/feedback"),
}


def _fresh(store: Store) -> dict[str, Any]:
    """A case with an evaluation on a meeting's agenda, every item decided, and a second
    case not on any agenda."""
    board = Actor(kind="user", name="board_member", role=Role.board_member, id=None)
    with store.write() as session:
        version = service.create_case(session, SYSTEM_WRITER, CASE)
        other = service.create_case(session, SYSTEM_WRITER, CASE)
        evaluation = service.evaluate_case(session, SYSTEM_WRITER, version.case_id)
        meeting = service.create_meeting(session, SYSTEM_WRITER, dt.date(2026, 12, 3))
        entry = service.add_agenda_entry(session, SYSTEM_WRITER, meeting.id, version.case_id)
        items = service.proposal_items(evaluation)
        for item in items:
            service.record_item_decision(session, board, entry.id, item.key, "accepted")
        service.record_overall_decision(session, board, entry.id, "wie vorgeschlagen", True)
        return {
            "case_id": version.case_id,
            "other_case_id": other.case_id,
            "number": 1,
            "evaluation_id": evaluation.id,
            "document": "protocol",
            "fmt": "html",
            "meeting_id": meeting.id,
            "entry_id": entry.id,
            "item_key": items[0].key,
        }


SYSTEM_WRITER = Actor(kind="system", name="test", role=Role.coordinator)


def test_every_endpoint_against_every_role(app: Any, store: Store, people: People) -> None:
    clients: dict[str, tuple[TestClient, dict[str, str]]] = {}
    for role in ROLES:
        client = new_client(app)
        clients[role] = (client, {"X-CSRF-Token": login(client, role)})
    clients[ANON] = (new_client(app), {})
    failures = []
    shared = _fresh(store)  # reads share one set of objects; each write gets its own
    for row in TABLE:
        for role, (client, headers) in clients.items():
            # A write that should succeed gets objects of its own; a refused one must not
            # touch the shared ones (and would show in its status if it did).
            succeeds = 200 <= row.expected(role) < 300
            ids = _fresh(store) if row.method != "GET" and succeeds else shared
            path = row.template.format(**ids)
            kwargs: dict[str, Any] = {"headers": headers}
            if row.body is not None:
                kwargs["json"] = row.body(ids)
            response = client.request(row.method, path, **kwargs)
            if response.status_code != row.expected(role):
                failures.append(
                    f"{row.method} {row.template} as {role}: {response.status_code}, "
                    f"expected {row.expected(role)}: {response.text[:200]}"
                )
    assert not failures, "\n".join(failures)


def test_the_table_names_every_endpoint(app: Any) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    table = {(row.method, row.template) for row in TABLE} | OWN_TESTS
    assert routes == table


def test_a_token_is_checked_like_a_session(app: Any, people: People) -> None:
    with TestClient(app) as client:
        assert client.get("/api/v1/cases", headers=people.bearer(V)).status_code == 200
        refused = client.post(
            "/api/v1/meetings", json={"date": "2026-12-03"}, headers=people.bearer(V)
        )
        assert refused.status_code == 403
        assert refused.json()["type"] == "urn:osteoboard:problem:forbidden"
        bad = client.get("/api/v1/cases", headers={"Authorization": "Bearer obt_nonsense"})
        assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
        basic = client.get("/api/v1/cases", headers={"Authorization": "Basic eDp5"})
        assert basic.status_code == 401


def test_a_change_with_a_token_needs_no_csrf_token(app: Any, people: People) -> None:
    with TestClient(app) as client:
        response = client.post(
            "/api/v1/cases",
            json=CASE.model_dump(mode="json", exclude_none=True),
            headers=people.bearer(C),
        )
        assert response.status_code == 201
