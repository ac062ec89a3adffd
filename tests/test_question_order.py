"""The order of the questions: emergencies on the list, urgent items on the list, then
screening for emergencies that no documented finding raises."""

from __future__ import annotations

from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus
from tests.test_radionuclide_eligibility import crpc_doc


def test_operability_is_asked_first_beside_a_fracture_when_nothing_else_is_raised() -> None:
    """A femoral neck fracture in a frail man with operability not stated: the fork of the
    fracture's treatment (fixation or radiotherapy) is asked before screening questions for
    emergencies that no finding raises."""
    p = evaluate(
        parse_case(
            {
                "id": "q-fracture",
                "board_date": "2026-11-20",
                "patient": {"age": 91, "sex": "male", "ecog": 4},
                "primary": {"site": "prostate", "castration_status": "resistant"},
                "lesions": [
                    {
                        "id": "FN",
                        "region": "long_bone",
                        "bone": "femur",
                        "segment": "epiphyseal",
                        "pathologic_fracture": True,
                    }
                ],
            }
        )
    )
    assert p.questions[0].fact == "patient.fit_for_surgery"
    assert "SURG.FRACTURE_FIXATION[FN]" in p.questions[0].decides
    # the screening for a cord compression asks for the symptoms (one place)
    assert [q.fact for q in p.questions if "EMERG.MSCC" in q.decides] == ["neuro.any_deficit"]


def _on_list(p: object) -> set[str]:
    items = [*p.emergencies, *p.recommendations, *p.warnings]  # type: ignore[attr-defined]
    return {i.code + (f"[{i.lesion}]" if i.lesion else "") for i in items}


def test_screening_for_a_silent_cord_compression_takes_one_place_ahead() -> None:
    """A painful femur lesion of uncertain fracture risk in a patient who also has spinal
    metastases and no neurology documented: one question screens for cord compression ahead
    of the others - the neurological symptoms, which raise the suspicion by themselves (the
    whole-spine MRI matters once there are symptoms) - and the others serve the items on the
    proposal (the Mirels items decide the orthopaedic consult)."""
    p = evaluate(
        parse_case(
            {
                "id": "q-screening",
                "board_date": "2026-11-20",
                "patient": {"age": 66, "sex": "female", "ecog": 1},
                "primary": {"site": "breast", "hormone_receptor": "positive"},
                "bone_metastases": {"vertebral_count": 2, "extraspinal_count": 1},
                "lesions": [
                    {"id": "FEM", "region": "long_bone", "bone": "femur", "pain_vas": 6},
                ],
            }
        )
    )
    listed = _on_list(p)
    screening = [q for q in p.questions if not set(q.decides) & listed]
    assert len(p.questions) == 5
    assert len(screening) == 1, [q.text.de for q in screening]
    assert screening[0].fact.startswith("neuro."), screening[0].text.de
    assert any("SURG.ORTHO_CONSULT[FEM]" in q.decides for q in p.questions)


def test_a_second_screening_question_is_for_another_emergency() -> None:
    """A painful lytic acetabular lesion (fracture not reported) beside spinal metastases with
    no neurology documented: the fracture, an emergency of its own, is asked among the five
    ahead of the question about SBRT, and the whole-spine MRI, which screens for the same
    compression as the neurology, is not."""
    p = evaluate(
        parse_case(
            {
                "id": "q-acetabulum",
                "board_date": "2026-11-20",
                "patient": {"age": 63, "sex": "female"},
                "primary": {"site": "thyroid", "histology": "follicular carcinoma"},
                "bone_metastases": {"vertebral_count": 1, "extraspinal_count": 1},
                "lesions": [
                    {
                        "id": "AC",
                        "region": "pelvis",
                        "joint": "hip",
                        "type": "lytic",
                        "size_cm": 4.0,
                        "pain_vas": 6,
                        "symptomatic": True,
                    }
                ],
            }
        )
    )
    facts = [q.fact for q in p.questions]
    assert "lesion.pathologic_fracture" in facts, facts
    assert "patient.ecog_0_1" not in facts, facts
    assert len([q for q in p.questions if "EMERG.MSCC" in q.decides]) == 1, facts


