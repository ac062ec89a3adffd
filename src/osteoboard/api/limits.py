"""The limit on request bodies: 413 problem when a body is larger than the setting.

A declared ``Content-Length`` over the limit is refused before anything is read; a body sent
without one (chunked) is counted as it streams in and refused as soon as it passes the limit,
so a client can never make the server hold more than the limit.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from osteoboard.api.problems import ApiProblem, problem_response

__all__ = ["BodyLimitMiddleware"]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    def _problem(self) -> ApiProblem:
        problem = ApiProblem(413, "content-too-large", "too_large", params={"limit": self.limit})
        # The client may still be sending: tell it not to keep the connection.
        problem.response_headers["Connection"] = "close"
        return problem

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > self.limit:
            await problem_response(Request(scope), self._problem())(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise self._problem()
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except ApiProblem as exc:  # the body was read outside a route's handling
            if started or exc.kind != "content-too-large":
                raise
            await problem_response(Request(scope), exc)(scope, receive, send)
