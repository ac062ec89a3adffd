"""Metastatic cancers treated with curative or ablative intent, and small-cell lung cancer.

- A germ-cell tumour with bone metastases is curable (EAU 2024; IGCCCG 2021: bone metastases
  mean poor prognosis for a non-seminoma, intermediate for a seminoma): cisplatin-based
  chemotherapy without delay at an experienced centre, fertility counselling before it; no
  early palliative care, prophylactic radiotherapy or bone-modifying agent, while a fracture
  stays an emergency. The letter names cure as the aim.
- A lesion that gets stereotactic radiotherapy (preferred over conventional palliative
  radiotherapy in selected fit patients, ASTRO 2024; ablative for a solitary late renal-cell
  metastasis, EAU 2024) is not also offered 1 x 8 Gy as an equal choice.
- Small-cell lung cancer with bone metastases (extensive stage): platinum-etoposide with
  atezolizumab or durvalumab, started promptly (ESMO 2021) - not the immunotherapy of
  non-small-cell lung cancer.
"""

from __future__ import annotations

from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate, trace
from osteoboard.proposal import ItemStatus, Proposal
from osteoboard.render.letter import build_letter


def _case(site: str, histology: str, **changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "id": "curative-1",
        "board_date": "2026-11-27",
        "patient": {"age": 29, "sex": "male", "weight_kg": 80, "ecog": 1},
        "primary": {"site": site, "histology": histology, "controlled": True},
        "visceral_metastases": {"present": True, "pattern": "nodular"},
        "bone_metastases": {"vertebral_count": 1, "extraspinal_count": 1},
        "labs": {"calcium_mmol_l": 2.3, "albumin_g_l": 40, "creatinine_umol_l": 80},
        "lesions": [
            {
                "id": "T11",
                "region": "spine",
                "level": "T11",
                "type": "lytic",
                "pain": "non_mechanical",
                "pain_vas": 3,
                "alignment": "normal",
                "collapse": "none",
                "posterolateral": "none",
                "escc_grade": "0",
            },
            {
                "id": "ILIUM",
                "region": "pelvis",
                "joint": "none",
                "type": "lytic",
                "size_cm": 3,
                "pain_vas": 0,
                "symptomatic": False,
            },
        ],
    }
    for key, value in changes.items():
        case[key] = {**case[key], **value} if isinstance(value, dict) else value
    return case


def _items(p: Proposal) -> dict[str, Any]:
    return {i.code: i for i in [*p.emergencies, *p.recommendations, *p.warnings]}


def _firm(p: Proposal) -> set[str]:
    return {
        i.code
        for i in [*p.emergencies, *p.recommendations, *p.warnings]
        if i.status in (ItemStatus.firm, ItemStatus.confirmed, ItemStatus.suspected)
    }


def _letter(p: Proposal, case: Any) -> str:
    return build_letter(p, case).plain_text()


# --- germ-cell tumour ------------------------------------------------------------------------


def test_germ_cell_tumour_gets_urgent_curative_chemotherapy_at_a_centre() -> None:
    case = parse_case(_case("germ_cell", "Nichtseminom"))
    p = evaluate(case)
    items = _items(p)
    chemo = items["SYS.MEDICAL_ONCOLOGY"]
    assert chemo.priority == "urgent" and chemo.rule == "systemic.germ_cell_cisplatin"
    assert "Heilung" in chemo.text.de and "BEP" in chemo.text.de
    centre = items["BOARD.SPECIALIZED_CENTER"]
    assert centre.priority == "urgent" and "Keimzell" in centre.text.de
    assert "SUP.FERTILITY_COUNSELING" in _firm(p)
    # The measures for incurable bone metastases are not proposed.
    for code in ("RT.PROPHYLACTIC", "BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB", "DX.DENTAL_EXAM"):
        assert code not in items, code
    assert "SUP.PALLIATIVE_CARE" not in _firm(p)
    letter = build_letter(p, case)
    assert "Ziel der Heilung" in letter.plain_text()
    assert "Chemotherapie mit Cisplatin" in letter.plain_text()
    steps = [item for step in letter.personal.steps for item in step.items]
    assert not any("Palliativmedizin" in item for item in steps)
    assert "Vorstellung in einem spezialisierten Zentrum" in letter.personal.steps[0].items


