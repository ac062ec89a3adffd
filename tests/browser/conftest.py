"""Browser fixtures: Debian's Chromium driven by Playwright, one browser per test session.

Playwright's own browser downloads are never used. The session's first browser test runs
``scripts/install-chromium.sh``, which installs Debian's ``chromium`` with apt-get when
``/usr/bin/chromium`` is missing; if that is impossible the tests fail with its message.
Each page gets a fresh browser context (no shared cookies or storage) at the viewport a test
asks for; the browser itself runs on a fresh temporary profile.

Fixtures and helpers for other browser tests:

- ``chromium_path``: the installed browser's path (session).
- ``browser``: the launched browser (session).
- ``open_page(url, width, height=…)``: a context manager giving a loaded page at that viewport.
- ``full_page_screenshot(page, path)``: a PNG of the whole page (Chromium's fast encoder).
- ``screenshot_dir``: where full-page screenshots go (``test-artifacts/screenshots/``,
  gitignored; ``OSTEOBOARD_SCREENSHOTS`` overrides); its path is printed after the run.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = ROOT / "scripts" / "install-chromium.sh"
CHROMIUM = os.environ.get("OSTEOBOARD_CHROMIUM", "/usr/bin/chromium")
SCREENSHOT_DIR = Path(
    os.environ.get("OSTEOBOARD_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots")
)

#: Chromium switches for a quiet, offline, headless run as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

OpenPage = Callable[..., AbstractContextManager[Any]]


def ensure_chromium() -> str:
    """Install Debian's Chromium if missing; fail the test with the reason when impossible."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    try:
        done = subprocess.run(
            ["bash", str(INSTALL_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, "OSTEOBOARD_CHROMIUM": CHROMIUM},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"Chromium ({CHROMIUM}) is missing and {INSTALL_SCRIPT.name} failed: {exc}")
    if done.returncode != 0 or not os.access(CHROMIUM, os.X_OK):
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        pytest.fail(
            f"Chromium ({CHROMIUM}) is missing and could not be installed with "
            f"scripts/{INSTALL_SCRIPT.name} (exit {done.returncode}); the browser tests need it. "
            f"Install it with 'apt-get install chromium' as root.\n{tail}",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return ensure_chromium()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            launched = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        except Exception as exc:  # the message names what the browser lacked
            pytest.fail(f"Chromium at {chromium_path} did not start: {exc}", pytrace=False)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def open_page(browser: Any) -> OpenPage:
    """``with open_page(url, 390) as page:`` — a page loaded at a 390 px wide viewport."""

    @contextmanager
    def _open(url: str, width: int, height: int = 900) -> Iterator[Any]:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            java_script_enabled=True,
            service_workers="block",
        )
        try:
            page = context.new_page()
            page.goto(url, wait_until="load")
            yield page
        finally:
            context.close()

    return _open


def full_page_screenshot(page: Any, path: Path) -> Path:
    """Write a PNG of the whole page, as wide as its content, to ``path``.

    Asks Chromium directly with ``optimizeForSpeed`` (a faster PNG encoder): two to three
    times quicker than Playwright's own full-page screenshot on long pages.
    """
    width, height = page.evaluate(
        "() => [Math.max(document.documentElement.scrollWidth, window.innerWidth),"
        " document.documentElement.scrollHeight]"
    )
    session = page.context.new_cdp_session(page)
    try:
        shot = session.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "optimizeForSpeed": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            },
        )
    finally:
        session.detach()
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


_used_screenshot_dir: list[Path] = []


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """The run's screenshot folder, emptied of the previous run's pictures."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOT_DIR.glob("*.png"):
        old.unlink()
    _used_screenshot_dir.append(SCREENSHOT_DIR)
    return SCREENSHOT_DIR


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for folder in _used_screenshot_dir:
        shots = len(list(folder.glob("*.png")))
        terminalreporter.write_line(f"browser screenshots ({shots}): {folder}")
