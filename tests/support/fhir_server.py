"""A real FHIR R4 server for the tests, started and stopped by the test run itself.

The server is Medplum's FHIR router over its in-memory repository (``scripts/fhir-server``:
``server.mjs`` and the npm packages pinned in ``package-lock.json``), run by Node.js on
127.0.0.1. When its packages are missing, :func:`running_fhir_server` runs
``scripts/install-fhir-server.sh`` (``npm ci``, a no-op once installed); if that or the start
fails, the test fails with the reason — it is never skipped.

- :func:`fhir_server` (session-scoped pytest fixture, registered for the whole suite in
  ``tests/conftest.py``) yields the base URL of one server without authentication.
- :func:`running_fhir_server` starts another one, e.g. one that demands a bearer token.
- :func:`post_transaction` loads a transaction Bundle and returns the response Bundle.

Every server starts empty; tests sharing the session server keep apart by the ids the server
assigns to what they create.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = [
    "FhirServer",
    "fhir_server",
    "install_fhir_server",
    "post_transaction",
    "running_fhir_server",
]

ROOT = Path(__file__).resolve().parents[2]
SERVER_DIR = ROOT / "scripts" / "fhir-server"
INSTALL_SCRIPT = ROOT / "scripts" / "install-fhir-server.sh"
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class FhirServer:
    """A running test server: its base URL and the bearer token it demands (if any)."""

    base_url: str
    bearer: str | None = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.bearer}"} if self.bearer else {}


def install_fhir_server() -> None:
    """Run ``scripts/install-fhir-server.sh``; fail the test with its output when it fails."""
    if shutil.which("node") is None:
        pytest.fail(
            "The test FHIR server needs Node.js >= 20.19 with npm on PATH; node was not found.",
            pytrace=False,
        )
    try:
        result = subprocess.run(
            ["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.fail("scripts/install-fhir-server.sh did not finish in 600 s", pytrace=False)
    if result.returncode != 0:
        pytest.fail(
            f"The test FHIR server could not be installed (scripts/install-fhir-server.sh, exit "
            f"{result.returncode}): {(result.stderr or result.stdout)[-2000:]}",
            pytrace=False,
        )


def _wait_ready(process: subprocess.Popen[str], log: Any) -> str:
    """The base URL from the server's "listening on" line, once /metadata answers."""
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    line = process.stdout.readline()  # blocks until the server prints or exits
    if not line.startswith("listening on "):
        process.wait(timeout=10)
        log.seek(0)
        stderr = log.read()
        pytest.fail(
            f"The test FHIR server did not start (exit {process.poll()}): {line}{stderr[-2000:]}",
            pytrace=False,
        )
    base_url = line.removeprefix("listening on ").strip()
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.get(f"{base_url}/metadata", timeout=2.0)
            if (
                answer.status_code == 200
                and answer.json().get("resourceType") == "CapabilityStatement"
            ):
                return base_url
        time.sleep(0.05)
    pytest.fail(f"The test FHIR server at {base_url} did not answer /metadata", pytrace=False)


@contextlib.contextmanager
def running_fhir_server(*, bearer: str | None = None) -> Iterator[FhirServer]:
    """A fresh, empty FHIR server on a free loopback port, stopped on exit."""
    install_fhir_server()
    env = dict(os.environ)
    env.pop("FHIR_SERVER_BEARER", None)
    command = ["node", "server.mjs", "--host", "127.0.0.1", "--port", "0"]
    if bearer:
        command += ["--bearer", bearer]
    # stdout carries one line (the address); stderr goes to a file, so it can never fill a pipe
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command,
            cwd=SERVER_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            yield FhirServer(_wait_ready(process, log), bearer)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[str]:
    """The base URL of an in-memory FHIR R4 server on loopback, for the whole session."""
    with running_fhir_server() as server:
        yield server.base_url


def post_transaction(
    base_url: str, bundle: dict[str, Any], *, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Post a transaction (or batch) Bundle to the server; the response Bundle.

    Fails the test when the server refuses the Bundle or any of its entries.
    """
    answer = httpx.post(
        base_url,
        json=bundle,
        headers={"Content-Type": "application/fhir+json", **(headers or {})},
        timeout=30.0,
    )
    if answer.status_code != 200:
        pytest.fail(f"FHIR transaction refused ({answer.status_code}): {answer.text[:2000]}")
    result: dict[str, Any] = answer.json()
    for index, entry in enumerate(result.get("entry", [])):
        status = str(entry.get("response", {}).get("status", ""))
        if not status.startswith("2"):
            pytest.fail(f"FHIR transaction entry {index} failed ({status}): {entry}")
    return result