def test_the_same_bone_disease_of_a_renal_cancer_is_not_treated_as_curable() -> None:
    case = parse_case(_case("kidney", "klarzelliges Nierenzellkarzinom"))
    p = evaluate(case)
    items = _items(p)
    assert items["SYS.MEDICAL_ONCOLOGY"].priority == "routine"
    assert "BOARD.SPECIALIZED_CENTER" not in items
    assert "SUP.PALLIATIVE_CARE" in _firm(p)
    assert "Ziel der Heilung" not in _letter(p, case)


def test_a_fracture_stays_an_emergency_in_a_curable_germ_cell_tumour() -> None:
    lesions = [
        {
            "id": "FEMUR",
            "region": "long_bone",
            "bone": "femur",
            "segment": "diaphyseal",
            "type": "lytic",
            "pain_vas": 8,
            "pathologic_fracture": True,
            "symptomatic": True,
        },
    ]
    p = evaluate(parse_case(_case("germ_cell", "Seminom", lesions=lesions)))
    assert "EMERG.PATHOLOGIC_FRACTURE" in {e.code for e in p.emergencies}
    assert _items(p)["SYS.MEDICAL_ONCOLOGY"].priority == "urgent"


# --- stereotactic radiotherapy instead of a palliative single fraction ------------------------


def _solitary_renal(**patient: Any) -> dict[str, Any]:
    return {
        "id": "solitary-1",
        "board_date": "2026-11-27",
        "patient": {"age": 58, "sex": "female", "ecog": 0, **patient},
        "primary": {"site": "kidney", "histology": "klarzellig", "controlled": True},
        "visceral_metastases": {"present": False},
        "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 1},
        "lesions": [
            {
                "id": "ILIUM",
                "region": "pelvis",
                "joint": "none",
                "type": "lytic",
                "size_cm": 4,
                "pain_vas": 3,
                # Biopsied: a solitary lesion is treated once it is shown to be the metastasis.
                "histology_confirmed": True,
            },
        ],
    }


def test_stereotactic_radiotherapy_leaves_no_single_fraction_beside_it() -> None:
    case = parse_case(_solitary_renal())
    p = evaluate(case)
    codes = {(i.code, i.lesion): i for i in p.recommendations}
    assert codes[("RT.SBRT", "ILIUM")].status == ItemStatus.firm
    assert ("RT.SINGLE_8GY", "ILIUM") not in codes
    # The rule still fires (and shows in the trace); the schedule gives way to SBRT.
    assert any(h.rule == "radiotherapy.painful_single_fraction" for h in trace(case))
    letter = _letter(p, case)
    assert "Sehr genaue Bestrahlung des Herdes" in letter
    assert "in einer Sitzung" not in letter and "Sie wählen" not in letter


def test_without_stereotactic_radiotherapy_the_single_fraction_stays() -> None:
    # A short expected survival: no SBRT, and 1 x 8 Gy is the schedule for the painful lesion.
    p = evaluate(parse_case(_solitary_renal(life_expectancy_months=2, ecog=2)))
    codes = {(i.code, i.lesion): i for i in p.recommendations}
    assert ("RT.SBRT", "ILIUM") not in codes
    assert codes[("RT.SINGLE_8GY", "ILIUM")].status == ItemStatus.firm


# --- small-cell lung cancer ------------------------------------------------------------------


def test_small_cell_lung_cancer_gets_chemo_immunotherapy_promptly() -> None:
    p = evaluate(parse_case(_case("lung_sclc", "kleinzelliges Lungenkarzinom")))
    items = _items(p)
    assert "SYS.IMMUNOTHERAPY" not in items
    systemic = items["SYS.MEDICAL_ONCOLOGY"]
    assert systemic.priority == "soon" and systemic.rule == "systemic.sclc_chemoimmunotherapy"
    assert "Etoposid" in systemic.text.de and "Atezolizumab oder Durvalumab" in systemic.text.de


def test_non_small_cell_lung_cancer_keeps_its_immunotherapy_pointer() -> None:
    case = _case("lung_nsclc", "Adenokarzinom")
    case["primary"]["targetable_driver"] = False
    p = evaluate(parse_case(case))
    items = _items(p)
    assert items["SYS.IMMUNOTHERAPY"].rule == "systemic.lung_immunotherapy"
    assert items["SYS.MEDICAL_ONCOLOGY"].priority == "routine"
