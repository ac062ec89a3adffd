"""One radiotherapy schedule per lesion, also while the schedules are conditional.

A conditional schedule leaves the proposal where its conditions already make a higher schedule
of its lesion apply - once they are known, that one would be chosen - unless its rule offers it
as an alternative to that one (1 x 8 Gy beside fractionated radiotherapy).
"""

from __future__ import annotations

from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemCondition, ItemStatus, Recommendation, Text
from osteoboard.schedules import choose_schedules

KB = load_knowledge_base()


def _condition(fact: str, values: list[Any], group: int = 0) -> ItemCondition:
    return ItemCondition(
        fact=fact, fields=[], values=values, text=Text(de=fact, en=fact), group=group
    )


def _item(code: str, rule: str, *conditions: ItemCondition, lesion: str = "L1") -> Recommendation:
    return Recommendation(
        code=code,
        discipline="radiotherapy",
        lesion=lesion,
        priority="soon",
        strength="strong",
        text=Text(de=code, en=code),
        because=[],
        sources=[],
        rule=rule,
        status=ItemStatus.conditional if conditions else ItemStatus.firm,
        conditions=list(conditions),
    )


PAINFUL = _condition("lesion.painful", [True])
BIOPSY = _condition("bone.biopsy_shows_metastasis", [True])
SBRT = "radiotherapy.sbrt_radioresistant_extraspinal"
SINGLE = "radiotherapy.painful_single_fraction"  # alternative_to: RT.FRACTIONATED
FRACTIONATED = "radiotherapy.painful_fractionated_long_survival"


def _codes(items: list[Recommendation]) -> set[tuple[str, str | None]]:
    return {(i.code, i.lesion) for i in items}


def test_a_schedule_whose_conditions_make_a_higher_one_apply_leaves() -> None:
    items = [_item("RT.SBRT", SBRT, PAINFUL), _item("RT.SINGLE_8GY", SINGLE, PAINFUL, BIOPSY)]
    assert _codes(choose_schedules(KB, items)) == {("RT.SBRT", "L1")}


def test_a_firm_higher_schedule_takes_a_conditional_lower_one_away() -> None:
    items = [_item("RT.SBRT", SBRT), _item("RT.SINGLE_8GY", SINGLE, PAINFUL)]
    assert _codes(choose_schedules(KB, items)) == {("RT.SBRT", "L1")}


def test_other_conditions_keep_both() -> None:
    items = [_item("RT.SBRT", SBRT, PAINFUL, BIOPSY), _item("RT.SINGLE_8GY", SINGLE, PAINFUL)]
    assert len(choose_schedules(KB, items)) == 2
    # One of the higher schedule's alternative groups is not enough: it must hold in each of
    # the lower one's groups.
    alternatives = [
        _item("RT.SBRT", SBRT, PAINFUL),
        _item("RT.SINGLE_8GY", SINGLE, PAINFUL, _condition("lesion.pain_vas", [5], group=1)),
    ]
    assert len(choose_schedules(KB, alternatives)) == 2


def test_an_offered_alternative_stays() -> None:
    items = [
        _item("RT.FRACTIONATED", FRACTIONATED, PAINFUL),
        _item("RT.SINGLE_8GY", SINGLE, PAINFUL),
    ]
    assert len(choose_schedules(KB, items)) == 2


def test_numbers_must_be_the_same_test_points() -> None:
    """A number's values are test points of ranges, not the ranges: only the same points
    count as implied."""
    high = _item("RT.SBRT", SBRT, _condition("labs.crcl_ml_min", [30.0, 60.0]))
    low = _item("RT.SINGLE_8GY", SINGLE, _condition("labs.crcl_ml_min", [30.0]))
    assert len(choose_schedules(KB, [high, low])) == 2


def test_a_case_level_schedule_counts_for_every_lesion() -> None:
    oligo = _item("RT.OLIGOMETASTATIC_SBRT", "radiotherapy.oligometastatic_sbrt", BIOPSY)
    oligo = oligo.model_copy(update={"lesion": None})
    low = _item("RT.FRACTIONATED", FRACTIONATED, BIOPSY, PAINFUL)
    assert _codes(choose_schedules(KB, [oligo, low])) == {("RT.OLIGOMETASTATIC_SBRT", None)}


def test_a_painful_lesion_of_a_radioresistant_cancer_with_pain_open_gets_one_schedule() -> None:
    """Whether a renal-cell metastasis hurts is not documented: stereotactic radiotherapy on
    that condition, not also 1 x 8 Gy and fractionated radiotherapy on the same one."""
    case = parse_case(
        {
            "id": "schedules-1",
            "board_date": "2026-11-27",
            "patient": {"age": 58, "sex": "male", "ecog": 0, "life_expectancy_months": 30},
            "primary": {"site": "kidney", "histology": "clear cell carcinoma", "controlled": True},
            "visceral_metastases": {"present": False},
            "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 3},
            "lesions": [
                {"id": "ILIUM", "region": "pelvis", "joint": "none", "type": "lytic"},
                {"id": "RIB", "region": "rib", "type": "lytic", "pain_vas": 6},
            ],
        }
    )
    rt = {
        r.code: r for r in evaluate(case).recommendations if r.lesion == "ILIUM" and "RT." in r.code
    }
    assert "RT.SBRT" in rt and rt["RT.SBRT"].status is ItemStatus.conditional
    assert {c.fact for c in rt["RT.SBRT"].conditions} >= {"lesion.painful"}
    assert "RT.SINGLE_8GY" not in rt and "RT.FRACTIONATED" not in rt
