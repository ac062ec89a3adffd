"""osteoboard's system of record: cases and their versions, evaluations, board meetings and
decisions, accounts, and an append-only audit chain (SQLAlchemy 2, Alembic migrations;
SQLite by default, PostgreSQL by URL). See docs/store.md.

    from osteoboard.store import Store, service

    store = Store()            # OSTEOBOARD_DATABASE_URL or ./data/osteoboard.sqlite3
    store.upgrade()            # migrate to the newest schema
    with store.write() as session:
        version = service.create_case(session, actor, case)

The submodules ``service``, ``accounts``, ``audit`` and ``reevaluate`` are imported when
asked for (``from osteoboard.store import service``), so that opening the store stays quick.
"""

from osteoboard.store.db import Store, data_dir, database_url
from osteoboard.store.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    LockedOutError,
    NotFoundError,
    PermissionDenied,
    SignedError,
    StateError,
    StoreError,
)
from osteoboard.store.permissions import PERMISSIONS, SYSTEM, Actor, Operation, Role, allowed

__all__ = [
    "PERMISSIONS",
    "SYSTEM",
    "Actor",
    "AuthenticationError",
    "ConflictError",
    "InvalidInputError",
    "LockedOutError",
    "NotFoundError",
    "Operation",
    "PermissionDenied",
    "Role",
    "SignedError",
    "StateError",
    "Store",
    "StoreError",
    "allowed",
    "data_dir",
    "database_url",
]
