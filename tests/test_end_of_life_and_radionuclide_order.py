"""The last phase of life, and what comes before a radionuclide therapy.

- A short prognosis with a documented ECOG 3-4 in a solid tumour (def.end_of_life): symptom
  care only - no staging, no cancer-directed systemic therapy, no rehabilitation counselling
  (ASCO Choosing Wisely 2012; S3 Palliative Care 2020). Not for haematological malignancies,
  chemosensitive tumours whose treatment may restore the performance status, or a targetable
  driver; and not while the performance status is undocumented.
- Radium-223 beside a cord that a lesion abuts: the compression first (Xofigo SmPC 4.4); its
  licence (alone or with an LHRH analogue); no trial offered as if standard options were gone.
- Radioiodine beside epidural disease: local treatment first, glucocorticoids during TSH
  stimulation (ATA 2015).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal
from osteoboard.render.letter import build_letter


def hospice(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": "eol-ilium",
        "board_date": "2026-11-27",
        "patient": {"age": 78, "sex": "female", "ecog": 4, "life_expectancy_months": 1},
        "primary": {"site": "pancreas", "controlled": False},
        "visceral_metastases": {"present": True, "pattern": "disseminated"},
        "lesions": [
            {
                "id": "ILIUM",
                "region": "pelvis",
                "joint": "none",
                "type": "lytic",
                "pain_vas": 9,
                "symptomatic": True,
                "pathologic_fracture": False,
            }
        ],
    }
    for key, value in changes.items():
        case[key] = {**case[key], **value}
    return case


def items(p: Proposal) -> dict[str, Any]:
    return {i.code: i for i in [*p.emergencies, *p.recommendations, *p.warnings]}


def letter_json(p: Proposal, case: Any) -> str:
    return json.dumps(build_letter(p, case).model_dump(), ensure_ascii=False)


def test_hospice_patient_gets_symptom_care_and_no_staging_or_systemic_therapy() -> None:
    case = parse_case(hospice())
    p = evaluate(case)
    got = items(p)
    for code in ("RT.SINGLE_8GY", "SUP.ANALGESIA", "SUP.PALLIATIVE_CARE"):
        assert got[code].status is ItemStatus.firm, code
    assert "DX.WHOLE_BODY_STAGING" not in got
    assert "SYS.MEDICAL_ONCOLOGY" not in got
    palliative = got["SUP.PALLIATIVE_CARE"]
    assert palliative.rule == "supportive.palliative_care_end_of_life"
    assert "ECOG 4" in palliative.text.de and "kein Ganzkörper-Staging" in palliative.text.de
    assert "Frühzeitig" not in palliative.text.de
    social = got["SUP.SOCIAL_COUNSELING"]
    assert "Rehabilitation" not in social.text.de and "Hospiz" in social.text.de
    assert "künstliche Ernährung" in got["SUP.NUTRITION"].text.de


def test_hospice_letter_speaks_of_comfort_not_of_shrinking_tumours() -> None:
    case = parse_case(hospice())
    text = letter_json(evaluate(case), case)
    assert "Hospiz" in text
    assert "schon früh, neben der übrigen Behandlung" not in text
    assert "schrumpfen" not in text  # the systemic block is not there
    assert "Untersuchung des ganzen Körpers" not in text


def test_a_fitter_patient_keeps_early_palliative_care_in_the_letter() -> None:
    case = parse_case(hospice(patient={"ecog": 2, "karnofsky": None}))
    p = evaluate(case)
    got = items(p)
    assert got["SYS.MEDICAL_ONCOLOGY"].status is ItemStatus.firm
    assert got["SUP.PALLIATIVE_CARE"].rule == "supportive.palliative_care"
    assert "unter 3 Monaten" in got["SUP.PALLIATIVE_CARE"].text.de
    assert "schon früh, neben der übrigen Behandlung" in letter_json(p, case)


def test_undocumented_performance_status_keeps_the_usual_proposal() -> None:
    got = items(evaluate(parse_case(hospice(patient={"ecog": None}))))
    assert got["SYS.MEDICAL_ONCOLOGY"].status is ItemStatus.firm
    assert got["SUP.PALLIATIVE_CARE"].rule == "supportive.palliative_care"


def test_karnofsky_40_counts_as_ecog_3() -> None:
    got = items(evaluate(parse_case(hospice(patient={"ecog": None, "karnofsky": 40}))))
    assert "SYS.MEDICAL_ONCOLOGY" not in got
    assert got["SUP.PALLIATIVE_CARE"].rule == "supportive.palliative_care_end_of_life"


@pytest.mark.parametrize(
    "primary",
    [
        {"site": "lymphoma", "controlled": False},
        {"site": "lung_sclc", "histology": "small cell carcinoma", "controlled": False},
        {"site": "germ_cell", "histology": "non-seminoma", "controlled": False},
        {"site": "lung_nsclc", "targetable_driver": True, "controlled": False},
    ],
    ids=["lymphoma", "small_cell", "germ_cell", "targetable_driver"],
)
def test_no_end_of_life_gate_where_treatment_may_restore_fitness(primary: dict[str, Any]) -> None:
    case = hospice()
    case["primary"] = primary
    got = items(evaluate(parse_case(case)))
    assert "SYS.MEDICAL_ONCOLOGY" in got or "SYS.TARGETED_DRIVER" in got
    assert got["SUP.PALLIATIVE_CARE"].rule != "supportive.palliative_care_end_of_life"


def radium_case(grade: str | None = "1c", **prior: Any) -> Any:
    lesion: dict[str, Any] = {
        "id": "BWK9",
        "region": "spine",
        "level": "T9",
        "type": "mixed",
        "pain": "non_mechanical",
        "pain_vas": 6,
        "symptomatic": True,
    }
    if grade is not None:
        lesion["escc_grade"] = grade
    return parse_case(
        {
            "id": "radium-t9",
            "board_date": "2026-11-27",
            "patient": {"age": 71, "sex": "male", "ecog": 1},
            "primary": {"site": "prostate", "castration_status": "resistant"},
            "visceral_metastases": {"present": False},
            "bone_metastases": {"vertebral_count": 5, "extraspinal_count": 8},
            "prior_therapy": {
                "systemic_lines_mcrpc": 1,
                "arpi_received": True,
                "planned_therapies": ["Xofigo"],
                **prior,
            },
            "lesions": [lesion],
        }
    )


def test_radium_beside_an_abutted_cord_waits_for_the_cord() -> None:
    case = radium_case()
    p = evaluate(case)
    got = items(p)
    cord = got["WARN.RA223_CORD_COMPRESSION"]
    assert cord.status is ItemStatus.firm and cord.lesion == "BWK9"
    assert "Bilsky 1c" in cord.text.de and "zuerst" in cord.text.de
    combination = got["WARN.RA223_COMBINATION"]
    assert "LHRH" in combination.text.de and "Enzalutamid" in combination.text.de
    text = letter_json(p, case)
    assert "Radium-223" in text and "Zuerst das Rückenmark" in text
    assert "Der richtige Zeitpunkt" in text


def test_radium_beside_a_deformed_thecal_sac_only_is_no_cord_warning() -> None:
    got = items(evaluate(radium_case("1b")))
    assert "WARN.RA223_CORD_COMPRESSION" not in got


def test_a_trial_is_not_offered_as_if_standard_options_were_exhausted() -> None:
    got = items(evaluate(radium_case()))
    trial = got["BOARD.CLINICAL_TRIAL"]
    assert trial.status is ItemStatus.conditional  # taxane not documented
    assert "ausgeschöpft" not in trial.text.de and "Cabazitaxel" in trial.text.de
    after_taxane = items(evaluate(radium_case(taxane_received=True)))["BOARD.CLINICAL_TRIAL"]
    assert after_taxane.status is ItemStatus.firm


def thyroid_case(lesion: dict[str, Any], neurology: dict[str, Any] | None = None) -> Any:
    return parse_case(
        {
            "id": "rai-t10",
            "board_date": "2026-11-27",
            "patient": {"age": 58, "sex": "female", "ecog": 1},
            "primary": {"site": "thyroid", "rai_avid": True, "controlled": True},
            "visceral_metastases": {"present": True, "pattern": "nodular"},
            "neurology": neurology or {},
            "lesions": [{"id": "BWK10", "region": "spine", "level": "T10", **lesion}],
        }
    )


def test_radioiodine_beside_epidural_disease_treats_the_spine_first() -> None:
    case = thyroid_case({"type": "lytic", "escc_grade": "1b"})
    p = evaluate(case)
    got = items(p)
    assert got["NUC.RADIOIODINE"].status is ItemStatus.firm
    warning = got["WARN.RAI_SPINAL_EPIDURAL"]
    assert warning.status is ItemStatus.firm and warning.lesion == "BWK10"
    assert "Glukokortikoide" in warning.text.de and "zuerst lokal" in warning.text.de
    assert "Zuerst die Wirbelsäule" in letter_json(p, case)


def test_radioiodine_beside_a_suspected_cord_compression_without_mri() -> None:
    case = thyroid_case(
        {"type": "lytic"}, {"new_deficit": True, "frankel": "D", "whole_spine_mri_done": False}
    )
    got = items(evaluate(case))
    assert "WARN.RAI_SPINAL_EPIDURAL" in got


def test_radioiodine_beside_bone_only_disease_needs_no_spinal_warning() -> None:
    case = thyroid_case(
        {"type": "lytic", "escc_grade": "0"},
        {"new_deficit": False, "radicular_pain": False, "frankel": "E"},
    )
    assert "WARN.RAI_SPINAL_EPIDURAL" not in items(evaluate(case))
