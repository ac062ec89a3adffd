"""The web app's router: its routes answer with pages, never with problem documents.

:class:`WebRoute` turns what a route raises into a page: no session → the login page (an
htmx request is told to go there with ``HX-Redirect``), a missing CSRF token → 403, a store
error (not found, not allowed, signed, …) → a page with its message in the page's language.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from osteoboard.errors import OsteoboardError
from osteoboard.store.errors import StoreError
from osteoboard.web.session import CsrfFailed, LoginRequired, lang_of
from osteoboard.web.templating import page
from osteoboard.web.texts import say

__all__ = ["WebError", "is_htmx", "redirect", "router"]


class WebError(OsteoboardError):
    """A page that cannot be shown: its status and message (already in words)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def redirect(request: Request, url: str) -> Response:
    """See other: a plain redirect, or ``HX-Redirect`` for htmx (which follows it itself)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def _error_page(request: Request, status: int, message: str) -> Response:
    from osteoboard.web.session import current_user

    try:
        user = current_user(request)
    except LoginRequired:
        user = None
    return page(request, "error.html.j2", user=user, status=status, message=message)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            lang = lang_of(request)
            try:
                return await handler(request)
            except LoginRequired as exc:
                target = "/login?next=" + quote(exc.next_path, safe="")
                if exc.expired:
                    target += "&expired=1"
                response = redirect(request, target)
                if exc.expired:
                    response.delete_cookie("osteoboard_session", path="/")
                return response
            except CsrfFailed:
                return _error_page(request, 403, say("csrf_failed", lang))
            except WebError as exc:
                return _error_page(request, exc.status, exc.message)
            except StoreError as exc:
                return _error_page(request, exc.status, exc.message(lang))

        return route


router = APIRouter(route_class=WebRoute, include_in_schema=False)
