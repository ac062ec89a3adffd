"""A loaded worker sheds keep-alive connections, so that the kernel places them afresh
(``RequestGuard``'s rebalancing): only with several workers, only from ``rebalance_at``
requests in progress, at most one every ``REBALANCE_INTERVAL_S``."""

from __future__ import annotations

import asyncio
import http.client
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from osteoboard.api import Settings, create_app
from osteoboard.api.middleware import REBALANCE_INTERVAL_S, RequestGuard
from osteoboard.api.settings import SettingsError
from osteoboard.store.db import Store

CLOSE = (b"connection", b"close")


class _Held:
    """An ASGI app whose requests wait until released, so that several are in progress."""

    def __init__(self) -> None:
        self.gates: dict[str, asyncio.Event] = {}
        self.own_headers: list[tuple[bytes, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.gates.setdefault(scope["path"], asyncio.Event()).wait()
        await send({"type": "http.response.start", "status": 200, "headers": self.own_headers})
        await send({"type": "http.response.body", "body": b"{}"})


async def _in_parallel(
    guard: RequestGuard, app: _Held, paths: list[str], release_order: list[str]
) -> dict[str, list[tuple[bytes, bytes]]]:
    """The response headers of requests to ``paths``, all in progress at once and answered
    in ``release_order``."""
    headers: dict[str, list[tuple[bytes, bytes]]] = {}

    async def call(path: str) -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers[path] = list(message["headers"])

        scope = {"type": "http", "method": "GET", "path": path, "headers": []}
        await guard(scope, receive, send)

    for path in paths:
        app.gates[path] = asyncio.Event()
    tasks = [asyncio.create_task(call(path)) for path in paths]
    await asyncio.sleep(0)  # every request has entered the guard
    assert guard.in_progress == len(paths)
    for path in release_order:
        app.gates[path].set()
        while path not in headers:
            await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert guard.in_progress == 0
    return headers


def _guard(rebalance_at: int) -> tuple[RequestGuard, _Held, list[float]]:
    app = _Held()
    now = [1000.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    return RequestGuard(app, 10_000, rebalance_at=rebalance_at, clock=clock), app, now


def test_a_response_closes_its_connection_only_with_enough_requests_in_progress() -> None:
    guard, app, now = _guard(rebalance_at=2)

    async def scenario() -> None:
        # b is answered while a is still in progress (2 in progress): b's connection closes;
        # then a alone (1 in progress) keeps its connection.
        got = await _in_parallel(guard, app, ["/a", "/b"], ["/b", "/a"])
        assert CLOSE in got["/b"] and CLOSE not in got["/a"]
        # Again at once: the last close is less than the interval ago.
        now[0] += REBALANCE_INTERVAL_S / 2
        got = await _in_parallel(guard, app, ["/c", "/d"], ["/d", "/c"])
        assert CLOSE not in got["/c"] and CLOSE not in got["/d"]
        # After the interval, the next loaded response closes again; one at a time never.
        now[0] += REBALANCE_INTERVAL_S
        got = await _in_parallel(guard, app, ["/e", "/f", "/g"], ["/e", "/f", "/g"])
        assert [CLOSE in got[p] for p in ("/e", "/f", "/g")] == [True, False, False]
        now[0] += REBALANCE_INTERVAL_S
        got = await _in_parallel(guard, app, ["/h"], ["/h"])
        assert CLOSE not in got["/h"]

    asyncio.run(scenario())


def test_a_response_with_its_own_connection_header_is_left_alone() -> None:
    guard, app, _ = _guard(rebalance_at=1)
    app.own_headers = [(b"connection", b"keep-alive")]

    async def scenario() -> None:
        got = await _in_parallel(guard, app, ["/a"], ["/a"])
        assert got["/a"] == [(b"connection", b"keep-alive")]
        assert guard.last_close < 0  # nothing was closed, so the next may close

    asyncio.run(scenario())


def test_never_with_zero() -> None:
    guard, app, _ = _guard(rebalance_at=0)

    async def scenario() -> None:
        paths = [f"/{i}" for i in range(8)]
        got = await _in_parallel(guard, app, paths, paths)
        assert not any(CLOSE in h for h in got.values())

    asyncio.run(scenario())


def _scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
    }


async def _reading(scope: Any, receive: Any, send: Any) -> None:
    """Reads the whole body, then answers."""
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _failing(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("boom")


@pytest.mark.parametrize(
    ("app", "headers", "chunks", "status"),
    [
        (_failing, [], [b""], 500),
        (_reading, [(b"transfer-encoding", b"chunked")], [b"x" * 6000] * 2, 413),
        (_reading, [(b"content-length", b"20000")], [b""], 413),
        (_reading, [(b"content-length", b"3")], [b"abc"], 200),
    ],
    ids=["500", "413-streamed", "413-declared", "200"],
)
def test_the_count_of_requests_in_progress_comes_back_to_zero(
    app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes], status: int
) -> None:
    guard = RequestGuard(app, 10_000, rebalance_at=100)
    statuses: list[int] = []

    async def scenario() -> None:
        queue = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]

        async def receive() -> dict[str, Any]:
            return queue.pop(0) if queue else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await guard(_scope("/x", headers), receive, send)

    asyncio.run(scenario())
    assert statuses == [status] and guard.in_progress == 0


async def _not_reading(scope: Any, receive: Any, send: Any) -> None:
    """Answers without reading the body (a refusal before the form is read)."""
    await send({"type": "http.response.start", "status": 403, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


@pytest.mark.parametrize(
    ("app", "headers", "closes"),
    [
        (_reading, [(b"content-length", b"3")], True),
        (_not_reading, [(b"content-length", b"3")], False),
        (_not_reading, [(b"transfer-encoding", b"chunked")], False),
        (_not_reading, [], True),
        (_not_reading, [(b"content-length", b"0")], True),
    ],
    ids=["body-read", "body-unread", "chunked-unread", "no-body", "empty-body"],
)
def test_a_connection_with_unread_body_bytes_is_not_closed(
    app: Any, headers: list[tuple[bytes, bytes]], closes: bool
) -> None:
    """Closing a socket with bytes of the request still unread makes the kernel reset the
    connection, and the client can lose the answer already sent: such an answer keeps the
    connection (the server then reads past the rest of the body)."""
    guard = RequestGuard(app, 10_000, rebalance_at=1)
    sent: list[list[tuple[bytes, bytes]]] = []

    async def scenario() -> None:
        queue = [{"type": "http.request", "body": b"abc", "more_body": False}]

        async def receive() -> dict[str, Any]:
            return queue.pop(0) if queue else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                sent.append(list(message["headers"]))

        await guard(_scope("/x", headers), receive, send)

    asyncio.run(scenario())
    assert (CLOSE in sent[0]) is closes


@pytest.mark.parametrize(("workers", "closes"), [(1, False), (2, True)])
def test_the_app_rebalances_only_with_several_workers(
    tmp_path: Path, workers: int, closes: bool
) -> None:
    """With one worker a new connection comes back to the same process: nothing to gain."""
    store = Store(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    store.upgrade()
    try:
        app = create_app(Settings(rebalance_at=1), store=store, workers=workers)
        with TestClient(app) as client:
            response = client.get("/api/v1/health")
        assert response.status_code == 200
        assert (response.headers.get("connection") == "close") is closes
    finally:
        store.dispose()


@pytest.mark.parametrize("value", ["-1", "10001", "six"])
def test_a_bad_setting_names_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match=r"^OSTEOBOARD_REBALANCE_AT: "):
        Settings.from_env({"OSTEOBOARD_REBALANCE_AT": value})


def _answers(port: int, requests: int) -> list[tuple[str | None, bool]]:
    """(Connection header, whether the server then closed the connection) of each of
    ``requests`` answers to GET /api/v1/health on one keep-alive connection (a new one after
    the server closed it)."""
    out: list[tuple[str | None, bool]] = []
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)  # a worker starting
    try:
        for _ in range(requests):
            sock.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            response = http.client.HTTPResponse(sock)
            response.begin()
            response.read()
            assert response.status == 200
            sock.settimeout(1.0)
            try:
                closed = sock.recv(1) == b""  # the server's end of the connection
            except TimeoutError:
                closed = False  # still open, nothing more sent
            sock.settimeout(120)
            out.append((response.getheader("connection"), closed))
            if closed:
                sock.close()
                sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    finally:
        sock.close()
    return out


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_tells_its_workers_how_many_they_are(tmp_path: Path, workers: int) -> None:
    """`osteoboard serve --workers N` passes N to each worker's app: with 2 workers and
    OSTEOBOARD_REBALANCE_AT=1 an answer after a quiet tenth of a second says
    `Connection: close` and the server closes the connection; with 1 worker no answer
    does, and the connection stays open."""
    from tests.api.server import Server

    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    store = Store(url)
    store.upgrade()
    store.dispose()
    server = Server(
        {"OSTEOBOARD_DATABASE_URL": url, "OSTEOBOARD_REBALANCE_AT": "1"},
        workers=workers,
        log=tmp_path / "log",
    )
    server.start(timeout=120)
    try:
        time.sleep(2 * REBALANCE_INTERVAL_S)  # after any close of the start's health checks
        answers = _answers(server.port, 3)
    finally:
        server.stop()
    if workers == 1:
        assert answers == [(None, False)] * 3
    else:
        assert answers[0] == ("close", True)
