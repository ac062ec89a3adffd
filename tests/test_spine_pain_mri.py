"""Spinal pain suggestive of a metastasis, no MRI yet, the neurology undocumented: the MRI is
firm, since every outcome of the neurological examination needs one - within a week without
neurological symptoms, within 24 hours with them (NICE NG234 1.2). A documented symptom still
takes the cord-compression pathway.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from osteoboard.caseio import read_document
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus, Proposal
from tests.support.proposal_items import evaluate_doc
from tests.support.proposal_items import items as _items

KB = load_knowledge_base()
SPINE_PAIN = (
    Path(__file__).resolve().parent
    / "cases"
    / "011-breast-spine-pain-neurology-not-documented.yaml"
)


def _evaluate(doc: dict[str, Any]) -> Proposal:
    return evaluate_doc(doc, KB)


def _spine_pain_case() -> dict[str, Any]:
    doc = read_document(SPINE_PAIN.read_text(encoding="utf-8"), name=SPINE_PAIN.name)
    case: dict[str, Any] = copy.deepcopy(doc["case"])
    return case


def test_spine_pain_mri_firm_while_neurology_undocumented() -> None:
    p = _evaluate(_spine_pain_case())
    [mri] = _items(p, "DX.MRI_SPINE")
    assert mri.lesion == "L1"
    assert mri.status is ItemStatus.firm
    assert "innerhalb einer Woche" in mri.text.de and "24 Stunden" in mri.text.de
    # It does not claim that there are no neurological symptoms ...
    assert "ohne neurologische" not in mri.text.de
    # ... and still asks for them.
    assert any("Ausfälle" in q.text.de for q in p.questions)
    assert _items(p, "EMERG.MSCC") == []


def test_spine_pain_with_radicular_pain_takes_the_urgent_mri() -> None:
    """Near miss: a documented neurological symptom goes the cord-compression way."""
    doc = _spine_pain_case()
    doc["neurology"] = {"radicular_pain": True}
    p = _evaluate(doc)
    assert _items(p, "DX.MRI_SPINE") == []
    assert _items(p, "DX.MRI_WHOLE_SPINE_URGENT")
    assert _items(p, "EMERG.MSCC")
