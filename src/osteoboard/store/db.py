"""Where the store lives and how to open it: engine, sessions, migrations.

By default the store is the SQLite file ``osteoboard.sqlite3`` in the data directory
(``OSTEOBOARD_DATA_DIR``, default ``./data``, created when missing), in WAL mode with foreign
keys on and a busy timeout. ``OSTEOBOARD_DATABASE_URL`` points it at PostgreSQL instead
(``postgresql://user@host/db``; the psycopg 3 driver is used).

Every write runs in :meth:`Store.write`: on SQLite it begins with ``BEGIN IMMEDIATE`` (one
writer at a time), on PostgreSQL it locks the audit chain's head row, so that the audit chain
is appended by one transaction at a time and never forks. Reads (:meth:`Store.read`)
take no lock.

SQLite's own wait for a busy database sleeps and tries again (up to 100 ms a try), so under
load a writer could wait for seconds while the database was free. The store's writers
therefore queue before they begin: the threads of a process on a lock, the processes on an
exclusive ``flock`` of ``<database>.writer-lock`` beside the file (released by the kernel when
a process dies). A waiting writer starts the moment the one before it commits. Other programs
writing the file are still covered by SQLite's busy timeout.

The Alembic migrations ship inside the package and run from here (no ``alembic.ini``):
:meth:`Store.upgrade`, :meth:`Store.downgrade`, :meth:`Store.current`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "BUSY_TIMEOUT_S",
    "DATABASE_URL_ENV",
    "DATA_DIR_ENV",
    "MIGRATIONS_DIR",
    "POOL_CHECK_AFTER_IDLE_S",
    "SQLITE_FILE",
    "WRITE_LOCK_KEY",
    "Store",
    "data_dir",
    "database_url",
    "make_engine",
]

DATA_DIR_ENV = "OSTEOBOARD_DATA_DIR"
DATABASE_URL_ENV = "OSTEOBOARD_DATABASE_URL"
SQLITE_FILE = "osteoboard.sqlite3"
#: seconds a writer waits for another one on SQLite before giving up
BUSY_TIMEOUT_S = 30.0
#: the key of PostgreSQL's advisory lock that serialises writers ('osteo' in ASCII)
WRITE_LOCK_KEY = 0x6F7374656F
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_BEGIN_OPTION = "osteoboard_begin"

try:  # POSIX; elsewhere the writers of one process still queue on the thread lock
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]


def data_dir() -> Path:
    """The data directory (``OSTEOBOARD_DATA_DIR``, default ``./data``), created if missing."""
    path = Path(os.environ.get(DATA_DIR_ENV) or "data")
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """``OSTEOBOARD_DATABASE_URL``, or the SQLite file in the data directory."""
    url = os.environ.get(DATABASE_URL_ENV)
    if url:
        return url
    return f"sqlite:///{(data_dir() / SQLITE_FILE).resolve()}"


def _normalise(url: str) -> str:
    """``postgresql://`` (and ``postgres://``) use the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default :func:`database_url`) with the store's settings."""
    url = _normalise(url or database_url())
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, **kwargs)
        _sqlite_settings(engine)
        return engine
    engine = create_engine(url, **kwargs)
    _check_idle_connections(engine)
    return engine


#: Seconds a pooled PostgreSQL connection may have been idle and still be used unchecked.
POOL_CHECK_AFTER_IDLE_S = 1.0
_IDLE_SINCE = "osteoboard_idle_since"


def _check_idle_connections(engine: Engine) -> None:
    """Check a pooled connection (one round trip) before use only when it has been idle in
    the pool for :data:`POOL_CHECK_AFTER_IDLE_S`: a server restarted or a connection cut
    since then is noticed before a request meets it, while a loaded server, which takes a
    connection back within milliseconds, pays nothing (SQLAlchemy's ``pool_pre_ping`` checks
    every time: three of an evaluation's round trips). A connection found dead is replaced
    by the pool. One that the server ends less than a second after its last use is met by
    the next request, which fails; SQLAlchemy recognises the error and starts the pool
    afresh."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < POOL_CHECK_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's error for a dead connection
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("the connection did not answer")


def _sqlite_settings(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout; the transaction's BEGIN is ours, so that a writer can
    begin with BEGIN IMMEDIATE (the sqlite3 module would otherwise begin lazily)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class _WriterQueue:
    """Where the writers of one SQLite database wait for each other (see the module's
    docstring): a thread lock for the threads of this process, then an exclusive ``flock`` on
    the lock file for the processes. ``path`` None (an in-memory database): the thread lock
    only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int | None:
        if self.path is None or fcntl is None:
            return None
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def hold(self) -> Iterator[None]:
        if not self._lock.acquire(timeout=BUSY_TIMEOUT_S):
            raise TimeoutError(f"no write access to the database within {BUSY_TIMEOUT_S:.0f} s")
        try:
            fd = self._file()
            if fd is None:
                yield
                return
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()


