"""An MRI contraindication and a cardiac implantable electronic device (pacemaker, ICD, CRT).

A documented contraindication turns the MRI into CT with the same deadline (NICE NG234 1.3);
a device not documented as MR-conditional leaves the emergency imaging firm within 24 hours
and only its modality open (ESC 2021 pacing guidelines); a documented device brings the device
check and the radiotherapy warning (DEGRO/DGK 2015, AAPM TG-203). Nothing documented says
nothing: no question, no assumption, no "no contraindication" in any text (SPEC §4.1).
"""

from __future__ import annotations

import json
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.guideline import load_knowledge_base
from osteoboard.proposal import ItemStatus, Proposal
from osteoboard.render.letter import build_letter
from tests.support.proposal_items import evaluate_doc, items

KB = load_knowledge_base()


def mscc(**patient: Any) -> dict[str, Any]:
    """Colon cancer, legs weak for 10 hours, T9 osteolysis, no MRI yet."""
    return {
        "id": "mri-ci",
        "board_date": "2026-11-27",
        "patient": {"age": 76, "sex": "male", "ecog": 2, **patient},
        "primary": {"site": "colon", "controlled": True},
        "visceral_metastases": {"present": True, "pattern": "nodular"},
        "neurology": {
            "new_deficit": True,
            "deficit_onset_hours": 10,
            "frankel": "C",
            "mscc_suspected": True,
            "whole_spine_mri_done": False,
        },
        "lesions": [{"id": "BWK9", "region": "spine", "level": "T9", "type": "lytic"}],
    }


def codes(p: Proposal) -> set[str]:
    return {i.code for i in (*p.emergencies, *p.recommendations, *p.warnings)}


def letter(doc: dict[str, Any]) -> str:
    case = parse_case(doc)
    return json.dumps(build_letter(evaluate(case, KB), case, KB).model_dump(), ensure_ascii=False)


def test_nothing_documented_keeps_the_mri_and_says_nothing_of_implants() -> None:
    p = evaluate_doc(mscc(), KB)
    [mri] = items(p, "DX.MRI_WHOLE_SPINE_URGENT")
    assert mri.status is ItemStatus.firm
    assert not codes(p) & {
        "DX.CT_WHOLE_SPINE_URGENT",
        "DX.SPINE_IMAGING_URGENT",
        "DX.CARDIAC_DEVICE_CHECK",
        "WARN.CARDIAC_DEVICE_RADIOTHERAPY",
    }
    fields = {m.field for m in p.missing_data}
    assert not {f for f in fields if "cardiac" in f or "mri_contra" in f}
    text = json.dumps(p.model_dump(mode="json"), ensure_ascii=False)
    for negative in ("keine MRT-Kontraindikation", "kein kardiales Implantat", "MRT möglich"):
        assert negative not in text


def test_pacemaker_of_unknown_mr_status_keeps_the_deadline_and_leaves_the_modality_open() -> None:
    p = evaluate_doc(mscc(cardiac_device="pacemaker"), KB)
    assert items(p, "DX.MRI_WHOLE_SPINE_URGENT") == []
    [imaging] = items(p, "DX.SPINE_IMAGING_URGENT")
    assert imaging.status is ItemStatus.firm and imaging.priority == "urgent"
    assert "24 Stunden" in imaging.text.de and "CT" in imaging.text.de
    assert "Herzschrittmacher" in imaging.text.de
    [check] = items(p, "DX.CARDIAC_DEVICE_CHECK")
    assert check.status is ItemStatus.firm and check.priority == "urgent"
    assert "MR-Modus" in check.text.de
    [warning] = items(p, "WARN.CARDIAC_DEVICE_RADIOTHERAPY")
    assert "2 Gy" in warning.text.de and "10 MV" in warning.text.de
    asked = {m.field: m.priority for m in p.missing_data}
    assert asked.get("patient.cardiac_device_mr_conditional") == "urgent"
    # The emergency itself stays suspected and urgent whatever the device.
    [emergency] = items(p, "EMERG.MSCC")
    assert emergency.status is ItemStatus.suspected


