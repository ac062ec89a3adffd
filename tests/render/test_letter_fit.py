"""The letter says what holds for this patient: no bone metastases explained where none were
found, no walking advice for a paralysed patient, the kidney warning of the proposal, no
biopsy before emergency treatment, the bone at risk of fracture protected until surgery."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.render.letter import Letter, build_letter
from tests.support.letter_text import section_text

CASES = Path(__file__).resolve().parents[1] / "cases"


def _letter(case: dict[str, Any]) -> tuple[Letter, set[str]]:
    parsed = parse_case(case)
    proposal = evaluate(parsed)
    items = [*proposal.emergencies, *proposal.recommendations, *proposal.warnings]
    firm = {i.code for i in items if i.status.value in ("firm", "confirmed", "suspected")}
    return build_letter(proposal, parsed), firm


def _referral(name: str) -> dict[str, Any]:
    (path,) = CASES.glob(f"{name}-*.yaml")
    case: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))["case"]
    return case


def _text(lt: Letter) -> str:
    return " ".join(lt.plain_text().split())


def test_a_hypercalcaemia_without_bone_metastases_explains_no_bone_metastasis() -> None:
    case = _referral("012")  # bone scan without skeletal disease: both counts 0
    lt, firm = _letter(case)
    assert "EMERG.HYPERCALCEMIA" in firm
    text = _text(lt)
    assert "In Ihren Knochen wurden keine Herde gefunden" in text
    assert "Ein Herd im Knochen heißt Metastase" not in text
    assert "Herde im Knochen können Kalzium aus dem Knochen lösen" not in text
    assert "Botenstoff" in text
    assert "Stolperfallen" not in text  # no bone lesion: no advice for fragile bones
    assert "Erbrechen" in section_text(lt, "warning_signs")
    # counts not given: bone metastases are not taken as absent
    unknown = dict(case, bone_metastases={})
    assert "Ein Herd im Knochen heißt Metastase" in _text(_letter(unknown)[0])


def test_an_unknown_primary_with_cord_compression_does_not_wait_for_the_biopsy() -> None:
    lt, firm = _letter(_referral("005"))
    assert "EMERG.MSCC" in firm
    text = _text(lt)
    assert "Erst danach wird über eine Operation oder eine Bestrahlung entschieden" not in text
    assert "Die Notfall-Behandlung wartet darauf nicht" in text
    # without the emergency, imaging and biopsy come first
    calm = _referral("147")
    calm_text = _text(_letter(calm)[0])
    assert "Erst danach wird über eine Operation oder eine Bestrahlung entschieden" in calm_text


def test_the_kidney_warning_on_painkillers_reaches_the_letter() -> None:
    case = _referral("012")
    case = dict(
        case,
        bone_metastases={"vertebral_count": 2, "extraspinal_count": 3},
        patient={**case["patient"], "weight_kg": 60, "hypercalcemia_symptoms": False},
        labs={"calcium_mmol_l": 2.3, "albumin_g_l": 40, "creatinine_umol_l": 250},
        prior_therapy={"nsaid_current": True},
    )
    lt, firm = _letter(case)
    assert "WARN.NSAID_RENAL" in firm
    assert "Ibuprofen" in section_text(lt, "self_care")
    case["prior_therapy"] = {"nsaid_current": False}
    lt, firm = _letter(case)
    assert "WARN.NSAID_RENAL" not in firm and "Ibuprofen" not in section_text(lt, "self_care")


def test_a_paralysed_patient_is_not_warned_of_weak_legs_nor_told_to_avoid_trip_hazards() -> None:
    lt, _ = _letter(_referral("009"))  # Frankel A for a week
    warnings = section_text(lt, "warning_signs")
    assert "unsicherer Gang" not in warnings
    assert "Die Taubheit steigt am Körper höher" in warnings
    assert "Stolperfallen" not in section_text(lt, "self_care")
    walking = _referral("001")  # new leg weakness, still walking
    assert "unsicherer Gang" in section_text(_letter(walking)[0], "warning_signs")


def test_a_bone_at_risk_of_fracture_is_protected_until_it_is_stabilised() -> None:
    example = CASES.parents[1] / "examples" / "05-kidney-femur-impending.yaml"
    lt, firm = _letter(yaml.safe_load(example.read_text(encoding="utf-8")))
    # The solitary femur lesion waits for its biopsy before the fixation; the bone is
    # off-loaded from now on all the same.
    assert "SURG.PROPHYLACTIC_FIXATION" not in firm
    assert "Den gefährdeten Knochen schonen" in section_text(lt, "self_care")
    lt, firm = _letter(_referral("012"))  # no bone lesion: nothing to protect
    assert "Den gefährdeten Knochen schonen" not in section_text(lt, "self_care")


def test_a_myeloma_with_kidney_protection_gets_one_advice_on_painkillers() -> None:
    lt, firm = _letter(_referral("087"))
    assert "MM.RENAL_PROTECTION" in firm
    text = _text(lt)
    assert "keine Schmerzmittel wie Ibuprofen" in text
    assert "Ibuprofen nur nach Rücksprache" not in text


def test_in_the_last_phase_of_life_the_social_service_speaks_of_care_not_of_work() -> None:
    lt, _ = _letter(_referral("101"))  # ECOG 4, hospice
    care = section_text(lt, "self_care")
    assert "Pflegegrad und Hospiz" in care and "Reha und Beruf" not in care
    assert "Darum braucht es meist eine Behandlung im ganzen Körper" not in _text(lt)
    other, _ = _letter(_referral("012"))
    assert "Reha und Beruf" in section_text(other, "self_care")


def test_an_acute_paralysis_keeps_the_warnings_of_walking() -> None:
    case = _referral("009")
    case = dict(case, neurology={**case["neurology"], "deficit_onset_hours": 12})
    lt, _ = _letter(case)
    warnings = section_text(lt, "warning_signs")
    assert "unsicherer Gang" in warnings and "Die Taubheit steigt am Körper höher" not in warnings


def test_an_unknown_primary_without_bone_lesions_speaks_of_no_lesion_there() -> None:
    case = dict(
        _referral("012"),
        primary={"site": "unknown", "histology_confirmed": False},
    )
    lt, _ = _letter(case)
    text = _text(lt)
    assert "In Ihren Knochen wurden keine Herde gefunden" in text
    assert "Was der Herd ist, steht noch nicht fest" not in text


def test_the_radium_letter_promises_no_bone_drug_that_was_declined() -> None:
    example = CASES.parents[1] / "examples" / "07-crpc-radium.yaml"
    case: dict[str, Any] = yaml.safe_load(example.read_text(encoding="utf-8"))
    lt, _ = _letter(case)
    assert "Dazu bekommen Sie ein Mittel zum Schutz der Knochen" in _text(lt)
    declined = dict(case, patient={**case["patient"], "declines": ["bone_modifying_agent"]})
    lt, firm = _letter(declined)
    assert "BOARD.DECLINED_BONE_MODIFYING_AGENT" in firm
    assert "Dazu bekommen Sie ein Mittel zum Schutz der Knochen" not in _text(lt)
