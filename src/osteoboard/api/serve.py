"""``osteoboard serve``: the app under uvicorn, in one or more worker processes.

Every worker builds its app from the environment (:func:`create_app_from_env`), so the
settings are checked once here, before any worker starts: a bad value is one line on stderr
and exit code 2, as everywhere on the command line. The store is migrated to the newest
schema here too, once, before the workers start.
"""

from __future__ import annotations

import logging.config
from typing import Any

from osteoboard.api.settings import Settings

__all__ = ["LOG_CONFIG", "run"]

#: Logging of the server: uvicorn's own and the API's, one line each on stderr. uvicorn's
#: access log is off: the API logs each request by its route's template instead
#: (:mod:`osteoboard.api.middleware`), so no path, query or header reaches a log.
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "osteoboard": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}


def run(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    *,
    migrate: bool = True,
) -> None:
    """Migrate the store to the newest schema, then serve the app until stopped
    (SIGINT/SIGTERM end it gracefully)."""
    import uvicorn

    settings = Settings.from_env()  # refuse bad settings before a worker starts
    from osteoboard.cds.settings import CdsSettings

    CdsSettings.from_env()
    logging.config.dictConfig(LOG_CONFIG)
    if migrate:
        from osteoboard.store.db import Store

        store = Store(settings.database_url)
        try:
            store.upgrade()  # once, here: the workers start on a migrated database
        finally:
            store.dispose()
    uvicorn.run(
        "osteoboard.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=LOG_CONFIG,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
