"""A myeloma precursor (MGUS, smouldering myeloma) is explained as a stage that needs no cancer
treatment yet, without the words of remission and relapse."""

from __future__ import annotations

import json
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.render.letter import build_letter


def letter_text(stage: str) -> str:
    case: Any = parse_case(
        {
            "id": "mm-stage",
            "board_date": "2026-11-20",
            "patient": {"age": 61, "sex": "male"},
            "primary": {"site": "myeloma"},
            "myeloma": {"stage": stage},
        }
    )
    return json.dumps(build_letter(evaluate(case), case).model_dump(), ensure_ascii=False)


def test_smouldering_myeloma_reads_as_a_precursor() -> None:
    text = letter_text("smouldering")
    assert "Eine Vorstufe" in text
    assert "Remission und Rückfall" not in text
    assert "Sehr gut teilweise" not in text


def test_active_myeloma_keeps_remission_and_relapse() -> None:
    text = letter_text("active")
    assert "Eine Vorstufe" not in text
    assert "Remission und Rückfall" in text
