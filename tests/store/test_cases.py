"""Patients, cases, versions and evaluations."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.store import service
from osteoboard.store.db import Store
from osteoboard.store.errors import ConflictError, InvalidInputError, NotFoundError
from osteoboard.store.models import CaseVersion, Patient
from tests.store.helpers import COORDINATOR, DATE, VIEWER, example


def test_a_case_is_stored_with_its_patient_by_pseudonym_only(store: Store) -> None:
    case = example("01")
    with store.write() as session:
        version = service.create_case(session, COORDINATOR, case, note="Erstvorstellung")
        case_id = version.case_id
    with store.read() as session:
        patient = service.get_patient(session, VIEWER, case.id)
        assert patient.pseudonym == case.id == "demo-001"
        assert {c.name for c in Patient.__table__.columns} == {
            "id",
            "pseudonym",
            "created_at",
            "created_by",
        }
        record = service.get_case(session, VIEWER, case_id)
        assert record.patient.id == patient.id and record.latest_version == 1
        stored = service.get_case_version(session, VIEWER, case_id)
        assert service.case_document(stored) == case
        assert json.loads(stored.document) == case.model_dump(mode="json", exclude_none=True)
        assert stored.author == "user:carla" and stored.note == "Erstvorstellung"
        assert stored.primary_site == "breast" and stored.created_at.tzinfo is not None


def test_an_edit_is_a_new_version_and_the_old_one_stays(store: Store) -> None:
    first = example("01")
    edited = first.model_copy(update={"board_date": DATE})
    with store.write() as session:
        case_id = service.create_case(session, COORDINATOR, first).case_id
    with store.write() as session:
        second = service.new_case_version(
            session, COORDINATOR, case_id, edited, note="Datum", expected_version=1
        )
        assert second.number == 2
    with store.read() as session:
        history = service.case_history(session, VIEWER, case_id)
        assert [v.number for v in history] == [1, 2]
        assert service.case_document(history[0]) == first
        assert service.case_document(history[1]).board_date == DATE
        assert history[0].sha256 != history[1].sha256
        assert service.get_case_version(session, VIEWER, case_id, 1).document == history[0].document
        with pytest.raises(NotFoundError) as missing:
            service.get_case_version(session, VIEWER, case_id, 3)
        assert missing.value.message("de") == f"Fall {case_id} hat keine Version 3"


def test_one_query_reads_the_same_version_as_the_orm(store: Store) -> None:
    """version_document (one plain row, on a connection) and get_case_version agree: the
    newest by default, a given number, and the same errors."""
    first = example("01")
    with store.write() as session:
        case_id = service.create_case(session, COORDINATOR, first).case_id
        service.new_case_version(
            session, COORDINATOR, case_id, first.model_copy(update={"board_date": DATE})
        )
    with store.read() as session:
        expected = {n: service.get_case_version(session, VIEWER, case_id, n) for n in (None, 1, 2)}
    with store.engine.connect() as connection:
        for number, version in expected.items():
            row = service.version_document(connection, VIEWER, case_id, number)
            assert (row.id, row.number, row.document) == (
                version.id,
                version.number,
                version.document,
            )
            assert service.case_document(row) == service.case_document(version)
        with pytest.raises(NotFoundError) as missing:
            service.version_document(connection, VIEWER, case_id, 3)
        assert missing.value.message("de") == f"Fall {case_id} hat keine Version 3"
        with pytest.raises(NotFoundError) as no_case:
            service.version_document(connection, VIEWER, case_id + 100)
        with store.read() as session, pytest.raises(NotFoundError) as orm_no_case:
            service.get_case_version(session, VIEWER, case_id + 100)
        assert no_case.value.message("de") == orm_no_case.value.message("de")


def test_an_edit_based_on_an_old_version_is_a_conflict_and_writes_nothing(store: Store) -> None:
    case = example("01")
    with store.write() as session:
        case_id = service.create_case(session, COORDINATOR, case).case_id
        service.new_case_version(session, COORDINATOR, case_id, case)
    with pytest.raises(ConflictError) as stale, store.write() as session:
        service.new_case_version(session, COORDINATOR, case_id, case, expected_version=1)
    assert stale.value.status == 409
    assert "ist inzwischen bei Version 2, nicht 1" in stale.value.message("de")
    assert "is at version 2 now, not 1" in stale.value.message("en")
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(CaseVersion)) == 2


def test_a_version_keeps_the_pseudonym(store: Store) -> None:
    with store.write() as session:
        case_id = service.create_case(session, COORDINATOR, example("01")).case_id
    other = example("02")
    with pytest.raises(InvalidInputError) as changed, store.write() as session:
        service.new_case_version(session, COORDINATOR, case_id, other)
    assert changed.value.field == "id"
    assert changed.value.message("en") == (
        "id: id must stay the case's pseudonym (demo-001), got demo-002"
    )


def test_the_database_refuses_to_change_or_delete_a_version(store: Store) -> None:
    with store.write() as session:
        service.create_case(session, COORDINATOR, example("01"))
    for statement in ("UPDATE case_versions SET document = '{}'", "DELETE FROM case_versions"):
        with pytest.raises(DBAPIError, match="never changed"), store.write() as session:
            session.execute(text(statement))
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(CaseVersion)) == 1


def test_an_evaluation_keeps_the_engines_json_and_the_knowledge_base(store: Store) -> None:
    case = example("04")
    kb = load_knowledge_base()
    with store.write() as session:
        case_id = service.create_case(session, COORDINATOR, case).case_id
        evaluation = service.evaluate_case(session, COORDINATOR, case_id)
        evaluation_id = evaluation.id
    with store.read() as session:
        stored = service.get_evaluation(session, VIEWER, evaluation_id)
        assert stored.proposal == evaluate(case, kb).model_dump_json()
        assert service.proposal_of(stored) == evaluate(case, kb)
        assert (stored.kb_version, stored.kb_sha256) == (kb.version, kb.sha256)
        assert stored.engine_version == json.loads(stored.proposal)["engine_version"]
        assert stored.case_version.number == 1
        assert [e.id for e in service.list_evaluations(session, VIEWER, case_id)] == [evaluation_id]
        assert service.latest_evaluation(session, case_id) is stored
        keys = [item.key for item in service.proposal_items(stored)]
        assert keys[:2] == ["EMERG.MSCC", "EMERG.HYPERCALCEMIA"]
        assert "RT.MSCC[T6]" in keys


def test_an_evaluation_of_an_old_version_is_not_the_latest(store: Store) -> None:
    case = example("04")
    with store.write() as session:
        case_id = service.create_case(session, COORDINATOR, case).case_id
        service.evaluate_case(session, COORDINATOR, case_id)
        service.new_case_version(session, COORDINATOR, case_id, case)
        assert service.latest_evaluation(session, case_id) is None
        again = service.evaluate_case(session, COORDINATOR, case_id, 1)
        assert again.case_version.number == 1
        assert service.latest_evaluation(session, case_id) is None


def test_cases_are_listed_with_filters(store: Store) -> None:
    with store.write() as session:
        breast = service.create_case(session, COORDINATOR, example("01")).case_id
        lung = service.create_case(session, COORDINATOR, example("04")).case_id
        prostate = service.create_case(session, COORDINATOR, example("03")).case_id
        service.evaluate_case(session, COORDINATOR, lung)
        meeting = service.create_meeting(session, COORDINATOR, DATE).id
        service.add_agenda_entry(session, COORDINATOR, meeting, lung)
        service.add_agenda_entry(session, COORDINATOR, meeting, prostate)

    def ids(**filters: object) -> list[int]:
        with store.read() as session:
            found = [c.id for c in service.list_cases(session, VIEWER, **filters)]  # type: ignore[arg-type]
            paging = {"limit", "offset"}
            count = service.count_cases(
                session,
                VIEWER,
                **{k: v for k, v in filters.items() if k not in paging},  # type: ignore[arg-type]
            )
            if not paging & set(filters):
                assert count == len(found), filters
            return found

    assert ids() == [prostate, lung, breast]
    assert ids(pseudonym="demo-001") == [breast]
    assert ids(primary_site="lung_nsclc") == [lung]
    assert ids(meeting_id=meeting) == [prostate, lung]
    assert ids(signed=False) == [prostate, lung, breast]
    assert ids(signed=True) == []
    assert ids(limit=1, offset=1) == [lung]
    with store.read() as session:
        (summary,) = [c for c in service.list_cases(session, VIEWER) if c.id == lung]
    assert (summary.pseudonym, summary.evaluated, summary.signed) == ("demo-004", True, False)
    with pytest.raises(InvalidInputError) as bad, store.read() as session:
        service.list_cases(session, VIEWER, limit=0)
    assert bad.value.field == "limit"
    with pytest.raises(InvalidInputError) as negative, store.read() as session:
        service.list_cases(session, VIEWER, offset=-1)
    assert negative.value.message("en") == "offset: must not be negative (got -1)"


def test_a_second_case_of_the_same_patient(store: Store) -> None:
    with store.write() as session:
        first = service.create_case(session, COORDINATOR, example("01")).case_id
        second = service.create_case(session, COORDINATOR, example("01")).case_id
        assert first != second
        patient = service.get_patient(session, VIEWER, "demo-001")
        assert [c.id for c in patient.cases] == [first, second]
        with pytest.raises(ConflictError):
            service.create_patient(session, COORDINATOR, "demo-001")
        with pytest.raises(InvalidInputError) as bad:
            service.create_patient(session, COORDINATOR, "Max Mustermann")
        assert bad.value.field == "pseudonym"
