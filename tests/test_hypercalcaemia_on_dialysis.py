"""Hypercalcaemia on dialysis: fluids do not lower calcium without urine and overload the
patient; dialysis with a low-calcium dialysate does (KDIGO 2017 CKD-MBD). Calcium-based
binders and active vitamin D stop, parathyroid hormone is measured, denosumab is weighed for
its risk of severe hypocalcaemia (Xgeva SmPC) and zoledronic acid is not recommended. The
board's text and the patient's letter say so; without dialysis both speak of fluids."""

from __future__ import annotations

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.render.letter import build_letter, section_text


def _case(on_dialysis: bool) -> object:
    return parse_case(
        {
            "id": "hypercalcaemia-dialysis",
            "board_date": "2026-12-03",
            "patient": {"age": 67, "sex": "male", "weight_kg": 72, "on_dialysis": on_dialysis},
            "primary": {"site": "lung_nsclc"},
            "labs": {"calcium_mmol_l": 3.3, "albumin_g_l": 38, "creatinine_umol_l": 610},
            "bone_metastases": {"vertebral_count": 2, "extraspinal_count": 1},
        }
    )


@pytest.mark.parametrize("on_dialysis", [True, False])
def test_the_emergency_text_follows_the_dialysis(on_dialysis: bool) -> None:
    case = _case(on_dialysis)
    p = evaluate(case)  # type: ignore[arg-type]
    (item,) = [i for i in p.emergencies if i.code == "EMERG.HYPERCALCEMIA"]
    assert str(item.status) == "confirmed"
    letter = build_letter(p, case)  # type: ignore[arg-type]
    options = next(section_text(s) for s in letter.sections if "Kalzium" in section_text(s))
    if on_dialysis:
        assert item.rule == "emerg.hypercalcemia_dialysis"
        assert "Dialysat" in item.text.de and "keine Flüssigkeitsgabe" in item.text.de
        assert "kdigo2017-ckd-mbd" in item.sources
        assert "Bei Dialyse senkt eine Dialyse das Kalzium" in options
        assert "Dazu dienen eine Infusion" not in options
    else:
        assert item.rule != "emerg.hypercalcemia_dialysis"
        assert "intravenöse Flüssigkeit" in item.text.de
        assert "Dazu dienen eine Infusion" in options
        assert "Dialyse" not in options


def test_a_documented_board_date_is_never_missing_data() -> None:
    """A duration from two dates (the agent since when, up to the board) misses only the date
    not documented: the board date of a case is never asked for."""
    case = parse_case(
        {
            "id": "since-open",
            "board_date": "2026-12-03",
            "patient": {"age": 76, "sex": "male", "weight_kg": 81},
            "primary": {"site": "prostate", "castration_status": "resistant"},
            "prior_therapy": {"bone_modifying_agent": "zoledronic_acid"},
            "lesions": [
                {
                    "id": "F",
                    "region": "long_bone",
                    "bone": "femur",
                    "segment": "peritrochanteric",
                    "type": "lytic",
                    "mirels_pain": "functional",
                    "cortical_involvement": "gt_two_thirds",
                    "symptomatic": True,
                    "pain_vas": 6,
                }
            ],
        }
    )
    fields = {m.field for m in evaluate(case).missing_data}
    assert "prior_therapy.bone_modifying_agent_since" in fields
    assert "board_date" not in fields
