"""Board meetings, their agendas, the board's decisions and the sign-off."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from osteoboard.api.auth import DecisionWriter, MeetingReader, MeetingWriter, Signer
from osteoboard.api.bodies import StrictRoute
from osteoboard.api.responses import created, problems_of
from osteoboard.api.schemas import (
    AgendaEntryIn,
    AgendaEntryMove,
    AgendaEntryOut,
    ItemDecisionIn,
    ItemDecisionOut,
    ItemOut,
    MeetingIn,
    MeetingOut,
    MeetingPatch,
    OverallDecisionIn,
    OverallDecisionOut,
)
from osteoboard.api.stores import store_of
from osteoboard.store import service
from osteoboard.store.models import AgendaEntry, Meeting

__all__ = ["router"]

router = APIRouter(tags=["meetings"], route_class=StrictRoute)

MeetingId = Annotated[int, Path(ge=1)]
EntryId = Annotated[int, Path(ge=1)]


def entry_out(session: Session, entry: AgendaEntry) -> AgendaEntryOut:
    evaluation = service.current_evaluation(session, entry)
    items = service.proposal_items(evaluation) if evaluation is not None else []
    overall = entry.overall
    return AgendaEntryOut(
        id=entry.id,
        meeting_id=entry.meeting_id,
        case_id=entry.case_id,
        pseudonym=entry.case.patient.pseudonym,
        position=entry.position,
        evaluation_id=evaluation.id if evaluation is not None else None,
        items=[ItemOut.model_validate(item) for item in items],
        decisions=[ItemDecisionOut.model_validate(d) for d in entry.item_decisions],
        overall=OverallDecisionOut.model_validate(overall) if overall is not None else None,
        signed=entry.signed,
        signed_by=entry.signed_by,
        signed_at=entry.signed_at,
    )


def meeting_out(session: Session, meeting: Meeting, *, agenda: bool) -> MeetingOut:
    out = MeetingOut.model_validate(meeting)
    if agenda:
        out.agenda = [entry_out(session, entry) for entry in meeting.entries]
    return out


@router.post(
    "/meetings",
    status_code=201,
    response_model=MeetingOut,
    summary="Create a board meeting",
    responses=problems_of(401, 403, 413, 415, 422),
)
def create_meeting(body: MeetingIn, request: Request, actor: MeetingWriter) -> Response:
    with store_of(request).write() as session:
        meeting = service.create_meeting(
            session,
            actor,
            body.date,
            title=body.title,
            disciplines=body.disciplines,
            participants=body.participants,
        )
        out = meeting_out(session, meeting, agenda=True)
    return created(out.model_dump_json(), f"{request.url.path}/{out.id}")


@router.get(
    "/meetings",
    response_model=list[MeetingOut],
    summary="Meetings between two dates, in date order",
    responses=problems_of(401, 403, 422),
)
def list_meetings(
    request: Request,
    actor: MeetingReader,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
) -> list[MeetingOut]:
    with store_of(request).read() as session:
        meetings = service.list_meetings(session, actor, date_from=date_from, date_to=date_to)
        return [meeting_out(session, m, agenda=False) for m in meetings]


@router.get(
    "/meetings/{meeting_id}",
    response_model=MeetingOut,
    summary="A meeting with its agenda",
    responses=problems_of(401, 403, 404),
)
def get_meeting(meeting_id: MeetingId, request: Request, actor: MeetingReader) -> MeetingOut:
    with store_of(request).read() as session:
        return meeting_out(session, service.get_meeting(session, actor, meeting_id), agenda=True)


@router.patch(
    "/meetings/{meeting_id}",
    response_model=MeetingOut,
    summary="Change a meeting's date, title, disciplines or participants",
    responses=problems_of(401, 403, 404, 413, 415, 422),
)
def update_meeting(
    meeting_id: MeetingId,
    body: MeetingPatch,
    request: Request,
    actor: MeetingWriter,
) -> MeetingOut:
    with store_of(request).write() as session:
        meeting = service.update_meeting(
            session,
            actor,
            meeting_id,
            date=body.date,
            title=body.title,
            disciplines=body.disciplines,
            participants=body.participants,
        )
        return meeting_out(session, meeting, agenda=True)


@router.delete(
    "/meetings/{meeting_id}",
    status_code=204,
    summary="Delete a meeting and its agenda (refused when an entry is signed)",
    responses=problems_of(401, 403, 404, 409),
)
def delete_meeting(meeting_id: MeetingId, request: Request, actor: MeetingWriter) -> Response:
    with store_of(request).write() as session:
        service.delete_meeting(session, actor, meeting_id)
    return Response(status_code=204)


@router.post(
    "/meetings/{meeting_id}/agenda",
    status_code=201,
    response_model=AgendaEntryOut,
    summary="Put a case on the agenda",
    responses=problems_of(401, 403, 404, 409, 413, 415, 422),
)
def add_entry(
    meeting_id: MeetingId,
    body: AgendaEntryIn,
    request: Request,
    actor: MeetingWriter,
) -> Response:
    with store_of(request).write() as session:
        entry = service.add_agenda_entry(
            session, actor, meeting_id, body.case_id, position=body.position
        )
        out = entry_out(session, entry)
    return created(out.model_dump_json(), f"/api/v1/agenda-entries/{out.id}")


@router.get(
    "/agenda-entries/{entry_id}",
    response_model=AgendaEntryOut,
    summary="An agenda entry: the items to decide, the decisions and the sign-off",
    responses=problems_of(401, 403, 404),
)
def get_entry(entry_id: EntryId, request: Request, actor: MeetingReader) -> AgendaEntryOut:
    with store_of(request).read() as session:
        return entry_out(session, service.get_agenda_entry(session, actor, entry_id))


@router.patch(
    "/agenda-entries/{entry_id}",
    response_model=AgendaEntryOut,
    summary="Move an entry to another position",
    responses=problems_of(401, 403, 404, 413, 415, 422),
)
def move_entry(
    entry_id: EntryId,
    body: AgendaEntryMove,
    request: Request,
    actor: MeetingWriter,
) -> AgendaEntryOut:
    with store_of(request).write() as session:
        entry = service.move_agenda_entry(session, actor, entry_id, body.position)
        return entry_out(session, entry)


@router.delete(
    "/agenda-entries/{entry_id}",
    status_code=204,
    summary="Take a case off the agenda (refused once signed)",
    responses=problems_of(401, 403, 404, 409),
)
def remove_entry(entry_id: EntryId, request: Request, actor: MeetingWriter) -> Response:
    with store_of(request).write() as session:
        service.remove_agenda_entry(session, actor, entry_id)
    return Response(status_code=204)


@router.post(
    "/agenda-entries/{entry_id}/decisions",
    response_model=ItemDecisionOut,
    summary="Record the board's decision on one item (again: replaces it)",
    responses=problems_of(401, 403, 404, 409, 413, 415, 422),
)
def decide_item(
    entry_id: EntryId,
    body: ItemDecisionIn,
    request: Request,
    actor: DecisionWriter,
) -> ItemDecisionOut:
    with store_of(request).write() as session:
        decision = service.record_item_decision(
            session,
            actor,
            entry_id,
            body.item_key,
            body.outcome,
            reason=body.reason,
            text=body.text,
        )
        return ItemDecisionOut.model_validate(decision)


@router.put(
    "/agenda-entries/{entry_id}/overall",
    response_model=OverallDecisionOut,
    summary="Record the overall decision and its guideline conformity",
    responses=problems_of(401, 403, 404, 409, 413, 415, 422),
)
def decide_overall(
    entry_id: EntryId,
    body: OverallDecisionIn,
    request: Request,
    actor: DecisionWriter,
) -> OverallDecisionOut:
    with store_of(request).write() as session:
        overall = service.record_overall_decision(
            session,
            actor,
            entry_id,
            body.text,
            body.guideline_conform,
            deviation_reason=body.deviation_reason,
        )
        return OverallDecisionOut.model_validate(overall)


@router.post(
    "/agenda-entries/{entry_id}/sign-off",
    response_model=AgendaEntryOut,
    summary="Sign the entry off: from then on it is read-only",
    responses=problems_of(401, 403, 404, 409),
)
def sign_off(entry_id: EntryId, request: Request, actor: Signer) -> AgendaEntryOut:
    """Only a logged-in board member (not a token), once every item has a decision and the
    overall decision is recorded. Afterwards every change to the entry, its decisions, its
    evaluation or its case is refused with 409 (`read-only`)."""
    with store_of(request).write() as session:
        entry = service.sign_off(session, actor, entry_id)
        return entry_out(session, entry)