def test_a_listed_spinal_lesion_is_not_asked_whether_there_are_spinal_metastases() -> None:
    """A referral that lists L4: the board is asked for the whole-spine MRI and the grade
    of compression once, not whether the spine has metastases at all."""
    case = parse_case(
        {
            "id": "cauda",
            "board_date": "2026-11-20",
            "patient": {"age": 64, "sex": "male", "ecog": 1},
            "primary": {"site": "kidney"},
            "neurology": {"new_deficit": True, "deficit_onset_hours": 20},
            "lesions": [
                {
                    "id": "L4",
                    "region": "spine",
                    "level": "L4",
                    "type": "lytic",
                    "pain": "mechanical",
                    "pain_vas": 7,
                    "symptomatic": True,
                }
            ],
        }
    )
    questions = evaluate(case).questions
    texts = [q.text.de for q in questions]
    assert not any("Gibt es Metastasen der Wirbelsäule" in t for t in texts), texts
    whole_spine = [q for q in questions if "MRT der gesamten Wirbelsäule" in q.text.de]
    assert len(whole_spine) == 1, texts
    assert "neurology.whole_spine_mri_done" in whole_spine[0].fields


def test_no_field_is_asked_twice() -> None:
    """Over every example and referral case: no question asks only for fields an earlier
    question's words ask for too - the same fact (one lesion's pain not after the question
    about the pain of every lesion), or inputs its wording names. A field that lies behind
    an earlier question without being named in it (the castration status behind the
    prognosis scores, beside "the team's estimate, or missing values such as LDH") is asked
    on its own."""
    from pathlib import Path

    from osteoboard.caseio import load_case
    from osteoboard.guideline import load_knowledge_base
    from osteoboard.labels import field_key
    from tests.test_referral_cases import load_referral

    kb = load_knowledge_base()
    root = Path(__file__).resolve().parents[1]
    cases = [load_case(p) for p in sorted((root / "examples").glob("*.yaml"))]
    cases += [load_referral(p).case for p in sorted((root / "tests" / "cases").glob("*.yaml"))]
    for case in cases:
        questions = evaluate(case).questions
        for i, q in enumerate(questions):
            info = kb.facts.get(q.fact)
            named = set(info.inputs) if info is not None else set()
            for later in questions[i + 1 :]:
                if not set(later.fields) <= set(q.fields):
                    continue
                assert later.fact != q.fact, (case.id, q.fields, later.fields)
                assert not {field_key(f)[0] for f in later.fields} <= named, (
                    case.id,
                    q.fields,
                    later.fields,
                )


def test_a_hypercalcaemia_without_creatinine_has_it_measured_at_once() -> None:
    """A confirmed hypercalcaemia, creatinine and weight unknown, a lumbar fracture: the
    treatment forks on the creatinine (zoledronic acid below 400 µmol/L, denosumab first in
    renal failure). The emergency names both branches, not the renal-failure one alone, and an
    urgent firm item has the creatinine measured before the antiresorptive is chosen; where
    the creatinine is asked, one question names it with the weight."""
    p = evaluate(
        parse_case(
            {
                "id": "q-creatinine",
                "board_date": "2026-11-20",
                "patient": {"age": 67, "sex": "male", "ecog": 2},
                "primary": {"site": "lung_nsclc", "histology": "adenocarcinoma"},
                "neurology": {"new_deficit": False, "radicular_pain": False, "frankel": "E"},
                "prior_therapy": {"nsaid_current": True},
                "labs": {"calcium_mmol_l": 3.3, "albumin_g_l": 40},
                "lesions": [
                    {
                        "id": "L2",
                        "region": "spine",
                        "level": "L2",
                        "type": "lytic",
                        "pathologic_fracture": True,
                        "pain_vas": 7,
                    }
                ],
            }
        )
    )
    (crisis,) = [e for e in p.emergencies if e.code == "EMERG.HYPERCALCEMIA"]
    assert crisis.rule == "emerg.hypercalcemia" and not crisis.conditions
    assert "solange Kreatinin < 400" in crisis.text.de
    (labs,) = [r for r in p.recommendations if r.code == "DX.LABS_BONE"]
    assert labs.rule == "board.creatinine_missing_hypercalcemia"
    assert labs.priority == "urgent" and labs.status is ItemStatus.firm
    asking = [q for q in p.questions if "labs.creatinine_umol_l" in q.fields]
    assert len(asking) <= 1
    assert all("patient.weight_kg" in q.fields for q in asking)


