"""A loaded worker sheds keep-alive connections, so that the kernel places them afresh
(``RequestGuard``'s rebalancing): only with several workers, only from ``rebalance_at``
requests in progress, at most one every ``REBALANCE_INTERVAL_S``."""

from __future__ import annotations

import asyncio
import http.client
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


def _health_connection_headers(port: int, requests: int) -> list[str | None]:
    """The Connection header of each of ``requests`` answers on one keep-alive connection
    (a new one when the server closed it)."""
    out: list[str | None] = []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(requests):
            connection.request("GET", "/api/v1/health")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            out.append(response.getheader("connection"))
            if response.will_close:
                connection.close()
    finally:
        connection.close()
    return out


@pytest.mark.parametrize(("workers", "first"), [(1, None), (2, "close")])
def test_serve_tells_its_workers_how_many_they_are(
    tmp_path: Path, workers: int, first: str | None
) -> None:
    """`osteoboard serve --workers N` passes N to each worker's app: with 2 workers and
    OSTEOBOARD_REBALANCE_AT=1 a worker's first answer closes its connection; with 1, none
    does."""
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
        headers = _health_connection_headers(server.port, 3)
    finally:
        server.stop()
    assert headers[0] == first
    if first is None:
        assert headers == [None, None, None]
