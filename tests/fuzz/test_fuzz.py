"""The input contract under fuzzing: for any document, either a result or a clean rejection.

A clean rejection is a CaseError (CLI: exit 2) with one short line per problem on stderr, each
naming the field or the line of the document (in German and in English), no traceback, nothing
written. Every accepted case
evaluates and renders (JSON, protocol and letter as HTML and PDF). Every step keeps to a
generous time bound.

The budget is small by default (part of `make test`); `make fuzz` sets FUZZ_EXAMPLES for a
larger, randomised run.
"""

from __future__ import annotations

import copy
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from osteoboard.case import Case
from osteoboard.caseio import MAX_PROBLEMS, CaseError, parse_case, read_document
from osteoboard.cli import app
from osteoboard.engine import evaluate
from osteoboard.messages import LANGS
from osteoboard.render.html import render_protocol_html
from osteoboard.render.letter import build_letter, render_letter_html, render_letter_pdf
from osteoboard.render.protocol import render_protocol_pdf

from .strategies import (
    EXAMPLE_DOCS,
    malformed_texts,
    mutated_examples,
    schema_documents,
    to_text,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(
    max_examples=EXAMPLES or 40,
    derandomize=EXAMPLES is None,  # the small budget in `make test` is the same every run
    deadline=None,  # own bounds below, per step
    database=None,
    suppress_health_check=list(HealthCheck),
)

#: Generous per-call bounds in seconds (not benchmarks: a hang or a blow-up fails them).
READ_BOUND = 5.0
EVALUATE_BOUND = 10.0
RENDER_BOUND = 15.0

NAME = "fuzz.yaml"
_FIELD = re.compile(r"^(?P<head>[A-Za-z_][A-Za-z0-9_]*|\[)(?P<rest>.*?): ")

T = TypeVar("T")


def _timed(bound: float, what: str, call: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = call()
    elapsed = time.perf_counter() - start
    assert elapsed < bound, f"{what} took {elapsed:.1f} s"
    return result


def assert_clean_rejection_of(exc: CaseError) -> None:
    """Every line of a rejection, in both languages, and at most MAX_PROBLEMS of them."""
    assert exc.problems, "a rejection without a problem"
    assert len(exc.problems) <= MAX_PROBLEMS
    for lang in LANGS:
        lines = exc.lines(lang)
        assert len(lines) == len(exc.problems) + (1 if exc.more else 0)
        for line in lines[: len(exc.problems)]:
            assert_clean_rejection(line)


def assert_clean_rejection(message: str) -> None:
    assert message, "empty error message"
    assert message == message.strip()
    assert not any(ch in message for ch in "\n\r\x1b\x00"), repr(message)
    assert message.isprintable(), repr(message)
    assert len(message) <= 600, len(message)  # the longest list of allowed values is ~420
    if message.startswith(f"{NAME}: "):  # about the document as a whole
        if "invalid YAML" in message or "invalid JSON" in message:
            assert re.search(r"invalid (YAML|JSON) at line \d+: ", message), message
        if "ungültiges YAML" in message or "ungültiges JSON" in message:
            assert re.search(r"ungültiges (YAML|JSON) in Zeile \d+: ", message), message
        return
    match = _FIELD.match(message)
    assert match, message
    unknown = "unknown field" in message or "unbekanntes Feld" in message
    if not (match["rest"] == "" and unknown):  # else the field is the head
        assert match["head"] in {*Case.model_fields, "case", "["}, message


def read(text: str) -> Case | None:
    """The reader's contract: a Case or a clean CaseError, in bounded time."""
    try:
        case = _timed(READ_BOUND, "reading", lambda: parse_case(read_document(text, name=NAME)))
    except CaseError as exc:
        assert_clean_rejection_of(exc)
        event("rejected")
        return None
    event("accepted")
    return case


def check_accepted(case: Case, pdf: bool) -> None:
    """Every accepted case evaluates and renders, each step in bounded time."""
    proposal = _timed(EVALUATE_BOUND, "evaluate", lambda: evaluate(case))
    assert proposal.case_id == case.id
    _timed(RENDER_BOUND, "JSON", proposal.model_dump_json)
    _timed(RENDER_BOUND, "letter JSON", lambda: build_letter(proposal, case).model_dump_json())
    html = _timed(RENDER_BOUND, "protocol HTML", lambda: render_protocol_html(proposal, case))
    assert html.startswith("<!DOCTYPE html>") or "<html" in html
    _timed(RENDER_BOUND, "letter HTML", lambda: render_letter_html(proposal, case))
    if pdf:
        doc = _timed(RENDER_BOUND, "protocol PDF", lambda: render_protocol_pdf(proposal, case))
        assert doc.startswith(b"%PDF")
        doc = _timed(RENDER_BOUND, "letter PDF", lambda: render_letter_pdf(proposal, case))
        assert doc.startswith(b"%PDF")


@FUZZ
@given(doc=schema_documents(), as_json=st.booleans(), pdf=st.booleans())
def test_documents_from_the_schema(doc: dict[str, Any], as_json: bool, pdf: bool) -> None:
    case = read(to_text(doc, as_json))
    if case is not None:
        check_accepted(case, pdf)


@FUZZ
@given(doc=mutated_examples(), as_json=st.booleans(), pdf=st.integers(0, 3))
def test_mutated_examples(doc: dict[str, Any], as_json: bool, pdf: int) -> None:
    case = read(to_text(doc, as_json))
    if case is not None:
        check_accepted(case, pdf == 0)


@FUZZ
@given(text=malformed_texts())
def test_malformed_text(text: str) -> None:
    case = read(text)
    if case is not None:
        check_accepted(case, pdf=False)


_PRINTABLE = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Co", "Cn"]), max_size=60
)


@FUZZ
@given(
    doc=st.sampled_from(EXAMPLE_DOCS),
    histology=st.one_of(_PRINTABLE, st.text(st.characters(codec="utf-8"), max_size=60)),
    planned=st.lists(_PRINTABLE.filter(bool), max_size=3),
)
def test_free_text_in_any_script(doc: dict[str, Any], histology: str, planned: list[str]) -> None:
    """Any printable text is accepted and renders in both PDFs; anything else is refused."""
    doc = copy.deepcopy(doc)
    doc.setdefault("primary", {})["histology"] = histology
    doc.setdefault("prior_therapy", {})["planned_therapies"] = planned
    case = read(to_text(doc, as_json=False))
    if case is not None:
        check_accepted(case, pdf=True)


_runner = CliRunner()


@FUZZ
@given(text=st.one_of(malformed_texts(), mutated_examples().map(lambda d: to_text(d, False))))
def test_command_line(text: str) -> None:
    """Through the CLI: exit 0 with the file written, or exit 2 with one line per problem and
    nothing written."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / NAME
        src.write_bytes(text.encode("utf-8", "surrogatepass"))
        out = Path(folder) / "out" / "proposal.json"
        out.parent.mkdir()
        result = _timed(
            EVALUATE_BOUND + READ_BOUND,
            "osteoboard evaluate",
            lambda: _runner.invoke(app, ["evaluate", str(src), "-o", str(out)]),
        )
        if result.exit_code == 0:
            assert out.is_file() and out.read_bytes().startswith(b"{")
            assert result.stderr == ""
            return
        assert result.exit_code == 2, (result.exit_code, result.exception, result.stderr)
        assert result.stdout == ""
        assert list(out.parent.iterdir()) == [], "a rejected case wrote a file"
        lines = result.stderr.splitlines()
        assert 1 <= len(lines) <= MAX_PROBLEMS + 1, result.stderr
        assert all(line.startswith("Fehler: ") for line in lines), result.stderr
        assert "Traceback" not in result.stderr
        for line in lines:
            message = line[len("Fehler: ") :]
            if not message.startswith("… und "):  # the count of the errors not shown
                assert_clean_rejection(message.replace(str(src), NAME, 1))
