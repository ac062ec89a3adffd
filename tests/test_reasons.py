"""An item's reasons (``because``) name what the case documents, in words that are true of
it: a long bone's Mirels risk is no reason for an item at a vertebra, myeloma details are no
reason for an item of a breast cancer, and a known primary is not "a biopsy of the lesion"."""

from __future__ import annotations

from pathlib import Path

from osteoboard.caseio import load_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _reasons(name: str) -> dict[tuple[str, str | None], list[str]]:
    proposal = evaluate(load_case(EXAMPLES / name))
    items = [*proposal.emergencies, *proposal.recommendations, *proposal.warnings]
    return {(i.code, i.lesion): [b.fact for b in i.because] for i in items}


def test_mirels_is_no_reason_at_a_vertebra_but_is_at_a_femur() -> None:
    kb = load_knowledge_base()
    assert kb.shown_if["lesion.mirels_category"] == "lesion.long_bone"
    spine = _reasons("01-breast-l2-fracture.yaml")
    # The radiotherapy rule reads the Mirels category (never at a high fracture risk), so
    # the category was named at L1 with its placeholder "low".
    assert "lesion.long_bone" in spine[("RT.SINGLE_8GY", "L1")]
    assert not any(f.startswith("lesion.mirels") for f in spine[("RT.SINGLE_8GY", "L1")])
    femur = _reasons("05-kidney-femur-impending.yaml")
    named = [f for (code, _), facts in femur.items() for f in facts if code.startswith("SURG.")]
    assert "lesion.mirels" in named or "lesion.mirels_category" in named


SPINAL = {
    "lesion.sins",
    "lesion.sins_category",
    "lesion.escc_grade",
    "lesion.escc_known",
    "lesion.escc_high_grade",
    "lesion.posterior_involvement",
    "lesion.vertebral_body_involved",
    "lesion.vertebral_fracture",
}


def test_spinal_findings_are_no_reason_outside_the_spine() -> None:
    # A humerus and a pelvis lesion carry the spinal facts as placeholders ("SINS stable",
    # "Bilsky grade known"): named as reasons they read as an MRI that was never done.
    kb = load_knowledge_base()
    assert all(kb.shown_if[f] == "lesion.spine" for f in SPINAL)
    breast = _reasons("06-breast-multiple-hypercalcemia.yaml")
    for lesion in ("H1", "P1"):
        named = {f for (_, at), facts in breast.items() if at == lesion for f in facts}
        assert named, lesion  # the lesion has items with reasons
        assert not named & SPINAL, (lesion, named & SPINAL)
    # At a vertebra they are findings and stay.
    assert {"lesion.sins_category", "lesion.escc_known"} <= set(breast[("RT.SINGLE_8GY", "T12")])
    femur = _reasons("05-kidney-femur-impending.yaml")
    assert not SPINAL & set(femur[("IR.EMBOLIZATION_PREOP", "F1")])


def test_myeloma_details_are_no_reason_outside_myeloma() -> None:
    breast = _reasons("01-breast-l2-fracture.yaml")
    hidden = {"mm.untreated", "mm.precursor", "mm.solitary_plasmacytoma"}
    assert not any(hidden & set(facts) for facts in breast.values())
    assert any("mm.present" in facts for facts in breast.values())  # "no myeloma" once
    myeloma = _reasons("09-myeloma-relapse.yaml")
    assert any("mm.untreated" in facts for facts in myeloma.values())


def test_a_known_primary_is_not_called_a_biopsy_of_the_lesion() -> None:
    info = load_knowledge_base().facts["primary.tissue_diagnosis"]
    assert info.if_true is not None
    assert "Biopsie zeigt" not in info.if_true.de and "biopsy shows" not in info.if_true.en
