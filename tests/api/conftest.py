"""Fixtures of the API tests: an app on its own settings and store, clients for it, and the
people and systems that use it (one user and one token per role).

Tests that touch the database run twice: on a SQLite file and on a real PostgreSQL (the
server of ``tests/support/postgres.py``). Each test gets a fresh database copied from one
migrated once per session.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette's test client asks for the httpx2 fork; httpx works the same for it.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from osteoboard.api import Settings, create_app
from osteoboard.store.accounts import create_token, create_user
from osteoboard.store.db import Store
from osteoboard.store.permissions import SYSTEM, Role

ROLES = tuple(r.value for r in Role)
PASSWORD = "correct horse battery staple"
_PG_TEMPLATE = "api_template"


@pytest.fixture
def settings() -> Settings:
    return Settings(cookie_secure=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api-template") / "template.sqlite3"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    store.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: Any) -> str:
    url = postgres_server.create_database(_PG_TEMPLATE)
    store = Store(url)
    store.upgrade()
    store.dispose()
    return _PG_TEMPLATE


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, migrated database of either kind."""
    if request.param == "sqlite":
        path = tmp_path / "osteoboard.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    url: str = server.create_database(template=template)
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store(database_url)
    yield s
    s.dispose()


@dataclass
class People:
    """One user (password :data:`PASSWORD`) and one API token per role."""

    tokens: dict[str, str] = field(default_factory=dict)

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def people(store: Store) -> People:
    out = People()
    with store.write() as session:
        for role in ROLES:
            create_user(session, SYSTEM, role, role, PASSWORD)
            out.tokens[role] = create_token(session, SYSTEM, f"{role}-system", role).secret
    return out


@pytest.fixture
def app(settings: Settings, store: Store) -> Any:
    return create_app(settings, store=store)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def new_client(app: Any) -> TestClient:
    """A second browser: its own cookie jar."""
    return TestClient(app)


def login(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Log in with the session cookie; returns the CSRF token."""
    response = client.post("/api/v1/session", json={"username": user, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


@pytest.fixture
def bare_store(sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    """A migrated SQLite store with one viewer token, for the endpoints that only read the
    engine (health, knowledge base, evaluate)."""
    path = tmp_path / "bare.sqlite3"
    shutil.copyfile(sqlite_template, path)
    s = Store(f"sqlite:///{path}")
    yield s
    s.dispose()


@pytest.fixture
def viewer_token(bare_store: Store) -> dict[str, str]:
    with bare_store.write() as session:
        secret = create_token(session, SYSTEM, "viewer-system", "viewer").secret
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def bare_client(
    settings: Settings, bare_store: Store, viewer_token: dict[str, str]
) -> Iterator[TestClient]:
    """A client of a system with a viewer's token."""
    with TestClient(create_app(settings, store=bare_store), headers=viewer_token) as c:
        yield c
