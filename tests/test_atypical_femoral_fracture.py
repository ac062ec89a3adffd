"""Thigh pain on a bone-modifying agent taken for years: an atypical femoral fracture.

The referral behind it: six years of monthly denosumab, weeks of thigh pain on walking, a
thickened lateral cortex below the trochanter. The products' information (XGEVA, Zometa 4.4)
asks that such pain be evaluated for an incomplete femoral fracture, and the ASBMR task force
(Shane 2014) images both femora; the risk grows with the duration of treatment. So the proposal
warns and images both femora, from 36 months of treatment on, conditionally while the start of
the agent is unknown, and not for a lesion at the femoral head or without pain.
"""

from __future__ import annotations

import copy
from typing import Any

from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus, Proposal, Recommendation, Warning
from tests.support.proposal_items import evaluate_doc, items

KB = load_knowledge_base()
WARNING = "WARN.ATYPICAL_FEMORAL_FRACTURE"
IMAGING = "DX.FEMUR_IMAGING"

CASE: dict[str, Any] = {
    "id": "aff-thigh-pain",
    "board_date": "2026-11-27",
    "patient": {"age": 69, "sex": "female", "ecog": 1},
    "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
    "bone_metastases": {"vertebral_count": 3, "extraspinal_count": 2},
    "prior_therapy": {
        "bone_modifying_agent": "denosumab",
        "bone_modifying_agent_since": "2020-10-15",
    },
    "lesions": [
        {
            "id": "FEM-R",
            "region": "long_bone",
            "bone": "femur",
            "side": "right",
            "segment": "peritrochanteric",
            "mirels_pain": "functional",
            "pathologic_fracture": False,
            "symptomatic": True,
        }
    ],
}


def _evaluate(doc: dict[str, Any]) -> Proposal:
    return evaluate_doc(doc, KB)


def _found(p: Proposal, code: str) -> list[Recommendation | Warning]:
    return items(p, code)


def _with_since(since: str | None) -> dict[str, Any]:
    doc = copy.deepcopy(CASE)
    if since is None:
        del doc["prior_therapy"]["bone_modifying_agent_since"]
    else:
        doc["prior_therapy"]["bone_modifying_agent_since"] = since
    return doc


def test_six_years_of_denosumab_and_thigh_pain_warn_and_image_both_femora() -> None:
    p = _evaluate(CASE)
    [warning] = _found(p, WARNING)
    [imaging] = _found(p, IMAGING)
    assert warning.lesion == imaging.lesion == "FEM-R"
    assert warning.status is ItemStatus.firm and imaging.status is ItemStatus.firm
    assert "atypische Femurfraktur" in warning.text.de
    assert "beide Oberschenkel" in warning.text.de and "Denosumab" in warning.text.de
    assert "beider ganzer Oberschenkelknochen" in imaging.text.de
    assert {"xgeva-smpc", "shane2014"} <= set(warning.sources)


def test_start_unknown_leaves_both_on_the_duration() -> None:
    p = _evaluate(_with_since(None))
    for item in (*_found(p, WARNING), *_found(p, IMAGING)):
        assert item.status is ItemStatus.conditional
        assert {c.fact for c in item.conditions} == {"prior.bma_months"}
    assert len(_found(p, WARNING)) == len(_found(p, IMAGING)) == 1


def test_under_three_years_no_suspicion() -> None:
    """Near miss: 35.9 months of treatment."""
    p = _evaluate(_with_since("2023-12-01"))
    assert _found(p, WARNING) == [] and _found(p, IMAGING) == []


def test_femoral_head_lesion_is_not_an_atypical_site() -> None:
    doc = copy.deepcopy(CASE)
    doc["lesions"][0]["segment"] = "epiphyseal"
    p = _evaluate(doc)
    assert _found(p, WARNING) == [] and _found(p, IMAGING) == []


def test_duration_text_weighs_going_on_after_two_years() -> None:
    [item] = _found(_evaluate(CASE), "BMA.DURATION_INTERVAL")
    assert "Denosumab 120 mg alle 4 Wochen weiterführen" in item.text.de
    assert "Nach 2 Jahren Nutzen und Risiken" in item.text.de
