"""The words of one section of a patient letter, for tests that look for a sentence in it."""

from __future__ import annotations

from osteoboard.render.letter import Letter


def section_text(letter: Letter, section_id: str) -> str:
    """Every run of the section's blocks (paragraphs and list entries), joined by spaces."""
    (section,) = [s for s in letter.sections if s.id == section_id]
    return " ".join(
        r.text
        for b in section.blocks
        for p in b.paragraphs
        for e in [p.runs, *p.entries]
        for r in e
    )
