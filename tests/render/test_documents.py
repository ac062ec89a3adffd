"""Protocol and patient letter: every example renders, the PDFs are tagged German PDF/UA, and
the letter shows only what the proposal contains, readably."""

from __future__ import annotations

import functools
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from osteoboard.case import Case
from osteoboard.caseio import load_case
from osteoboard.cli import app
from osteoboard.engine import evaluate
from osteoboard.proposal import Proposal
from osteoboard.readability import assess
from osteoboard.render.html import render_protocol_html
from osteoboard.render.letter import (
    Letter,
    build_letter,
    render_letter_html,
    render_letter_pdf,
    section_text,
)
from osteoboard.render.protocol import render_protocol_pdf

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
IDS = [p.name for p in EXAMPLES]


@functools.cache
def case_and_proposal(path: Path) -> tuple[Case, Proposal]:
    case = load_case(path)
    return case, evaluate(case)


@functools.cache
def letter(path: Path) -> Letter:
    return build_letter(*reversed(case_and_proposal(path)))


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(html: str) -> _Html:
    parser = _Html()
    parser.feed(html)
    return parser


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    # pypdf reads the hyphen glyph as U+00AD: a hyphenation break is "\xad" plus a line break,
    # any other is a real hyphen (pdftotext gives "-").
    text = re.sub(r"\xad\s+", "", text).replace("\xad", "-")
    return reader, re.sub(r"\s+", " ", text)


def assert_tagged_german_pdf(reader: PdfReader) -> None:
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "PDF is not tagged"
    assert str(root["/Lang"]).lower().startswith("de")
    assert root["/MarkInfo"]["/Marked"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    assert "pdfuaid:part" in xmp and re.search(r"pdfuaid:part[^0-9]*1", xmp), "no PDF/UA-1 id"


# --- board protocol ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_protocol_html_shows_the_proposal(path: Path) -> None:
    case, proposal = case_and_proposal(path)
    html = render_protocol_html(proposal, case)
    doc = parse_html(html)
    assert ("html", {"lang": "de"}) in doc.tags
    text = " ".join(doc.text)
    assert proposal.case_id in text
    assert "Beschluss der Tumorkonferenz" in text and "Unterschrift" in text
    for r in proposal.recommendations:
        assert r.text.de in html.replace("&#34;", '"').replace("&#39;", "'") or r.code in html
        assert r.rule in html
    for e in proposal.emergencies:
        assert html.index(e.rule) < html.index("Vorschläge je Disziplin"), "emergencies first"
    if case.lesions:
        assert html.count("data-lesion=") >= len(case.lesions), "skeleton map marks every lesion"
    assert "Quellen" in text


def test_protocol_html_escapes_free_text(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load((ROOT / "examples/05-kidney-femur-impending.yaml").read_text())
    data["primary"]["histology"] = "<script>alert(1)</script> & co"
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(data))
    case = load_case(path)
    html = render_protocol_html(evaluate(case), case)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "path",
    [ROOT / "examples/04-lung-mscc-emergency.yaml", ROOT / "examples/09-myeloma-relapse.yaml"],
    ids=["mscc", "myeloma"],
)
def test_protocol_pdf_is_tagged_german_and_complete(path: Path) -> None:
    case, proposal = case_and_proposal(path)
    reader, text = pdf_text(render_protocol_pdf(proposal, case))
    assert_tagged_german_pdf(reader)
    assert proposal.case_id in text
    assert "Beschluss der Tumorkonferenz" in text
    for e in proposal.emergencies:
        assert "Metastatische spinale Kompression" in text or e.code in text
    for s in proposal.scores:
        if s.name == "sins":
            assert "SINS" in text
    if case.myeloma is not None:
        assert "Progressionsschwelle" in text or "M-Protein" in text


# --- patient letter ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_letter_is_readable(path: Path) -> None:
    lt = letter(path)
    whole = assess(lt.plain_text())
    assert whole.flesch_amstad >= 60, whole
    assert whole.wstf <= 8, whole
    for section in lt.sections:
        report = assess(section_text(section))
        assert report.flesch_amstad >= 50, (section.id, report.flesch_amstad)
    personal = assess(lt.personal_text())
    assert personal.flesch_amstad >= 50, personal
    assert lt.readability.flesch_amstad == round(whole.flesch_amstad, 1)


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_letter_has_the_good_practice_items(path: Path) -> None:
    """IPDAS/DISCERN: decision and options with benefits, harms and uncertainty in equal
    detail, sources, date, version, authorship, and the conversation it does not replace."""
    lt = letter(path)
    ids = [s.id for s in lt.sections]
    for needed in (
        "meaning",
        "options",
        "self_care",
        "warning_signs",
        "questions",
        "closing",
    ):
        assert needed in ids, needed
    options = next(s for s in lt.sections if s.id == "options")
    for block in options.blocks:
        leads = [
            r.text
            for p in block.paragraphs
            for r in p.runs
            if r.strong and r.text.startswith(("Worum", "Was "))
        ]
        assert leads == [
            "Worum es geht:",
            "Was es bringen kann:",
            "Was belasten kann:",
            "Was noch unsicher ist:",
        ], (block.id, leads)
    assert lt.references, "sources"
    assert lt.glossary, "glossary"
    assert lt.kb_version and lt.board_date_de
    html = render_letter_html(*reversed(case_and_proposal(path)))
    assert "ersetzt nicht das Gespräch" in html
    assert lt.kb_version in html and (lt.board_date_de or "") in html


def _letter_words(path: Path) -> str:
    return letter(path).plain_text().lower()


