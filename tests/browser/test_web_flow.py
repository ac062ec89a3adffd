"""A board's work in the web app, in Chromium: the coordinator enters a case (one validation
error, corrected), evaluates it and answers a question, which turns a conditional item firm;
a board member decides every item, records the overall decision and signs; the protocol PDF
carries the decisions; the audit trail shows each step. A viewer cannot decide or sign, and a
second person's session sees the signed record read-only."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from .conftest import OpenPage
from .webapp import WebApp, csrf_of, log_in, web

__all__ = ["web"]

PSEUDONYM = "WEB-FLOW-1"
OVERALL = "Prophylaktische Osteosynthese des linken Femurs, danach Bestrahlung."
REJECT_REASON = "Patientin lehnt Denosumab ab; Zoledronsäure wird besprochen."

#: The case, as typed into the form: input id → value (selects by their value).
FIELDS = {
    "f-id": PSEUDONYM,
    "f-board-date": "2026-11-20",
    "f-patient-sex": "female",
    "f-patient-ecog": "1",
    "f-patient-weight-kg": "70",
    "f-primary-site": "breast",
    "f-primary-hormone-receptor": "positive",
    "f-primary-her2": "negative",
    "f-neurology-new-deficit": "false",
    "f-neurology-radicular-pain": "false",
    "f-neurology-whole-spine-mri-done": "true",
    "f-labs-calcium-mmol-l": "2,3",
    "f-labs-albumin-g-l": "40",
    "f-labs-creatinine-umol-l": "80",
    "f-lesions-0-id": "F1",
    "f-lesions-0-region": "long_bone",
    "f-lesions-0-side": "left",
    "f-lesions-0-bone": "femur",
    "f-lesions-0-segment": "peritrochanteric",
    "f-lesions-0-type": "lytic",
    "f-lesions-0-mirels-pain": "functional",
    "f-lesions-0-cortical-involvement": "gt_two_thirds",
    "f-lesions-0-pathologic-fracture": "false",
}


#: True once htmx has swapped and settled the page (no request, swap or settle under way).
HTMX_IDLE = (
    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)


def fill(page: Any, values: dict[str, str]) -> None:
    for element_id, value in values.items():
        field = page.locator(f"#{element_id}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)


def item_status(page: Any, code: str) -> str:
    """The status badge of the first item with this code."""
    article = page.locator("article.item", has=page.locator(f"code.code:text-is('{code}')"))
    return str(article.first.locator(".badge.status").inner_text())


@pytest.fixture(scope="module")
def flow(web: WebApp, open_page: OpenPage) -> dict[str, Any]:
    """Runs the board's day once; the tests below check what it left."""
    out: dict[str, Any] = {}
    with open_page(web.url + "/login", 1280) as page:
        # -- the coordinator: a new case with one error, corrected
        log_in(page, web, "koordination")
        page.goto(web.url + "/cases/new")
        fill(page, {**FIELDS, "f-patient-age": "12"})
        page.locator("#save-case").click()
        page.wait_for_selector("#form-errors")
        out["form_error"] = page.locator("#f-patient-age-error").inner_text()
        out["age_invalid"] = page.locator("#f-patient-age").get_attribute("aria-invalid")
        out["kept_value"] = page.locator("#f-lesions-0-segment").input_value()
        page.locator("#f-patient-age").fill("64")
        page.locator("#save-case").click()
        page.wait_for_url(re.compile(r".*/cases/\d+\?done=saved$"))
        case_url = page.url.split("?")[0]
        out["case_url"] = case_url
        # -- on the agenda of the demo meeting
        page.goto(f"{web.url}/meetings/{web.meeting_id}")
        page.locator("#a-case").select_option(label=f"{PSEUDONYM} (v1)")
        page.get_by_role("button", name="Hinzufügen").click()
        page.wait_for_url(re.compile(r".*done=entry_added$"))
        # -- evaluate
        page.goto(case_url)
        page.locator("#evaluate").click()
        page.wait_for_url(re.compile(r".*done=evaluated$"))
        out["before"] = item_status(page, "SURG.PROPHYLACTIC_FIXATION")
        # -- answer the question on fitness for surgery (htmx: the page is swapped in place)
        answer = page.locator("select[name='a:patient.fit_for_surgery']")
        answer.select_option("true")
        form = page.locator("form.answer", has=answer)
        with page.expect_response(lambda r: r.url.endswith("/answer")) as response:
            form.get_by_role("button", name="Antworten").click()
        out["answer_status"] = response.value.status
        # The page still shows the flash of the first evaluation until htmx has swapped it: wait
        # for the new version's flash and for the swap to settle, not for any flash.
        page.wait_for_selector("p.flash:has-text('Version 2')")
        page.wait_for_function(HTMX_IDLE)
        out["answer_flash"] = page.locator("p.flash").inner_text()
        out["after"] = item_status(page, "SURG.PROPHYLACTIC_FIXATION")
        out["url_after_answer"] = page.url
        page.locator("form[action='/logout'] button").click()
        page.wait_for_url(re.compile(r".*/login\?out=1$"))

        # -- a board member decides every item, the overall decision, signs
        log_in(page, web, "board")
        page.goto(f"{web.url}/meetings/{web.meeting_id}")
        page.get_by_role("link", name=PSEUDONYM).click()
        page.wait_for_selector("form.decide")
        # a rejection without its reason is refused at the item, then given
        first = page.locator("form.decide").first
        first_key = first.locator("input[name=item_key]").input_value()
        first.locator("input[value=rejected]").check()
        first.locator("button[type=submit]").click()
        page.wait_for_selector("form.decide .field-error")
        out["reason_error"] = page.locator("form.decide .field-error").first.inner_text()
        first = page.locator("form.decide", has=page.locator(f"input[value='{first_key}']"))
        first.locator("textarea[name=reason]").fill(REJECT_REASON)
        first.locator("button[type=submit]").click()
        page.wait_for_selector("p.flash")
        keys = page.locator("form.decide input[name=item_key]").evaluate_all(
            "els => els.map(e => e.value)"
        )
        out["items"] = len(keys)
        focus_kept = []
        for key in keys:
            if key == first_key:
                continue
            form = page.locator("form.decide", has=page.locator(f"input[value='{key}']"))
            form.locator("input[value=accepted]").check()
            button = form.locator("button[type=submit]")
            button_id = button.get_attribute("id")
            with page.expect_response(lambda r: r.url.endswith("/decisions")):
                button.click()
            page.wait_for_function(HTMX_IDLE)
            focus_kept.append(page.evaluate("() => document.activeElement.id") == button_id)
        out["focus_kept"] = focus_kept
        out["first_key"] = first_key
        page.locator("#overall-text").fill(OVERALL)
        page.locator("#conform-yes").check()
        page.locator("#save-overall").click()
        page.wait_for_selector("p.flash:has-text('Gesamtbeschluss gespeichert')")
        page.locator("#sign-off").click()
        page.wait_for_selector(".signed-banner")
        out["banner"] = page.locator(".signed-banner").inner_text()
        out["forms_after_sign"] = page.locator("form.decide").count()
        # -- the protocol PDF with the decisions
        with page.expect_download() as download:
            page.get_by_role("link", name="Protokoll als PDF").click()
        pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
        out["pdf_text"] = " ".join(p.extract_text() for p in pdf.pages)
        # -- the audit trail
        page.get_by_role("link", name="Verlauf").first.click()
        page.wait_for_selector("table.audit")
        out["audit"] = page.locator("table.audit tbody tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText))"
        )
        out["history_changes"] = page.locator("ul.changes").all_inner_texts()
    return out