def test_mr_conditional_device_gets_the_mri_with_the_device_check() -> None:
    p = evaluate_doc(mscc(cardiac_device="crt_d", cardiac_device_mr_conditional=True), KB)
    [mri] = items(p, "DX.MRI_WHOLE_SPINE_URGENT")
    assert mri.status is ItemStatus.firm
    assert items(p, "DX.SPINE_IMAGING_URGENT") == []
    [check] = items(p, "DX.CARDIAC_DEVICE_CHECK")
    assert check.priority == "urgent" and "CRT-Defibrillator" in check.text.de
    assert "patient.cardiac_device_mr_conditional" not in {m.field for m in p.missing_data}


def test_documented_contraindication_gives_ct_within_24_hours_and_names_the_reason() -> None:
    doc = mscc(mri_contraindicated=True, mri_contraindication_reason="Cochlea-Implantat")
    p = evaluate_doc(doc, KB)
    assert items(p, "DX.MRI_WHOLE_SPINE_URGENT") == []
    assert items(p, "DX.SPINE_IMAGING_URGENT") == []
    [ct] = items(p, "DX.CT_WHOLE_SPINE_URGENT")
    assert ct.status is ItemStatus.firm and ct.priority == "urgent"
    assert "24 Stunden" in ct.text.de and "Myelographie" in ct.text.de
    shown = json.dumps([b.model_dump(mode="json") for b in ct.because], ensure_ascii=False)
    assert "Cochlea-Implantat" in shown
    # No device documented: no device steps.
    assert "DX.CARDIAC_DEVICE_CHECK" not in codes(p)


def test_contraindication_documented_false_is_the_usual_mri() -> None:
    p = evaluate_doc(mscc(mri_contraindicated=False, cardiac_device="none"), KB)
    assert items(p, "DX.MRI_WHOLE_SPINE_URGENT")
    assert not codes(p) & {"DX.CT_WHOLE_SPINE_URGENT", "DX.CARDIAC_DEVICE_CHECK"}


def test_letter_promises_no_contraindicated_mri() -> None:
    text = letter(mscc(mri_contraindicated=True))
    assert "MRT der ganzen Wirbelsäule" not in text
    assert "Eine MRT zeigt binnen 24 Stunden" not in text
    assert "CT der ganzen Wirbelsäule" in text
    assert "Eine MRT ist bei Ihnen nicht möglich" in text


def test_letter_with_a_pacemaker_names_both_modalities_and_the_device_check() -> None:
    text = letter(mscc(cardiac_device="pacemaker"))
    assert "MRT der ganzen Wirbelsäule" not in text
    assert "Bilder der ganzen Wirbelsäule – MRT oder CT" in text
    assert "hängt von Ihrem Herz-Gerät ab" in text
    assert "Prüfung Ihres Herz-Geräts" in text


def test_letter_without_implants_keeps_its_mri_sentence() -> None:
    text = letter(mscc())
    assert "Eine MRT zeigt binnen 24 Stunden die ganze Wirbelsäule." in text
    assert "Herz-Gerät" not in text


def test_spinal_pain_with_contraindication_gets_ct_within_a_week() -> None:
    doc = mscc(mri_contraindicated=True)
    doc["neurology"] = {"frankel": "E", "new_deficit": False, "radicular_pain": False}
    doc["lesions"] = [
        {
            "id": "BWK9",
            "region": "spine",
            "level": "T9",
            "type": "lytic",
            "pain_vas": 5,
            "pain": "non_mechanical",
        }
    ]
    p = evaluate_doc(doc, KB)
    assert items(p, "DX.MRI_SPINE") == []
    [ct] = items(p, "DX.CT_SPINE", "BWK9")
    assert ct.status is ItemStatus.firm
    assert "innerhalb einer Woche" in ct.text.de and "24 Stunden" in ct.text.de
