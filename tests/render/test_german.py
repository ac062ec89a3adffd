"""German throughout: every German output of every example (protocol HTML, protocol PDF,
console) is scanned for raw values — snake_case tokens, English enumeration values — and for
numbers with a decimal point.

What may stay, and why (nothing else is allowed):

* the action codes (``RT.SINGLE_8GY``), upper case, in their own code element: they are the
  keys a board member quotes to the JSON and the knowledge base;
* the reference list (and the bibliography-only parts of citations): titles and journals are
  cited in their own language, and DOIs contain points;
* the version of osteoboard and of the knowledge base (``0.1.0``, ``2026.11.3``);
* free text as the case gives it (the histology, e.g. "cutaneous melanoma"): it is quoted,
  not translated.
"""

from __future__ import annotations

import functools
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from osteoboard.guideline import load_knowledge_base
from osteoboard.labels import score_vocabularies, vocabularies
from osteoboard.render import text as console_text
from osteoboard.render.html import render_protocol_html
from osteoboard.render.protocol import render_protocol_pdf
from tests.render.test_documents import EXAMPLES, IDS, case_and_proposal, pdf_text

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# A decimal point between digits, not part of a version or a longer dotted run (2026.11.3).
DECIMAL_POINT = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.]|\.\d)")
# Enumeration values that are German words as well.
# "renal ausgeschieden", "supportive Behandlung"
_ALLOWED_WORDS = {"normal", "mild", "renal", "supportive"}
# English in a cited author's name ("European Association of Urology (EAU), with EANM, …").
_CITED_WORDS = {"with"}


@functools.cache
def english_values() -> frozenset[str]:
    """Every lower-case English word that is a value of an enumeration of the case model, the
    outputs or a score."""
    words: set[str] = set()
    kb = load_knowledge_base()
    names = [*vocabularies().values(), *score_vocabularies().values()]
    for items in kb.labels.score_values.values():
        names.extend(tuple(values) for values in items.values())
    for values in names:
        for v in values:
            if re.fullmatch(r"[a-z]{3,}", str(v)) and str(v) not in _ALLOWED_WORDS:
                words.add(str(v))
    return frozenset(words)


def _labels() -> list[Any]:
    labels = load_knowledge_base().labels
    out: list[Any] = [*labels.fields.values(), *labels.spine_regions.values()]
    for table in [*labels.vocabularies.values(), *labels.score_categories.values()]:
        out.extend(table.values())
    for items in labels.score_values.values():
        for values in items.values():
            out.extend(values.values())
    return out


@functools.cache
def english_words() -> frozenset[str]:
    """Lower-case words of the vocabulary's English side (labels.yaml: fields, values,
    categories) that its German side never writes in lower case: ``platelets``, ``albumin``
    (German writes ``Albumin``), ``fracture``. Written lower case in German output, such a
    word is English that slipped through."""
    english: set[str] = set()
    german: set[str] = set()
    for label in _labels():
        english.update(re.findall(r"\b[a-z]{4,}\b", label.en))
        german.update(re.findall(r"\b[a-zäöüß]+\b", label.de))
    return frozenset(english - german - _ALLOWED_WORDS - _CITED_WORDS)


def leaks(text: str) -> list[str]:
    found = SNAKE.findall(text) + DECIMAL_POINT.findall(text)
    english = english_values() | english_words()
    found += [w for w in re.findall(r"\b[a-z]+\b", text) if w in english]
    return sorted(set(found))


class _Visible(HTMLParser):
    """The visible text of a protocol page, without the code elements and the references."""

    _SKIP = frozenset({"style", "script", "title", "desc"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        cls = dict(attrs).get("class") or ""
        if tag in self._SKIP or "code" in cls.split() or "refs" in cls.split() or self._skip:
            self._skip.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def without_references(text: str) -> str:
    """The PDF text without the reference list (between 'Quellen' and the appendix)."""
    start = text.rfind(" Quellen ")
    end = text.find("Anhang: fehlende Angaben", start)
    return text[:start] + (text[end:] if end >= 0 else "") if start >= 0 else text


def without_codes(text: str, codes: set[str]) -> str:
    """The text without the action codes and the case's own free text."""
    for code in sorted(codes, key=len, reverse=True):
        text = text.replace(code, " ")
    return text


def allowed(path: Path) -> set[str]:
    case, proposal = case_and_proposal(path)
    free = {case.primary.histology} if case.primary.histology else set()
    return {r.code for r in [*proposal.emergencies, *proposal.recommendations]} | free


def joined(text: str) -> str:
    """PDF text with the words hyphenated at line ends joined again."""
    return re.sub(r"(\w)- ([a-zäöüß])", r"\1\2", text)


def console(path: Path) -> str:
    _, proposal = case_and_proposal(path)
    out = io.StringIO()
    console_text.render_text(proposal, file=out)
    return out.getvalue()


def test_the_scan_finds_what_the_issue_found() -> None:
    assert leaks("Alignment: de_novo_deformity, Kollaps lt_50") == ["de_novo_deformity", "lt_50"]
    assert leaks("Ca 2.52 mmol/l; Myelom vgpr") == ["2.52", "vgpr"]
    assert leaks("Gelenk: hip") == ["hip"]
    assert leaks("Laborwerte: albumin 33 g/l, platelets 150 ×10⁹/l") == ["albumin", "platelets"]
    assert leaks("Laborwerte: Albumin 33 g/l, Thrombozyten 150 × 10⁹/l") == []
    assert leaks("Ca 2,52 mmol/l, Wissensbasis 2026.11.3, osteoboard 0.1.0, 20.11.2026") == []


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_protocol_html_is_german(path: Path) -> None:
    case, proposal = case_and_proposal(path)
    text = html_text(render_protocol_html(proposal, case))
    assert leaks(without_codes(text, allowed(path))) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_protocol_pdf_is_german(path: Path) -> None:
    case, proposal = case_and_proposal(path)
    _, text = pdf_text(render_protocol_pdf(proposal, case))
    assert leaks(without_codes(joined(without_references(text)), allowed(path))) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_console_is_german(path: Path) -> None:
    assert leaks(without_codes(console(path), allowed(path))) == []
