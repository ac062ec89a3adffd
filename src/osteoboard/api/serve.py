"""``osteoboard serve``: the app under uvicorn, in one or more worker processes.

Every worker builds its app from the environment (:func:`create_app_from_env`), so the
settings are checked once here, before any worker starts: a bad value is one line on stderr
and exit code 2, as everywhere on the command line.
"""

from __future__ import annotations

import logging.config
from typing import Any

from osteoboard.api.settings import Settings

__all__ = ["LOG_CONFIG", "run"]

#: Logging of the server: uvicorn's own and the API's, one line each on stderr. The access
#: log names method, path and status (paths carry pseudonyms only, never a token: tokens and
#: sessions travel in headers).
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
    host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, access_log: bool = True
) -> None:
    """Serve the app until stopped (SIGINT/SIGTERM end it gracefully)."""
    import uvicorn

    Settings.from_env()  # refuse bad settings before a worker starts
    logging.config.dictConfig(LOG_CONFIG)
    uvicorn.run(
        "osteoboard.api.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=LOG_CONFIG,
        access_log=access_log,
        server_header=False,
        proxy_headers=False,
    )
