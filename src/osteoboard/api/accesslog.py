"""One log line per request, without anything a request carries.

The line names the method, the route's template (``/api/v1/cases/{case_id}``, not the
path: even a pseudonym stays out), the status and the time taken. Query strings, headers,
bodies, cookies and tokens are never logged. ``osteoboard serve`` turns uvicorn's own access
log (which prints the raw path and query) off in favour of this one.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AccessLogMiddleware"]

log = logging.getLogger("osteoboard.api.access")


def _template(scope: Scope) -> str:
    """The route's template with its prefix: the path with each parameter's value put back
    as its name (the route knows its template only from its router's prefix on)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str):
        return "(no route)"
    path: str = scope.get("path", "")
    try:
        concrete = template.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return template
    prefix = path[: len(path) - len(concrete)] if path.endswith(concrete) else ""
    return prefix + template


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %d %.1f ms",
                    scope["method"],
                    _template(scope),
                    status,
                    (time.perf_counter() - start) * 1000,
                )
