"""A board's day through the API, on SQLite and on PostgreSQL: log in, store a case, edit
it, evaluate it, read its documents, put it on a meeting's agenda, decide, sign off — and
afterwards nothing of it can change. The logs of the whole day hold no password, no token,
no session id and nothing of the case."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from osteoboard.caseio import load_case
from osteoboard.engine import evaluate
from osteoboard.web.security import document_policy

from .conftest import PASSWORD, People, login, new_client

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROBLEM = "application/problem+json"


def _case() -> dict[str, Any]:
    return load_case(EXAMPLES / "04-lung-mscc-emergency.yaml").model_dump(
        mode="json", exclude_none=True
    )


def _problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    doc: dict[str, Any] = response.json()
    assert doc["type"] == f"urn:osteoboard:problem:{kind}", doc
    return doc


def _secrets_and_case_values(people: People, case: dict[str, Any]) -> list[str]:
    """What must never reach a log line."""
    words = [PASSWORD, *people.tokens.values()]
    words += [str(v) for v in case["primary"].values() if isinstance(v, str) and len(v) > 3]
    words += [case["id"]]
    return words


def test_a_board_day(
    app: Any, people: People, caplog: pytest.LogCaptureFixture, store: Any
) -> None:
    caplog.set_level(logging.DEBUG, logger="osteoboard")
    caplog.set_level(logging.INFO)
    case = _case()
    never_logged = _secrets_and_case_values(people, case)
    coordinator, board, admin = new_client(app), new_client(app), new_client(app)

    # -- log in; a change with the cookie needs the CSRF token
    _problem(coordinator.post("/api/v1/cases", json=case), 401, "unauthorized")
    csrf = login(coordinator, "coordinator")
    cookie = coordinator.cookies.get("osteoboard_session")
    assert cookie
    never_logged += [cookie, csrf]
    session_info = coordinator.get("/api/v1/session").json()
    assert session_info["user"] == "coordinator" and session_info["csrf_token"] == csrf
    _problem(coordinator.post("/api/v1/cases", json=case), 403, "csrf-failed")
    _problem(
        coordinator.post("/api/v1/cases", json=case, headers={"X-CSRF-Token": "wrong"}),
        403,
        "csrf-failed",
    )
    h = {"X-CSRF-Token": csrf}

    # -- store a case, edit it
    created = coordinator.post("/api/v1/cases", json=case, headers=h, params={"note": "Zuweisung"})
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    assert created.headers["location"] == f"/api/v1/cases/{case_id}"
    assert created.json()["version"]["number"] == 1

    listed = coordinator.get("/api/v1/cases", params={"pseudonym": case["id"]}).json()
    assert [c["id"] for c in listed] == [case_id]
    assert coordinator.get("/api/v1/cases", params={"pseudonym": "nobody"}).json() == []
    assert coordinator.get("/api/v1/cases", params={"signed": True}).json() == []

    edited = {**case, "board_date": "2026-12-01"}
    v2 = coordinator.post(
        f"/api/v1/cases/{case_id}/versions",
        json=edited,
        headers=h,
        params={"expected_version": 1, "note": "Boarddatum"},
    )
    assert v2.status_code == 201, v2.text
    assert v2.json()["number"] == 2
    stale = coordinator.post(
        f"/api/v1/cases/{case_id}/versions",
        json=edited,
        headers=h,
        params={"expected_version": 1},
    )
    _problem(stale, 409, "conflict")
    history = coordinator.get(f"/api/v1/cases/{case_id}/versions").json()
    assert [v["number"] for v in history] == [1, 2]
    assert [v["note"] for v in history] == ["Zuweisung", "Boarddatum"]
    assert all(v["author"] == "user:coordinator" for v in history)
    assert coordinator.get(f"/api/v1/cases/{case_id}/versions/1").json()["id"] == case["id"]
    renamed = coordinator.post(
        f"/api/v1/cases/{case_id}/versions", json={**case, "id": "other-1"}, headers=h
    )
    assert _problem(renamed, 422, "validation-error")["errors"][0]["pointer"] == "/id"

    # -- evaluate it (a system with a board member's token)
    with TestClient(app) as system:
        evaluated = system.post(
            f"/api/v1/cases/{case_id}/evaluate", headers=people.bearer("board_member")
        )
    assert evaluated.status_code == 201, evaluated.text
    evaluation = evaluated.json()
    original = load_case(EXAMPLES / "04-lung-mscc-emergency.yaml")
    expected = evaluate(original.model_copy(update={"board_date": dt.date(2026, 12, 1)}))
    assert evaluation["version"] == 2
    assert evaluation["proposal"] == expected.model_dump(mode="json")
    assert evaluation["created_by"] == "token:board_member-system"
    ev_id = evaluation["id"]
    stored = coordinator.get(f"/api/v1/evaluations/{ev_id}").json()
    assert stored == evaluation
    got = coordinator.get(f"/api/v1/cases/{case_id}").json()
    assert got["latest_evaluation"]["id"] == ev_id and got["document"]["board_date"] == "2026-12-01"

    protocol = coordinator.get(f"/api/v1/evaluations/{ev_id}/protocol.html")
    assert protocol.status_code == 200 and protocol.headers["content-type"].startswith("text/html")
    assert "demo-004" in protocol.text
    letter = coordinator.get(f"/api/v1/evaluations/{ev_id}/letter.html")
    assert letter.status_code == 200 and "<html" in letter.text.lower()
    for document in (protocol, letter):  # served on the app's origin: its styles, no script
        policy = document.headers["content-security-policy"]
        assert policy == document_policy(document.text) and "script-src" not in policy
        assert policy.startswith("default-src 'none'; style-src")
    pdf = coordinator.get(f"/api/v1/evaluations/{ev_id}/protocol.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    _problem(coordinator.get(f"/api/v1/evaluations/{ev_id}/protocol.docx"), 422, "validation-error")

    # -- a meeting and its agenda
    meeting = coordinator.post(
        "/api/v1/meetings",
        json={
            "date": "2026-12-01",
            "title": "Knochenboard",
            "disciplines": ["Orthopädie", "Strahlentherapie"],
            "participants": ["Dr. A", "Dr. B"],
        },
        headers=h,
    )
    assert meeting.status_code == 201, meeting.text
    meeting_id = meeting.json()["id"]
    entry = coordinator.post(
        f"/api/v1/meetings/{meeting_id}/agenda", json={"case_id": case_id}, headers=h
    )
    assert entry.status_code == 201, entry.text
    entry_id = entry.json()["id"]
    items = entry.json()["items"]
    assert entry.json()["evaluation_id"] == ev_id and items
    assert [
        c["id"] for c in coordinator.get("/api/v1/cases", params={"meeting": meeting_id}).json()
    ] == [case_id]

    # -- the board decides
    board_csrf = login(board, "board_member")
    never_logged.append(board_csrf)
    bh = {"X-CSRF-Token": board_csrf}
    _problem(
        board.post(
            f"/api/v1/agenda-entries/{entry_id}/decisions",
            json={"item_key": items[0]["key"], "outcome": "rejected"},
            headers=bh,
        ),
        422,
        "validation-error",
    )
    for i, item in enumerate(items):
        outcome = "modified" if i == 0 else "accepted"
        decided = board.post(
            f"/api/v1/agenda-entries/{entry_id}/decisions",
            json={
                "item_key": item["key"],
                "outcome": outcome,
                "reason": "Dosis angepasst" if i == 0 else None,
            },
            headers=bh,
        )
        assert decided.status_code == 200, decided.text
    unknown = board.post(
        f"/api/v1/agenda-entries/{entry_id}/decisions",
        json={"item_key": "NO.SUCH[X]", "outcome": "accepted"},
        headers=bh,
    )
    assert _problem(unknown, 422, "validation-error")["errors"][0]["pointer"] == "/item_key"
    no_reason = board.put(
        f"/api/v1/agenda-entries/{entry_id}/overall",
        json={"text": "Wie vorgeschlagen, ohne SBRT", "guideline_conform": False},
        headers=bh,
    )
    doc = _problem(no_reason, 422, "validation-error")
    assert doc["errors"][0]["pointer"] == "/deviation_reason"
    overall = board.put(
        f"/api/v1/agenda-entries/{entry_id}/overall",
        json={
            "text": "Wie vorgeschlagen, ohne SBRT",
            "guideline_conform": False,
            "deviation_reason": "Patientenwunsch",
        },
        headers=bh,
    )
    assert overall.status_code == 200, overall.text

    # -- sign-off: a person, not a token
    with TestClient(app) as system:
        by_token = system.post(
            f"/api/v1/agenda-entries/{entry_id}/sign-off", headers=people.bearer("board_member")
        )
    _problem(by_token, 403, "forbidden")
    _problem(
        coordinator.post(f"/api/v1/agenda-entries/{entry_id}/sign-off", headers=h), 403, "forbidden"
    )
    signed = board.post(f"/api/v1/agenda-entries/{entry_id}/sign-off", headers=bh)
    assert signed.status_code == 200, signed.text
    assert signed.json()["signed"] and signed.json()["signed_by"] == "user:board_member"

    # -- afterwards: read-only
    for response in (
        board.post(
            f"/api/v1/agenda-entries/{entry_id}/decisions",
            json={"item_key": items[0]["key"], "outcome": "accepted"},
            headers=bh,
        ),
        board.put(
            f"/api/v1/agenda-entries/{entry_id}/overall",
            json={"text": "anders", "guideline_conform": True},
            headers=bh,
        ),
        board.post(f"/api/v1/cases/{case_id}/evaluate", headers=bh),
        coordinator.post(f"/api/v1/cases/{case_id}/versions", json=edited, headers=h),
        coordinator.delete(f"/api/v1/agenda-entries/{entry_id}", headers=h),
        coordinator.delete(f"/api/v1/meetings/{meeting_id}", headers=h),
    ):
        _problem(response, 409, "read-only")
    assert [c["id"] for c in coordinator.get("/api/v1/cases", params={"signed": True}).json()] == [
        case_id
    ]
    assert coordinator.get(f"/api/v1/agenda-entries/{entry_id}").json() == signed.json()

    # -- the audit chain holds; logging out ends the session
    admin_csrf = login(admin, "admin")
    never_logged.append(admin_csrf)
    verified = admin.get("/api/v1/audit/verify").json()
    assert verified["ok"] and verified["rows"] > 10 and verified["problems"] == []
    _problem(coordinator.get("/api/v1/audit/verify"), 403, "forbidden")
    assert coordinator.delete("/api/v1/session", headers=h).status_code == 204
    _problem(coordinator.get("/api/v1/cases"), 401, "unauthorized")

    # -- nothing secret or clinical in any log line
    server = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name == "osteoboard.api.access" for r in server), "the capture is broken"
    for record in server:
        line = record.getMessage()
        for word in never_logged:
            assert word not in line, f"{record.name} logged {word!r}: {line}"