def test_letter_carries_only_what_fired() -> None:
    breast = _letter_words(ROOT / "examples/01-breast-l2-fracture.yaml")
    prostate_crpc = _letter_words(ROOT / "examples/07-crpc-radium.yaml")
    assert "radium" not in breast
    assert "radium" in prostate_crpc
    assert "lutetium" not in breast and "lutetium" in prostate_crpc
    with_mscc = {
        b.id
        for s in letter(ROOT / "examples/04-lung-mscc-emergency.yaml").sections
        for b in s.blocks
    }
    without = {
        b.id
        for s in letter(ROOT / "examples/05-kidney-femur-impending.yaml").sections
        for b in s.blocks
    }
    assert "emergency_mscc" in with_mscc and "emergency_mscc" not in without
    assert "embolization" in without and "embolization" not in with_mscc


def test_letter_blocks_match_the_proposal_codes() -> None:
    from osteoboard.guideline import load_knowledge_base

    kb = load_knowledge_base()
    by_id = {b.meta.id: b for b in kb.texts}
    for path in EXAMPLES:
        _case, proposal = case_and_proposal(path)
        codes = {r.code for r in [*proposal.emergencies, *proposal.recommendations]} | {
            w.code for w in proposal.warnings
        }
        for section in letter(path).sections:
            for block in section.blocks:
                meta = by_id[block.id].meta
                assert not meta.codes or set(meta.codes) & codes, (path.name, block.id)


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_glossary_lists_only_terms_the_letter_uses(path: Path) -> None:
    from osteoboard.guideline import load_knowledge_base
    from osteoboard.render.letter import explained_in

    kb = load_knowledge_base()
    assert kb.letter is not None
    by_id = {b.meta.id: b for b in kb.texts}
    lt = letter(path)
    named = {t for s in lt.sections for b in s.blocks for t in by_id[b.id].meta.glossary}
    named |= {t for item in kb.letter.items.values() for t in item.glossary}
    plain = lt.plain_text(include_glossary=False)
    text = re.sub(r"[\s\-]", "", plain.casefold())
    terms = {g.term for g in lt.glossary}
    assert terms <= named
    for term in named:
        used = re.sub(r"[\s\-]", "", term.casefold()) in text
        # A term the text explains itself ("Das heißt Kieferosteonekrose") is not repeated.
        assert (term in terms) == (used and not explained_in(term, plain)), term


def test_myeloma_and_sarcoma_letters_use_their_module() -> None:
    mm = letter(ROOT / "examples/09-myeloma-relapse.yaml")
    sts = letter(ROOT / "examples/10-sarcoma-lung-metastases.yaml")
    mm_ids = {b.id for s in mm.sections for b in s.blocks}
    sts_ids = {b.id for s in sts.sections for b in s.blocks}
    assert "meaning_myeloma" in mm_ids and "meaning_bone" not in mm_ids
    assert "myeloma_close_monitoring" in mm_ids
    assert mm.figures, "M-protein plot in the myeloma letter"
    assert "meaning_sarcoma" in sts_ids and "sarcoma_center" in sts_ids
    assert "meaning_bone" not in sts_ids  # no bone metastases recorded


def test_letter_pdf_is_tagged_german() -> None:
    case, proposal = case_and_proposal(ROOT / "examples/07-crpc-radium.yaml")
    reader, text = pdf_text(render_letter_pdf(proposal, case))
    assert_tagged_german_pdf(reader)
    assert "Radium" in text
    assert "ersetzt nicht das Gespräch" in text


# --- command line -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "audience", "magic"),
    [
        ("html", "board", b"<!DOCTYPE html>"),
        ("html", "patient", b"<!DOCTYPE html>"),
        ("pdf", "board", b"%PDF-"),
        ("pdf", "patient", b"%PDF-"),
        ("json", "patient", b"{"),
    ],
)
def test_cli_writes_every_format(tmp_path: Path, fmt: str, audience: str, magic: bytes) -> None:
    out = tmp_path / f"out.{fmt}"
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(ROOT / "examples/01-breast-l2-fracture.yaml"),
            "-f",
            fmt,
            "-a",
            audience,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(magic)
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"


def test_cli_refuses_text_letter() -> None:
    result = CliRunner().invoke(app, ["evaluate", str(EXAMPLES[0]), "-f", "text", "-a", "patient"])
    assert result.exit_code == 2
    assert "für den Patientenbrief html oder pdf" in result.stderr


def test_cli_unwritable_output_fails_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "out.html"
    result = CliRunner().invoke(
        app, ["evaluate", str(EXAMPLES[0]), "-f", "html", "-o", str(target)]
    )
    assert result.exit_code == 2
    assert "nicht schreibbar" in result.stderr
    assert not target.exists()


def test_urgent_items_follow_the_emergencies_in_the_protocol() -> None:
    case, proposal = case_and_proposal(ROOT / "examples/04-lung-mscc-emergency.yaml")
    html = render_protocol_html(proposal, case)
    urgent = [r for r in proposal.recommendations if r.priority.value == "urgent"]
    assert {r.code for r in urgent} >= {"SUP.DEXAMETHASONE", "RT.MSCC"}
    start = html.index("Dringende Maßnahmen")
    assert start < html.index("Prognoseband")
    block = html[start : html.index("Prognoseband")]
    assert "Dexamethason" in block
    _, text = pdf_text(render_protocol_pdf(proposal, case))
    assert text.index("Dringende Maßnahmen") < text.index("Prognoseband")


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_every_example_renders_both_pdfs(path: Path) -> None:
    case, proposal = case_and_proposal(path)
    for data in (render_protocol_pdf(proposal, case), render_letter_pdf(proposal, case)):
        reader, text = pdf_text(data)
        assert_tagged_german_pdf(reader)
        assert proposal.case_id in text
