"""An item's text states no more than the case documents: a calcium measured without albumin
is not "to be ruled out" beside the hypercalcaemia it already shows, and a radiotherapy item
whose branches include a stable segment does not speak of an unstable one (SPEC §4.1)."""

from __future__ import annotations

from typing import Any

from osteoboard.case import Frankel
from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus


def test_albumin_missing_beside_a_severe_hypercalcaemia_is_asked_without_ruling_it_out() -> None:
    # Squamous NSCLC, "Ca 15,6 mg/dl", no albumin: severe on every plausible albumin.
    p = evaluate(
        parse_case(
            {
                "id": "hyperca-no-albumin",
                "patient": {
                    "age": 63,
                    "sex": "male",
                    "weight_kg": 70,
                    "hypercalcemia_symptoms": True,
                },
                "primary": {"site": "lung_nsclc", "targetable_driver": False},
                "bone_metastases": {"vertebral_count": 2, "extraspinal_count": 3},
                "labs": {"calcium_mg_dl": 15.6, "creatinine_mg_dl": 2.1},
            }
        )
    )
    (crisis,) = [e for e in p.emergencies if e.code == "EMERG.HYPERCALCEMIA"]
    assert crisis.status is ItemStatus.confirmed
    (labs,) = [r for r in p.recommendations if r.code == "DX.LABS_BONE"]
    # Beside a hypercalcaemia (here severe on every albumin) the albumin is measured at once.
    assert labs.rule == "board.albumin_missing_hypercalcemia" and labs.priority == "urgent"
    assert "auszuschließen" not in labs.text.de and "ausschließen" not in labs.text.de
    assert "3,89 mmol/l" in labs.text.de and "Albumin" in labs.text.de


def test_nothing_measured_still_asks_to_rule_hypercalcaemia_out() -> None:
    p = evaluate(
        parse_case(
            {
                "id": "no-calcium",
                "patient": {"age": 63, "sex": "male", "weight_kg": 70},
                "primary": {"site": "lung_nsclc"},
                "labs": {"creatinine_umol_l": 90},
            }
        )
    )
    (labs,) = [r for r in p.recommendations if r.code == "DX.LABS_BONE"]
    assert labs.rule == "board.calcium_missing" and "Hyperkalzämie" in labs.text.de


def spine_case(**lesion: Any) -> Any:
    return parse_case(
        {
            "id": "t7-branches",
            "board_date": "2026-11-20",
            "patient": {"age": 58, "sex": "female", "ecog": 1},
            "primary": {"site": "breast", "hormone_receptor": "positive"},
            "lesions": [
                {
                    "id": "BWK7",
                    "region": "spine",
                    "level": "T7",
                    "type": "lytic",
                    "pain": "non_mechanical",
                    "pain_vas": 3,
                    **lesion,
                },
            ],
        }
    )


def test_a_single_fraction_with_a_stable_branch_does_not_speak_of_an_unstable_segment() -> None:
    # Instability items not reported: the single fraction is conditional on either branch -
    # unstable and not operable, or stable/potentially unstable without high-grade compression.
    p = evaluate(spine_case())
    (rt,) = [r for r in p.recommendations if r.code == "RT.SINGLE_8GY" and r.lesion == "BWK7"]
    assert rt.status is ItemStatus.conditional
    assert len({c.group for c in rt.conditions}) > 1
    assert "instabilem Segment" not in rt.text.de
    assert "wenn eine der Bedingungen zutrifft" in rt.text.de


def test_a_documented_unstable_inoperable_segment_keeps_its_own_words() -> None:
    c = spine_case(
        alignment="subluxation_translation",
        collapse="gt_50",
        posterolateral="bilateral",
        pain="mechanical",
    )
    c = c.model_copy(update={"patient": c.patient.model_copy(update={"fit_for_surgery": False})})
    p = evaluate(c)
    (rt,) = [r for r in p.recommendations if r.code == "RT.SINGLE_8GY" and r.lesion == "BWK7"]
    assert rt.rule == "spine.unstable_unfit_rt" and rt.status is ItemStatus.firm
    assert "Bei instabilem Segment" in rt.text.de


def test_surgery_for_cord_compression_waits_only_on_a_paraplegia_past_48_hours() -> None:
    # A new leg weakness, Bilsky 2 at T8, fit, grade and onset not documented: the operation
    # is named on "no paraplegia for more than 48 hours" (Patchell 2005), not on "onset within
    # 48 hours", which a Frankel D deficit of four days would fail; and the radiotherapy names
    # the other branch.
    case = parse_case(
        {
            "id": "mscc-grade-open",
            "patient": {"fit_for_surgery": True, "life_expectancy_months": 12},
            "primary": {"site": "breast"},
            "neurology": {"new_deficit": True},
            "lesions": [{"id": "T8", "region": "spine", "level": "T8", "escc_grade": "2"}],
        }
    )
    p = evaluate(case)

    def facts(code: str) -> list[set[str]]:
        (item,) = [r for r in p.recommendations if r.code == code]
        groups: dict[int, set[str]] = {}
        for c in item.conditions:
            groups.setdefault(c.group, set()).add(c.fact)
        return list(groups.values())

    (surgery,) = facts("SURG.DECOMPRESSION_STABILIZATION")
    assert "neuro.paraplegia_over_window" in surgery
    assert "neuro.deficit_onset_hours" not in surgery
    assert any("neuro.paraplegia_over_window" in g for g in facts("RT.MSCC"))
    # Documented: a Frankel D deficit of four days is operated, a paraplegia of four days not.
    for frankel, code in ((Frankel.D, "SURG.DECOMPRESSION_STABILIZATION"), (Frankel.B, "RT.MSCC")):
        done = case.model_copy(
            update={
                "neurology": case.neurology.model_copy(
                    update={"frankel": frankel, "deficit_onset_hours": 96}
                )
            }
        )
        (item,) = [r for r in evaluate(done).recommendations if r.code == code]
        assert item.status is ItemStatus.firm, (frankel, item.conditions)


def test_a_hypercalcaemia_suspected_for_want_of_albumin_has_it_measured_at_once() -> None:
    # Total calcium 3.05 mmol/L, no albumin (referral 013): the corrected value may be 2.75 or
    # 3.55; the albumin that decides the emergency is urgent, not "in the coming days".
    doc = {
        "id": "albumin-pending",
        "patient": {"age": 72, "sex": "male", "weight_kg": 70},
        "primary": {"site": "lung_nsclc"},
        "labs": {"calcium_mmol_l": 3.05, "creatinine_umol_l": 95},
        "lesions": [{"id": "R6", "region": "rib"}],
    }
    p = evaluate(parse_case(doc))
    (crisis,) = [e for e in p.emergencies if e.code == "EMERG.HYPERCALCEMIA"]
    assert crisis.status is ItemStatus.suspected
    (labs,) = [r for r in p.recommendations if r.code == "DX.LABS_BONE"]
    assert labs.priority == "urgent" and labs.status is ItemStatus.firm
    assert "Albumin" in labs.text.de
    # A normal total calcium: the albumin is still asked for, but not at once.
    doc["labs"] = {"calcium_mmol_l": 2.3, "creatinine_umol_l": 95}
    (labs,) = [r for r in evaluate(parse_case(doc)).recommendations if r.code == "DX.LABS_BONE"]
    assert labs.priority == "soon"
