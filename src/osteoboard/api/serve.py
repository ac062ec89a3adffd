"""``osteoboard serve``: the app under uvicorn, in one or more worker processes.

Every worker builds its app from the environment (:func:`create_app_from_env`), so the
settings are checked once here, before any worker starts: a bad value is one line on stderr
and exit code 2, as everywhere on the command line. The store is migrated to the newest
schema here too, once, before the workers start.

With several workers, each listens on a socket of its own, all bound to the same address
with ``SO_REUSEPORT``, and the kernel spreads new connections over them by their addresses.
uvicorn's own mode shares one socket, and a worker that wakes first takes every connection
waiting: measured with 50 connections of ``wrk``, the two workers held 48 and 2, and half
the cores stood idle while requests queued on the other half. uvicorn's supervisor (worker
restarts, health checks, signals) is kept.
"""

from __future__ import annotations

import contextlib
import logging
import logging.config
import os
import socket
import sys
from typing import TYPE_CHECKING, Any

from osteoboard.api.settings import SERVE_WORKERS_ENV, Settings

if TYPE_CHECKING:
    import uvicorn

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
    os.environ[SERVE_WORKERS_ENV] = str(workers)  # read by each worker's app (spawned after)
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_config": LOG_CONFIG,
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
    }
    if workers > 1 and hasattr(socket, "SO_REUSEPORT"):
        _run_workers(uvicorn.Config("osteoboard.api.app:create_app_from_env", **options))
        return
    uvicorn.run("osteoboard.api.app:create_app_from_env", **options)


def _run_workers(config: uvicorn.Config) -> None:
    """Serve with ``config.workers`` processes, a listening socket each (module docstring).

    SO_REUSEPORT would let a second server on the same address start and take a share of
    the connections (an overlapping deploy, a test instance on another database): a lock
    file per address, held while the server runs, refuses it as a busy port would."""
    guard = _address_lock(config.host, config.port)
    if guard is None:
        logging.getLogger("uvicorn.error").error(
            "[Errno 98] address already in use: another osteoboard serve runs on %s:%d",
            config.host,
            config.port,
        )
        sys.exit(3)
    supervisor = _supervisor_class()(config)
    with contextlib.suppress(KeyboardInterrupt):  # the supervisor handles SIGINT itself
        supervisor.run()
    if supervisor.failed:
        sys.exit(3)  # uvicorn's exit code for a server that could not start


def _address_lock(host: str, port: int) -> Any:
    """An open file holding an exclusive lock for ``host:port`` (None: another server holds
    it). Port 0 (any free port) needs none. The kernel releases it when the process ends."""
    import fcntl
    import tempfile
    from pathlib import Path

    if port == 0:
        return object()
    name = f"osteoboard-serve-{host.replace(':', '_')}-{port}.lock"
    handle = (Path(tempfile.gettempdir()) / name).open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _supervisor_class() -> type[Any]:
    from uvicorn.supervisors.multiprocess import Multiprocess

    class OwnSocketSupervisor(Multiprocess):
        """uvicorn's supervisor, handing every worker it starts (at start, on a restart, on
        SIGHUP and SIGTTIN) a new socket on the same address; the parent closes its copy
        once the worker has it, so that no connection waits on a socket nobody accepts."""

        def __init__(self, config: uvicorn.Config) -> None:
            self._port: int = config.port
            self._given: list[socket.socket] = []
            self.failed = False
            super().__init__(config, sockets=[])
            logging.getLogger("uvicorn.error").info(
                "Uvicorn running on http://%s:%d with %d workers, a socket each (Press CTRL+C "
                "to quit)",
                config.host,
                config.port,
                config.workers,
            )

        @property
        def sockets(self) -> list[socket.socket]:
            # Read once for each worker the supervisor starts.
            try:
                sock = _listening_socket(self.config.host, self._port)
            except OSError as exc:
                logging.getLogger("uvicorn.error").error(exc)
                self.failed = True
                self.should_exit.set()
                raise
            self._port = sock.getsockname()[1]
            self._given.append(sock)
            return [sock]

        @sockets.setter
        def sockets(self, _value: list[socket.socket]) -> None:
            pass  # every worker gets its own (the property)

        def _close_given(self) -> None:
            # A started worker holds the socket itself (passed at its start).
            for sock in self._given:
                sock.close()
            self._given.clear()

        def init_processes(self) -> None:
            with contextlib.suppress(OSError):  # logged; the supervisor stops
                super().init_processes()
            self._close_given()

        def handle_signals(self) -> None:
            # SIGHUP and SIGTTIN start workers too: a socket that cannot be bound then stops
            # the supervisor (logged), which stops its workers, instead of escaping run().
            with contextlib.suppress(OSError):
                super().handle_signals()
            self._close_given()

        def keep_subprocess_alive(self) -> None:
            # Restarts (also those of SIGHUP and SIGTTIN, handled just before) start workers.
            with contextlib.suppress(OSError):  # logged; the supervisor stops
                super().keep_subprocess_alive()
            self._close_given()

    return OwnSocketSupervisor
