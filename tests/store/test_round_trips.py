"""The statements a stored evaluation sends (the REST API stores one per request: every
round trip to PostgreSQL is paid on each), and the reads outside a transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select, text

from osteoboard.store import service
from osteoboard.store.db import Store
from osteoboard.store.errors import SignedError
from tests.store.helpers import (
    COORDINATOR,
    DATE,
    board_member,
    decide_all,
    example,
    prepared_entry,
)


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The first word of every statement the store's engine sends within the block (and the
    advisory lock by its function's name)."""
    sent: list[str] = []

    def record(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        words = statement.split()
        sent.append("LOCK" if "pg_advisory_xact_lock" in statement else words[0].upper())

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def test_a_stored_evaluation_sends_one_statement_per_step(store: Store) -> None:
    """The version's owner and a sign-off in one query, the advisory lock once (the write and
    the audit chain both ask for it), the evaluation, the chain's head, its new row and the
    head moved on."""
    with store.write() as session:
        prepared = prepared_entry(session)
        version_id = service.get_case_version(session, COORDINATOR, prepared.case_id).id
    with store.read() as session:
        proposal = service.compute_evaluation(
            service.get_case_version(session, COORDINATOR, prepared.case_id)
        )
    with statements(store) as sent, store.write() as session:
        service.record_evaluation(session, COORDINATOR, version_id, proposal)
    steps = ["SELECT", "INSERT", "SELECT", "INSERT", "UPDATE"]
    if store.dialect == "postgresql":
        assert sent == ["LOCK", *steps]
    else:
        assert sent == ["BEGIN", *steps]


def test_the_write_lock_is_taken_again_in_the_next_transaction(store: Store) -> None:
    """PostgreSQL's advisory lock ends with its transaction; SQLite's writers begin with
    BEGIN IMMEDIATE instead."""
    with statements(store) as sent:
        for _ in range(2):
            with store.write() as session:
                service.create_meeting(session, COORDINATOR, DATE)
    if store.dialect == "postgresql":
        assert sent.count("LOCK") == 2
    else:
        assert sent.count("LOCK") == 0 and sent.count("BEGIN") == 2


def test_a_signed_case_refuses_a_stored_evaluation_and_names_the_entry(store: Store) -> None:
    with store.write() as session:
        prepared = prepared_entry(session)
        member = board_member(session)
        decide_all(session, member, prepared)
        service.sign_off(session, member, prepared.entry_id)
        version = service.get_case_version(session, COORDINATOR, prepared.case_id)
        proposal = service.compute_evaluation(version)
    with pytest.raises(SignedError) as refused, store.write() as session:
        service.record_evaluation(session, COORDINATOR, version.id, proposal)
    assert refused.value.status == 409
    assert "bruno" in refused.value.message("en")
    with store.read() as session:  # nothing was stored
        assert len(service.list_evaluations(session, COORDINATOR, prepared.case_id)) == 1


def test_a_single_statement_runs_outside_a_transaction(store: Store) -> None:
    with store.write() as session:
        version = service.create_case(session, COORDINATOR, example("04"))
    with store.statement() as connection:
        stored = service.version_document(connection, COORDINATOR, version.case_id)
        assert stored.id == version.id
        assert connection.execute(select(text("1"))).scalar() == 1
        if store.dialect == "postgresql":
            # psycopg's own view of the server connection: idle, no transaction open
            from psycopg.pq import TransactionStatus

            driver = connection.connection.driver_connection
            assert driver is not None
            assert driver.info.transaction_status == TransactionStatus.IDLE
    with store.write() as session:  # a write afterwards is a transaction again
        service.new_case_version(session, COORDINATOR, version.case_id, example("04"))
    with store.read() as session:
        assert len(service.case_history(session, COORDINATOR, version.case_id)) == 2
