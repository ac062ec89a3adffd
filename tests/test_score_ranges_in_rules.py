"""Rules that read a score's total see its range while items are missing: the documented items
of a SINS or Mirels score can raise a suspected emergency or make a consult firm before the
score is complete (Fisher 2010; Mirels 1989)."""

from __future__ import annotations

from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal


def run(*lesions: dict[str, Any]) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "ranges",
                "board_date": "2026-11-20",
                "patient": {"age": 52, "sex": "female", "ecog": 1},
                "primary": {"site": "breast"},
                "lesions": list(lesions),
            }
        )
    )


def found(p: Proposal, code: str, lesion: str) -> list[Any]:
    items = [*p.emergencies, *p.recommendations, *p.warnings]
    return [i for i in items if i.code == code and i.lesion == lesion]


def sins(p: Proposal, lesion: str) -> tuple[float, float]:
    (score,) = [s for s in p.scores if s.name == "sins" and s.lesion == lesion]
    assert score.range is not None
    return score.range


def test_mechanical_pain_at_a_lytic_junctional_vertebra_raises_suspected_instability() -> None:
    c2 = {"id": "C2", "region": "spine", "level": "C2", "type": "lytic", "pain": "mechanical"}
    p = run(c2)
    assert sins(p, "C2") == (8, 18)  # alignment, collapse and posterolateral not reported
    (emergency,) = found(p, "EMERG.SPINAL_INSTABILITY", "C2")
    assert emergency.status is ItemStatus.suspected
    assert [c.text.de for c in emergency.conditions] == ["SINS-Score ≥ 13"]
    assert "SINS 8–18" in emergency.text.de


def test_a_range_pointing_below_13_raises_no_instability() -> None:
    t7 = {"id": "T7", "region": "spine", "level": "T7", "type": "lytic", "pain": "non_mechanical"}
    p = run(t7)
    low, high = sins(p, "T7")
    assert (low + high) / 2 < 13 <= high  # instability still possible, but not pointed to
    assert found(p, "EMERG.SPINAL_INSTABILITY", "T7") == []


def test_a_suspected_instability_gets_the_urgent_mri_at_once() -> None:
    """The imaging that completes the SINS and shows the epidural extent cannot wait a week
    beside a suspected instability emergency."""
    c2 = {"id": "C2", "region": "spine", "level": "C2", "type": "lytic", "pain": "mechanical"}
    mri = [i for i in found(run(c2), "DX.MRI_SPINE", "C2") if i.priority == "urgent"]
    assert [(i.status, i.rule) for i in mri] == [(ItemStatus.firm, "spine.unstable_mri")]
    assert "SINS 8–18; instabil ab 13 Punkten" in mri[0].text.de


def test_an_open_sins_alone_brings_no_urgent_mri() -> None:
    """A range that only reaches 13 at its top (instability possible, not pointed to) leaves
    the spine MRI at its usual priority (conditional: supported)."""
    t7 = {"id": "T7", "region": "spine", "level": "T7", "type": "lytic", "pain": "non_mechanical"}
    p = run(t7)
    assert [i for i in found(p, "DX.MRI_SPINE", "T7") if i.priority == "urgent"] == []
    assert all(i.rule != "spine.unstable_mri" for i in found(p, "DX.MRI_SPINE", "T7"))


def test_documented_unstable_sins_is_a_confirmed_emergency() -> None:
    l1 = {
        "id": "L1",
        "region": "spine",
        "level": "T12",
        "type": "lytic",
        "pain": "mechanical",
        "alignment": "normal",
        "collapse": "gt_50",
        "posterolateral": "bilateral",
    }
    (emergency,) = found(run(l1), "EMERG.SPINAL_INSTABILITY", "L1")
    assert emergency.status is ItemStatus.confirmed


def femur(**items: Any) -> dict[str, Any]:
    return {"id": "F1", "region": "long_bone", "bone": "femur", "segment": "diaphyseal", **items}


def test_mirels_8_to_10_needs_an_orthopaedic_consult_whatever_the_pain() -> None:
    p = run(femur(type="lytic", cortical_involvement="one_to_two_thirds"))
    (consult,) = found(p, "SURG.ORTHO_CONSULT", "F1")
    assert consult.status is ItemStatus.firm
    assert "Mirels 8–10" in consult.text.de


def test_a_mirels_range_that_may_stay_below_8_keeps_the_consult_conditional() -> None:
    p = run(femur(type="blastic"))
    (consult,) = found(p, "SURG.ORTHO_CONSULT", "F1")
    assert consult.status is ItemStatus.conditional
    assert [c.text.de for c in consult.conditions] == ["Mirels-Score ≥ 8"]


