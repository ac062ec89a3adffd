"""Haematological diseases of bone that are not metastases.

A solitary plasmacytoma of bone (IMWG 2014) is irradiated with curative intent, 40-50 Gy in
20-25 fractions (ILROG 2018, EMN 2018), after a work-up against myeloma; it gets no myeloma
therapy and no bone-modifying agent (ASCO 2007) and is followed up. A lymphoma of bone gets
haematology and immunochemotherapy first and consolidation radiotherapy afterwards (ESMO
2015/2016, ILROG 2015, IELSG-14); neither gets the palliative schedules for a painful metastasis,
while emergencies and fracture risk are treated as always.
"""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.case import Case
from osteoboard.caseio import CaseError, parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal
from osteoboard.render.letter import build_letter

_PALLIATIVE_RT = {"RT.SINGLE_8GY", "RT.FRACTIONATED", "RT.PROPHYLACTIC"}
_BMA = {"BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB", "BMA.DURATION_INTERVAL", "DX.DENTAL_EXAM"}


def _plasmacytoma(stage: str | None = "solitary_plasmacytoma", **changes: Any) -> Case:
    """A painful lambda plasmacytoma of T9, staged solitary, 4 % marrow plasma cells."""
    myeloma: dict[str, Any] = {
        "crab": {"hypercalcemia": False, "renal": False, "anemia": False},
        "bm_plasma_cells_pct": 4,
        "prior_lines": 0,
    }
    if stage is not None:
        myeloma["stage"] = stage
    doc: dict[str, Any] = {
        "id": "plasmacytoma",
        "board_date": "2026-11-26",
        "patient": {"age": 61, "sex": "male", "weight_kg": 84, "ecog": 0, "fit_for_surgery": True},
        "primary": {"site": "myeloma", "histology": "plasmacytoma, lambda"},
        "myeloma": myeloma,
        "bone_metastases": {"vertebral_count": 1, "extraspinal_count": 0},
        "labs": {
            "creatinine_mg_dl": 0.9,
            "calcium_mmol_l": 2.3,
            "albumin_g_l": 42,
            "hemoglobin_g_dl": 14.2,
        },
        "neurology": {
            "frankel": "E",
            "new_deficit": False,
            "radicular_pain": False,
            "whole_spine_mri_done": True,
        },
        "lesions": [
            {
                "id": "T9",
                "region": "spine",
                "level": "T9",
                "type": "lytic",
                "pain": "non_mechanical",
                "pain_vas": 5,
                "alignment": "normal",
                "collapse": "none",
                "posterolateral": "none",
                "escc_grade": "0",
                "histology_confirmed": True,
                "symptomatic": True,
            }
        ],
    }
    for path, value in changes.items():
        section, _, key = path.partition("__")
        doc[section][key] = value
    return parse_case(doc)


def _lymphoma(chemotherapy: bool | None = False, **lesion: Any) -> Case:
    """A diffuse large B-cell lymphoma of the femoral shaft, Mirels 7 unless changed."""
    doc: dict[str, Any] = {
        "id": "lymphoma",
        "board_date": "2026-11-26",
        "patient": {"age": 58, "sex": "female", "ecog": 1, "fit_for_surgery": True},
        "primary": {"site": "lymphoma", "histology": "diffuse large B-cell lymphoma of bone"},
        "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 1},
        "labs": {"creatinine_mg_dl": 0.8, "calcium_mmol_l": 2.3, "albumin_g_l": 40},
        "lesions": [
            {
                "id": "F1",
                "region": "long_bone",
                "bone": "femur",
                "segment": "diaphyseal",
                "side": "left",
                "type": "blastic",
                "mirels_pain": "moderate",
                "cortical_involvement": "lt_one_third",
                "histology_confirmed": True,
                "symptomatic": True,
                "pain_vas": 5,
                "pathologic_fracture": False,
                **lesion,
            }
        ],
    }
    if chemotherapy is not None:
        doc["prior_therapy"] = {"chemotherapy": chemotherapy}
    return parse_case(doc)


def _items(p: Proposal, code: str) -> list[Any]:
    return [i for i in (*p.emergencies, *p.recommendations, *p.warnings) if i.code == code]


def _codes(p: Proposal) -> set[str]:
    return {i.code for i in (*p.emergencies, *p.recommendations, *p.warnings)}


# --- solitary plasmacytoma of bone -------------------------------------------------------------


def test_staged_solitary_plasmacytoma_gets_curative_radiotherapy_and_no_myeloma_treatment() -> None:
    p = evaluate(_plasmacytoma())
    [rt] = _items(p, "RT.CURATIVE")
    assert rt.status is ItemStatus.firm and rt.lesion == "T9"
    assert "40–50 Gy in 20–25 Fraktionen" in rt.text.de
    assert not _codes(p) & (_PALLIATIVE_RT | _BMA)
    assert not _codes(p) & {
        "MM.START_OR_SWITCH_THERAPY",
        "SUP.PALLIATIVE_CARE",
        "BOARD.SPECIALIZED_CENTER",
    }
    [follow_up] = _items(p, "MM.MONITOR")
    assert follow_up.status is ItemStatus.firm
    assert "kein Bisphosphonat oder Denosumab" in follow_up.text.de
    # Staged solitary with the marrow documented: the work-up against myeloma is done.
    assert _items(p, "DX.WHOLE_BODY_STAGING") == []


def test_active_myeloma_with_the_same_lesion_keeps_its_bone_agent_and_no_curative_dose() -> None:
    p = evaluate(_plasmacytoma("active"))
    assert _items(p, "RT.CURATIVE") == []
    assert _codes(p) & {"BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB"}
    assert _items(p, "SUP.PALLIATIVE_CARE")


