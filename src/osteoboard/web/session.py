"""Who is using the web app: the login session, its CSRF token, the language.

The web app shares the REST API's session cookie (HttpOnly, SameSite=Strict, Secure unless
``OSTEOBOARD_COOKIE_SECURE=false``) and the store's login sessions, which end after
``OSTEOBOARD_SESSION_MINUTES``. Every form that changes something carries the session's CSRF
token (a hidden ``csrf_token`` field; htmx sends it as the ``X-CSRF-Token`` header as well);
the login form, sent before there is a session, carries a token that must match a cookie of
its own (double submit).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from osteoboard.api.auth import COOKIE, CSRF_HEADER
from osteoboard.api.settings import Settings
from osteoboard.api.stores import store_of
from osteoboard.store.accounts import resolve_session
from osteoboard.store.errors import AuthenticationError
from osteoboard.store.permissions import Actor, Operation, allowed
from osteoboard.web.texts import Lang

__all__ = [
    "LANG_COOKIE",
    "LOGIN_CSRF_COOKIE",
    "CsrfFailed",
    "LoginRequired",
    "WebUser",
    "check_login_csrf",
    "current_user",
    "lang_of",
    "new_login_csrf",
    "require_csrf",
    "set_cookie",
    "settings_of",
]

LANG_COOKIE = "osteoboard_lang"
LOGIN_CSRF_COOKIE = "osteoboard_login_csrf"


class LoginRequired(Exception):
    """No valid session: the page leads to the login (``expired``: there was one)."""

    def __init__(self, next_path: str, *, expired: bool) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.expired = expired


class CsrfFailed(Exception):
    """A form that changes something came without the session's CSRF token."""


@dataclass(frozen=True)
class WebUser:
    """The logged-in person: the store's actor, the session's CSRF token and its end."""

    actor: Actor
    csrf: str
    expires_at: datetime

    def may(self, operation: Operation) -> bool:
        return allowed(self.actor.role, operation)


def settings_of(request: Request) -> Settings:
    settings = request.app.state.settings
    assert isinstance(settings, Settings)
    return settings


def lang_of(request: Request) -> Lang:
    """The language of the pages: ``?lang=`` wins, then the cookie, then German."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return "en" if asked == "en" else "de"


def _next_path(request: Request) -> str:
    path = request.url.path
    if request.method != "GET":
        return "/"
    query = request.url.query
    return quote(path + (f"?{query}" if query else ""), safe="/?=&")


def current_user(request: Request) -> WebUser:
    """The logged-in person, or :class:`LoginRequired`."""
    cached = request.scope.get("osteoboard.web_user")
    if isinstance(cached, WebUser):
        return cached
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        raise LoginRequired(_next_path(request), expired=False)
    try:
        with store_of(request).read() as session:
            record, actor = resolve_session(session, session_id)
            user = WebUser(actor, record.csrf_secret, record.expires_at)
    except AuthenticationError:
        raise LoginRequired(_next_path(request), expired=True) from None
    request.scope["osteoboard.web_user"] = user
    return user


def require_csrf(request: Request, user: WebUser, form_token: str | None) -> None:
    """Refuse a state-changing request without the session's CSRF token (form field or
    header)."""
    token = form_token or request.headers.get(CSRF_HEADER)
    if token is None or not hmac.compare_digest(user.csrf.encode(), token.encode()):
        raise CsrfFailed()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def check_login_csrf(request: Request, form_token: str | None) -> bool:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    return bool(cookie and form_token) and hmac.compare_digest(
        str(cookie).encode(), str(form_token).encode()
    )


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """A cookie of the app: HttpOnly, SameSite=Strict, Secure as the settings say."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=settings_of(request).cookie_secure,
        httponly=True,
        samesite="strict",
    )
