"""Login and logout: a server-side session in an HttpOnly, SameSite=Strict cookie."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from osteoboard.api.auth import COOKIE, Authenticated
from osteoboard.api.bodies import StrictRoute
from osteoboard.api.problems import ApiProblem
from osteoboard.api.responses import problems_of
from osteoboard.api.schemas import LoginIn, SessionOut
from osteoboard.api.settings import Settings
from osteoboard.api.stores import store_of
from osteoboard.store.accounts import LoginPolicy, check_password, login, logout

__all__ = ["router"]

router = APIRouter(tags=["session"], route_class=StrictRoute)

_NOT_A_SESSION = (
    "Mit einem API-Token gibt es keine Sitzung",
    "There is no session with an API token",
)


def _settings(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


@router.post(
    "/session",
    response_model=SessionOut,
    summary="Log in: sets the session cookie, returns the CSRF token",
    responses=problems_of(401, 413, 415, 422, 429),
)
def create_session(body: LoginIn, request: Request) -> Response:
    """Wrong user name or password: 401 (the same answer for both). After too many failed
    attempts for a user name within the window: 429 with `Retry-After`, whatever the
    password."""
    settings = _settings(request)
    policy = LoginPolicy(
        max_failures=settings.login_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
        session_lifetime=timedelta(minutes=settings.session_minutes),
    )
    store = store_of(request)
    # The password is hashed before the write transaction, so writers do not wait for it.
    with store.read() as session:
        checked = check_password(session, body.username, body.password)
    with store.write() as session:
        result = login(session, body.username, body.password, policy=policy, checked=checked)
    new = result.unwrap()  # after the commit: a failed attempt stays counted
    out = SessionOut(
        user=new.actor.name,
        role=new.actor.role.value,
        csrf_token=new.csrf_secret,
        expires_at=new.expires_at,
    )
    response = Response(out.model_dump_json(), media_type="application/json")
    response.set_cookie(
        COOKIE,
        new.session_id,
        max_age=settings.session_minutes * 60,
        path="/",
        secure=settings.cookie_secure,
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get(
    "/session",
    response_model=SessionOut,
    summary="The current session: user, role and CSRF token",
    responses=problems_of(401),
)
def get_session(caller: Authenticated) -> Response:
    if caller.via != "session" or caller.csrf_token is None or caller.expires_at is None:
        raise ApiProblem(404, "not-found", _NOT_A_SESSION)
    out = SessionOut(
        user=caller.actor.name,
        role=caller.actor.role.value,
        csrf_token=caller.csrf_token,
        expires_at=caller.expires_at,
    )
    return Response(
        out.model_dump_json(), media_type="application/json", headers={"Cache-Control": "no-store"}
    )


@router.delete(
    "/session",
    status_code=204,
    summary="Log out: ends the session and clears the cookie",
    responses=problems_of(401, 403),
)
def delete_session(
    request: Request,
    caller: Authenticated,
) -> Response:
    if caller.via != "session":
        raise ApiProblem(404, "not-found", _NOT_A_SESSION)
    with store_of(request).write() as session:
        logout(session, request.cookies.get(COOKIE, ""))
    response = Response(status_code=204)
    settings = _settings(request)
    response.delete_cookie(
        COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="strict"
    )
    return response
