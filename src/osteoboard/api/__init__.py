"""osteoboard's REST API (FastAPI): ``create_app(settings)`` and the settings it reads."""

from osteoboard.api.app import API_PREFIX, create_app
from osteoboard.api.settings import Settings, SettingsError

__all__ = ["API_PREFIX", "Settings", "SettingsError", "create_app"]
