"""Login, meetings and their agendas, the list of cases, the knowledge base."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from osteoboard.api.auth import COOKIE
from osteoboard.api.stores import store_of
from osteoboard.guideline import load_knowledge_base
from osteoboard.store import service
from osteoboard.store.accounts import LoginPolicy, login, logout
from osteoboard.store.errors import AuthenticationError, LockedOutError
from osteoboard.store.models import AgendaEntry, CaseRecord, CaseVersion, Evaluation
from osteoboard.store.permissions import Operation
from osteoboard.web import kbview
from osteoboard.web.routing import WebError, redirect, router
from osteoboard.web.session import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    WebUser,
    check_login_csrf,
    current_user,
    lang_of,
    new_login_csrf,
    require_csrf,
    set_cookie,
    settings_of,
)
from osteoboard.web.templating import page
from osteoboard.web.texts import say

__all__ = ["agenda_rows", "changing", "form_of", "safe_next"]


async def form_of(request: Request) -> Any:
    return await request.form()


async def changing(request: Request) -> tuple[Any, WebUser]:
    """The form of a request that changes something, and who sends it: the session must be
    valid and the form carry its CSRF token."""
    form = await form_of(request)
    user = current_user(request)
    require_csrf(request, user, form.get("csrf_token"))
    return form, user


def safe_next(value: str | None) -> str:
    """A local path to go on to after login (never another host)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/meetings"
    return value


# -- frame ----------------------------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    current_user(request)
    return RedirectResponse("/meetings", status_code=303)


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request) -> Response:
    """Choose the pages' language (a cookie) and go back to where one was."""
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.set_cookie(
        LANG_COOKIE,
        "en" if lang == "en" else "de",
        max_age=365 * 24 * 3600,
        path="/",
        samesite="strict",
        httponly=True,
        secure=settings_of(request).cookie_secure,
    )
    return response


# -- login ----------------------------------------------------------------------------------


