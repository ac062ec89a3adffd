"""Nothing acknowledged is lost: ``osteoboard serve`` (two workers, on a SQLite file and on
PostgreSQL) is killed with SIGKILL in the middle of a burst of concurrent writes, started
again, and every write a client saw acknowledged is there, and the audit chain verifies.

The server's own log of the whole run is scanned too: no token and nothing of the cases.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from osteoboard.store.accounts import create_token
from osteoboard.store.db import Store
from osteoboard.store.permissions import SYSTEM

from .server import Server

CLIENTS = 12
#: The burst ends by the kill; this bounds it should the kill come late.
MAX_BURST_S = 20.0
#: Acknowledged writes before the kill (then the kill lands among requests in flight).
KILL_AFTER = 40


def _case(n: int) -> dict[str, Any]:
    return {
        "id": f"crash-{n:05d}",
        "primary": {"site": "breast"},
        "lesions": [{"id": "L1", "region": "spine", "level": "T8", "type": "lytic"}],
    }


def test_acknowledged_writes_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    store = Store(database_url)
    with store.write() as session:
        coordinator = create_token(session, SYSTEM, "burst", "coordinator").secret
        admin = create_token(session, SYSTEM, "auditor", "admin").secret
    store.dispose()
    env = {"OSTEOBOARD_DATABASE_URL": database_url, "OSTEOBOARD_COOKIE_SECURE": "false"}
    log = tmp_path / "server.log"
    server = Server(env, workers=2, log=log)
    server.start()

    acknowledged: dict[int, str] = {}  # case id -> pseudonym
    evaluated: dict[int, int] = {}  # evaluation id -> case id
    lock = threading.Lock()
    stop = threading.Event()
    counter = iter(range(1_000_000))

    def writer(_: int) -> None:
        headers = {"Authorization": f"Bearer {coordinator}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10.0) as client:
            deadline = time.monotonic() + MAX_BURST_S
            while not stop.is_set() and time.monotonic() < deadline:
                with lock:
                    n = next(counter)
                try:
                    response = client.post("/api/v1/cases", json=_case(n))
                    if response.status_code == 201:
                        with lock:
                            acknowledged[response.json()["id"]] = f"crash-{n:05d}"
                        case_id = response.json()["id"]
                        evaluation = client.post(f"/api/v1/cases/{case_id}/evaluate")
                        if evaluation.status_code == 201:
                            with lock:
                                evaluated[evaluation.json()["id"]] = case_id
                except httpx.HTTPError:
                    if stop.is_set():
                        return
                    time.sleep(0.05)

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(writer, i) for i in range(CLIENTS)]
        deadline = time.monotonic() + MAX_BURST_S
        while len(acknowledged) < KILL_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill()  # SIGKILL, mid-burst
        stop.set()
        for future in futures:
            future.result()
    assert len(acknowledged) >= KILL_AFTER, server.tail()

    restarted = Server(env, workers=2, log=log)
    restarted.start()
    try:
        with httpx.Client(
            base_url=restarted.url, headers={"Authorization": f"Bearer {admin}"}, timeout=30.0
        ) as client:
            for case_id, pseudonym in acknowledged.items():
                got = client.get(f"/api/v1/cases/{case_id}")
                assert got.status_code == 200, (case_id, got.text)
                assert got.json()["pseudonym"] == pseudonym
            for evaluation_id, case_id in evaluated.items():
                got = client.get(f"/api/v1/evaluations/{evaluation_id}")
                assert got.status_code == 200, (evaluation_id, got.text)
                assert got.json()["case_id"] == case_id
            verified = client.get("/api/v1/audit/verify").json()
            assert verified["ok"], verified
    finally:
        restarted.stop()

    text = log.read_text(errors="replace")
    assert "POST /api/v1/cases/{case_id}/evaluate 201" in text, "the server logged no requests"
    for secret in (coordinator, admin, "crash-0", "breast"):
        assert secret not in text, f"the server's log holds {secret!r}"
