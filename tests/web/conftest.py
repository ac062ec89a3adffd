"""Fixtures of the web app's tests: the app on its own SQLite store with the demo cases on
the demo meeting and one person per role, and a logged-in test client per role."""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from osteoboard.api import Settings, create_app
from osteoboard.store.accounts import create_user
from osteoboard.store.db import Store
from osteoboard.store.permissions import SYSTEM, Role
from osteoboard.web.demo import ensure_demo

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
PEOPLE = {"koordination": Role.coordinator, "board": Role.board_member, "lesen": Role.viewer}


@pytest.fixture(scope="session")
def web_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A migrated store with the demo meeting and the people, made once per session."""
    path = tmp_path_factory.mktemp("web-template") / "template.sqlite3"
    store = Store(f"sqlite:///{path}")
    report = ensure_demo(store, ROOT / "examples", accounts=False)
    with store.write() as session:
        for name, role in PEOPLE.items():
            create_user(session, SYSTEM, name, role, PASSWORD)
    store.dispose()
    return path, report.meeting_id


@pytest.fixture
def store(web_template: tuple[Path, int], tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "osteoboard.sqlite3"
    shutil.copy(web_template[0], path)
    opened = Store(f"sqlite:///{path}")
    yield opened
    opened.dispose()


@pytest.fixture
def meeting_id(web_template: tuple[Path, int]) -> int:
    return web_template[1]


@pytest.fixture
def app(store: Store) -> Any:
    return create_app(Settings(cookie_secure=False), store=store)


def login_token(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def csrf_of(html: str) -> str:
    match = re.search(
        r'action="/logout"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert match is not None, "no logout form on the page"
    return match.group(1)


@pytest.fixture
def client_for(app: Any) -> Callable[[str], TestClient]:
    """``client_for("board")``: a client logged in as that person."""

    def make(username: str) -> TestClient:
        client = TestClient(app)
        reply = client.post(
            "/login",
            data={"username": username, "password": PASSWORD, "csrf_token": login_token(client)},
            follow_redirects=False,
        )
        assert reply.status_code == 303, reply.text
        return client

    return make
