"""One radiotherapy schedule per lesion, also beside conditional schedules.

A conditional schedule leaves the proposal beside a firm higher schedule of its lesion - once
its conditions are known, that one would be chosen - unless its rule offers it as an
alternative to that one (1 x 8 Gy beside fractionated radiotherapy). Beside a conditional
higher schedule both stay: an item's listed conditions come from one exploration and do not
describe every completion in which it applies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from osteoboard.caseio import load_case, parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemCondition, ItemStatus, Recommendation, Text
from osteoboard.schedules import choose_schedules

KB = load_knowledge_base()
ROOT = Path(__file__).resolve().parents[1]


def _condition(fact: str, values: list[Any]) -> ItemCondition:
    return ItemCondition(fact=fact, fields=[], values=values, text=Text(de=fact, en=fact))


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


def test_a_firm_higher_schedule_takes_a_conditional_lower_one_away() -> None:
    items = [_item("RT.SBRT", SBRT), _item("RT.SINGLE_8GY", SINGLE, PAINFUL)]
    assert _codes(choose_schedules(KB, items)) == {("RT.SBRT", "L1")}


def test_a_conditional_higher_schedule_leaves_the_lower_one() -> None:
    """Even where the lower one's listed conditions contain the higher one's: the higher item
    may need more than its listed conditions (a prognosis band read from scores, the
    documentation of a grade), so the lower one could be the schedule once they are known."""
    items = [_item("RT.SBRT", SBRT, PAINFUL), _item("RT.SINGLE_8GY", SINGLE, PAINFUL, BIOPSY)]
    assert len(choose_schedules(KB, items)) == 2


def test_an_offered_alternative_stays() -> None:
    items = [_item("RT.FRACTIONATED", FRACTIONATED), _item("RT.SINGLE_8GY", SINGLE, PAINFUL)]
    assert len(choose_schedules(KB, items)) == 2


def test_a_case_level_schedule_counts_for_every_lesion() -> None:
    oligo = _item("RT.OLIGOMETASTATIC_SBRT", "radiotherapy.oligometastatic_sbrt")
    oligo = oligo.model_copy(update={"lesion": None})
    low = _item("RT.FRACTIONATED", FRACTIONATED, PAINFUL)
    assert _codes(choose_schedules(KB, [oligo, low])) == {("RT.OLIGOMETASTATIC_SBRT", None)}


def test_a_lower_schedule_never_takes_a_higher_one_away() -> None:
    items = [_item("RT.SBRT", SBRT, PAINFUL), _item("RT.SINGLE_8GY", SINGLE)]
    assert ("RT.SBRT", "L1") in _codes(choose_schedules(KB, items))


def test_a_painful_vertebra_with_its_pain_schedule_gets_no_open_prophylactic_one() -> None:
    """Example 04: L4 hurts (1 x 8 Gy, firm); prophylactic radiotherapy there is open only on
    a pain score of 3 or less, where the pain schedule would be chosen all the same. T9 keeps
    its open prophylactic schedule."""
    case = load_case(ROOT / "examples" / "04-lung-mscc-emergency.yaml")
    rt = {(r.code, r.lesion): r for r in evaluate(case).recommendations if "RT." in r.code}
    assert rt[("RT.SINGLE_8GY", "L4")].status is ItemStatus.firm
    assert ("RT.PROPHYLACTIC", "L4") not in rt
    assert rt[("RT.PROPHYLACTIC", "T9")].status is ItemStatus.conditional


def test_a_higher_schedule_open_only_on_a_treatment_condition_supersedes_too() -> None:
    """SBRT waits only for the biopsy of a solitary lesion (treatment condition
    solitary_lesion_after_biopsy, which 1 x 8 Gy is read with too): wherever 1 x 8 Gy would
    apply, SBRT does, so 1 x 8 Gy leaves."""
    items = [_item("RT.SBRT", SBRT, BIOPSY), _item("RT.SINGLE_8GY", SINGLE, BIOPSY, PAINFUL)]
    assert _codes(choose_schedules(KB, items)) == {("RT.SBRT", "L1")}
    # The lower one not open on the biopsy: it may apply where SBRT does not.
    items = [_item("RT.SBRT", SBRT, BIOPSY), _item("RT.SINGLE_8GY", SINGLE, PAINFUL)]
    assert len(choose_schedules(KB, items)) == 2


def test_an_urgent_schedule_of_a_lesion_is_not_put_off_for_the_case_level_one() -> None:
    # An unfixed fracture (surgery declined) in oligometastatic disease: its urgent
    # radiotherapy was dropped beside the stereotactic radiotherapy of every metastasis.
    oligo = _item("RT.OLIGOMETASTATIC_SBRT", "radiotherapy.oligometastatic_sbrt", lesion=None)
    fracture = _item("RT.SINGLE_8GY", "emerg.pathologic_fracture_unfit_rt", lesion="F1")
    fracture = fracture.model_copy(update={"priority": "urgent"})
    painful = _item("RT.SINGLE_8GY", SINGLE, lesion="R1")
    kept = choose_schedules(KB, [oligo, fracture, painful])
    assert _codes(kept) == {("RT.OLIGOMETASTATIC_SBRT", None), ("RT.SINGLE_8GY", "F1")}


def test_the_fracture_of_a_patient_who_declines_surgery_is_irradiated() -> None:
    path = ROOT / "tests" / "cases" / "186-oligometastatic-femur-fracture-surgery-declined.yaml"
    p = evaluate(parse_case(yaml.safe_load(path.read_text(encoding="utf-8"))["case"]))
    assert any(i.code == "RT.OLIGOMETASTATIC_SBRT" for i in p.recommendations)
    rt = {(i.code, i.lesion): i for i in p.recommendations if i.code.startswith("RT.")}
    assert rt[("RT.FRACTIONATED", "FEM-L")].status is ItemStatus.firm
    assert rt[("RT.SINGLE_8GY", "FEM-L")].alternative_to == "RT.FRACTIONATED"
