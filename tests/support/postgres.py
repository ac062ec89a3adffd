"""A real PostgreSQL server for the tests, started and stopped by the test run itself.

:func:`postgres_server` (a session-scoped pytest fixture; registered for the whole suite in
``tests/conftest.py``) finds Debian's PostgreSQL binaries (``/usr/lib/postgresql/*/bin``);
when they are missing it runs ``scripts/install-postgres.sh`` (``apt-get install -y
postgresql``). Then ``initdb`` in a temporary directory — as the ``postgres`` OS user when the
tests run as root, since initdb refuses root — and ``pg_ctl start`` on a free loopback port
(``listen_addresses=127.0.0.1``, the unix socket in the temporary directory, trust
authentication for local connections only). At the end ``pg_ctl stop -m fast`` and the
directory is removed. If PostgreSQL cannot be installed or started, the tests that need it
fail with a message saying why; they are never skipped.

:meth:`PostgresServer.create_database` makes a database, optionally as a copy of a template
(a migrated template makes a clean database per test cheap).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "find_bin_dir", "postgres_server"]

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = ROOT / "scripts" / "install-postgres.sh"
SUPERUSER = "postgres"


def find_bin_dir() -> Path | None:
    """The newest Debian PostgreSQL bin directory with initdb and pg_ctl, if any."""
    candidates = []
    for path in glob.glob("/usr/lib/postgresql/*/bin"):
        version = Path(path).parent.name
        if (Path(path) / "initdb").exists() and (Path(path) / "pg_ctl").exists():
            with contextlib.suppress(ValueError):
                candidates.append((int(version.split(".")[0]), Path(path)))
    return max(candidates)[1] if candidates else None


def _install() -> Path:
    result = subprocess.run(
        ["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900, check=False
    )
    bin_dir = find_bin_dir()
    if result.returncode != 0 or bin_dir is None:
        pytest.fail(
            "PostgreSQL is not installed and scripts/install-postgres.sh could not install it "
            f"(exit {result.returncode}): {(result.stderr or result.stdout)[-2000:]}",
            pytrace=False,
        )
    return bin_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1."""

    def __init__(self, bin_dir: Path, base: Path) -> None:
        self.bin_dir = bin_dir
        self.base = base
        self.data = base / "data"
        self.log = base / "server.log"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.major = int(bin_dir.parent.name.split(".")[0])
        self._counter = 0

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, check=False, cwd=self.base
        )

    def _check(self, result: subprocess.CompletedProcess[str], what: str) -> None:
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            pytest.fail(
                f"PostgreSQL: {what} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout)[-2000:]} {log}",
                pytrace=False,
            )

    def start(self) -> None:
        if self.as_root:
            entry = pwd.getpwnam(SUPERUSER)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self._check(
            self._run(
                str(self.bin_dir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ),
            "initdb",
        )
        with (self.data / "pg_hba.conf").open("w") as hba:  # local and loopback only
            hba.write("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        self._check(
            self._run(
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ),
            "pg_ctl start",
        )

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        try:
            with psycopg.connect(
                host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
            ) as connection:
                connection.execute(sql.encode())
        except psycopg.Error as exc:
            pytest.fail(f"PostgreSQL: {sql!r} failed: {exc}", pytrace=False)

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """A new database (copied from ``template`` when given); returns its URL."""
        if name is None:
            self._counter += 1
            name = f"test_{os.getpid()}_{self._counter}"
        suffix = f" TEMPLATE {template}" if template else ""
        if template and self.major >= 15:
            # a file copy after a checkpoint is ten times quicker than the WAL-logged copy
            suffix += " STRATEGY FILE_COPY"
        self.execute(f"CREATE DATABASE {name}{suffix}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on a free loopback port for the whole test session."""
    bin_dir = find_bin_dir() or _install()
    base = Path(tempfile.mkdtemp(prefix="osteoboard-pg-"))
    server = PostgresServer(bin_dir, base)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        # wait briefly for the postmaster to let go of its files before removing them
        for _ in range(20):
            if not (server.data / "postmaster.pid").exists():
                break
            time.sleep(0.1)
        shutil.rmtree(base, ignore_errors=True)
