"""The migrations: empty database to head and back to base on both databases, models and head
migration agree, the command line migrates, SQLite runs with the promised settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from typer.testing import CliRunner, Result

from osteoboard.cli import app
from osteoboard.store.db import MIGRATIONS_DIR, SQLITE_FILE, Store, database_url
from osteoboard.store.models import Base

TABLES = set(Base.metadata.tables)


def _tables(store: Store) -> set[str]:
    with store.engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def test_upgrade_to_head_and_down_to_base(empty_database_url: str) -> None:
    store = Store(empty_database_url)
    try:
        assert store.current() is None
        store.upgrade()
        assert store.current() == store.head()
        assert _tables(store) == TABLES | {"alembic_version"}
        with store.engine.connect() as connection:
            head = connection.execute(text("SELECT seq, row_hash FROM audit_head")).all()
        assert [tuple(row) for row in head] == [(0, "0" * 64)]
        store.downgrade("base")
        assert store.current() is None
        assert _tables(store) <= {"alembic_version"}
        store.upgrade()  # and up again: the downgrade left nothing behind
        assert _tables(store) == TABLES | {"alembic_version"}
    finally:
        store.dispose()


def test_models_and_head_migration_agree(store: Store) -> None:
    with store.engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


def test_migrations_ship_inside_the_package() -> None:
    import osteoboard

    package = Path(osteoboard.__file__).parent
    assert MIGRATIONS_DIR.is_relative_to(package)
    assert (MIGRATIONS_DIR / "env.py").exists()
    assert list((MIGRATIONS_DIR / "versions").glob("0001_*.py"))


runner = CliRunner()


def _cli(args: list[str], env: dict[str, str]) -> Result:
    return runner.invoke(app, args, env=env)


def test_cli_migrates_the_default_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    env = {"OSTEOBOARD_DATA_DIR": str(tmp_path / "data"), "OSTEOBOARD_DATABASE_URL": ""}
    current = _cli(["db", "current"], env)
    assert current.exit_code == 0 and "leer" in current.stdout
    up = _cli(["db", "upgrade"], env)
    assert up.exit_code == 0, up.stderr
    assert (tmp_path / "data" / SQLITE_FILE).exists()
    head = Store(f"sqlite:///{tmp_path / 'data' / SQLITE_FILE}").head()
    assert up.stdout == f"Datenbank auf Stand {head}\n"
    assert _cli(["db", "current"], env).stdout.strip() == head
    down = _cli(["--lang", "en", "db", "downgrade", "base"], env)
    assert down.exit_code == 0 and "empty" in down.stdout
    refused = _cli(["token", "create", "x", "--role", "viewer"], env)
    assert refused.exit_code == 2
    assert refused.stderr.startswith("Fehler: Datenbank nicht auf dem aktuellen Stand")


def test_cli_migrates_the_database_named_by_the_url(empty_database_url: str) -> None:
    up = _cli(["db", "upgrade"], {"OSTEOBOARD_DATABASE_URL": empty_database_url})
    assert up.exit_code == 0, up.stderr
    store = Store(empty_database_url)
    try:
        assert store.current() == store.head()
    finally:
        store.dispose()


def test_default_url_is_the_file_in_the_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OSTEOBOARD_DATABASE_URL", raising=False)
    monkeypatch.setenv("OSTEOBOARD_DATA_DIR", str(tmp_path / "nested" / "data"))
    assert database_url() == f"sqlite:///{tmp_path / 'nested' / 'data' / SQLITE_FILE}"
    assert (tmp_path / "nested" / "data").is_dir()
    monkeypatch.setenv("OSTEOBOARD_DATABASE_URL", "postgresql://u@127.0.0.1/x")
    assert Store("postgresql://u@127.0.0.1/x").engine.dialect.driver == "psycopg"


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / SQLITE_FILE}")
    try:
        store.upgrade()
        with store.read() as session:
            pragmas = {
                name: session.execute(text(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30000}
    finally:
        store.dispose()


def test_downgrade_removes_a_database_with_signed_records(store: Store) -> None:
    from osteoboard.store import service
    from tests.store.helpers import board_member, decide_all, prepared_entry

    with store.write() as session:
        prepared = prepared_entry(session, "03")
        member = board_member(session)
        decide_all(session, member, prepared)
        service.sign_off(session, member, prepared.entry_id)
    store.downgrade("base")
    assert _tables(store) <= {"alembic_version"}
    store.upgrade()
    assert _tables(store) == TABLES | {"alembic_version"}