def _login_page(
    request: Request, *, error: str | None = None, status: int = 200, username: str = ""
) -> Response:
    token = new_login_csrf()
    lang = lang_of(request)
    notice = None
    if request.query_params.get("expired"):
        notice = say("session_expired", lang)
    elif request.query_params.get("out"):
        notice = say("logged_out", lang)
    response = page(
        request,
        "login.html.j2",
        user=None,
        status=status,
        login_csrf=token,
        error=error,
        notice=notice,
        username=username,
        next_path=safe_next(request.query_params.get("next")),
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await form_of(request)
    lang = lang_of(request)
    username = str(form.get("username") or "")[:64]
    if not check_login_csrf(request, str(form.get("csrf_token") or "")):
        return _login_page(request, error=say("csrf_failed", lang), status=403, username=username)
    settings = settings_of(request)
    policy = LoginPolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
        session_lifetime=timedelta(minutes=settings.session_minutes),
    )
    password = str(form.get("password") or "")

    def attempt() -> Any:
        with store_of(request).write() as session:
            return login(session, username, password, policy=policy)

    result = await run_in_threadpool(attempt)
    try:
        new = result.unwrap()
    except LockedOutError as exc:
        message = say("locked_out", lang, seconds=exc.retry_after)
        return _login_page(request, error=message, status=429, username=username)
    except AuthenticationError:
        return _login_page(request, error=say("login_failed", lang), status=401, username=username)
    response = RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)
    set_cookie(response, request, COOKIE, new.session_id, settings.session_minutes * 60)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout_submit(request: Request) -> Response:
    _form, _user = await changing(request)

    def end() -> None:
        with store_of(request).write() as session:
            logout(session, request.cookies.get(COOKIE, ""))

    await run_in_threadpool(end)
    response = RedirectResponse("/login?out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


# -- meetings -------------------------------------------------------------------------------


def _flash(request: Request, **params: object) -> str | None:
    done = request.query_params.get("done")
    known = {
        "meeting_created",
        "entry_added",
        "entry_removed",
        "entry_moved",
        "evaluated_msg",
        "case_saved",
        "signed_msg",
    }
    if done not in known:
        return None
    try:
        return say(done, lang_of(request), **params)
    except KeyError:
        return None


@router.get("/meetings")
def meetings(request: Request) -> Response:
    user = current_user(request)
    with store_of(request).read() as session:
        rows = [
            {"id": m.id, "date": m.date, "title": m.title or "", "count": len(m.entries)}
            for m in service.list_meetings(session, user.actor)
        ]
    rows.reverse()  # newest first
    return page(
        request,
        "meetings.html.j2",
        user=user,
        meetings=rows,
        today=dt.date.today().isoformat(),
        flash=_flash(request),
    )


@router.post("/meetings")
async def create_meeting(request: Request) -> Response:
    form, user = await changing(request)
    try:
        date = dt.date.fromisoformat(str(form.get("date") or ""))
    except ValueError:
        raise WebError(422, say("date", lang_of(request)) + ": JJJJ-MM-TT / YYYY-MM-DD") from None
    title = str(form.get("title") or "") or None

    def create() -> int:
        with store_of(request).write() as session:
            return service.create_meeting(session, user.actor, date, title=title).id

    meeting_id = await run_in_threadpool(create)
    return redirect(request, f"/meetings/{meeting_id}?done=meeting_created")


#: proposal sha256 → (items to decide, emergencies); an evaluation never changes.
_COUNTS: dict[str, tuple[int, int]] = {}


def _item_counts(session: Any, evaluation_id: int, sha256: str) -> tuple[int, int]:
    counts = _COUNTS.get(sha256)
    if counts is None:
        items = service.proposal_items(session.get(Evaluation, evaluation_id))
        counts = (len(items), sum(1 for i in items if i.kind == "emergency"))
        if len(_COUNTS) > 10_000:
            _COUNTS.clear()
        _COUNTS[sha256] = counts
    return counts


def agenda_rows(session: Any, meeting_id: int, lang: str) -> list[dict[str, Any]]:
    """The agenda's lines: case, primary site, version, what is decided. A handful of
    queries for the whole agenda (not a few per line): the entries with their cases,
    patients and decisions, the newest versions, the current evaluations."""
    kb = load_knowledge_base()
    entries = list(
        session.scalars(
            select(AgendaEntry)
            .where(AgendaEntry.meeting_id == meeting_id)
            .options(
                selectinload(AgendaEntry.case).selectinload(CaseRecord.patient),
                selectinload(AgendaEntry.item_decisions),
            )
            .order_by(AgendaEntry.position)
        )
    )
    case_ids = [entry.case_id for entry in entries]
    latest = {
        case_id: (version_id, site)
        for case_id, version_id, site in session.execute(
            select(CaseVersion.case_id, CaseVersion.id, CaseVersion.primary_site)
            .join(CaseRecord, CaseRecord.id == CaseVersion.case_id)
            .where(
                CaseVersion.case_id.in_(case_ids), CaseVersion.number == CaseRecord.latest_version
            )
        )
    }
    newest = dict(
        session.execute(
            select(Evaluation.case_version_id, func.max(Evaluation.id))
            .where(Evaluation.case_version_id.in_([v for v, _ in latest.values()]))
            .group_by(Evaluation.case_version_id)
        ).all()
    )
    current = {
        entry.id: entry.evaluation_id or newest.get(latest[entry.case_id][0]) for entry in entries
    }
    hashes = dict(
        session.execute(
            select(Evaluation.id, Evaluation.proposal_sha256).where(
                Evaluation.id.in_([e for e in current.values() if e is not None])
            )
        ).all()
    )
    rows = []
    for entry in entries:
        evaluation_id = current[entry.id]
        count, emergencies = (
            _item_counts(session, evaluation_id, hashes[evaluation_id])
            if evaluation_id is not None
            else (0, 0)
        )
        site = latest[entry.case_id][1]
        rows.append(
            {
                "entry_id": entry.id,
                "position": entry.position,
                "case_id": entry.case_id,
                "pseudonym": entry.case.patient.pseudonym,
                "primary": kb.labels.say("primary_site", site, lang) if site else "–",
                "version": entry.case.latest_version,
                "evaluated": evaluation_id is not None,
                "item_count": count,
                "emergencies": emergencies,
                "decided": sum(1 for d in entry.item_decisions if d.evaluation_id == evaluation_id),
                "signed": entry.signed,
            }
        )
    return rows


@router.get("/meetings/{meeting_id}")
def meeting_page(meeting_id: int, request: Request) -> Response:
    user = current_user(request)
    with store_of(request).read() as session:
        meeting = service.get_meeting(session, user.actor, meeting_id)
        rows = agenda_rows(session, meeting_id, lang_of(request))
        on_agenda = {row["case_id"] for row in rows}
        candidates = []
        if user.may(Operation.meeting_write):
            candidates = [
                c
                for c in service.list_cases(session, user.actor, signed=False, limit=500)
                if c.id not in on_agenda
            ]
        info = {
            "id": meeting.id,
            "date": meeting.date,
            "title": meeting.title or "",
            "disciplines": list(meeting.disciplines),
        }
    return page(
        request,
        "meeting.html.j2",
        user=user,
        meeting=info,
        rows=rows,
        candidates=candidates,
        flash=_flash(request),
    )


@router.post("/meetings/{meeting_id}/agenda")
async def add_to_agenda(meeting_id: int, request: Request) -> Response:
    form, user = await changing(request)
    try:
        case_id = int(str(form.get("case_id") or ""))
    except ValueError:
        raise WebError(422, say("not_found", lang_of(request))) from None

    def add() -> None:
        with store_of(request).write() as session:
            service.add_agenda_entry(session, user.actor, meeting_id, case_id)

    await run_in_threadpool(add)
    return redirect(request, f"/meetings/{meeting_id}?done=entry_added")


@router.post("/entries/{entry_id}/remove")
async def remove_from_agenda(entry_id: int, request: Request) -> Response:
    _form, user = await changing(request)

    def remove() -> int:
        with store_of(request).write() as session:
            meeting_id = service.get_agenda_entry(session, user.actor, entry_id).meeting_id
            service.remove_agenda_entry(session, user.actor, entry_id)
            return meeting_id

    meeting_id = await run_in_threadpool(remove)
    return redirect(request, f"/meetings/{meeting_id}?done=entry_removed")


@router.post("/entries/{entry_id}/move")
async def move_on_agenda(entry_id: int, request: Request) -> Response:
    form, user = await changing(request)
    try:
        position = int(str(form.get("position") or ""))
    except ValueError:
        raise WebError(422, say("position", lang_of(request))) from None

    def move() -> int:
        with store_of(request).write() as session:
            entry = service.move_agenda_entry(session, user.actor, entry_id, position)
            return entry.meeting_id

    meeting_id = await run_in_threadpool(move)
    return redirect(request, f"/meetings/{meeting_id}?done=entry_moved")


# -- cases ------------------------------------------------------------------------------------


@router.get("/cases")
def cases(request: Request) -> Response:
    user = current_user(request)
    lang = lang_of(request)
    kb = load_knowledge_base()
    with store_of(request).read() as session:
        rows = service.list_cases(session, user.actor, limit=500)
    shown = [
        {
            "id": c.id,
            "pseudonym": c.pseudonym,
            "primary": kb.labels.say("primary_site", c.primary_site, lang)
            if c.primary_site
            else "–",
            "version": c.latest_version,
            "evaluated": c.evaluated,
            "signed": c.signed,
        }
        for c in rows
    ]
    return page(request, "cases.html.j2", user=user, cases=shown)


# -- knowledge base -----------------------------------------------------------------------------


@router.get("/kb")
def knowledge_base(request: Request) -> Response:
    user = current_user(request)
    lang = lang_of(request)
    query = (request.query_params.get("q") or "").strip()[:200]
    results = kbview.search(load_knowledge_base(), query, lang)
    template = "kb_results.html.j2" if request.headers.get("hx-request") else "kb.html.j2"
    return page(
        request,
        template,
        user=user,
        query=query,
        results=results,
        kb_version=load_knowledge_base().version,
    )
