"""A complete paralysis of more than 48 hours: the letter does not promise that quick help
protects walking, and says what the treatment can still do (Patchell 2005: surgery helps
within 48 hours)."""

from __future__ import annotations

import json
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.render.letter import build_letter


def letter_text(frankel: str, hours: float) -> str:
    case: Any = parse_case(
        {
            "id": "mscc-para",
            "board_date": "2026-11-20",
            "patient": {"age": 63, "sex": "male", "ecog": 4},
            "primary": {"site": "rectum"},
            "neurology": {"frankel": frankel, "new_deficit": True, "deficit_onset_hours": hours},
            "lesions": [{"id": "T9", "region": "spine", "level": "T9", "escc_grade": "3"}],
        }
    )
    return json.dumps(build_letter(evaluate(case), case).model_dump(), ensure_ascii=False)


def test_paralysis_for_four_days_promises_no_return_of_walking() -> None:
    text = letter_text("A", 96)
    assert "Schnelle Hilfe kann Gehen" not in text
    assert "länger als zwei Tage" in text


def test_paralysis_of_a_day_keeps_the_urgency() -> None:
    text = letter_text("A", 24)
    assert "Schnelle Hilfe kann Gehen" in text
    assert "länger als zwei Tage" not in text


def test_weakness_with_walking_kept_keeps_the_urgency() -> None:
    assert "Schnelle Hilfe kann Gehen" in letter_text("D", 96)