def _asked(
    primary: str, neurology: dict[str, object], lesion: dict[str, object], **more: object
) -> list[Any]:
    """The questions for a small case: the primary, its neurology, one lesion, and more."""
    case: dict[str, Any] = {
        "id": "q-follow-up",
        "board_date": "2026-11-20",
        "patient": {"age": 66, "sex": "female", "ecog": 1},
        "primary": {"site": primary},
        "neurology": neurology,
        "lesions": [{"id": "L1", "type": "lytic", **lesion}],
        **more,
    }
    return list(evaluate(parse_case(case)).questions)


def test_since_when_a_deficit_exists_is_asked_only_once_a_deficit_is_documented() -> None:
    """A follow-up (asked_if in facts.yaml) waits for the answer it follows: with no deficit
    documented the deficit itself is asked, not its onset; the onset stays missing data."""
    spine = {"region": "spine", "level": "T10"}
    proposal = evaluate(
        parse_case(
            {
                "id": "q-onset",
                "board_date": "2026-11-20",
                "primary": {"site": "prostate"},
                "lesions": [{"id": "L1", "type": "lytic", **spine}],
            }
        )
    )
    assert not any("since when exactly" in q.text.en for q in proposal.questions)
    assert "neurology.deficit_onset_hours" in {m.field for m in proposal.missing_data}
    paraplegic = _asked("prostate", {"new_deficit": True, "frankel": "A"}, spine)
    assert any("since when exactly" in q.text.en for q in paraplegic)


def test_a_documented_new_deficit_is_not_asked_again_beside_its_open_grade() -> None:
    """Facts asked together share the wording of the one they belong to only while that one
    is open: with the new deficit documented, the open Frankel grade has its own question."""
    spine = {"region": "spine", "level": "T7"}
    documented = [q.text.de for q in _asked("breast", {"new_deficit": True}, spine)]
    assert any("Frankel (A–E)" in q for q in documented)
    assert not any("neue oder zunehmende Ausfälle" in q for q in documented)
    open_deficit = [q.text.de for q in _asked("breast", {}, spine)]
    assert any("neue oder zunehmende Ausfälle" in q for q in open_deficit)


def test_calcium_symptoms_are_asked_once_a_calcium_is_measured() -> None:
    calm = {"new_deficit": False, "radicular_pain": False}
    rib = {"region": "rib"}
    unmeasured = [q.fact for q in _asked("breast", calm, rib, labs={"creatinine_umol_l": 70})]
    assert "patient.hypercalcemia_symptoms" not in unmeasured
    assert "patient.hypocalcemia_symptoms" not in unmeasured
    labs = {"calcium_mmol_l": 2.75, "albumin_g_l": 40, "creatinine_umol_l": 70}
    high = [q.fact for q in _asked("breast", calm, rib, labs=labs)]
    assert "patient.hypercalcemia_symptoms" in high


def test_a_half_known_sins_asks_only_for_its_open_items() -> None:
    lesion = {"region": "spine", "level": "L3", "pain": "mechanical", "escc_grade": "0"}
    neurology = {"new_deficit": False, "radicular_pain": False, "frankel": "E"}
    labs = {"calcium_mmol_l": 2.3, "albumin_g_l": 40, "creatinine_umol_l": 70}
    asked = _asked("breast", neurology, lesion, labs=labs)
    sins = [q for q in asked if "sins" in q.fact]
    assert sins, "the open SINS decides a consult and is asked"
    text = sins[0].text.en
    assert "For the SINS, please add:" in text
    assert "spinal alignment" in text and "vertebral collapse" in text
    assert "type of pain" not in text and "vertebral level" not in text  # documented


