"""Every store test runs twice: on a SQLite file and on a real PostgreSQL.

Each test gets a clean, migrated database cheaply: SQLite copies a file migrated once per
session; on PostgreSQL one database is migrated once per session and emptied before each
test (every row deleted, the audit chain's head reset).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from osteoboard.store.audit import GENESIS
from osteoboard.store.db import SQLITE_FILE, Store
from osteoboard.store.models import AuditHead, Base
from tests.support.postgres import PostgresServer

DATA_TABLES = [name for name in Base.metadata.tables if name != AuditHead.__tablename__]


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with small parameters: the production ones take a tenth of a second per
    hash, by design. (test_accounts checks the production parameters.)"""
    from argon2 import PasswordHasher

    from osteoboard.store import accounts

    monkeypatch.setattr(
        accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / SQLITE_FILE
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    store.dispose()  # the last connection checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def postgres_store(postgres_server: PostgresServer) -> Iterator[Store]:
    """A migrated PostgreSQL database for the session (emptied before each test)."""
    store = Store(postgres_server.create_database("osteoboard_store_tests"))
    store.upgrade()
    yield store
    store.dispose()


def empty(store: Store) -> None:
    """Remove every row and reset the audit chain's head. The guards (triggers) and foreign
    keys are set aside for this one transaction; DELETE on a few rows is quicker than
    TRUNCATE, which makes new files for every table."""
    with store.engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in DATA_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(
            text("UPDATE audit_head SET seq = 0, row_hash = :genesis"), {"genesis": GENESIS}
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a clean, migrated database (SQLite file, then PostgreSQL)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / SQLITE_FILE
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    postgres: Store = request.getfixturevalue("postgres_store")
    empty(postgres)
    return postgres.engine.url.render_as_string(hide_password=False)


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
