"""Alembic's environment for the store: runs on the connection that
osteoboard.store.db hands over (``config.attributes["connection"]``), or, when Alembic's
own command line is used, on ``OSTEOBOARD_DATABASE_URL`` / the default SQLite file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from osteoboard.store.db import make_engine
from osteoboard.store.models import Base

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with engine.begin() as own:
        _run(own)
    engine.dispose()