def _writer_queue(engine: Engine) -> _WriterQueue | None:
    """The queue of an SQLite engine's writers (None for PostgreSQL, whose row lock already
    wakes a waiting writer at once)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return _WriterQueue(None)
    return _WriterQueue(Path(database).resolve().with_name(Path(database).name + ".writer-lock"))


class Store:
    """The database of one installation: an engine and its sessions.

    ``with store.write() as session:`` runs one write transaction (committed at the end,
    rolled back on an exception); ``with store.read() as session:`` one read.
    """

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.engine = engine if engine is not None else make_engine(url)
        self.dialect = self.engine.dialect.name
        writer = (
            self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            if self.dialect == "sqlite"
            else self.engine
        )
        self._writer = sessionmaker(bind=writer, expire_on_commit=False)
        self._reader = sessionmaker(bind=self.engine, expire_on_commit=False)
        # Single statements need no transaction: on PostgreSQL, BEGIN and ROLLBACK are round
        # trips of their own (on SQLite, calls in the process; our BEGIN stays there).
        self._statements = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.dialect == "postgresql"
            else self.engine
        )
        self._queue = _writer_queue(self.engine)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction, serialised with every other writer of the database."""
        if self._queue is None:
            with self._writer() as session, session.begin():
                lock_for_write(session)
                yield session
            return
        with self._queue.hold(), self._writer() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read transaction (nothing is written; it ends with the block)."""
        with self._reader() as session:  # closing rolls the transaction back; the loaded
            yield session  # objects stay readable (detached), as after a write

    def statement(self) -> Connection:
        """A connection for one reading statement (``with store.statement() as c:``), outside
        any transaction on PostgreSQL: the reads on every request (the caller's token, the
        case version to evaluate) cost one round trip instead of three."""
        return self._statements.connect()

    def dispose(self) -> None:
        self.engine.dispose()

    # -- migrations --

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the database up to ``revision`` (default: the newest)."""
        with self.engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)

    def downgrade(self, revision: str) -> None:
        """Migrate the database down to ``revision`` (``base``: an empty database)."""
        with self.engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)

    def current(self) -> str | None:
        """The revision the database is at (None: not migrated yet)."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head(self) -> str:
        """The newest revision the package knows."""
        script = ScriptDirectory.from_config(alembic_config(None))
        head = script.get_current_head()
        assert head is not None
        return head


_LOCKED = "osteoboard_write_lock"
_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
#: The audit chain's head row, locked: every writer appends to the chain, so locking its head
#: serialises the writers and reads the head the transaction will append to, in one round trip.
_LOCK_HEAD = text("SELECT seq, row_hash FROM audit_head WHERE id = 1 FOR UPDATE")


def lock_for_write(session: Session) -> None:
    """Make this transaction the only writer until it ends.

    SQLite: the session began with BEGIN IMMEDIATE already. PostgreSQL: the row of the audit
    chain's head is locked (``FOR UPDATE``, released at commit or rollback) and read, once
    per transaction: the store's write and the audit chain both ask for the lock, and the
    chain appends to the head read here (:func:`locked_head`). In READ COMMITTED every later
    statement of the transaction sees what the writers before it committed, and a locked row
    is read as its newest version. A database whose head row is missing (deleted by hand:
    ``audit verify`` reports it) takes a transaction-level advisory lock instead.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    held = session.info.get(_LOCKED)
    if transaction is not None and held is not None and held[0] is transaction:
        return
    row = session.execute(_LOCK_HEAD).one_or_none()
    if row is None:
        session.execute(_LOCK, {"key": WRITE_LOCK_KEY})
    head = None if row is None else (int(row[0]), str(row[1]))
    session.info[_LOCKED] = (session.get_transaction(), head)


def locked_head(session: Session) -> tuple[int, str] | None:
    """(sequence number, row hash) of the audit chain's head as this transaction holds it
    (read with the lock, moved by its own appends); None when it was not read with the lock
    (SQLite, or not in this transaction)."""
    held = session.info.get(_LOCKED)
    if held is None or held[0] is not session.get_transaction():
        return None
    head: tuple[int, str] | None = held[1]
    return head


def move_locked_head(session: Session, seq: int, row_hash: str) -> None:
    """Record that this transaction moved the chain's head (after :func:`locked_head`)."""
    held = session.info.get(_LOCKED)
    if held is not None and held[0] is session.get_transaction() and held[1] is not None:
        session.info[_LOCKED] = (held[0], (seq, row_hash))


def alembic_config(connection: Connection | None) -> Config:
    """Alembic's configuration for the package's migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config
