"""The statements a stored evaluation sends (the REST API stores one per request: every
round trip to PostgreSQL is paid on each), and the reads outside a transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from osteoboard.proposal import Proposal
from osteoboard.store import service
from osteoboard.store.db import Store
from osteoboard.store.errors import InvalidInputError, NotFoundError, SignedError
from osteoboard.store.models import AuditRow, Evaluation
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
    """The first word of every statement the store's engine sends within the block (the
    write lock as LOCK: PostgreSQL's lock of the audit chain's head row, or the advisory lock
    of a database without one)."""
    sent: list[str] = []

    def record(_c: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        words = statement.split()
        lock = "pg_advisory_xact_lock" in statement or (
            "FROM audit_head" in statement and statement.rstrip().endswith("FOR UPDATE")
        )
        sent.append("LOCK" if lock else words[0].upper())

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def _version_and_proposal(store: Store) -> tuple[int, Proposal]:
    """A case on the agenda: its version's id and the engine's proposal for it."""
    with store.write() as session:
        prepared = prepared_entry(session)
        version_id = service.get_case_version(session, COORDINATOR, prepared.case_id).id
    with store.read() as session:
        proposal = service.compute_evaluation(
            service.get_case_version(session, COORDINATOR, prepared.case_id)
        )
    return version_id, proposal


def test_a_stored_evaluation_sends_one_statement_per_step(store: Store) -> None:
    """On PostgreSQL: the write lock is the chain's head row, locked and read once (the
    write and the audit chain both ask for it); the evaluation is inserted only if its
    version belongs to the patient the proposal names and the case is not signed, in one
    statement; the chain's new row and its head moved on are one more. On SQLite (calls in
    the process): the version's owner and a sign-off in one query, the evaluation, the
    chain's head read, its new row, the head moved on."""
    version_id, proposal = _version_and_proposal(store)
    with statements(store) as sent, store.write() as session:
        service.record_evaluation(session, COORDINATOR, version_id, proposal)
    if store.dialect == "postgresql":
        assert sent == ["LOCK", "INSERT", "WITH"]
    else:
        assert sent == ["BEGIN", "SELECT", "INSERT", "SELECT", "INSERT", "UPDATE"]


def test_a_proposal_given_with_its_json_is_stored_as_the_proposal_itself(store: Store) -> None:
    """The REST API makes the proposal's JSON and hash before the write transaction
    (StoredProposal, so that the write lock waits for the statements only): the same row
    as from the proposal itself, with the same statements, on either path of the insert."""
    version_id, proposal = _version_and_proposal(store)
    rows = []
    for given in (proposal, service.StoredProposal.of(proposal)):
        with statements(store) as sent, store.write() as session:
            evaluation = service.record_evaluation(session, COORDINATOR, version_id, given)
            rows.append((evaluation.id, sent))
    with store.read() as session:
        stored = [session.get_one(Evaluation, evaluation_id) for evaluation_id, _ in rows]
        assert stored[0].proposal == stored[1].proposal == proposal.model_dump_json()
        assert stored[0].proposal_sha256 == stored[1].proposal_sha256
        assert proposal.knowledge_base is not None
        assert [e.kb_sha256 for e in stored] == [proposal.knowledge_base.sha256] * 2
    assert rows[0][1] == rows[1][1]
    # A pseudonym not the version's is refused on this path too.
    other = proposal.model_copy(update={"case_id": "someone-else"})
    with pytest.raises(InvalidInputError), store.write() as session:
        service.record_evaluation(
            session, COORDINATOR, version_id, service.StoredProposal.of(other)
        )


def test_the_write_lock_is_taken_again_in_the_next_transaction(store: Store) -> None:
    """PostgreSQL's row lock ends with its transaction; SQLite's writers begin with BEGIN
    IMMEDIATE instead."""
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


def test_an_evaluation_of_another_patient_or_of_no_version_is_refused_by_name(
    store: Store,
) -> None:
    """The checks the insert makes on PostgreSQL in one statement give the same errors as
    the reads one by one: the wrong patient (the proposal's pseudonym), a version that does
    not exist; and nothing is stored, the audit chain untouched."""
    with store.write() as session:
        prepared = prepared_entry(session)
        version = service.get_case_version(session, COORDINATOR, prepared.case_id)
        proposal = service.compute_evaluation(version)
    with store.read() as session:
        evaluations = session.scalar(select(func.count()).select_from(Evaluation))
        rows = session.scalar(select(func.count()).select_from(AuditRow))
    other = proposal.model_copy(update={"case_id": "PSN-OTHER"})
    with pytest.raises(InvalidInputError) as wrong, store.write() as session:
        service.record_evaluation(session, COORDINATOR, version.id, other)
    assert (wrong.value.key, wrong.value.field) == ("pseudonym_changed", "proposal.case_id")
    assert wrong.value.params["got"] == "PSN-OTHER"
    with pytest.raises(NotFoundError) as missing, store.write() as session:
        service.record_evaluation(session, COORDINATOR, version.id + 1000, proposal)
    assert missing.value.params["id"] == version.id + 1000
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Evaluation)) == evaluations
        assert session.scalar(select(func.count()).select_from(AuditRow)) == rows
    with store.write() as session:  # the right one is stored
        service.record_evaluation(session, COORDINATOR, version.id, proposal)
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Evaluation)) == evaluations + 1


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


@pytest.fixture
def pg_store(postgres_store: Store) -> Iterator[Store]:
    """A store of its own (a new pool) on the tests' PostgreSQL database; SQLite has no
    pool of server connections to check."""
    own = Store(postgres_store.engine.url.render_as_string(hide_password=False))
    yield own
    own.dispose()


def test_a_connection_back_from_the_pool_within_the_idle_limit_is_not_checked(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loaded server takes its connections back within milliseconds: no check (a round
    trip each) before the reads and the write of a request."""
    pings: list[object] = []
    ping = pg_store.engine.dialect.do_ping
    monkeypatch.setattr(pg_store.engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    for _ in range(3):
        with pg_store.statement() as connection:
            assert connection.execute(select(text("1"))).scalar() == 1
    with pg_store.write() as session:
        service.create_meeting(session, COORDINATOR, DATE)
    assert pings == []


def test_a_connection_idle_too_long_is_checked_and_a_dead_one_replaced(
    pg_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the idle limit the pool checks a connection before handing it out: one that
    the server ended meanwhile (a restart, an idle timeout) is replaced, and the request
    never sees it."""
    from osteoboard.store import db

    with pg_store.statement() as connection:  # the pool's one connection, back in the pool
        first = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    other = Store(pg_store.engine.url.render_as_string(hide_password=False))
    try:  # another client ends it, and waits until it has ended
        with other.statement() as connection:
            ended = text("SELECT pg_terminate_backend(:pid, 10000)")
            assert connection.execute(ended, {"pid": first}).scalar() is True
    finally:
        other.dispose()
    monkeypatch.setattr(db, "POOL_CHECK_AFTER_IDLE_S", 0.0)
    pings: list[object] = []
    ping = pg_store.engine.dialect.do_ping
    monkeypatch.setattr(pg_store.engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    with pg_store.statement() as connection:
        now = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    assert now != first
    assert len(pings) >= 1  # the ended connection was checked, and found dead
