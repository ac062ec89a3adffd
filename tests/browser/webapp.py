"""The web app under test: ``osteoboard serve`` on a free loopback port with its own data
directory (demo cases on a demo meeting, one account per role with a known password), and
helpers for the pages (log in, axe-core, horizontal overflow).

Import the fixture into a test module: ``from .webapp import web``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from osteoboard.store.accounts import create_user
from osteoboard.store.db import Store
from osteoboard.store.permissions import SYSTEM, Role
from osteoboard.web.demo import ensure_demo
from tests.api.server import Server

from .conftest import ROOT

PASSWORD = "correct horse battery staple"
#: user name → role (each with :data:`PASSWORD`)
PEOPLE = {
    "koordination": Role.coordinator,
    "board": Role.board_member,
    "board2": Role.board_member,
    "lesen": Role.viewer,
}
AXE = ROOT / "tests" / "browser" / "vendor" / "axe.min.js"


@dataclass(frozen=True)
class WebApp:
    url: str
    data: Path
    meeting_id: int

    def case_id(self, pseudonym: str) -> int:
        from osteoboard.store import service

        store = Store(f"sqlite:///{self.data / 'osteoboard.sqlite3'}")
        try:
            with store.read() as session:
                rows = service.list_cases(session, SYSTEM, pseudonym=pseudonym)
                return rows[0].id
        finally:
            store.dispose()


@pytest.fixture(scope="session")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebApp]:
    data = tmp_path_factory.mktemp("web-data")
    store = Store(f"sqlite:///{data / 'osteoboard.sqlite3'}")
    try:
        report = ensure_demo(store, ROOT / "examples", accounts=False)
        with store.write() as session:
            for name, role in PEOPLE.items():
                create_user(session, SYSTEM, name, role, PASSWORD)
    finally:
        store.dispose()
    server = Server(
        {"OSTEOBOARD_DATA_DIR": str(data), "OSTEOBOARD_COOKIE_SECURE": "false"},
        log=data / "server.log",
    )
    server.start()
    try:
        yield WebApp(server.url, data, report.meeting_id)
    finally:
        server.stop()


def log_in(page: Any, app: WebApp, username: str) -> None:
    """Log in on the login page by keyboard (type, Tab, type, Enter)."""
    page.goto(app.url + "/login")
    page.locator("#username").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/meetings$"))


def axe_violations(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the page at or above ``impacts``, one line each (axe is
    injected through the DevTools protocol, so the page's own CSP stays as it is)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    found = page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ['violations']});
          return result.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [f"{v['id']} ({v['impact']}): {v['nodes']}" for v in found if v["impact"] in impacts]


def overflow(page: Any) -> int:
    """How many pixels the page is wider than its viewport (0: no horizontal scroll)."""
    width: int = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def csrf_of(page: Any) -> str:
    """The session's CSRF token as the page carries it (the logout form's hidden field)."""
    token: str = page.locator("form[action='/logout'] input[name=csrf_token]").input_value()
    return token
