"""Fixtures of the API tests: an app on its own settings and a client for it."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette's test client asks for the httpx2 fork; httpx works the same for it.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

from osteoboard.api import Settings, create_app


@pytest.fixture
def settings() -> Settings:
    return Settings(cookie_secure=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c
