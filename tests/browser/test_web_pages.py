"""Every main page of the web app at 1280 and 390 px in Chromium: no horizontal scroll, no
serious or critical axe-core violation, a full-page screenshot in the screenshot folder; and
the pages work by keyboard (skip link, focus visible, a decision recorded with keys only)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import OpenPage, full_page_screenshot
from .webapp import WebApp, axe_violations, log_in, overflow, web

__all__ = ["web"]

WIDTHS = (1280, 390)


def pages_of(app: WebApp) -> dict[str, str]:
    """name → path of each main page (as the board member sees them)."""
    emergency = app.case_id("demo-004")
    myeloma = app.case_id("demo-009")
    return {
        "meetings": "/meetings",
        "meeting": f"/meetings/{app.meeting_id}",
        "cases": "/cases",
        "case": f"/cases/{emergency}",
        "case-myeloma": f"/cases/{myeloma}",
        "case-en": f"/cases/{emergency}?lang=en",
        "history": f"/cases/{emergency}/history",
        "knowledge-base": "/kb?q=Zoledronsäure",
    }


def check(page: Any, name: str, width: int, shots: Path) -> list[str]:
    problems = [f"{name}@{width}: {v}" for v in axe_violations(page)]
    if overflow(page) > 0:
        problems.append(f"{name}@{width}: {overflow(page)} px wider than the viewport")
    full_page_screenshot(page, shots / f"web-{name}-{width}.png")
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_main_pages_are_accessible_and_fit(
    web: WebApp, open_page: OpenPage, screenshot_dir: Path, width: int
) -> None:
    problems: list[str] = []
    with open_page(web.url + "/login", width) as page:
        problems += check(page, "login", width, screenshot_dir)
        log_in(page, web, "board")
        for name, path in pages_of(web).items():
            page.goto(web.url + path)
            for details in page.locator("main details").all()[:40]:
                details.evaluate("d => { d.open = true; }")
            problems += check(page, name, width, screenshot_dir)
        page.goto(web.url + "/lang/de?next=/meetings")
    with open_page(web.url + "/login", width) as page:
        log_in(page, web, "koordination")
        page.goto(web.url + "/cases/new")
        problems += check(page, "case-form", width, screenshot_dir)
        page.locator("#f-patient-age").fill("7")
        page.locator("#save-case").click()
        page.wait_for_selector("#form-errors")
        problems += check(page, "case-form-errors", width, screenshot_dir)
    assert problems == [], "\n".join(problems)


def test_the_skip_link_and_focus_are_visible(web: WebApp, open_page: OpenPage) -> None:
    with open_page(web.url + "/login", 1280) as page:
        log_in(page, web, "board")
        page.goto(web.url + pages_of(web)["case"])
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("() => document.activeElement.id") == "main"
        # Every element reached by Tab shows a focus outline.
        for _ in range(12):
            page.keyboard.press("Tab")
            style = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert style != "none", page.evaluate("() => document.activeElement.outerHTML")


def test_a_decision_can_be_recorded_by_keyboard_alone(web: WebApp, open_page: OpenPage) -> None:
    with open_page(web.url + "/login", 390) as page:
        log_in(page, web, "board")
        page.goto(web.url + pages_of(web)["meeting"])
        link = page.get_by_role("link", name="demo-007")
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/cases/\d+\?entry=\d+$"))
        # Tab to the first decision's radio buttons, choose with the arrow key, then save.
        first = page.locator("form.decide").first
        radio = first.locator("input[value=accepted]")
        for _ in range(200):
            page.keyboard.press("Tab")
            if radio.evaluate("r => r === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reached the first decision")
        page.keyboard.press("Space")
        assert radio.is_checked()
        page.keyboard.press("Tab")  # the reason
        page.keyboard.type("per Tastatur")
        page.keyboard.press("Tab")  # the button
        with page.expect_response(lambda r: r.url.endswith("/decisions")) as response:
            page.keyboard.press("Enter")
        assert response.value.status == 200
        page.wait_for_selector("p.flash")
        assert "gespeichert" in page.locator("p.flash").inner_text()
        assert "per Tastatur" in page.locator("form.decide").first.locator("textarea").input_value()