def test_a_validation_error_is_shown_at_its_field_in_german(flow: dict[str, Any]) -> None:
    assert "18" in flow["form_error"] and "mindestens" in flow["form_error"], flow["form_error"]
    assert flow["age_invalid"] == "true"
    assert flow["kept_value"] == "peritrochanteric"  # the rest of the form is kept


def test_answering_a_question_turns_a_conditional_item_firm(flow: dict[str, Any]) -> None:
    assert flow["before"] == "unter Bedingungen"
    assert flow["after"] == "fest"
    assert flow["answer_status"] == 200
    assert "Version 2 ausgewertet" in flow["answer_flash"]
    assert "→ fest" in flow["answer_flash"]
    assert flow["url_after_answer"] == flow["case_url"] + "?done=evaluated"


def test_decisions_are_refused_without_a_reason_and_then_recorded(flow: dict[str, Any]) -> None:
    assert "Begründung" in flow["reason_error"] or "Pflichtfeld" in flow["reason_error"]
    assert flow["items"] >= 10
    assert "Abgezeichnet" in flow["banner"] and "user:board" in flow["banner"]
    assert flow["forms_after_sign"] == 0
    # After each decision the page is swapped in place and the focus stays on its button.
    assert all(flow["focus_kept"]), flow["focus_kept"]


