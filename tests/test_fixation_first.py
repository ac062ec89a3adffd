"""A fractured or high-risk weight-bearing bone is stabilised first.

The referral behind it: the femoral neck of a man with castration-resistant prostate cancer,
irradiated before, has fractured through the metastasis. When he can be operated on, the bone
is fixed first and irradiated after the operation (ESMO 2020); only without an operation is it
irradiated again. Thermal ablation, which relieves pain but does not stabilise (Tomasian 2021),
is not offered for it - it stays for a painful rib.
"""

from __future__ import annotations

import copy
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus, Proposal, Recommendation, Warning
from osteoboard.render.letter import Contact, build_letter
from tests.support.proposal_items import evaluate_doc
from tests.support.proposal_items import items as _items

KB = load_knowledge_base()

FEMUR: dict[str, Any] = {
    "id": "fix-first-femur",
    "board_date": "2026-11-27",
    "patient": {"age": 74, "sex": "male", "ecog": 2},
    "primary": {"site": "prostate", "castration_status": "resistant"},
    "bone_metastases": {"vertebral_count": 4, "extraspinal_count": 6},
    "lesions": [
        {
            "id": "FEM-L",
            "region": "long_bone",
            "bone": "femur",
            "side": "left",
            "segment": "epiphyseal",
            "type": "mixed",
            "mirels_pain": "functional",
            "cortical_involvement": "gt_two_thirds",
            "pathologic_fracture": True,
            "previously_irradiated": True,
            "symptomatic": True,
        }
    ],
}


def _with(doc: dict[str, Any], **patient: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["patient"].update(patient)
    return out


def _evaluate(doc: dict[str, Any]) -> Proposal:
    return evaluate_doc(doc, KB)


def _one(p: Proposal, code: str, lesion: str | None = None) -> Recommendation | Warning:
    found = _items(p, code, lesion)
    assert len(found) == 1, [(i.code, i.rule, i.status) for i in found]
    return found[0]


def _condition_facts(item: Recommendation | Warning) -> set[str]:
    return {c.fact for c in item.conditions}


# --------------------------------------------------------------------------------------------
# The fractured femur, irradiated before


def test_fit_for_surgery_operation_first_then_one_radiotherapy_course() -> None:
    p = _evaluate(_with(FEMUR, fit_for_surgery=True))
    assert _one(p, "SURG.FRACTURE_FIXATION", "FEM-L").status is ItemStatus.firm
    postop = _one(p, "RT.POSTOP", "FEM-L")
    assert postop.status is ItemStatus.firm
    assert postop.rule == "long_bone.postop_rt"
    assert postop.text.de.startswith("Zuerst die Stabilisierung")
    assert "erneute Bestrahlung" in postop.text.de
    # One course, after the operation: no re-irradiation and no ablation before it.
    assert _items(p, "RT.REIRRADIATION") == []
    assert _items(p, "IR.THERMAL_ABLATION") == []
    assert _items(p, "RT.SINGLE_8GY") == []


def test_operability_open_gives_both_branches_on_their_condition() -> None:
    p = _evaluate(FEMUR)
    fixation = _one(p, "SURG.FRACTURE_FIXATION", "FEM-L")
    postop = _one(p, "RT.POSTOP", "FEM-L")
    again = _one(p, "RT.REIRRADIATION", "FEM-L")
    for item in (fixation, postop, again):
        assert item.status is ItemStatus.conditional
        assert _condition_facts(item) == {"patient.fit_for_surgery"}
    assert [c.values for c in fixation.conditions] == [[True]]
    assert [c.values for c in again.conditions] == [[False]]
    assert again.rule == "radiotherapy.reirradiation_without_fixation"
    assert "Thermoablation" in again.text.de and "stabilisiert" in again.text.de
    assert _items(p, "IR.THERMAL_ABLATION") == []


def test_no_operation_reirradiation_without_ablation() -> None:
    for doc in (
        _with(FEMUR, fit_for_surgery=False),
        _with(FEMUR, fit_for_surgery=True, declines=["surgery"]),
    ):
        p = _evaluate(doc)
        assert _one(p, "RT.REIRRADIATION", "FEM-L").status is ItemStatus.firm
        assert _items(p, "SURG.FRACTURE_FIXATION") == []
        assert _items(p, "RT.POSTOP") == []
        assert _items(p, "IR.THERMAL_ABLATION") == []


def test_painful_irradiated_rib_keeps_reirradiation_or_ablation() -> None:
    """Near miss: a rib carries no weight, so the pain treatments after radiotherapy stay."""
    doc = _with(FEMUR, fit_for_surgery=True)
    doc["lesions"] = [
        {
            "id": "R7",
            "region": "rib",
            "type": "lytic",
            "pain_vas": 6,
            "previously_irradiated": True,
            "symptomatic": True,
        }
    ]
    p = _evaluate(doc)
    assert _one(p, "RT.REIRRADIATION", "R7").status is ItemStatus.firm
    assert _one(p, "IR.THERMAL_ABLATION", "R7").status is ItemStatus.firm


def test_letter_names_the_operation_first() -> None:
    doc = _with(FEMUR, fit_for_surgery=True)
    case = parse_case(copy.deepcopy(doc))
    personal = build_letter(evaluate(case, KB), case, KB, contact=Contact()).personal
    first = personal.steps[0]
    assert first.when == "Sofort"
    assert any("gebrochenen Knochens" in line for line in first.items)
    later = [line for step in personal.steps[1:] for line in step.items]
    assert any(line.startswith("Bestrahlung nach der Operation") for line in later)
    every = [line for step in personal.steps for line in step.items] + personal.maybe
    assert not any(line.startswith("Erneute Bestrahlung") for line in every)
    assert not any("Hitze oder Kälte" in line for line in every)
