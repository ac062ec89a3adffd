"""``osteoboard serve`` refuses bad settings in one line before anything starts."""

from __future__ import annotations

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