def test_a_range_reaching_into_stable_scores_keeps_the_spine_consult_conditional() -> None:
    """A painless blastic L4 (SINS 2-12 while alignment, collapse and posterolateral
    involvement are not reported) is not sent to the spine surgeon on the middle of its
    range: the consult waits for "SINS >= 7", at its usual priority (Fisher 2010)."""
    l4 = {"id": "L4", "region": "spine", "level": "L4", "type": "blastic", "pain": "none"}
    p = run(l4)
    assert sins(p, "L4") == (2, 12)
    (consult,) = found(p, "SURG.SPINE_CONSULT", "L4")
    assert (consult.status, consult.priority, consult.rule) == (
        ItemStatus.conditional,
        "soon",
        "spine.sins_indeterminate_consult",
    )
    assert [c.text.de for c in consult.conditions] == ["SINS-Score ≥ 7"]
    assert "SINS 2–12" in consult.text.de


def test_a_range_that_may_reach_13_brings_no_urgent_consult_without_the_emergency() -> None:
    t9 = {"id": "T9", "region": "spine", "level": "T9", "type": "lytic", "pain": "non_mechanical"}
    p = run(t9)
    assert sins(p, "T9") == (4, 14)
    assert found(p, "EMERG.SPINAL_INSTABILITY", "T9") == []
    (consult,) = found(p, "SURG.SPINE_CONSULT", "T9")
    assert (consult.status, consult.priority) == (ItemStatus.conditional, "soon")


def test_every_completion_from_7_on_makes_the_consult_firm() -> None:
    l3 = {
        "id": "L3",
        "region": "spine",
        "level": "L3",
        "type": "lytic",
        "pain": "mechanical",
        "collapse": "none",
        "posterolateral": "none",
    }
    p = run(l3)
    assert sins(p, "L3") == (7, 11)  # alignment not reported
    (consult,) = found(p, "SURG.SPINE_CONSULT", "L3")
    assert consult.status is ItemStatus.firm
    assert consult.conditions == []


def test_a_suspected_instability_keeps_its_urgent_consult_and_gets_both_branches() -> None:
    """Beside a suspected instability the urgent consult is firm, and the definitive
    treatment is given on its conditions: stabilisation when fit, cement when not."""
    c2 = {"id": "C2", "region": "spine", "level": "C2", "type": "lytic", "pain": "mechanical"}
    p = run(c2)
    (consult,) = found(p, "SURG.SPINE_CONSULT", "C2")
    assert (consult.status, consult.priority) == (ItemStatus.firm, "urgent")
    (stabilisation,) = found(p, "SURG.SPINE_STABILIZATION", "C2")
    assert stabilisation.status is ItemStatus.conditional
    assert {c.text.de for c in stabilisation.conditions} == {"SINS-Score ≥ 13", "operationsfähig"}
    cement = [c for c in found(p, "IR.CEMENT_AUGMENTATION", "C2")]
    assert cement and all(c.status is ItemStatus.conditional for c in cement)
    assert any(c.text.de == "nicht operationsfähig" for i in cement for c in i.conditions)


def _solitary_pelvis(site: str) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "not-applicable",
                "board_date": "2026-11-27",
                "patient": {"age": 66, "sex": "male", "ecog": 1, "fit_for_surgery": True},
                "primary": {"site": site, "histology_confirmed": True},
                "visceral_metastases": {"present": False},
                "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 1},
                "lesions": [
                    {
                        "id": "P1",
                        "region": "pelvis",
                        "type": "lytic",
                        "size_cm": 4,
                        "pain_vas": 6,
                        "symptomatic": True,
                        "histology_confirmed": True,
                    }
                ],
            }
        )
    )


def test_a_score_that_does_not_apply_opens_no_rule() -> None:
    """Without spinal involvement the Tokuhashi score does not apply: no category of it is
    possible, so an en-bloc resection of a solitary pelvic lesion in lung cancer (Tomita 4
    points for the primary alone, modified Bauer at most 2) is not open on it; one in renal
    cancer is."""
    lung = _solitary_pelvis("lung_nsclc")
    assert not any(s.name == "tokuhashi_revised" for s in lung.scores)
    assert not found(lung, "SURG.EN_BLOC_RESECTION", "P1")
    # Renal cancer grows moderately (Tomita 2 points): a solitary lesion reaches Tomita 3.
    assert found(_solitary_pelvis("kidney"), "SURG.EN_BLOC_RESECTION", "P1")
