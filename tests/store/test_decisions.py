"""Meetings, agendas, the board's decisions and sign-off; a signed record is read-only in
the service and in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from osteoboard.store import service
from osteoboard.store.db import Store
from osteoboard.store.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDenied,
    SignedError,
    StateError,
)
from osteoboard.store.permissions import Actor, Role
from tests.store.helpers import (
    COORDINATOR,
    DATE,
    VIEWER,
    board_member,
    decide_all,
    example,
    prepared_entry,
)


def test_meetings_and_their_agenda(store: Store) -> None:
    with store.write() as session:
        meeting = service.create_meeting(
            session,
            COORDINATOR,
            DATE,
            title="Knochenmetastasen-Board",
            disciplines=["Radioonkologie", "Orthopädie", "Radioonkologie"],
            participants=["Dr. A", "Dr. B"],
        )
        cases = [
            service.create_case(session, COORDINATOR, example(n)).case_id
            for n in ("01", "02", "03", "04", "05")
        ]
        entries = [service.add_agenda_entry(session, COORDINATOR, meeting.id, c) for c in cases[:4]]
        first = service.add_agenda_entry(session, COORDINATOR, meeting.id, cases[4], position=1)
        meeting_id = meeting.id
    with store.read() as session:
        meeting = service.get_meeting(session, VIEWER, meeting_id)
        assert meeting.disciplines == ["Radioonkologie", "Orthopädie"]  # no duplicates
        assert meeting.participants == ["Dr. A", "Dr. B"]
        agenda = service.list_agenda(session, VIEWER, meeting_id)
        assert [e.id for e in agenda] == [first.id] + [e.id for e in entries]
        assert [e.position for e in agenda] == [1, 2, 3, 4, 5]
    with store.write() as session:
        service.move_agenda_entry(session, COORDINATOR, first.id, 5)
        service.remove_agenda_entry(session, COORDINATOR, entries[0].id)
        with pytest.raises(ConflictError):
            service.add_agenda_entry(session, COORDINATOR, meeting_id, cases[1])
        with pytest.raises(InvalidInputError) as bad:
            service.move_agenda_entry(session, COORDINATOR, first.id, 9)
        assert bad.value.field == "position"
        assert bad.value.message("de") == "position: muss zwischen 1 und 4 liegen (erhalten 9)"
        service.update_meeting(
            session, COORDINATOR, meeting_id, date=dt.date(2026, 12, 10), participants=["Dr. C"]
        )
    with store.read() as session:
        agenda = service.list_agenda(session, VIEWER, meeting_id)
        assert [e.id for e in agenda] == [e.id for e in entries[1:]] + [first.id]
        assert [e.position for e in agenda] == [1, 2, 3, 4]
        meeting = service.get_meeting(session, VIEWER, meeting_id)
        assert (meeting.date, meeting.participants) == (dt.date(2026, 12, 10), ["Dr. C"])
        assert [m.id for m in service.list_meetings(session, VIEWER, date_from=DATE)] == [
            meeting_id
        ]
        assert service.list_meetings(session, VIEWER, date_to=DATE) == []
    with store.write() as session:
        service.delete_meeting(session, COORDINATOR, meeting_id)
        with pytest.raises(NotFoundError):
            service.get_meeting(session, VIEWER, meeting_id)


def test_meeting_input_is_checked(store: Store) -> None:
    with store.write() as session:
        with pytest.raises(InvalidInputError) as empty:
            service.create_meeting(session, COORDINATOR, DATE, participants=["Dr. A", " "])
        assert empty.value.field == "participants[1]"
        with pytest.raises(InvalidInputError) as long:
            service.create_meeting(session, COORDINATOR, DATE, title="x" * 201)
        assert long.value.message("en") == "title: must be at most 200 characters long (got 201)"


def test_item_decisions_are_checked_against_the_evaluation(store: Store) -> None:
    with store.write() as session:
        prepared = prepared_entry(session)
        member = board_member(session)
    with store.write() as session:
        with pytest.raises(InvalidInputError) as unknown:
            service.record_item_decision(
                session, member, prepared.entry_id, "RT.SBRT[X9]", "accepted"
            )
        assert unknown.value.field == "item_key"
        assert "EMERG.MSCC" in unknown.value.message("de")
        with pytest.raises(InvalidInputError) as outcome:
            service.record_item_decision(session, member, prepared.entry_id, "EMERG.MSCC", "maybe")
        assert outcome.value.message("en") == (
            "outcome: must be one of accepted, modified, rejected (got 'maybe')"
        )
        with pytest.raises(InvalidInputError) as reason:
            service.record_item_decision(
                session, member, prepared.entry_id, "RT.MSCC[T6]", "rejected"
            )
        assert reason.value.field == "reason"
        decision = service.record_item_decision(
            session,
            member,
            prepared.entry_id,
            "RT.MSCC[T6]",
            "modified",
            reason="Operation zuerst",
            text="Dekompression, danach 5 × 4 Gy",
        )
        assert (decision.code, decision.lesion, decision.evaluation_id) == (
            "RT.MSCC",
            "T6",
            prepared.evaluation_id,
        )
        again = service.record_item_decision(
            session, member, prepared.entry_id, "RT.MSCC[T6]", "accepted"
        )
        assert again.id == decision.id and again.reason is None
        with pytest.raises(InvalidInputError) as deviation:
            service.record_overall_decision(session, member, prepared.entry_id, "Anders.", False)
        assert deviation.value.field == "deviation_reason"
        overall = service.record_overall_decision(
            session, member, prepared.entry_id, "Anders.", False, deviation_reason="Patientenwunsch"
        )
        assert (overall.guideline_conform, overall.deviation_reason) == (False, "Patientenwunsch")


def test_only_board_members_decide_and_only_a_logged_in_one_signs(store: Store) -> None:
    with store.write() as session:
        prepared = prepared_entry(session)
        member = board_member(session)
        decide_all(session, member, prepared)
    with store.write() as session:
        with pytest.raises(PermissionDenied):
            service.record_item_decision(
                session, COORDINATOR, prepared.entry_id, "EMERG.MSCC", "accepted"
            )
        with pytest.raises(PermissionDenied):
            service.sign_off(session, COORDINATOR, prepared.entry_id)
        token = Actor(kind="token", name="kis", role=Role.board_member, id=1)
        with pytest.raises(PermissionDenied) as by_token:
            service.sign_off(session, token, prepared.entry_id)
        assert "kein Token" in by_token.value.message("de")


def test_sign_off_needs_every_item_and_the_overall_decision(store: Store) -> None:
    with store.write() as session:
        prepared = prepared_entry(session)
        member = board_member(session)
    with store.write() as session:
        with pytest.raises(StateError) as undecided:
            service.sign_off(session, member, prepared.entry_id)
        assert undecided.value.message("en").startswith("no decision yet on: EMERG.MSCC, ")
        for key in prepared.items:
            service.record_item_decision(session, member, prepared.entry_id, key, "accepted")
        with pytest.raises(StateError) as overall:
            service.sign_off(session, member, prepared.entry_id)
        assert overall.value.key == "no_overall_decision"


def test_decisions_on_an_older_evaluation_must_be_made_again(store: Store) -> None:
    with store.write() as session:
        prepared = prepared_entry(session)
        member = board_member(session)
        decide_all(session, member, prepared)
        service.evaluate_case(session, COORDINATOR, prepared.case_id)  # a newer evaluation
    with pytest.raises(StateError) as stale, store.write() as session:
        service.sign_off(session, member, prepared.entry_id)
    assert stale.value.key == "stale_evaluation"
    with store.write() as session:
        service.new_case_version(session, COORDINATOR, prepared.case_id, example("04"))
        with pytest.raises(StateError) as not_evaluated:
            service.record_item_decision(
                session, member, prepared.entry_id, "EMERG.MSCC", "accepted"
            )
        assert not_evaluated.value.key == "not_evaluated"


def test_a_signed_record_is_read_only(store: Store) -> None:
    with store.write() as session:
        prepared = prepared_entry(session)
        other = prepared_entry(session, "01", meeting_id=prepared.meeting_id)
        member = board_member(session)
        decide_all(session, member, prepared)
    with store.write() as session:
        entry = service.sign_off(session, member, prepared.entry_id)
        assert (
            entry.signed
            and entry.signed_by == "user:bruno"
            and entry.signed_by_user_id == member.id
        )
        assert entry.evaluation_id == prepared.evaluation_id
    with store.read() as session:
        assert [c.id for c in service.list_cases(session, VIEWER, signed=True)] == [
            prepared.case_id
        ]
        assert [c.id for c in service.list_cases(session, VIEWER, signed=False)] == [other.case_id]
    refused = [
        lambda s: service.record_item_decision(
            s, member, prepared.entry_id, "EMERG.MSCC", "rejected", reason="x"
        ),
        lambda s: service.record_overall_decision(s, member, prepared.entry_id, "Anders.", True),
        lambda s: service.sign_off(s, member, prepared.entry_id),
        lambda s: service.remove_agenda_entry(s, COORDINATOR, prepared.entry_id),
        lambda s: service.delete_meeting(s, COORDINATOR, prepared.meeting_id),
        lambda s: service.new_case_version(s, COORDINATOR, prepared.case_id, example("04")),
        lambda s: service.evaluate_case(s, COORDINATOR, prepared.case_id),
        lambda s: service.add_agenda_entry(
            s, COORDINATOR, service.create_meeting(s, COORDINATOR, DATE).id, prepared.case_id
        ),
    ]
    for attempt in refused:
        with pytest.raises(SignedError) as signed, store.write() as session:
            attempt(session)
        assert signed.value.status == 409
    assert "abgezeichnet" in signed.value.message("de")
    with store.write() as session:  # the agenda around it may still change
        service.move_agenda_entry(session, COORDINATOR, other.entry_id, 1)
        assert service.get_agenda_entry(session, VIEWER, prepared.entry_id).position == 2


def test_the_database_refuses_to_change_a_signed_record(store: Store) -> None:
    with store.write() as session:
        prepared = prepared_entry(session)
        member = board_member(session)
        decide_all(session, member, prepared)
        service.sign_off(session, member, prepared.entry_id)
    statements = [
        "UPDATE item_decisions SET outcome = 'rejected'",
        "DELETE FROM item_decisions",
        f"INSERT INTO item_decisions (agenda_entry_id, evaluation_id, item_key, code, outcome, "
        f"author, decided_at) VALUES ({prepared.entry_id}, {prepared.evaluation_id}, 'X', 'X', "
        f"'accepted', 'x', '2026-12-03 10:00:00')",
        "UPDATE overall_decisions SET guideline_conform = false",
        "DELETE FROM overall_decisions",
        "UPDATE agenda_entries SET signed_at = NULL",
        "UPDATE agenda_entries SET evaluation_id = NULL",
        "DELETE FROM agenda_entries",
        "UPDATE evaluations SET proposal = '{}'",
        "DELETE FROM evaluations",
    ]
    for statement in statements:
        with pytest.raises(DBAPIError, match=r"read-only|never changed"), store.write() as session:
            session.execute(text(statement))
    with store.read() as session:
        entry = service.get_agenda_entry(session, VIEWER, prepared.entry_id)
        assert entry.signed and len(entry.item_decisions) == len(prepared.items)
        assert {d.outcome for d in entry.item_decisions} == {"accepted"}


def test_an_unsigned_entry_leaves_the_agenda_with_its_decisions(store: Store) -> None:
    from sqlalchemy import func, select

    from osteoboard.store import audit
    from osteoboard.store.models import AuditRow, ItemDecision, OverallDecision

    with store.write() as session:
        prepared = prepared_entry(session, "03")
        member = board_member(session)
        decide_all(session, member, prepared)
    with store.write() as session:
        service.remove_agenda_entry(session, COORDINATOR, prepared.entry_id)
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(ItemDecision)) == 0
        assert session.scalar(select(func.count()).select_from(OverallDecision)) == 0
        assert service.list_agenda(session, VIEWER, prepared.meeting_id) == []
        deleted = session.scalars(
            select(AuditRow.action).where(AuditRow.action.like("%.delete"))
        ).all()
        assert sorted(set(deleted)) == [
            "agenda_entry.delete",
            "item_decision.delete",
            "overall_decision.delete",
        ]
        assert deleted.count("item_decision.delete") == len(prepared.items)
        assert audit.verify(session).ok
