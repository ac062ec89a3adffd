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


@dataclass
class People:
    """One user per role (named like the role, password :data:`PASSWORD`) and one API
    token per role."""

    tokens: dict[str, str] = field(default_factory=dict)

    def bearer(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def _populate(store: Store) -> People:
    """Migrate and add the people (hashing passwords once per session, not per test)."""
    store.upgrade()
    out = People()
    with store.write() as session:
        for role in ROLES:
            create_user(session, SYSTEM, role, role, PASSWORD)
            out.tokens[role] = create_token(session, SYSTEM, f"{role}-system", role).secret
    store.dispose()
    return out


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, People]:
    path = tmp_path_factory.mktemp("api-template") / "template.sqlite3"
    return path, _populate(Store(f"sqlite:///{path}"))


@pytest.fixture(scope="session")
def postgres_template(postgres_server: Any) -> tuple[str, People]:
    url = postgres_server.create_database(_PG_TEMPLATE)
    return _PG_TEMPLATE, _populate(Store(url))


@dataclass(frozen=True)
class Database:
    url: str
    people: People


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """A fresh, migrated database of either kind, with its people."""
    if request.param == "sqlite":
        template, people = request.getfixturevalue("sqlite_template")
        path = tmp_path / "osteoboard.sqlite3"
        shutil.copyfile(template, path)
        return Database(f"sqlite:///{path}", people)
    server = request.getfixturevalue("postgres_server")
    name, people = request.getfixturevalue("postgres_template")
    return Database(server.create_database(template=name), people)


@pytest.fixture
def database_url(database: Database) -> str:
    return database.url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    s = Store(database_url)
    yield s
    s.dispose()


@pytest.fixture
def people(database: Database) -> People:
    return database.people


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
def bare_store(sqlite_template: tuple[Path, People], tmp_path: Path) -> Iterator[Store]:
    """A migrated SQLite store, for the endpoints that only read the engine (health,
    knowledge base, evaluate)."""
    path = tmp_path / "bare.sqlite3"
    shutil.copyfile(sqlite_template[0], path)
    s = Store(f"sqlite:///{path}")
    yield s
    s.dispose()


@pytest.fixture
def viewer_token(sqlite_template: tuple[Path, People]) -> dict[str, str]:
    return sqlite_template[1].bearer("viewer")


@pytest.fixture
def bare_client(
    settings: Settings, bare_store: Store, viewer_token: dict[str, str]
) -> Iterator[TestClient]:
    """A client of a system with a viewer's token."""
    with TestClient(create_app(settings, store=bare_store), headers=viewer_token) as c:
        yield c
