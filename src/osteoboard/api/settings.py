"""The API's settings, read from ``OSTEOBOARD_*`` environment variables.

Every worker process of ``osteoboard serve`` reads the same environment, so the settings of
all workers agree. A bad value is one line naming the variable and what is allowed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from osteoboard.caseio import MAX_DOCUMENT_BYTES
from osteoboard.errors import OsteoboardError
from osteoboard.explain import explain

__all__ = ["ENV_PREFIX", "SERVE_WORKERS_ENV", "Settings", "SettingsError", "settings_from_env"]


S = TypeVar("S", bound=BaseModel)


class SettingsError(OsteoboardError, ValueError):
    """An environment variable of the API has a value it cannot use."""


#: Prefix of the environment variables: ``max_body_bytes`` is ``OSTEOBOARD_MAX_BODY_BYTES``.
ENV_PREFIX = "OSTEOBOARD_"
#: Not a setting: how many worker processes ``osteoboard serve`` starts, set by it for them.
SERVE_WORKERS_ENV = "OSTEOBOARD_SERVE_WORKERS"


class Settings(BaseModel):
    """Settings of the REST API (environment variables ``OSTEOBOARD_<NAME>``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(
        default=MAX_DOCUMENT_BYTES,
        ge=1024,
        le=64 * MAX_DOCUMENT_BYTES,
        description="Largest request body in bytes; a larger one gets 413.",
    )
    session_minutes: int = Field(
        default=480,
        ge=5,
        le=7 * 24 * 60,
        description="Lifetime of a login session in minutes (a working day by default).",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Failed logins for one user name within the window before it is locked.",
    )
    login_window_minutes: int = Field(
        default=15,
        ge=1,
        le=24 * 60,
        description="Window of the failed-login count, and how long a lock-out lasts.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Send the session cookie only over HTTPS (false for plain HTTP on "
        "loopback during development).",
    )
    worker_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Threads per worker process for the request work that blocks (database, "
        "engine, documents). The engine is CPU-bound Python: threads of one process wait for "
        "each other's interpreter lock, so more threads lower the throughput of a loaded server "
        "(docs/api.md). Start more worker processes instead.",
    )
    rebalance_at: int = Field(
        default=6,
        ge=0,
        le=10_000,
        description="With several worker processes: requests in progress in one worker from "
        "which it closes a keep-alive connection after its response (at most ten a second), "
        "so that the client reconnects to a worker the kernel picks afresh and a worker holding "
        "more than its share of connections sheds some (docs/api.md); 0: never.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store (default: the store's SQLite file).",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of ``environ`` (default: the process environment); variables not
        set keep their defaults."""
        return settings_from_env(cls, environ)


def settings_from_env(model: type[S], environ: Mapping[str, str] | None = None) -> S:
    """``model`` with each field ``name`` read from ``OSTEOBOARD_<NAME>`` in ``environ``
    (default: the process environment); a bad value is one :class:`SettingsError` line."""
    env = os.environ if environ is None else environ
    values = {
        name: env[ENV_PREFIX + name.upper()]
        for name in model.model_fields
        if ENV_PREFIX + name.upper() in env
    }
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        what = explain([error], model, values)[0]
        name = ENV_PREFIX + str(error["loc"][0]).upper() if error["loc"] else ENV_PREFIX
        raise SettingsError(f"{name}: {what.render('en').partition(': ')[2]}") from None
