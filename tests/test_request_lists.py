"""A request list (the laboratory item DX.LABS_BONE) merged from several rules keeps every
rule's request: one text per rule, the most urgent first, and a rule whose request another
already makes (``covers``) is left out. Before, the most urgent rule's text stood for all and a
missing creatinine or vitamin D could vanish from the proposal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from tests.kb_copies import edited_copy, load_error


def _labs_item(doc: dict[str, Any]) -> Any:
    proposal = evaluate(parse_case(doc))
    items = [r for r in proposal.recommendations if r.code == "DX.LABS_BONE"]
    assert len(items) == 1, items
    return items[0]


def breast_doc(labs: dict[str, Any], **patient: Any) -> dict[str, Any]:
    # Hormone-receptor-positive breast cancer with new bone metastases: a bone-modifying agent
    # starts, so its laboratory values are needed.
    return {
        "id": "request-list",
        "board_date": "2026-11-20",
        "patient": {"sex": "female", "ecog": 1, "weight_kg": 64, **patient},
        "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
        "visceral_metastases": {"present": False},
        "bone_metastases": {"vertebral_count": 2, "extraspinal_count": 3},
        "prior_therapy": {"bone_modifying_agent": "none"},
        "labs": labs,
    }


def test_each_missing_value_keeps_its_own_request() -> None:
    # Total calcium without albumin, no creatinine: the albumin and the clearance are both
    # asked for, beside the values needed before the first dose.
    item = _labs_item(breast_doc({"calcium_mmol_l": 2.40}, age=61))
    text = item.text.de
    assert "Albumin oder ionisiertes Kalzium bestimmen" in text
    assert "Kreatinin-Clearance nicht berechenbar" in text
    assert "Vor der ersten Gabe eines knochenwirksamen Medikaments" in text
    assert "25-OH-Vitamin D" in text
    assert "measure albumin or ionised calcium" in item.text.en
    assert "Creatinine clearance cannot be calculated" in item.text.en


def test_a_single_rule_keeps_its_text_alone() -> None:
    # Creatinine and age documented, calcium missing, no bone-modifying agent to start
    # (castration-sensitive prostate cancer gets none): one rule, one text.
    doc = {
        "id": "request-single",
        "board_date": "2026-11-20",
        "patient": {"age": 70, "sex": "male", "weight_kg": 80, "ecog": 1},
        "primary": {"site": "prostate", "castration_status": "sensitive"},
        "visceral_metastases": {"present": False},
        "bone_metastases": {"vertebral_count": 2, "extraspinal_count": 2},
        "labs": {"creatinine_umol_l": 90},
    }
    item = _labs_item(doc)
    assert item.text.de == (
        "Kalzium nicht dokumentiert – Gesamtkalzium mit Albumin bestimmen, "
        "um eine Hyperkalzämie auszuschließen."
    )


def test_the_urgent_request_comes_first_and_covers_the_routine_one() -> None:
    # A total calcium of 3.1 without albumin in a patient with thirst and confusion: the
    # urgent albumin request stands first; the routine albumin request (same measurement)
    # is not repeated; the missing creatinine of a hypercalcaemia is asked for too.
    doc = breast_doc({"calcium_mmol_l": 3.10}, age=61)
    doc["patient"]["hypercalcemia_symptoms"] = True
    item = _labs_item(doc)
    text = item.text.de
    assert item.priority.value == "urgent"
    assert text.startswith("Hyperkalzämie ohne dokumentiertes Kreatinin – Kreatinin sofort")
    assert "Gesamtkalzium 3,1 mmol/l ohne Albumin (korrigiert 2,8–3,6 mmol/l) – Albumin" in text
    assert "Albumin oder ionisiertes Kalzium sofort bestimmen" in text
    assert text.index("ionisiertes Kalzium sofort") < text.index("Vor der ersten Gabe")
    # Covered: the routine albumin request and the clearance request (the creatinine is
    # already asked for at once).
    assert "damit das korrigierte Kalzium und sein Verlauf" not in text
    assert "Kreatinin-Clearance nicht berechenbar" not in text


def test_covers_names_another_rule_of_the_same_joined_action(tmp_path: Path) -> None:
    def cover(target: str) -> Any:
        def change(data: Any) -> None:
            rule = next(r for r in data["rules"] if r["id"] == "board.calcium_missing")
            rule["covers"] = [target]

        return change

    unknown = edited_copy(tmp_path / "a", "rules/board.yaml", cover("board.no_such_rule"))
    assert "covers board.no_such_rule: not another rule" in load_error(unknown)
    other = edited_copy(
        tmp_path / "b", "rules/board.yaml", cover("board.thrombocytopenia_procedures")
    )
    assert "gives WARN.THROMBOCYTOPENIA_PROCEDURE, not DX.LABS_BONE" in load_error(other)


def test_covers_needs_an_action_that_joins_texts(tmp_path: Path) -> None:
    def change(data: Any) -> None:
        for action in data:
            if action["code"] == "DX.LABS_BONE":
                action.pop("joins_texts")

    kb_dir = edited_copy(tmp_path, "actions.yaml", change)
    assert "DX.LABS_BONE does not join texts" in load_error(kb_dir)
    assert load_knowledge_base().actions["DX.LABS_BONE"].joins_texts
