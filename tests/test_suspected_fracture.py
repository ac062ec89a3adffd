"""A pathologic fracture of a weight-bearing bone (SPEC §5.1) and what raises it when it is
not documented (SPEC §4.1): pain on loading (Mirels' functional pain at a long bone,
lesions[].pain mechanical at the pelvis) raises a suspected fracture with same-day imaging
and its fixation on the condition of the fracture; a fracture status merely not stated is
asked, without a conditional urgent operation."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus
from tests.support.proposal_items import evaluate_doc, items


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
    found = items(p, code)
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


# --------------------------------------------------------------------------------------------
# The pelvis: its pain on loading is lesions[].pain mechanical (referral 187)

KB = load_knowledge_base()
REFERRAL = Path(__file__).parent / "cases" / "187-acetabular-lesion-pain-on-loading-ct-pending.yaml"
CASE: dict[str, Any] = yaml.safe_load(REFERRAL.read_text(encoding="utf-8"))["case"]
LESION = "ACE-L"


def _with_lesion(**fields: Any) -> dict[str, Any]:
    doc = copy.deepcopy(CASE)
    doc["lesions"][0].update(fields)
    return doc


def test_pain_on_loading_raises_a_suspected_pelvic_fracture() -> None:
    p = evaluate_doc(CASE, KB)
    (emergency,) = items(p, "EMERG.PATHOLOGIC_FRACTURE", LESION)
    assert emergency.status is ItemStatus.suspected
    assert "CT des Beckens" in emergency.text.de
    (fixation,) = items(p, "SURG.FRACTURE_FIXATION", LESION)
    assert fixation.status is ItemStatus.conditional
    assert fixation.priority == "urgent"
    assert p.questions[0].fact == "lesion.pathologic_fracture"


def test_pain_at_rest_or_an_excluded_fracture_raises_none() -> None:
    for fields in ({"pain": "non_mechanical"}, {"pathologic_fracture": False}):
        p = evaluate_doc(_with_lesion(**fields), KB)
        assert items(p, "EMERG.PATHOLOGIC_FRACTURE") == [], fields
        assert items(p, "SURG.FRACTURE_FIXATION") == [], fields


def test_a_documented_fracture_is_confirmed() -> None:
    p = evaluate_doc(_with_lesion(pathologic_fracture=True), KB)
    (emergency,) = items(p, "EMERG.PATHOLOGIC_FRACTURE", LESION)
    assert emergency.status is ItemStatus.confirmed
    # Firm but for the histology of this solitary lesion (a biopsy before any operation).
    (fixation,) = items(p, "SURG.FRACTURE_FIXATION", LESION)
    assert [c.fact for c in fixation.conditions] == ["bone.biopsy_shows_metastasis"]


def test_the_pain_is_asked_once() -> None:
    # Nothing known of the pain: one question about it, not also whether the lesion hurts at
    # all beside whether it hurts on loading (pain on loading is pain: facts.yaml implied_by).
    doc = copy.deepcopy(CASE)
    for name in ("pain", "pain_vas", "symptomatic"):
        del doc["lesions"][0][name]
    p = evaluate_doc(doc, KB)
    facts = [q.fact for q in p.questions]
    assert len({"lesion.painful", "lesion.pain_mechanical"} & set(facts)) == 1, facts
    assert items(p, "EMERG.PATHOLOGIC_FRACTURE") == []
    # Its answer, pain on loading, raises the suspicion.
    doc["lesions"][0]["pain"] = "mechanical"
    assert items(evaluate_doc(doc, KB), "EMERG.PATHOLOGIC_FRACTURE", LESION)


def test_a_biopsy_does_not_raise_a_fracture_nothing_suggests() -> None:
    """A solitary pelvic lesion confirmed by biopsy, its pain and fracture not reported: the
    biopsy is eligibility for an operation, no finding of a fracture - no conditional urgent
    fixation (facts.yaml: bone.biopsy_shows_metastasis is context)."""
    doc = copy.deepcopy(CASE)
    lesion = doc["lesions"][0]
    for name in ("pain", "pain_vas", "symptomatic"):
        del lesion[name]
    lesion["histology_confirmed"] = True
    p = evaluate_doc(doc, KB)
    assert items(p, "SURG.FRACTURE_FIXATION") == []
    assert items(p, "EMERG.PATHOLOGIC_FRACTURE") == []
