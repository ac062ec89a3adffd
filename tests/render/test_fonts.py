"""PDF text: any printable character renders (fallback font, U+FFFD for what no bundled font
has), control characters are dropped, the package's own characters all render."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from osteoboard.caseio import load_case
from osteoboard.engine import evaluate
from osteoboard.render.fonts import REPLACEMENT, authored_characters, covered, pdf_safe
from osteoboard.render.letter import render_letter_pdf
from osteoboard.render.pdf import compile_typst
from osteoboard.render.protocol import render_protocol_pdf

ROOT = Path(__file__).resolve().parents[2]


def test_pdf_safe_drops_controls_and_replaces_what_no_font_has() -> None:
    assert pdf_safe("a\x00b\x1b[31mc\x7fd\x9be") == "ab[31mcde"
    assert pdf_safe("a\tb\rc\nd") == "a b c\nd"
    assert pdf_safe("Ωμέγα ñ ≥ Жж") == "Ωμέγα ñ ≥ Жж"
    assert pdf_safe("腺癌 🦴") == f"{REPLACEMENT}{REPLACEMENT} {REPLACEMENT}"
    assert ord(REPLACEMENT) in covered()


def test_every_character_of_the_package_texts_renders(tmp_path: Path) -> None:
    """A knowledge-base text with a character no bundled font has fails here, not in a PDF."""
    text = "".join(chr(p) for p in sorted(authored_characters()) if chr(p).isprintable())
    source = tmp_path / "alphabet.typ"
    source.write_text(
        '#set document(title: "Zeichen")\n'
        '#set text(lang: "de", font: ("Libertinus Serif", "Noto Sans"))\n'
        '#json(bytes(sys.inputs.at("data"))).text\n',
        encoding="utf-8",
    )
    assert compile_typst(source, {"data": json.dumps({"text": text})}).startswith(b"%PDF")


@pytest.mark.parametrize("histology", ["腺癌", "carcinoma 🦴", "ক্যান্সার", "Ωμέγα ñ ⋙", "a\u200db"])
def test_histology_in_any_script_renders_both_pdfs(histology: str, tmp_path: Path) -> None:
    text = (ROOT / "examples/01-breast-l2-fracture.yaml").read_text(encoding="utf-8")
    path = tmp_path / "case.yaml"
    path.write_text(
        text.replace("histology: invasive carcinoma NST", f'histology: "{histology}"'),
        encoding="utf-8",
    )
    case = load_case(path)
    assert case.primary.histology == histology
    proposal = evaluate(case)
    assert render_protocol_pdf(proposal, case).startswith(b"%PDF")
    assert render_letter_pdf(proposal, case).startswith(b"%PDF")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_compiled_documents_do_not_accumulate_in_a_long_running_process(tmp_path: Path) -> None:
    """Typst keeps a document's memoized work until ten later compilations have not used it:
    a server that rendered twelve large protocols held the work of the last ten (about 450 MB
    each at 200 lesions). Each compilation now ages its work out: twelve distinct documents of
    400 table rows each leave the process about as large as one does (without the ageing it
    grew by about 240 MB here)."""
    sizes = []
    for i in range(12):
        source = tmp_path / f"doc{i}.typ"
        rows = "\n\n".join(
            f"#table(columns: 3, [{i}-{k}], [Zeile {k * 7 + i}], [Wert {k * 13 + i}])"
            for k in range(400)
        )
        source.write_text(f'#set document(title: "Dokument {i}")\n{rows}', encoding="utf-8")
        assert compile_typst(source, {}).startswith(b"%PDF")
        sizes.append(_rss_mb())
    assert sizes[-1] - sizes[1] < 60, sizes
