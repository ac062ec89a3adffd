"""The protocol and the patient letter of every example, in Chromium at 390 and 1280 px.

Per example, document and width: no horizontal scrolling, every svg, img and table (and
every other element) inside the viewport's width, with every <details> opened as a reader
might; a full-page screenshot of each is written to the screenshot folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from osteoboard.caseio import load_case
from osteoboard.engine import evaluate
from osteoboard.render.html import render_protocol_html
from osteoboard.render.letter import render_letter_html

from .conftest import ROOT, OpenPage, full_page_screenshot

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DOCUMENTS = ("protocol", "letter")
WIDTHS = (390, 1280)

#: Elements (outside svg drawings) whose box reaches past the viewport's right edge or left
#: of its left edge, with the widths that matter; ``[]`` when everything fits.
OVERFLOW_JS = """
() => {
  const vw = window.innerWidth;
  const bad = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right > vw + 0.5 || r.left < -0.5) {
      const text = (el.textContent || '').trim().slice(0, 60);
      bad.push(`${el.tagName.toLowerCase()}.${el.className.baseVal ?? el.className} ` +
               `[${Math.round(r.left)}..${Math.round(r.right)}] ${text}`);
    }
  }
  return bad;
}
"""

MEASURES_JS = """
() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  media: Array.from(document.querySelectorAll('svg, img, table'))
    .filter((el) => !el.parentElement.closest('svg'))
    .map((el) => {
      const r = el.getBoundingClientRect();
      return {tag: el.tagName.toLowerCase(), left: r.left, right: r.right, width: r.width};
    }),
})
"""


@pytest.fixture(scope="session")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Every example's protocol and letter HTML, written as the command line writes them."""
    folder = tmp_path_factory.mktemp("html")
    written: dict[tuple[str, str], Path] = {}
    for path in EXAMPLES:
        case = load_case(path)
        proposal = evaluate(case)
        for document, html in (
            ("protocol", render_protocol_html(proposal, case)),
            ("letter", render_letter_html(proposal, case)),
        ):
            out = folder / f"{path.stem}.{document}.html"
            out.write_text(html, encoding="utf-8")
            written[(path.stem, document)] = out
    return written


def test_every_example_is_checked() -> None:
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_document_fits_viewport(
    example: str,
    document: str,
    width: int,
    pages: dict[tuple[str, str], Path],
    open_page: OpenPage,
    screenshot_dir: Path,
) -> None:
    url = pages[(example, document)].as_uri()
    with open_page(url, width) as page:
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => d.open = true)")
        m: dict[str, Any] = page.evaluate(MEASURES_JS)
        overflowing: list[str] = page.evaluate(OVERFLOW_JS)
        shot = screenshot_dir / f"{example}.{document}.{width}.png"
        full_page_screenshot(page, shot)

    assert m["innerWidth"] == width
    assert m["scrollWidth"] <= m["innerWidth"], (
        f"horizontal scroll: content {m['scrollWidth']} px in a {width} px viewport; "
        f"too wide: {overflowing[:8]} (see {shot})"
    )
    if document == "protocol":  # its score table at least; a letter may have none
        assert any(e["tag"] == "table" for e in m["media"]), "the protocol shows no table"
    too_wide = [e for e in m["media"] if e["right"] > width + 0.5 or e["left"] < -0.5]
    assert not too_wide, f"svg/img/table outside the {width} px viewport: {too_wide} ({shot})"
    assert not overflowing, f"elements outside the {width} px viewport: {overflowing[:8]} ({shot})"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
