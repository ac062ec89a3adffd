"""A small HTTP server on 127.0.0.1 for answers no real FHIR server gives on request: paged
searches with ``next`` links, redirects, bodies of a chosen size, streamed without a length.
It records every request it gets, so a test can show that a server was never asked."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Answer", "StubServer", "json_answer", "running_stub"]


@dataclass
class Answer:
    """What the stub answers: a status, headers and a body (bytes, sent with its length, or
    an iterable of chunks, sent chunked)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""


def json_answer(document: Any, status: int = 200) -> Answer:
    return Answer(status, {"Content-Type": "application/fhir+json"}, json.dumps(document).encode())


@dataclass
class StubServer:
    base_url: str
    #: path with query of every request, in order
    requests: list[str]
    #: the Authorization header of every request, in order
    authorizations: list[str | None]


@contextlib.contextmanager
def running_stub(answer: Callable[[str, str], Answer]) -> Iterator[StubServer]:
    """A server whose answer to ``GET path?query`` is ``answer(path_with_query, base_url)``;
    stopped on exit."""
    requests: list[str] = []
    authorizations: list[str | None] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            requests.append(self.path)
            authorizations.append(self.headers.get("Authorization"))
            reply = answer(self.path, base_url)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            try:
                if isinstance(reply.body, bytes):
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in reply.body:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client stopped reading

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StubServer(base_url, requests, authorizations)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
