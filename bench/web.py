"""Benchmark of the web app: time to first byte of the case page and of the meeting page.

Stores 20 cases (the examples, then copies of them under new pseudonyms), evaluates each and
puts all 20 on one meeting; starts ``osteoboard serve`` (one worker) on a free loopback port
with a temporary data directory; logs in as a board member and requests each page ``-n``
times (50 by default) one after the other, after 5 warm-up requests. Prints the median, p90
and maximum time to first byte (from sending the request to the first byte of the answer),
and the page's size.

    .venv/bin/python bench/web.py
    .venv/bin/python bench/web.py -n 200
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.api.server import Server  # noqa: E402

from osteoboard.caseio import load_case  # noqa: E402
from osteoboard.store import service  # noqa: E402
from osteoboard.store.accounts import create_user  # noqa: E402
from osteoboard.store.db import Store  # noqa: E402
from osteoboard.store.permissions import SYSTEM, Actor, Role  # noqa: E402

LOADER = Actor(kind="system", name="bench", role=Role.coordinator)
PASSWORD = "benchmark password only"
CASES = 20


def _prepare(data: Path) -> tuple[int, int]:
    """20 evaluated cases on one meeting; returns (meeting id, id of the case to show)."""
    import datetime as dt

    store = Store(f"sqlite:///{data / 'osteoboard.sqlite3'}")
    store.upgrade()
    examples = [load_case(p) for p in sorted((ROOT / "examples").glob("*.yaml"))]
    with store.write() as session:
        create_user(session, SYSTEM, "board", Role.board_member, PASSWORD)
        meeting = service.create_meeting(session, LOADER, dt.date(2026, 11, 20), title="Bench")
        shown = 0
        for i in range(CASES):
            case = examples[i % len(examples)]
            if i >= len(examples):
                case = case.model_copy(update={"id": f"{case.id}-b{i}"})
            version = service.create_case(session, LOADER, case)
            service.evaluate_case(session, LOADER, version.case_id)
            service.add_agenda_entry(session, LOADER, meeting.id, version.case_id)
            if case.id == "demo-004":  # emergencies, many items, skeleton map
                shown = version.case_id
        meeting_id = meeting.id
    store.dispose()
    return meeting_id, shown


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)


def _login(url: str) -> str:
    """The session cookie of a board member."""
    conn = _connection(url)
    conn.request("GET", "/login")
    reply = conn.getresponse()
    body = reply.read().decode()
    cookie = reply.getheader("set-cookie", "").split(";")[0]
    match = re.search(r'name="csrf_token" value="([^"]+)"', body)
    assert match is not None
    form = f"username=board&password={PASSWORD.replace(' ', '+')}&csrf_token={match.group(1)}"
    conn.request(
        "POST",
        "/login",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    reply = conn.getresponse()
    reply.read()
    session = [
        c.split(";")[0]
        for c in reply.headers.get_all("set-cookie") or []
        if c.startswith("osteoboard_session=")
    ]
    assert reply.status == 303 and session, reply.status
    conn.close()
    return session[0]


def _ttfb(url: str, path: str, cookie: str, count: int) -> tuple[list[float], int]:
    """Times to first byte (ms) of ``count`` requests on one kept-alive connection."""
    conn = _connection(url)
    times: list[float] = []
    size = 0
    for i in range(count + 5):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Cookie": cookie})
        reply = conn.getresponse()  # returns once the status line (the first byte) is read
        first = time.perf_counter()
        body = reply.read()
        assert reply.status == 200, (path, reply.status)
        size = len(body)
        if i >= 5:
            times.append((first - start) * 1000)
    conn.close()
    return times, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="requests per page (default 50)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="osteoboard-web-bench-") as tmp:
        data = Path(tmp)
        meeting_id, case_id = _prepare(data)
        server = Server(
            {"OSTEOBOARD_DATA_DIR": str(data), "OSTEOBOARD_COOKIE_SECURE": "false"},
            log=data / "server.log",
        )
        server.start()
        try:
            cookie = _login(server.url)
            print(f"web app, {CASES} cases on the meeting, {args.n} requests per page (1 worker)")
            for name, path in (
                ("case page", f"/cases/{case_id}"),
                (f"meeting page ({CASES} cases)", f"/meetings/{meeting_id}"),
            ):
                times, size = _ttfb(server.url, path, cookie, args.n)
                ordered = sorted(times)
                p90 = ordered[int(0.9 * (len(ordered) - 1))]
                print(
                    f"  {name:<26} TTFB median {statistics.median(times):6.1f} ms  "
                    f"p90 {p90:6.1f} ms  max {max(times):6.1f} ms  ({size / 1024:.0f} KiB)"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
