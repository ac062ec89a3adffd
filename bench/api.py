"""Benchmark of the REST API: ``POST /api/v1/cases/{id}/evaluate`` under load.

For each database (a SQLite file, and a PostgreSQL server started for the run): store the
example cases, start ``osteoboard serve`` with 2 worker processes on a free loopback port,
and let ``wrk`` (Debian's package; a C load generator, so that the client takes little of
the two cores from the server) run 50 concurrent connections for 30 s, each request
evaluating one of the example cases in turn and storing the evaluation. Prints p50, p90,
p99, requests per second and errors (connection errors and responses >= 400).

Two runs per database, one after the other on the same server:
- **paced** (``--rate``, default 300): the 50 connections send 300 requests/s in all
  (``bench/pace.lua``), so the run shows the latency a request meets at that load. It runs
  first, after the warm-up: the closed loop stores thousands of evaluations (hundreds of MB)
  that no centre's store holds after a few seconds.
- **closed loop**: each connection sends its next request the moment the answer is in, so
  the run shows the most the server does (requests/s). Its latency is the queue in front of
  the server: 50 connections at R requests/s wait 50/R s on average (Little's law), about
  170 ms at 300 requests/s, whatever the server does.

    .venv/bin/python bench/api.py                      # both databases, 30 s each run
    .venv/bin/python bench/api.py --db sqlite -d 10    # one database, 10 s
    .venv/bin/python bench/api.py --rate 0             # closed loop only
    .venv/bin/python bench/api.py --profile            # py-spy on a worker while loaded

Targets: >= 300 requests/s (closed loop); p50 <= 15 ms, p99 <= 60 ms at 300 requests/s
(paced); 0 errors in both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api.server import Server  # noqa: E402

from osteoboard.caseio import load_case  # noqa: E402
from osteoboard.store import service  # noqa: E402
from osteoboard.store.accounts import create_token  # noqa: E402
from osteoboard.store.db import Store  # noqa: E402
from osteoboard.store.permissions import SYSTEM, Actor, Role  # noqa: E402

LUA = ROOT / "bench" / "api_evaluate.lua"
LOADER = Actor(kind="system", name="bench", role=Role.coordinator)
TARGETS = {"p50_ms": 15.0, "p99_ms": 60.0, "rps": 300.0}


def _wrk() -> str:
    path = shutil.which("wrk")
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=False,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        path = shutil.which("wrk")
    if path is None:
        sys.exit("bench/api.py needs wrk: apt-get install wrk")
    return path


PACE = ROOT / "bench" / "pace.lua"


def wrk_warm(lua: Path, url: str, env: dict[str, str]) -> None:
    """Three seconds of load to warm every worker (knowledge base, caches, connections)."""
    subprocess.run(
        [_wrk(), "-t2", "-c8", "-d3s", "-s", str(lua), url],
        env={"WRK_THREADS": "2", **env},
        capture_output=True,
        check=True,
    )


def settle(seconds: float = 3.0) -> None:
    """Let the server finish what the run before left and go idle before the next."""
    time.sleep(seconds)


def wrk_load(
    lua: Path, url: str, args: argparse.Namespace, env: dict[str, str], rate: float = 0
) -> subprocess.CompletedProcess[str]:
    """The measured run: ``args.threads`` threads, ``args.connections`` connections for
    ``args.duration`` seconds, paced to ``rate`` requests/s in all when given (else a closed
    loop); wrk's output is the script's report."""
    env = {**env, "WRK_THREADS": str(args.threads), "PACE_LUA": str(PACE)}
    if rate:
        env["RATE"] = str(rate)
    return subprocess.run(
        [
            _wrk(),
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--timeout",
            "10s",
            "-s",
            str(lua),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def _prepare(url: str) -> tuple[str, list[int]]:
    """Migrate, add a coordinator's token and store every example case."""
    store = Store(url)
    store.upgrade()
    with store.write() as session:
        token = create_token(session, SYSTEM, "bench", "coordinator").secret
        ids = [
            service.create_case(session, LOADER, load_case(path)).case_id
            for path in sorted((ROOT / "examples").glob("*.yaml"))
        ]
    store.dispose()
    return token, ids


def _run(url: str, args: argparse.Namespace, work: Path) -> dict[str, dict[str, Any]]:
    token, ids = _prepare(url)
    env = {"OSTEOBOARD_DATABASE_URL": url, "OSTEOBOARD_COOKIE_SECURE": "false"}
    server = Server(env, workers=args.workers, log=work / "server.log")
    server.start(timeout=120)
    try:
        wrk_env = {**os.environ, "CASE_IDS": ",".join(map(str, ids)), "TOKEN": token}
        host = server.url
        wrk_warm(LUA, host, wrk_env)
        runs: dict[str, dict[str, Any]] = {}
        # The paced run first, on the store as the warm-up left it; then the closed loop.
        for rate in (args.rate, 0.0) if args.rate else (0.0,):
            if not rate and args.rate:
                settle()
            cpu_before = _server_cpu(server)
            profiler = None
            if args.profile and not rate:
                profiler = _start_profiler(server, work, args.duration)
            result = wrk_load(LUA, host, args, wrk_env, rate)
            cpu = _server_cpu(server) - cpu_before
            if profiler is not None:
                profiler.wait(timeout=args.duration + 60)
                print(f"  profile: {work / 'profile.txt'}")
            runs["paced" if rate else "closed"] = figures_of(result, cpu, rate)
    finally:
        server.stop()
    return runs


