"""Pain on loading at a pelvic lesion whose fracture is neither documented nor excluded.

The pelvis states its pain on loading in lesions[].pain (mechanical), as the spine does; a
long bone states it as Mirels' functional pain. Beside it a pathological fracture is suspected
(imaging the same day, no weight bearing), its fixation is conditional on the fracture, and
the fracture is the first question (SPEC §4.1: emergencies follow positive findings).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus
from tests.support.proposal_items import evaluate_doc, items

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
