"""Every store test runs twice: on a SQLite file and on a real PostgreSQL.

Each test gets a clean, migrated database cheaply: SQLite copies a file migrated once per
session, PostgreSQL creates a database from a template migrated once per session.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from osteoboard.store.db import SQLITE_FILE, Store
from tests.support.postgres import PostgresServer

TEMPLATE = "osteoboard_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / SQLITE_FILE
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    store.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    store = Store(postgres_server.create_database(TEMPLATE))
    store.upgrade()
    store.dispose()
    return TEMPLATE


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a clean, migrated database (SQLite file, then PostgreSQL)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / SQLITE_FILE
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    template_name: str = request.getfixturevalue("postgres_template")
    url = server.create_database(template=template_name)
    yield url
    server.drop_database(url.rsplit("/", 1)[1])


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    yield store
    store.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, not migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / SQLITE_FILE}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url.rsplit("/", 1)[1])