def figures_of(
    result: subprocess.CompletedProcess[str], cpu_s: float, rate: float
) -> dict[str, Any]:
    """wrk's JSON line, with the server's CPU seconds and the rate offered (0: closed loop)."""
    line = next(x for x in result.stdout.splitlines() if x.startswith("{"))
    figures: dict[str, Any] = json.loads(line)
    figures["server_cpu_s"] = cpu_s
    figures["rate"] = rate
    return figures


def _server_cpu(server: Server) -> float:
    """CPU seconds (user and system) used so far by the server's worker processes."""
    assert server.process is not None
    children = subprocess.run(
        ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in children:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _start_profiler(server: Server, work: Path, duration: int) -> subprocess.Popen[bytes] | None:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        print("  (no py-spy: pip install py-spy)")
        return None
    assert server.process is not None
    children = subprocess.run(
        ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    workers = [c for c in children if _is_worker(c)]
    if not workers:
        return None
    return subprocess.Popen(
        [
            spy,
            "record",
            "--gil",
            "--pid",
            workers[0],
            "--duration",
            str(duration),
            "--format",
            "raw",
            "--output",
            str(work / "profile.txt"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _is_worker(pid: str) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _report(label: str, f: dict[str, Any], duration: float) -> None:
    """One run's line: a closed loop is held to the rate target, a paced run to the latency
    targets and to the rate it was offered (within 2 %)."""
    seconds = f["duration_us"] / 1e6 or duration
    rps = f["requests"] / seconds
    errors = sum(f[k] for k in f if k.startswith("errors_"))
    p50, p90, p99 = (f[k] / 1000 for k in ("p50_us", "p90_us", "p99_us"))
    rate = f.get("rate", 0.0)
    if rate:
        label = f"{label}, paced at {rate:.0f}/s"
        ok = p50 <= TARGETS["p50_ms"] and p99 <= TARGETS["p99_ms"] and rps >= 0.98 * rate
    else:
        label = f"{label}, closed loop"
        ok = rps >= TARGETS["rps"]
    ok = ok and errors == 0
    print(
        f"{label:<28} {f['requests']:>7} req  {rps:7.1f} req/s  p50 {p50:6.1f} ms  "
        f"p90 {p90:6.1f} ms  p99 {p99:6.1f} ms  max {f['max_us'] / 1000:7.1f} ms  "
        f"errors {errors}  {'(targets met)' if ok else '(targets missed)'}"
    )
    if errors:
        kinds = ", ".join(f"{k[7:]} {f[k]}" for k in sorted(f) if k.startswith("errors_") and f[k])
        print(f"{'':<28} errors: {kinds}")
    print(
        f"{'':<28} server CPU {f['server_cpu_s'] * 1000 / max(1, f['requests']):.1f} ms per "
        f"request ({f['server_cpu_s'] / seconds:.2f} of {os.cpu_count()} cores busy with it); "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("-d", "--duration", type=int, default=30, help="seconds of load")
    parser.add_argument("-c", "--connections", type=int, default=50)
    parser.add_argument("-t", "--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("-w", "--workers", type=int, default=2, help="server workers")
    parser.add_argument(
        "--rate", type=float, default=TARGETS["rps"], help="requests/s of the paced run (0: none)"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy on the closed loop")
    args = parser.parse_args()
    examples = len(list((ROOT / "examples").glob("*.yaml")))
    print(
        f"POST /api/v1/cases/{{id}}/evaluate over the {examples} example cases: "
        f"{args.workers} workers, wrk {args.threads} threads, "
        f"{args.connections} connections, {args.duration} s; {os.cpu_count()} cores"
    )
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    for kind in kinds:
        keep = True
        work = Path(tempfile.mkdtemp(prefix=f"osteoboard-bench-{kind}-"))
        try:
            if kind == "sqlite":
                runs = _run(f"sqlite:///{work / 'bench.sqlite3'}", args, work)
            else:
                runs = _with_postgres(args, work)
            for figures in runs.values():
                _report(kind, figures, args.duration)
            keep = args.profile or any(
                figures[k]
                for figures in runs.values()
                for k in figures
                if k.startswith("errors_") and k != "errors_timeout"
            )
        finally:
            if not keep:
                shutil.rmtree(work, ignore_errors=True)
            else:
                print(f"{'':<12} kept: {work}")


def _with_postgres(args: argparse.Namespace, work: Path) -> dict[str, dict[str, Any]]:
    from tests.support.postgres import PostgresServer, _install, find_bin_dir

    bin_dir = find_bin_dir() or _install()
    base = Path(tempfile.mkdtemp(prefix="osteoboard-bench-pg-"))
    server = PostgresServer(bin_dir, base)
    server.start()
    # The test cluster runs without fsync; a benchmark should pay for durable commits.
    for setting in ("fsync = on", "synchronous_commit = on", "full_page_writes = on"):
        server.execute(f"ALTER SYSTEM SET {setting}")
    server.execute("SELECT pg_reload_conf()")
    try:
        return _run(server.create_database("bench"), args, work)
    finally:
        server.stop()
        time.sleep(0.5)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
