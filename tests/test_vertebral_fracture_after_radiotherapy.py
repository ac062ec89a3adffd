"""A vertebra that collapses or hurts on loading after radiotherapy is a mechanical problem
first: it is stabilised or cemented, and irradiated again (or ablated) only where imaging
shows the tumour growing there, after the cumulative cord dose of both courses has been
checked (Sahgal et al., J Clin Oncol 2013; Sahgal et al., Int J Radiat Oncol Biol Phys 2012;
Fisher 2010; NOMS, Laufer 2013)."""

from __future__ import annotations

from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal


def run(**lesion: Any) -> Proposal:
    l1 = {
        "id": "L1",
        "region": "spine",
        "level": "L1",
        "type": "lytic",
        "pain": "mechanical",
        "pain_vas": 7,
        "collapse": "gt_50",
        "pathologic_fracture": True,
        "previously_irradiated": True,
        **lesion,
    }
    return evaluate(
        parse_case(
            {
                "id": "vcf",
                "board_date": "2026-11-26",
                "patient": {"age": 64, "sex": "male", "ecog": 1},
                "primary": {"site": "kidney", "histology": "klarzellig", "controlled": True},
                "lesions": [l1],
            }
        )
    )


def items(p: Proposal, code: str) -> list[Any]:
    return [i for i in p.recommendations if i.code == code and i.lesion == "L1"]


def test_collapse_after_sbrt_is_stabilised_or_cemented_not_irradiated_on_bilsky_alone() -> None:
    p = run()
    (reirradiation,) = items(p, "RT.REIRRADIATION")
    assert reirradiation.status is ItemStatus.conditional
    assert reirradiation.rule == "radiotherapy.reirradiation_vertebral_progression"
    assert "lokaler Tumorprogress in der Bildgebung (MRT)" in {
        c.text.de for c in reirradiation.conditions
    }
    assert "kumulative Rückenmarkdosis" in reirradiation.text.de
    (ablation,) = items(p, "IR.THERMAL_ABLATION")
    assert ablation.status is ItemStatus.conditional
    assert "lokaler Tumorprogress in der Bildgebung (MRT)" in {
        c.text.de for c in ablation.conditions
    }
    # The fracture itself: both branches of the suspected instability, each on its condition.
    assert items(p, "SURG.SPINE_STABILIZATION")
    assert items(p, "IR.CEMENT_AUGMENTATION")
    assert any(m.field == "lesions[L1].local_progression" for m in p.missing_data)


def test_no_tumour_growth_on_mri_means_no_second_course_and_no_ablation() -> None:
    p = run(local_progression=False, escc_grade="0")
    assert items(p, "RT.REIRRADIATION") == []
    assert items(p, "IR.THERMAL_ABLATION") == []
    assert items(p, "RT.POSTOP") == []
    assert items(p, "IR.CEMENT_AUGMENTATION") or items(p, "SURG.SPINE_STABILIZATION")


def test_documented_progression_offers_the_second_course_after_the_stabilisation() -> None:
    p = run(local_progression=True, escc_grade="1a")
    (reirradiation,) = items(p, "RT.REIRRADIATION")
    assert reirradiation.status is ItemStatus.firm
    assert "nach der Stabilisierung oder Zementaugmentation" in reirradiation.text.de
    (ablation,) = items(p, "IR.THERMAL_ABLATION")
    assert ablation.rule == "interventional_radiology.ablation_vertebral_progression"
    assert "zusammen mit der Zementaugmentation" in ablation.text.de


def test_an_open_fracture_status_gives_both_branches_in_words_that_assert_neither() -> None:
    """Pain character and collapse not reported: the re-irradiation is conditional on either
    branch, and its text names the condition for a fractured vertebra instead of asserting
    a fracture (SPEC 4.1)."""
    p = run(pain=None, collapse=None, pathologic_fracture=None, escc_grade="1a")
    (reirradiation,) = items(p, "RT.REIRRADIATION")
    assert reirradiation.status is ItemStatus.conditional
    assert len({c.group for c in reirradiation.conditions}) == 2
    assert "wenn eine der Bedingungen zutrifft" in reirradiation.text.de
    assert "nur bei lokalem Tumorprogress" in reirradiation.text.de


def test_a_painful_irradiated_vertebra_without_fracture_keeps_the_usual_reirradiation() -> None:
    """Near miss: no collapse and no mechanical pain documented - recurrent pain at an
    irradiated vertebra is re-irradiated (or ablated) as before, whatever the imaging says."""
    p = run(
        pain="non_mechanical",
        collapse="none",
        pathologic_fracture=False,
        escc_grade="1a",
        alignment="normal",
        posterolateral="none",
    )
    (reirradiation,) = items(p, "RT.REIRRADIATION")
    assert (reirradiation.status, reirradiation.rule) == (
        ItemStatus.firm,
        "radiotherapy.reirradiation",
    )
    assert items(p, "IR.THERMAL_ABLATION")