def test_the_protocol_pdf_carries_the_decisions(flow: dict[str, Any]) -> None:
    text = " ".join(flow["pdf_text"].split())
    assert "Gesamtbeschluss" in text
    assert "Prophylaktische Osteosynthese" in text
    assert "abgelehnt" in text and "Patientin lehnt Denosumab ab" in text
    assert text.count("angenommen") >= flow["items"] - 1
    assert "abgezeichnet am" in text and "user:board" in text
    assert "leitlinienkonform" in text


def test_the_audit_trail_shows_each_step(flow: dict[str, Any]) -> None:
    steps = [(row[2], row[3]) for row in flow["audit"]]
    coordinator, board = "user:koordination", "user:board"
    for expected in (
        (coordinator, "Fall angelegt"),
        (coordinator, "Version gespeichert"),
        (coordinator, "auf die Tagesordnung gesetzt"),
        (coordinator, "ausgewertet"),
        (board, "Entscheidung zu einem Punkt"),
        (board, "Gesamtbeschluss"),
        (board, "abgezeichnet"),
    ):
        assert expected in steps, (expected, steps)
    assert sum(1 for s in steps if s == (coordinator, "Version gespeichert")) == 2
    assert sum(1 for s in steps if s == (coordinator, "ausgewertet")) == 2
    assert steps[-1] == (board, "abgezeichnet")
    seqs = [int(row[0]) for row in flow["audit"]]
    assert seqs == sorted(seqs)
    assert any("Operationsfähigkeit" in c for c in flow["history_changes"])


def test_a_viewer_cannot_decide_or_sign(
    flow: dict[str, Any], web: WebApp, open_page: OpenPage
) -> None:
    other = web.case_id("demo-004")
    with open_page(web.url + "/login", 1280) as page:
        log_in(page, web, "lesen")
        page.goto(f"{web.url}/cases/{other}")
        assert page.locator("h1").inner_text() == "Fall demo-004"
        assert page.locator("form.decide").count() == 0
        assert page.locator("#sign-off").count() == 0
        assert page.locator("form.answer").count() == 0
        assert "Lesezugriff" in page.locator("main").inner_text()
        entry = page.locator("#decision").get_attribute("id")
        assert entry == "decision"
        # A forged request with the viewer's own session and token is refused.
        token = csrf_of(page)
        entry_id = web_entry(page, web, other)
        reply = page.request.post(
            f"{web.url}/entries/{entry_id}/sign-off", form={"csrf_token": token}
        )
        assert reply.status == 403
        reply = page.request.post(
            f"{web.url}/entries/{entry_id}/decisions",
            form={"csrf_token": token, "item_key": "EMERG.MSCC", "outcome": "accepted"},
        )
        assert reply.status == 403
        assert "darf" in reply.text()


def web_entry(page: Any, web: WebApp, case_id: int) -> int:
    """The agenda entry of a case on the demo meeting (from the meeting page's link)."""
    page.goto(f"{web.url}/meetings/{web.meeting_id}")
    href = page.locator(f"a[href^='/cases/{case_id}?entry=']").get_attribute("href")
    return int(href.rsplit("=", 1)[1])


def test_a_second_session_sees_the_signed_record_read_only(
    flow: dict[str, Any], web: WebApp, open_page: OpenPage
) -> None:
    with open_page(web.url + "/login", 390) as page:
        log_in(page, web, "board2")
        page.goto(flow["case_url"])
        assert "Abgezeichnet" in page.locator(".signed-banner").inner_text()
        assert page.locator("form.decide").count() == 0
        assert page.locator("#sign-off").count() == 0
        assert page.get_by_role("link", name="Bearbeiten").count() == 0
        main = page.locator("main").inner_text()
        assert OVERALL in main and REJECT_REASON in main
        # Even a forged change is refused: the record is signed.
        case_id = int(flow["case_url"].rsplit("/", 1)[1])
        entry_id = web_entry(page, web, case_id)
        reply = page.request.post(
            f"{web.url}/entries/{entry_id}/decisions",
            form={
                "csrf_token": csrf_of(page),
                "item_key": flow["first_key"],
                "outcome": "accepted",
            },
        )
        assert reply.status == 409
        assert "abgezeichnet" in reply.text()