def test_plasmacytoma_before_staging_gets_the_work_up_and_radiotherapy_on_its_condition() -> None:
    p = evaluate(_plasmacytoma(bone_metastases__vertebral_count=None))
    [work_up] = _items(p, "DX.WHOLE_BODY_STAGING")
    assert work_up.status is ItemStatus.firm and work_up.rule == "haematology.plasmacytoma_workup"
    assert "Multiples Myelom ausschließen" in work_up.text.de
    [rt] = _items(p, "RT.CURATIVE")
    assert rt.status is ItemStatus.conditional
    assert [c.fact for c in rt.conditions] == ["bone.solitary"]


def test_marrow_plasma_cells_of_ten_percent_do_not_fit_a_solitary_plasmacytoma() -> None:
    p = evaluate(_plasmacytoma(myeloma__bm_plasma_cells_pct=10))
    assert _items(p, "RT.CURATIVE") == []
    [work_up] = _items(p, "DX.WHOLE_BODY_STAGING")
    assert work_up.status is ItemStatus.firm


def test_stage_not_documented_keeps_both_paths_open() -> None:
    # Staging open as well: the whole-body staging is firm whichever the stage turns out.
    p = evaluate(_plasmacytoma(None, bone_metastases__vertebral_count=None))
    assert [i.status for i in _items(p, "DX.WHOLE_BODY_STAGING")] == [ItemStatus.firm]
    rt = _items(p, "RT.CURATIVE")
    assert [i.status for i in rt] == [ItemStatus.conditional]
    assert "mm.solitary_plasmacytoma" in [c.fact for c in rt[0].conditions]
    for code in ("BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB"):
        assert all(i.status is ItemStatus.conditional for i in _items(p, code))


def test_cord_compression_from_a_plasmacytoma_stays_an_emergency() -> None:
    case = _plasmacytoma()
    doc = case.model_dump(mode="json", exclude_none=True)
    doc["neurology"] = {"new_deficit": True, "frankel": "D", "deficit_onset_hours": 20}
    doc["lesions"][0]["escc_grade"] = "3"
    p = evaluate(parse_case(doc))
    assert _items(p, "EMERG.MSCC")
    assert _items(p, "RT.MSCC")


def test_plasmacytoma_letter_names_one_lesion_not_myeloma() -> None:
    case = _plasmacytoma()
    text = " ".join(build_letter(evaluate(case), case).plain_text().split())
    assert "Ihre Erkrankung ist ein solitäres Plasmozytom" in text
    assert "Herd des Plasmozytoms im Knochen: im 9. Brustwirbel." in text
    assert "Das Multiple Myelom ist ein Krebs im Knochenmark" not in text
    assert "Remission" not in text
    assert "Bestrahlung mit dem Ziel der Heilung" in text


def test_unknown_stage_is_refused_with_the_allowed_values() -> None:
    doc = _plasmacytoma().model_dump(mode="json", exclude_none=True)
    doc["myeloma"]["stage"] = "plasmacytoma"
    with pytest.raises(CaseError) as raised:
        parse_case(doc)
    assert "myeloma.stage" in str(raised.value)
    assert "solitary_plasmacytoma" in str(raised.value)


# --- lymphoma of bone ----------------------------------------------------------------------------


def test_untreated_lymphoma_goes_to_haematology_without_a_pain_schedule() -> None:
    p = evaluate(_lymphoma())
    assert not _codes(p) & (_PALLIATIVE_RT | _BMA)
    [haem] = _items(p, "SYS.MEDICAL_ONCOLOGY")
    assert haem.status is ItemStatus.firm and haem.rule == "haematology.lymphoma_therapy"
    assert "Hämatologie" in haem.text.de and "6 Zyklen R-CHOP" in haem.text.de
    [staging] = _items(p, "DX.WHOLE_BODY_STAGING")
    assert "PET-CT" in staging.text.de
    [rt] = _items(p, "RT.CURATIVE")
    assert rt.status is ItemStatus.firm and "30–36 Gy" in rt.text.de
    assert _items(p, "SUP.PALLIATIVE_CARE") == []


def test_lymphoma_after_chemotherapy_is_irradiated_for_pain_as_usual() -> None:
    p = evaluate(_lymphoma(chemotherapy=True))
    assert _items(p, "RT.SINGLE_8GY")
    assert _items(p, "RT.CURATIVE") == []


def test_lymphoma_with_treatment_history_open_offers_pain_radiotherapy_only_on_condition() -> None:
    p = evaluate(_lymphoma(chemotherapy=None))
    for code in ("RT.SINGLE_8GY", "RT.CURATIVE"):
        [item] = _items(p, code)
        assert item.status is ItemStatus.conditional
        assert [c.fact for c in item.conditions] == ["prior.chemotherapy"]


def test_lymphoma_at_high_fracture_risk_is_still_stabilised_first() -> None:
    p = evaluate(
        _lymphoma(type="lytic", mirels_pain="functional", cortical_involvement="gt_two_thirds")
    )
    assert [i.status for i in _items(p, "SURG.PROPHYLACTIC_FIXATION")] == [ItemStatus.firm]
    assert "stabilisieren" in _items(p, "SYS.MEDICAL_ONCOLOGY")[0].text.de


def test_lymphoma_letter_speaks_of_lymphoma_not_of_metastases() -> None:
    case = _lymphoma()
    text = " ".join(build_letter(evaluate(case), case).plain_text().split())
    assert "Herde des Lymphoms im Knochen" in text
    assert "Metastasen im Knochen" not in text
    assert "heißt Metastase" not in text
    assert "Zuerst kommen die Medikamente gegen das Lymphom" in text
