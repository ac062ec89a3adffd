"""The jaw-osteonecrosis warning and the letter's dental block follow whether an agent is
already given: before the start, a dental examination and treatment first; on denosumab or a
bisphosphonate, what applies during therapy - oral hygiene, regular dental check-ups, symptoms
reported at once, no invasive dental procedure without consulting the team (ESMO 2020; SmPC
4.4 of denosumab and zoledronic acid)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import Warning
from osteoboard.render.letter import build_letter


def case(agent: str | None, **patient: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "jaw-care",
        "board_date": "2026-11-27",
        "patient": {"age": 66, "sex": "female", "weight_kg": 64, **patient},
        "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
        "bone_metastases": {"vertebral_count": 2, "extraspinal_count": 2},
        "labs": {"calcium_mmol_l": 2.35, "albumin_g_l": 40, "creatinine_umol_l": 70},
    }
    if agent is not None:
        doc["prior_therapy"] = {
            "bone_modifying_agent": agent,
            "bone_modifying_agent_since": "2025-09-01",
        }
    return doc


def onj(doc: dict[str, Any]) -> Warning:
    (warning,) = [w for w in evaluate(parse_case(doc)).warnings if w.code == "WARN.ONJ_DENTAL"]
    return warning


def dental_block(doc: dict[str, Any]) -> dict[str, Any]:
    c = parse_case(doc)
    letter = build_letter(evaluate(c), c).model_dump()
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("id") == "dental_check" and "paragraphs" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(letter)
    (block,) = found
    return block


@pytest.mark.parametrize("agent", ["denosumab", "zoledronic_acid"])
def test_on_an_agent_the_warning_says_what_applies_during_therapy(agent: str) -> None:
    warning = onj(case(agent))
    assert warning.rule == "bone_modifying_agents.onj_warning_on_therapy"
    text = warning.text.de
    assert "vor Beginn" not in text
    assert "laufenden" in text and "regelmäßige zahnärztliche Kontrollen" in text
    assert "sofort melden" in text and "nur nach Rücksprache" in text
    assert {"xgeva-smpc", "zometa-smpc", "esmo2020"} <= set(warning.sources)


def test_before_the_start_the_warning_asks_for_the_dental_status_first() -> None:
    warning = onj(case(None))
    assert warning.rule == "bone_modifying_agents.onj_warning"
    assert "vor Beginn" in warning.text.de


def test_the_letter_speaks_of_care_during_therapy_when_an_agent_is_given() -> None:
    block = json.dumps(dental_block(case("denosumab")), ensure_ascii=False)
    assert "Zähne und Kiefer beim Knochenschutz" in block
    assert "regelmäßig zum Zahnarzt" in block and "fragen Sie Ihr Team" in block
    assert "vorher Ihre Zähne" not in block and "beginnt der Knochenschutz später" not in block
    before = json.dumps(dental_block(case(None)), ensure_ascii=False)
    assert "vorher Ihre Zähne" in before and "beginnt der Knochenschutz später" in before
    assert "regelmäßig zum Zahnarzt" not in before
