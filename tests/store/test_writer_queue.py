"""SQLite writers queue on a lock file before they begin, across threads and processes, so
that none of them depends on SQLite's busy handler (which sleeps and polls).

The stores under test have SQLite's busy timeout set to 0: a writer that reached ``BEGIN
IMMEDIATE`` while another one held the database would fail at once with "database is locked".
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text

from osteoboard.store.db import Store

LOCK_SUFFIX = ".writer-lock"


def _impatient(url: str) -> Store:
    """A store whose connections give up at once on a locked database."""
    store = Store(url)

    @event.listens_for(store.engine, "connect")
    def _no_busy_wait(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")  # type: ignore[attr-defined]

    return store


def _hold_writer(url: str, holding: object, release: object) -> None:
    """In another process: open a write transaction, say so, and wait to be released."""
    store = _impatient(url)
    with store.write() as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS held (n INTEGER)"))
        holding.set()  # type: ignore[attr-defined]
        release.wait(30)  # type: ignore[attr-defined]
    store.dispose()


def _sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'queue.sqlite3'}"


def test_the_lock_file_lies_beside_the_database(tmp_path: Path) -> None:
    store = Store(_sqlite_url(tmp_path))
    with store.write() as session:
        session.execute(text("SELECT 1"))
    store.dispose()
    assert (tmp_path / f"queue.sqlite3{LOCK_SUFFIX}").exists()


def test_a_writer_of_another_process_waits_for_the_holder_and_then_writes(
    tmp_path: Path,
) -> None:
    url = _sqlite_url(tmp_path)
    context = multiprocessing.get_context("spawn")
    holding, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_writer, args=(url, holding, release))
    holder.start()
    try:
        assert holding.wait(60), "the holding process did not begin its write"
        store = _impatient(url)
        began = threading.Event()

        def write() -> None:
            with store.write() as session:
                began.set()
                session.execute(text("INSERT INTO held VALUES (1)"))

        writer = threading.Thread(target=write)
        writer.start()
        assert not began.wait(0.5), "a second writer began while the first held the queue"
        release.set()
        writer.join(30)
        assert began.is_set() and not writer.is_alive()
        with store.read() as session:
            assert session.execute(text("SELECT count(*) FROM held")).scalar_one() == 1
        store.dispose()
    finally:
        release.set()
        holder.join(30)


def test_a_killed_holder_frees_the_queue(tmp_path: Path) -> None:
    """The kernel drops a dead process's flock; SQLite rolls its transaction back."""
    url = _sqlite_url(tmp_path)
    context = multiprocessing.get_context("spawn")
    holding, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_writer, args=(url, holding, release))
    holder.start()
    assert holding.wait(60)
    assert holder.pid is not None
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(30)
    store = _impatient(url)
    with store.write() as session:  # would wait for ever if the lock outlived the process
        session.execute(text("CREATE TABLE after_kill (n INTEGER)"))
    with store.read() as session:
        tables = session.execute(text("SELECT name FROM sqlite_master")).scalars().all()
    assert "after_kill" in tables and "held" not in tables  # the dead transaction is gone
    store.dispose()


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    store = _impatient(_sqlite_url(tmp_path))
    with store.write() as session:
        session.execute(text("CREATE TABLE turns (n INTEGER)"))
    inside = 0
    most = 0
    guard = threading.Lock()

    def write(n: int) -> None:
        nonlocal inside, most
        for _ in range(10):
            with store.write() as session:
                with guard:
                    inside += 1
                    most = max(most, inside)
                session.execute(text("INSERT INTO turns VALUES (:n)"), {"n": n})
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with store.read() as session:
        assert session.execute(text("SELECT count(*) FROM turns")).scalar_one() == 80
    store.dispose()
    assert most == 1


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_needs_no_lock_file(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = Store(url)
    with store.write() as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1
    store.dispose()
    assert not list(tmp_path.iterdir())
