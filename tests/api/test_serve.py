"""``osteoboard serve`` refuses bad settings in one line before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from osteoboard.api.settings import Settings, SettingsError
from osteoboard.cli import app


def test_bad_setting_is_one_line_with_exit_code_2() -> None:
    result = CliRunner().invoke(app, ["serve"], env={"OSTEOBOARD_MAX_BODY_BYTES": "12"})
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Fehler: OSTEOBOARD_MAX_BODY_BYTES: must be at least 1024 (got '12')"
    )


def test_settings_read_the_environment() -> None:
    settings = Settings.from_env(
        {"OSTEOBOARD_COOKIE_SECURE": "false", "OSTEOBOARD_SESSION_MINUTES": "60", "OTHER": "x"}
    )
    assert settings.cookie_secure is False and settings.session_minutes == 60
    assert Settings.from_env({}).cookie_secure is True
    try:
        Settings.from_env({"OSTEOBOARD_COOKIE_SECURE": "vielleicht"})
    except SettingsError as exc:
        assert str(exc).startswith("OSTEOBOARD_COOKIE_SECURE: must be true or false")
    else:
        raise AssertionError("a bad boolean was accepted")


def test_worker_threads_bound_the_blocking_work_of_a_process(tmp_path: Path) -> None:
    """The thread pool of sync routes and dependencies holds OSTEOBOARD_WORKER_THREADS
    threads (default 1), not the server library's 40."""
    from anyio.to_thread import current_default_thread_limiter
    from fastapi.testclient import TestClient

    from osteoboard.api.app import create_app
    from osteoboard.store.db import Store

    assert Settings.from_env({}).worker_threads == 1
    with pytest.raises(SettingsError, match="OSTEOBOARD_WORKER_THREADS"):
        Settings.from_env({"OSTEOBOARD_WORKER_THREADS": "0"})
    for threads in (1, 3):
        store = Store(f"sqlite:///{tmp_path / f'{threads}.sqlite3'}")
        store.upgrade()
        app = create_app(Settings(worker_threads=threads), store=store)

        @app.get("/probe-threads")
        async def probe() -> dict[str, float]:
            return {"tokens": current_default_thread_limiter().total_tokens}

        with TestClient(app) as client:
            answer = client.get("/probe-threads")
        store.dispose()
        assert answer.status_code == 200 and answer.json() == {"tokens": threads}
