"""What every request passes through, in one layer: the body limit, the last resort for
errors, and the access log.

- **Body limit**: a declared ``Content-Length`` over ``OSTEOBOARD_MAX_BODY_BYTES`` is refused
  with a 413 problem before anything is read; a body sent without one (chunked) is counted
  as it streams in and refused as soon as it passes the limit, so a client can never make
  the server hold more than the limit.
- **Last resort**: any exception that escapes the app is answered with a generic 500
  problem and logged without its message (:func:`~osteoboard.api.problems.log_exception`);
  nothing propagates to the server, whose log would print it.
- **Rebalancing** (with several worker processes): the kernel hands each new connection to
  one worker's socket, by its addresses, and a keep-alive connection stays with its worker;
  50 connections split 29 to 21 leave one worker 38 % busier than the other, and at a load
  both together carry its queue grows. A worker with at least ``rebalance_at`` requests in
  progress therefore answers one of them with ``Connection: close`` (at most one every
  :data:`REBALANCE_INTERVAL_S`); the client opens a new connection, which the kernel places
  at random, so a worker that holds more than its share sheds connections until its queue is
  short, and one that does not keeps them (an HTTP server's usual ``keepalive_requests``
  bound does the same blindly, by count). A request whose body was not read to its end
  (refused before its form was read) keeps its connection: closing a socket with bytes
  unread makes the kernel reset it, and the client may lose the answer.
- **Access log**: one line per request from ``osteoboard.api.access`` naming the method, the
  route's template (``/api/v1/cases/{case_id}``, not the path: even a pseudonym stays out),
  the status and the time taken. Query strings, headers, bodies, cookies and tokens are
  never logged. ``osteoboard serve`` turns uvicorn's own access log (which prints the raw
  path and query) off in favour of this one.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from osteoboard.api.problems import ApiProblem, log_exception, problem_response

__all__ = ["REBALANCE_INTERVAL_S", "RequestGuard"]

access_log = logging.getLogger("osteoboard.api.access")

#: Least time between two connections one worker closes to rebalance: at most ten a second,
#: so that a worker that stays loaded does not make its clients reconnect for every request.
REBALANCE_INTERVAL_S = 0.1


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


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        rebalance_at: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``rebalance_at``: requests in progress in this process from which a response
        closes its connection (module docstring; 0: never, as with one worker process)."""
        self.app = app
        self.limit = max_body_bytes
        self.rebalance_at = rebalance_at
        self.clock = clock
        #: Requests of this process in progress (the event loop's thread alone counts them).
        self.in_progress = 0
        self.last_close = -math.inf

    def _too_large(self) -> ApiProblem:
        problem = ApiProblem(413, "content-too-large", "too_large", params={"limit": self.limit})
        # The client may still be sending: tell it not to keep the connection.
        problem.response_headers["Connection"] = "close"
        return problem

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0
        received = 0
        # Whether the request's body has been read to its end (rebalancing closes only such
        # a connection: closing with bytes unread makes the kernel reset it, and the client
        # may lose the answer already sent).
        drained = not self._has_body(scope)
        self.in_progress += 1

        async def counting_receive() -> Message:
            nonlocal received, drained
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise self._too_large()
                if not message.get("more_body", False):
                    drained = True
            return message

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if self.rebalance_at and drained and self.in_progress >= self.rebalance_at:
                    message = self._closing(message)
            await send(message)

        try:
            if self._declared_length(scope) > self.limit:
                await problem_response(Request(scope), self._too_large())(
                    scope, receive, watching_send
                )
                return
            await self.app(scope, counting_receive, watching_send)
        except ApiProblem as exc:  # a body read outside a route's own error handling
            if status or exc.kind != "content-too-large":
                raise
            await problem_response(Request(scope), exc)(scope, receive, watching_send)
        except Exception as exc:
            error_id = uuid.uuid4().hex[:12]
            log_exception(exc, error_id)
            if not status:
                problem = ApiProblem(
                    500,
                    "internal-error",
                    "internal",
                    params={"error_id": error_id},
                    extra={"error_id": error_id},
                )
                await problem_response(Request(scope), problem)(scope, receive, watching_send)
        finally:
            self.in_progress -= 1
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %d %.1f ms",
                    scope["method"],
                    _template(scope),
                    status,
                    (time.perf_counter() - start) * 1000,
                )

    def _closing(self, message: Message) -> Message:
        """The response start, with ``Connection: close`` when the last connection this
        process closed to rebalance is long enough ago."""
        now = self.clock()
        if now - self.last_close < REBALANCE_INTERVAL_S:
            return message
        headers = list(message.get("headers", ()))
        if any(name.lower() == b"connection" for name, _ in headers):
            return message  # the response decides itself (a 413 closes already)
        self.last_close = now
        return {**message, "headers": [*headers, (b"connection", b"close")]}

    @classmethod
    def _has_body(cls, scope: Scope) -> bool:
        return cls._declared_length(scope) > 0 or any(
            name == b"transfer-encoding" for name, _ in scope.get("headers", ())
        )

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0
