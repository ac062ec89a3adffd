"""The order of the questions: emergencies on the list, urgent items on the list, then
screening for emergencies that no documented finding raises."""

from __future__ import annotations

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate


def test_operability_is_asked_first_beside_a_fracture_when_nothing_else_is_raised() -> None:
    """A femoral neck fracture in a frail man with operability not stated: the fork of the
    fracture's treatment (fixation or radiotherapy) is asked before screening questions for
    emergencies that no finding raises."""
    p = evaluate(
        parse_case(
            {
                "id": "q-fracture",
                "board_date": "2026-11-20",
                "patient": {"age": 91, "sex": "male", "ecog": 4},
                "primary": {"site": "prostate", "castration_status": "resistant"},
                "lesions": [
                    {
                        "id": "FN",
                        "region": "long_bone",
                        "bone": "femur",
                        "segment": "epiphyseal",
                        "pathologic_fracture": True,
                    }
                ],
            }
        )
    )
    assert p.questions[0].fact == "patient.fit_for_surgery"
    assert "SURG.FRACTURE_FIXATION[FN]" in p.questions[0].decides
    assert any(q.fact == "spine.any_escc_high_grade" for q in p.questions)
