"""Worker processes of the server and the cohort runner freeze what they loaded and collect
the young generation less often (osteoboard.workers); a process that is not one of them
(a test, a library call) keeps CPython's settings. Each case runs in a fresh interpreter:
the settings are the process's own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import gc, json, os, sys
{setup}
print(json.dumps({{"young": gc.get_threshold()[0], "frozen": gc.get_freeze_count()}}))
"""


def _probe(setup: str, tmp_path: Path) -> dict[str, int]:
    env = {"OSTEOBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "PATH": ""}
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(setup=setup)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tmp_path,
    ).stdout
    result: dict[str, int] = json.loads(out.strip().splitlines()[-1])
    return result


def test_settle_worker_freezes_and_raises_the_young_threshold(tmp_path: Path) -> None:
    plain = _probe("", tmp_path)
    assert plain["frozen"] == 0 and plain["young"] < 20_000
    settled = _probe("from osteoboard.workers import settle_worker; settle_worker()", tmp_path)
    assert settled["young"] == 20_000 and settled["frozen"] > 0


def test_a_server_worker_settles_and_a_library_app_does_not(tmp_path: Path) -> None:
    start = (
        "from fastapi.testclient import TestClient\n"
        "from osteoboard.store.db import Store\n"
        "Store(os.environ['OSTEOBOARD_DATABASE_URL']).upgrade()\n"
        "from osteoboard.api.app import {factory}\n"
        "with TestClient({call}) as c:\n"
        "    assert c.get('/api/v1/health').status_code == 200\n"
    )
    worker = _probe(
        start.format(factory="create_app_from_env", call="create_app_from_env()"), tmp_path
    )
    assert worker["young"] == 20_000 and worker["frozen"] > 0
    library = _probe(start.format(factory="create_app", call="create_app()"), tmp_path)
    assert library["young"] < 20_000 and library["frozen"] == 0
