"""Hypocalcaemia documented on denosumab: hold it until corrected, treat with calcium and
vitamin D, and tell the patient the signs of low calcium (XGEVA SmPC)."""

from __future__ import annotations

import json
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus
from osteoboard.render.letter import build_letter


def case(calcium: float) -> Any:
    return parse_case(
        {
            "id": "hypo-dmab",
            "board_date": "2026-11-20",
            "patient": {"age": 67, "sex": "male", "weight_kg": 78},
            "primary": {"site": "prostate", "castration_status": "resistant"},
            "bone_metastases": {"vertebral_count": 5, "extraspinal_count": 6},
            "prior_therapy": {"bone_modifying_agent": "denosumab"},
            "labs": {"calcium_mmol_l": calcium, "albumin_g_l": 38, "creatinine_umol_l": 95},
        }
    )


def test_low_calcium_on_denosumab_is_treated_soon_and_the_next_dose_held() -> None:
    p = evaluate(case(1.92))  # corrected 1.96 mmol/L
    (supplement,) = [r for r in p.recommendations if r.code == "BMA.CALCIUM_VITAMIN_D"]
    assert supplement.status is ItemStatus.firm and supplement.priority == "soon"
    assert "Magnesium" in supplement.text.de
    (warning,) = [w for w in p.warnings if w.code == "WARN.HYPOCALCEMIA_DENOSUMAB"]
    assert "aussetzen" in warning.text.de
    letter = json.dumps(build_letter(p, case(1.92)).model_dump(), ensure_ascii=False)
    assert "zu wenig Kalzium" in letter


def test_normal_calcium_keeps_the_routine_supplement_and_no_low_calcium_signs() -> None:
    p = evaluate(case(2.3))
    (supplement,) = [r for r in p.recommendations if r.code == "BMA.CALCIUM_VITAMIN_D"]
    assert supplement.priority == "routine"
    assert not [w for w in p.warnings if w.code == "WARN.HYPOCALCEMIA_DENOSUMAB"]
    letter = json.dumps(build_letter(p, case(2.3)).model_dump(), ensure_ascii=False)
    assert "zu wenig Kalzium" not in letter
