"""``osteoboard serve`` refuses bad settings in one line before anything starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from osteoboard.api.settings import Settings, SettingsError
from osteoboard.cli import app


def test_bad_setting_is_one_line_with_exit_code_2() -> None:
    result = CliRunner().invoke(app, ["serve"], env={"OSTEOBOARD_MAX_BODY_BYTES": "12"})
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Fehler: OSTEOBOARD_MAX_BODY_BYTES: must be at least 1024 (got '12')"
    )


def test_settings_read_the_environment() -> None:
    settings = Settings.from_env(
        {"OSTEOBOARD_COOKIE_SECURE": "false", "OSTEOBOARD_SESSION_MINUTES": "60", "OTHER": "x"}
    )
    assert settings.cookie_secure is False and settings.session_minutes == 60
    assert Settings.from_env({}).cookie_secure is True
    try:
        Settings.from_env({"OSTEOBOARD_COOKIE_SECURE": "vielleicht"})
    except SettingsError as exc:
        assert str(exc).startswith("OSTEOBOARD_COOKIE_SECURE: must be true or false")
    else:
        raise AssertionError("a bad boolean was accepted")


def test_worker_threads_bound_the_blocking_work_of_a_process(tmp_path: Path) -> None:
    """The thread pool of sync routes and dependencies holds OSTEOBOARD_WORKER_THREADS
    threads (default 1), not the server library's 40."""
    from anyio.to_thread import current_default_thread_limiter
    from fastapi.testclient import TestClient

    from osteoboard.api.app import create_app
    from osteoboard.store.db import Store

    assert Settings.from_env({}).worker_threads == 1
    with pytest.raises(SettingsError, match="OSTEOBOARD_WORKER_THREADS"):
        Settings.from_env({"OSTEOBOARD_WORKER_THREADS": "0"})
    for threads in (1, 3):
        store = Store(f"sqlite:///{tmp_path / f'{threads}.sqlite3'}")
        store.upgrade()
        app = create_app(Settings(worker_threads=threads), store=store)

        @app.get("/probe-threads")
        async def probe() -> dict[str, float]:
            return {"tokens": current_default_thread_limiter().total_tokens}

        with TestClient(app) as client:
            answer = client.get("/probe-threads")
        store.dispose()
        assert answer.status_code == 200 and answer.json() == {"tokens": threads}


def _sockets_by_process(pids: list[int], port: int) -> dict[int, dict[str, int]]:
    """Per process, its TCP sockets on ``port`` by state (LISTEN, ESTABLISHED), read from
    /proc (Linux: SO_REUSEPORT is a Linux feature, as is this server set-up)."""
    states = {"0A": "listen", "01": "established"}
    by_inode: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] in states:
                    by_inode[fields[9]] = states[fields[3]]
    out: dict[int, dict[str, int]] = {}
    for pid in pids:
        counts = {"listen": 0, "established": 0}
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in by_inode:
                counts[by_inode[target[8:-1]]] += 1
        out[pid] = counts
    return out


def _two_worker_server(tmp_path: Path) -> Any:
    """`osteoboard serve --workers 2` on a fresh SQLite store, started."""
    from osteoboard.store.db import Store
    from tests.api.server import Server

    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    store = Store(url)
    store.upgrade()
    store.dispose()
    server = Server({"OSTEOBOARD_DATABASE_URL": url}, workers=2, log=tmp_path / "log")
    server.start(timeout=120)
    return server


def test_every_worker_listens_on_its_own_socket_and_gets_connections(tmp_path: Path) -> None:
    """With several workers each has a listening socket of its own on the port (SO_REUSEPORT)
    and the parent none, so the kernel spreads connections: 40 connections reach both
    workers (all 40 on one would happen once in 5 * 10^11 runs). A worker that dies is
    replaced with a socket of its own."""
    import socket
    import subprocess
    import time

    server = _two_worker_server(tmp_path)
    try:
        assert server.process is not None
        parent = server.process.pid

        def command(pid: str) -> bytes:
            # A child listed a moment ago may have exited since (a short-lived helper process).
            try:
                return Path(f"/proc/{pid}/cmdline").read_bytes()
            except FileNotFoundError:
                return b""

        def workers() -> list[int]:
            children = subprocess.run(
                ["pgrep", "-P", str(parent)], capture_output=True, text=True, check=False
            ).stdout.split()
            return [int(c) for c in children if b"spawn_main" in command(c)]

        def listening(pids: list[int]) -> dict[int, int]:
            found = _sockets_by_process(pids, server.port)
            return {pid: counts["listen"] for pid, counts in found.items()}

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pids = workers()
            if len(pids) == 2 and all(n == 1 for n in listening(pids).values()):
                break
            time.sleep(0.2)
        assert len(pids) == 2 and listening(pids) == {pid: 1 for pid in pids}
        assert listening([parent]) == {parent: 0}
        connections = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(40)]
        try:
            time.sleep(0.5)
            held = _sockets_by_process(pids, server.port)
            assert all(held[pid]["established"] > 0 for pid in pids), held
            assert sum(held[pid]["established"] for pid in pids) == 40
        finally:
            for connection in connections:
                connection.close()
        os.kill(pids[0], 9)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = workers()
            if (
                len(now) == 2
                and pids[0] not in now
                and all(n == 1 for n in listening(now).values())
            ):
                break
            time.sleep(0.2)
        assert pids[0] not in now and listening(now) == {pid: 1 for pid in now}
        assert listening([parent]) == {parent: 0}
    finally:
        server.stop()


def test_a_second_server_on_the_same_address_is_refused(tmp_path: Path) -> None:
    """SO_REUSEPORT would let a second `serve --workers 2` on the port take half the
    connections, on its own database; a lock per address refuses it (exit code 3)."""
    import subprocess

    server = _two_worker_server(tmp_path)
    try:
        other = tmp_path / "other.sqlite3"
        second = subprocess.run(
            server.command(),  # the same address
            env={**os.environ, "OSTEOBOARD_DATABASE_URL": f"sqlite:///{other}"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 3, second.stderr[-500:]
        assert "another osteoboard serve runs on 127.0.0.1" in second.stderr
    finally:
        server.stop()
