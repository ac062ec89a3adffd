"""A pathologic fracture of a weight-bearing bone (SPEC §5.1) and what raises it when it is
not documented (SPEC §4.1): pain on loading (Mirels' functional pain) raises a suspected
fracture with same-day radiographs and its fixation on the condition of the fracture; a
fracture status merely not stated is asked, without a conditional urgent operation."""

from __future__ import annotations

from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus


def _femur(**lesion: Any) -> Any:
    return evaluate(
        parse_case(
            {
                "id": "fracture-open",
                "board_date": "2026-11-28",
                "patient": {"age": 61, "sex": "female", "ecog": 1, "fit_for_surgery": True},
                "primary": {"site": "breast", "hormone_receptor": "positive"},
                "lesions": [
                    {
                        "id": "FEM",
                        "region": "long_bone",
                        "bone": "femur",
                        "segment": "diaphyseal",
                        "type": "lytic",
                        "cortical_involvement": "lt_one_third",
                        **lesion,
                    }
                ],
            }
        )
    )


def _item(p: Any, code: str) -> Any:
    found = [i for i in [*p.emergencies, *p.recommendations] if i.code == code]
    return found[0] if found else None


def test_pain_on_loading_raises_a_suspected_fracture_and_its_fixation() -> None:
    p = _femur(mirels_pain="functional")
    emergency = _item(p, "EMERG.PATHOLOGIC_FRACTURE")
    assert emergency is not None and emergency.status is ItemStatus.suspected
    assert "Röntgen in zwei Ebenen noch heute" in emergency.text.de
    fixation = _item(p, "SURG.FRACTURE_FIXATION")
    assert fixation is not None and fixation.status is ItemStatus.conditional
    assert [c.fact for c in fixation.conditions] == ["lesion.pathologic_fracture"]
    assert p.questions[0].fact == "lesion.pathologic_fracture"


def test_a_fracture_status_not_stated_is_asked_without_a_conditional_operation() -> None:
    p = _femur(mirels_pain="mild")
    assert _item(p, "EMERG.PATHOLOGIC_FRACTURE") is None
    assert _item(p, "SURG.FRACTURE_FIXATION") is None
    assert any(m.field == "lesions[FEM].pathologic_fracture" for m in p.missing_data)


def test_a_documented_fracture_is_confirmed_and_one_excluded_ends_the_suspicion() -> None:
    confirmed = _femur(mirels_pain="functional", pathologic_fracture=True)
    emergency = _item(confirmed, "EMERG.PATHOLOGIC_FRACTURE")
    assert emergency is not None and emergency.status is ItemStatus.confirmed
    assert _item(confirmed, "SURG.FRACTURE_FIXATION").status is ItemStatus.firm
    excluded = _femur(mirels_pain="functional", pathologic_fracture=False)
    assert _item(excluded, "EMERG.PATHOLOGIC_FRACTURE") is None
    assert _item(excluded, "SURG.FRACTURE_FIXATION") is None