def test_a_whole_spine_mri_documented_as_done_is_asked_for_its_report() -> None:
    """New weakness, the whole-spine MRI done but its grading not entered: the question asks
    for the report's Bilsky grade, not whether an MRI exists; with the MRI not documented the
    question asks for it."""
    doc: dict[str, Any] = {
        "id": "mri-report",
        "board_date": "2026-11-20",
        "patient": {"age": 67, "sex": "female"},
        "primary": {"site": "breast", "hormone_receptor": "negative", "her2": "negative"},
        "neurology": {"new_deficit": True, "deficit_onset_hours": 24, "whole_spine_mri_done": True},
        "lesions": [{"id": "T10", "region": "spine", "level": "T10", "type": "lytic"}],
    }
    mri_fact = "spine.any_escc_high_grade"
    first = evaluate(parse_case(doc)).questions[0]
    assert first.fact == mri_fact
    assert first.text.de.startswith(
        "Aus dem MRT der Wirbelsäule (oder sobald es vorliegt) bitte ergänzen: Bilsky-Grad"
    )
    assert "Liegt ein aktuelles MRT" not in first.text.de
    del doc["neurology"]["whole_spine_mri_done"]
    first = evaluate(parse_case(doc)).questions[0]
    assert first.text.de.startswith("Liegt ein aktuelles MRT der gesamten Wirbelsäule vor?")
    # No spinal lesion listed (nothing to grade), the MRI not documented: the whole question,
    # not "please add: whole-spine MRI".
    doc["lesions"] = [{"id": "R1", "region": "rib", "type": "lytic"}]
    (mri,) = [q for q in evaluate(parse_case(doc)).questions if q.fact == mri_fact]
    assert mri.text.de.startswith("Liegt ein aktuelles MRT der gesamten Wirbelsäule vor?")


def test_beside_no_new_deficit_the_question_asks_for_an_older_one_not_whether_it_is_new() -> None:
    """Bilsky 2 with "no new deficit" documented: whether an (older) deficit remains decides
    the emergency; the question does not ask again whether it is new."""
    doc: dict[str, Any] = {
        "id": "older-deficit",
        "board_date": "2026-11-20",
        "patient": {"age": 66, "sex": "female", "ecog": 1, "weight_kg": 70},
        "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
        "neurology": {"new_deficit": False},
        "lesions": [
            {"id": "T8", "region": "spine", "level": "T8", "type": "lytic", "escc_grade": "2"}
        ],
    }
    first = evaluate(parse_case(doc)).questions[0]
    assert first.fact == "neuro.any_deficit"
    assert "auch älteres" in first.text.de and "neu aufgetreten" not in first.text.de
    assert "radikulär" in first.text.de


def test_vitamin_d_is_asked_after_what_changes_a_treatment() -> None:
    # Calcium and vitamin D go with every agent; the level sets only the loading dose. It took
    # one of the five places in almost every referral - here a radium-223 candidate with
    # blood count, calcium and creatinine open - before what changes a treatment.
    p = evaluate(parse_case(crpc_doc()))
    facts = [q.fact for q in p.questions]
    assert "labs.vitamin_d_25oh_nmol_l" not in facts, facts
    assert len(facts) == 5
    assert any(m.field == "labs.vitamin_d_25oh_nmol_l" for m in p.missing_data)


def test_vitamin_d_is_still_asked_where_a_place_is_free() -> None:
    p = evaluate(
        parse_case(
            {
                "id": "q-vitamin-d-free",
                "board_date": "2026-11-20",
                "patient": {
                    "age": 64,
                    "sex": "female",
                    "ecog": 1,
                    "weight_kg": 66,
                    "life_expectancy_months": 24,
                    "dental_exam_done": True,
                    "fit_for_surgery": True,
                    "pregnant": False,
                },
                "primary": {
                    "site": "breast",
                    "hormone_receptor": "positive",
                    "her2": "negative",
                    "histology_confirmed": True,
                    "first_metastatic_presentation": False,
                },
                "visceral_metastases": {"present": False},
                "prior_therapy": {"bone_modifying_agent": "none", "current_medication": []},
                "neurology": {"frankel": "E", "new_deficit": False, "radicular_pain": False},
                "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 3},
                "labs": {
                    "creatinine_umol_l": 70,
                    "calcium_mmol_l": 2.3,
                    "albumin_g_l": 40,
                    "platelets_10e9_l": 250,
                    "hemoglobin_g_dl": 12.5,
                },
            }
        )
    )
    facts = [q.fact for q in p.questions]
    assert len(facts) < 5, facts
    assert "labs.vitamin_d_25oh_nmol_l" in facts, facts
