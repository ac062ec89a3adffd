"""Logging in and out: the cookie's flags, the same answer for a wrong name and a wrong
password, lock-out after repeated failures counted in the database (so two worker
processes count together), and a session that ends on logout."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from osteoboard.api import Settings, create_app
from osteoboard.store.db import Store

from .conftest import PASSWORD, People, login, new_client


def test_login_sets_a_strict_http_only_cookie(store: Store, people: People) -> None:
    app = create_app(Settings(cookie_secure=True, session_minutes=30), store=store)
    with TestClient(app, base_url="https://testserver") as client:
        response = client.post("/api/v1/session", json={"username": "viewer", "password": PASSWORD})
        assert response.status_code == 200, response.text
        cookie = response.headers["set-cookie"]
        flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "secure", "samesite", "max-age", "path"} <= flags
        assert "samesite=strict" in cookie.lower() and "max-age=1800" in cookie.lower()
        body = response.json()
        assert body["user"] == "viewer" and body["role"] == "viewer" and body["csrf_token"]
        assert response.headers["cache-control"] == "no-store"
        assert client.get("/api/v1/session").json()["csrf_token"] == body["csrf_token"]


def test_wrong_name_and_wrong_password_get_the_same_answer(app: Any, people: People) -> None:
    with TestClient(app) as client:
        wrong_password = client.post(
            "/api/v1/session", json={"username": "viewer", "password": "not the password"}
        )
        no_such_user = client.post(
            "/api/v1/session", json={"username": "nobody", "password": "not the password"}
        )
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert wrong_password.json()["detail"] == no_such_user.json()["detail"]
    assert "set-cookie" not in wrong_password.headers


def test_failed_logins_lock_the_name_across_workers(store: Store, people: People) -> None:
    settings = Settings(cookie_secure=False, login_max_failures=3, login_window_minutes=10)
    # Two apps on one database stand for two worker processes.
    first, second = (TestClient(create_app(settings, store=store)) for _ in range(2))
    bad = {"username": "coordinator", "password": "guessing-guessing"}
    assert first.post("/api/v1/session", json=bad).status_code == 401
    assert second.post("/api/v1/session", json=bad).status_code == 401
    assert first.post("/api/v1/session", json=bad).status_code == 401
    for client in (first, second):
        locked = client.post(
            "/api/v1/session", json={"username": "coordinator", "password": PASSWORD}
        )
        assert locked.status_code == 429, locked.text
        assert locked.json()["type"] == "urn:osteoboard:problem:too-many-requests"
        assert 0 < int(locked.headers["retry-after"]) <= 600
    # Another name is not locked.
    assert login(first, "viewer")


def test_logout_needs_the_csrf_token_and_ends_the_session(app: Any, people: People) -> None:
    client = new_client(app)
    csrf = login(client, "viewer")
    cookie = client.cookies.get("osteoboard_session")
    refused = client.delete("/api/v1/session")
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:osteoboard:problem:csrf-failed"
    done = client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})
    assert done.status_code == 204
    assert "max-age=0" in done.headers["set-cookie"].lower()
    replay = new_client(app)
    replay.cookies.set("osteoboard_session", cookie or "")
    assert replay.get("/api/v1/session").status_code == 401


def test_a_token_has_no_session(app: Any, people: People) -> None:
    with TestClient(app) as client:
        response = client.get("/api/v1/session", headers=people.bearer("viewer"))
    assert response.status_code == 404
    assert response.json()["type"] == "urn:osteoboard:problem:not-found"


def test_login_body_is_checked(app: Any, people: People) -> None:
    with TestClient(app) as client:
        response = client.post("/api/v1/session", json={"username": "viewer"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["pointer"] == "/password"
