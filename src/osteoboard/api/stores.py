"""The store an app works on (one per app, shared by its requests), and the queue its
writers wait in.

Every write of the store is serialised (the audit chain is appended one transaction at a
time). On SQLite a writer that finds the database locked sleeps in SQLite's busy handler,
in steps growing to 100 ms, and tries again: under load most of the time the lock is free
while the writers sleep. So on SQLite the API's writers queue on a lock first — a thread
lock within a worker process and an ``flock`` on a file beside the database across the
workers — and each is woken the moment the previous one is done. PostgreSQL queues its
waiters itself (an advisory lock), so there the store's own lock is all.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session
from starlette.requests import Request

from osteoboard.store.db import Store

__all__ = ["WriteQueue", "store_of", "writing"]


class WriteQueue:
    """Writers of one store, one at a time, woken in turn (SQLite); a pass-through for
    other databases."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._thread_lock = threading.Lock()
        self._lock_file: Path | None = None
        database = store.engine.url.database if store.dialect == "sqlite" else None
        if database and database != ":memory:":
            self._lock_file = Path(database).with_name(Path(database).name + ".writer-lock")

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        if self._lock_file is None:
            with self.store.write() as session:
                yield session
            return
        with self._thread_lock:
            fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                with self.store.write() as session:
                    yield session
            finally:
                os.close(fd)  # releases the flock


def store_of(request: Request) -> Store:
    store = request.app.state.store
    assert isinstance(store, Store)
    return store


def writing(request: Request) -> contextlib.AbstractContextManager[Session]:
    """A write transaction of the app's store, after the writers before it."""
    queue = request.app.state.write_queue
    assert isinstance(queue, WriteQueue)
    return queue.write()
