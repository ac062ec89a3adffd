"""Security basics of the web app: headers and a CSP without 'unsafe-inline', CSRF on every
form, session expiry, and every value of a case escaped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from osteoboard.caseio import load_case
from osteoboard.store import service
from osteoboard.store.db import Store
from osteoboard.store.models import LoginSession, utcnow
from osteoboard.store.permissions import Actor, Role

from .conftest import PASSWORD, ROOT, csrf_of, login_token

MARKUP = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, event-handler attributes,
    style attributes and style elements."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.found.append(f"style attribute on <{tag}>")
            if name.startswith("on"):
                self.found.append(f"{name} on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL in {name}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def test_pages_carry_the_security_headers(client_for: Callable[[str], TestClient]) -> None:
    client = client_for("board")
    for path in ("/login", "/meetings", "/cases", "/cases/4", "/kb"):
        reply = client.get(path)
        assert reply.status_code == 200, path
        policy = reply.headers["content-security-policy"]
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["referrer-policy"] == "no-referrer"
        assert reply.headers["cache-control"] == "no-store"
    api = client.get("/api/v1/health")
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers  # the API's docs page has its own
    # An answer of the request guard (here: a body too large) carries the headers as well.
    big = client.post("/login", content=b"x" * (2 * 1024 * 1024))
    assert big.status_code == 413
    assert big.headers["x-content-type-options"] == "nosniff"


def test_no_page_needs_inline_script_or_style(
    client_for: Callable[[str], TestClient], meeting_id: int
) -> None:
    client = client_for("board")
    for path in (
        "/meetings",
        f"/meetings/{meeting_id}",
        "/cases",
        "/cases/4",
        "/cases/9",
        "/cases/4/history",
        "/kb",
    ):
        assert inline_code(client.get(path).text) == [], path
    assert inline_code(client_for("koordination").get("/cases/new").text) == []
    assert inline_code(client.get("/login").text) == []


def test_a_rendered_document_gets_a_policy_with_exactly_its_styles(
    client_for: Callable[[str], TestClient],
) -> None:
    reply = client_for("board").get("/evaluations/4/protocol.html")
    policy = reply.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "script-src" not in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "'sha256-" in policy


def _post_routes(meeting_id: int) -> list[str]:
    return [
        "/logout",
        "/meetings",
        f"/meetings/{meeting_id}/agenda",
        "/entries/1/remove",
        "/entries/1/move",
        "/cases/new",
        "/cases/1/edit",
        "/cases/1/evaluate",
        "/cases/1/answer",
        "/entries/1/decisions",
        "/entries/1/overall",
        "/entries/1/sign-off",
    ]


@pytest.mark.parametrize("token", [None, "wrong"])
def test_every_form_needs_the_sessions_csrf_token(
    client_for: Callable[[str], TestClient], meeting_id: int, token: str | None
) -> None:
    for person in ("koordination", "board"):
        client = client_for(person)
        for path in _post_routes(meeting_id):
            data = {"csrf_token": token} if token else {}
            reply = client.post(path, data=data, follow_redirects=False)
            assert reply.status_code == 403, (person, path, reply.status_code)
            assert "Sicherheitsprüfung" in reply.text
    # ... and with it the same request goes through.
    client = client_for("board")
    token_ok = csrf_of(client.get("/meetings").text)
    reply = client.post("/cases/1/evaluate", data={"csrf_token": token_ok}, follow_redirects=False)
    assert reply.status_code == 303


def test_login_needs_its_own_token(app: Any) -> None:
    client = TestClient(app)
    reply = client.post(
        "/login", data={"username": "board", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert reply.status_code == 403
    assert "osteoboard_session" not in client.cookies
    reply = client.post(
        "/login",
        data={
            "username": "board",
            "password": "wrong password!",
            "csrf_token": login_token(client),
        },
    )
    assert reply.status_code == 401 and "Benutzername oder Passwort falsch" in reply.text


def test_an_expired_session_leads_to_the_login(
    client_for: Callable[[str], TestClient], store: Store
) -> None:
    client = client_for("board")
    assert client.get("/meetings").status_code == 200
    with store.write() as session:
        session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    reply = client.get("/cases/4", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "/login?next=%2Fcases%2F4&expired=1"
    page = client.get(reply.headers["location"])
    assert "Ihre Sitzung ist abgelaufen" in page.text
    # htmx is told where to go instead of getting the login page swapped in.
    reply = client.get("/cases/4", headers={"HX-Request": "true"}, follow_redirects=False)
    assert reply.headers["HX-Redirect"].startswith("/login?next=")


def test_no_session_no_page(app: Any) -> None:
    client = TestClient(app)
    for path in ("/", "/meetings", "/cases/1", "/kb", "/evaluations/1/protocol.pdf"):
        reply = client.get(path, follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"].startswith("/login"), path


def test_the_next_page_after_login_stays_on_this_site(app: Any) -> None:
    client = TestClient(app)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        reply = client.post(
            "/login",
            data={
                "username": "board",
                "password": PASSWORD,
                "csrf_token": login_token(client),
                "next": target,
            },
            follow_redirects=False,
        )
        assert reply.headers["location"] == "/meetings", target


def _with_markup(store: Store) -> tuple[int, int]:
    """A case whose free texts are markup, on the demo meeting, with decisions."""
    coordinator = Actor(kind="user", name="koordination", role=Role.coordinator, id=1)
    board = Actor(kind="user", name="board", role=Role.board_member, id=2)
    case = load_case(ROOT / "examples" / "01-breast-l2-fracture.yaml")
    data = case.model_dump(mode="json", exclude_none=True)
    data["id"] = "XSS-1"
    data["primary"]["histology"] = MARKUP[:200]
    data["prior_therapy"] = {"planned_therapies": [MARKUP[:80]]}
    from osteoboard.case import Case

    with store.write() as session:
        version = service.create_case(session, coordinator, Case.model_validate(data), note=MARKUP)
        evaluation = service.evaluate_case(session, coordinator, version.case_id)
        meeting = service.list_meetings(session, coordinator)[0]
        entry = service.add_agenda_entry(session, coordinator, meeting.id, version.case_id)
        item = service.proposal_items(service.current_evaluation(session, entry))[0]
        service.record_item_decision(
            session, board, entry.id, item.key, "rejected", reason=MARKUP, text=MARKUP
        )
        service.record_overall_decision(
            session, board, entry.id, MARKUP, False, deviation_reason=MARKUP
        )
        return version.case_id, evaluation.id


def test_every_value_of_a_case_is_escaped(
    client_for: Callable[[str], TestClient], store: Store
) -> None:
    case_id, evaluation_id = _with_markup(store)
    board = client_for("board")
    coordinator = client_for("koordination")
    pages = {
        "case": board.get(f"/cases/{case_id}").text,
        "history": board.get(f"/cases/{case_id}/history").text,
        "form": coordinator.get(f"/cases/{case_id}/edit").text,
        "protocol": board.get(f"/evaluations/{evaluation_id}/protocol.html").text,
    }
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "<img src=x" not in html, name
        assert "&lt;script&gt;alert(" in html, name  # shown as text, not dropped
    # The protocol has its own style element and attributes (allowed by hash); the app's
    # pages have no inline code at all, markup in the case included.
    for name in ("case", "history", "form"):
        assert inline_code(pages[name]) == [], (name, inline_code(pages[name]))


def test_a_forged_field_name_in_the_form_is_an_error_not_a_value(
    client_for: Callable[[str], TestClient],
) -> None:
    client = client_for("koordination")
    token = csrf_of(client.get("/cases/new").text)
    reply = client.post(
        "/cases/new",
        data={"csrf_token": token, "id": "FORGED-1", "patient.age": "70", "patient.agee": "1"},
        follow_redirects=False,
    )
    # Unknown inputs are not read at all: the case is stored without them.
    assert reply.status_code == 303
    case_page = client.get(reply.headers["location"])
    assert "FORGED-1" in case_page.text and "agee" not in case_page.text
