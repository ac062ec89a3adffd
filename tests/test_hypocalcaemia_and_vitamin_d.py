"""Low calcium (Society for Endocrinology emergency guidance, Turner 2016), a calcium value too
low to be plausible, and vitamin D before a bone-modifying agent (Zometa and XGEVA SmPC 4.4,
ESMO 2020, Endocrine Society 2011)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from osteoboard.caseio import CaseError, parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal
from osteoboard.render.letter import build_letter

HIGH_DOSE = ("BMA.ZOLEDRONIC_ACID", "BMA.DENOSUMAB")


def case(labs: dict[str, Any], agent: str = "none", **patient: Any) -> Any:
    """HR-positive breast cancer with multiple bone metastases, kidneys normal; no agent yet
    unless ``agent`` names the current one."""
    return parse_case(
        {
            "id": "hypo-ca",
            "board_date": "2026-11-20",
            "patient": {"age": 58, "sex": "female", "weight_kg": 64, "ecog": 1, **patient},
            "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
            "visceral_metastases": {"present": False},
            "bone_metastases": {"vertebral_count": 3, "extraspinal_count": 4},
            "prior_therapy": {"bone_modifying_agent": agent},
            "labs": {"creatinine_umol_l": 71, **labs},
        }
    )


def codes(p: Proposal, *, firm: bool = False) -> set[str]:
    items = [*p.emergencies, *p.recommendations, *p.warnings]
    return {
        i.code
        for i in items
        if not firm or i.status in (ItemStatus.firm, ItemStatus.confirmed, None)
    }


def emergency(p: Proposal) -> Any:
    (found,) = [e for e in p.emergencies if e.code == "EMERG.HYPOCALCEMIA"]
    return found


# --- the emergency ------------------------------------------------------------------------------


def test_severe_hypocalcaemia_is_a_confirmed_emergency_with_intravenous_calcium() -> None:
    p = evaluate(case({"calcium_mmol_l": 1.7, "albumin_g_l": 40}))
    e = emergency(p)
    assert e.status is ItemStatus.confirmed and e.priority == "urgent"
    assert "Kalziumglukonat" in e.text.de and "EKG" in e.text.de
    assert "turner2016" in e.sources
    assert not codes(p, firm=True) & set(HIGH_DOSE)
    c = case({"calcium_mmol_l": 1.7, "albumin_g_l": 40})
    letter = json.dumps(build_letter(p, c).model_dump(), ensure_ascii=False)
    assert "Zu wenig Kalzium im Blut" in letter and "über die Vene" in letter


def test_symptoms_make_any_hypocalcaemia_an_emergency() -> None:
    labs = {"calcium_mmol_l": 2.05, "albumin_g_l": 40}  # corrected 2.05 mmol/L
    assert emergency(evaluate(case(labs, hypocalcemia_symptoms=True))).status.value == "confirmed"
    assert "EMERG.HYPOCALCEMIA" not in codes(evaluate(case(labs, hypocalcemia_symptoms=False)))


def test_hypocalcaemia_with_symptoms_not_documented_is_suspected_and_asks() -> None:
    p = evaluate(case({"calcium_mmol_l": 2.05, "albumin_g_l": 40}))
    e = emergency(p)
    assert e.status is ItemStatus.suspected
    assert [c.fact for c in e.conditions] == ["patient.hypocalcemia_symptoms"]
    # The text states when it is an emergency; it does not claim the symptoms.
    assert "mit Symptomen" in e.text.de and "Symptomatische" not in e.text.de
    assert p.questions[0].fact == "patient.hypocalcemia_symptoms"


def test_normal_calcium_raises_no_hypocalcaemia() -> None:
    p = evaluate(case({"calcium_mmol_l": 2.1, "albumin_g_l": 40}))
    assert "EMERG.HYPOCALCEMIA" not in codes(p)
    assert not [q for q in p.questions if q.fact == "patient.hypocalcemia_symptoms"]


# --- a calcium too low to be true ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("labs", "mmol", "mg"),
    [
        ({"calcium_mg_dl": 2.38}, "0,59", "2,38"),  # mmol/l written into the mg/dl field
        ({"calcium_mg_dl": 2.1, "albumin_g_l": 40}, "0,52", "2,1"),
    ],
)
def test_a_calcium_in_the_wrong_unit_is_questioned_not_treated(
    labs: dict[str, Any], mmol: str, mg: str
) -> None:
    p = evaluate(case(labs))
    (warning,) = [w for w in p.warnings if w.code == "WARN.CALCIUM_IMPLAUSIBLE"]
    assert warning.status is ItemStatus.firm
    assert f"{mmol} mmol/l" in warning.text.de and f"{mg} mg/dl" in warning.text.de
    # It names the field and the likely mix-up.
    assert "calcium_mg_dl" in warning.text.de and "calcium_mmol_l" in warning.text.de
    e = emergency(p)
    assert e.status is ItemStatus.suspected and e.rule == "emerg.hypocalcemia_implausible"
    assert "nachmessen" in e.text.de and "Kalziumglukonat" in e.text.de
    # Nothing else is based on it: no hypocalcaemia supplement plan, no agent started.
    assert not [r for r in p.recommendations if r.rule.endswith("_hypocalcemia")]
    assert not codes(p, firm=True) & set(HIGH_DOSE)


def test_a_low_but_possible_calcium_is_not_questioned() -> None:
    p = evaluate(case({"calcium_mmol_l": 1.0, "albumin_g_l": 40}))
    assert "WARN.CALCIUM_IMPLAUSIBLE" not in codes(p)
    assert emergency(p).status is ItemStatus.confirmed


# --- no agent while calcium is low; vitamin D ---------------------------------------------------


def test_no_agent_while_calcium_is_low_and_the_correction_names_both_agents() -> None:
    # The referral of the review: corrected calcium 2.00 mmol/L, vitamin D 7 ng/ml.
    p = evaluate(case({"calcium_mmol_l": 2.02, "albumin_g_l": 41, "vitamin_d_25oh_ng_ml": 7}))
    assert not codes(p) & set(HIGH_DOSE)
    (supplement,) = [r for r in p.recommendations if r.code == "BMA.CALCIUM_VITAMIN_D"]
    assert supplement.status is ItemStatus.firm and supplement.priority == "soon"
    assert "Zoledronsäure oder Denosumab" in supplement.text.de
    assert "17,47 nmol/l" in supplement.text.de  # 7 ng/ml
    assert "Parathormon" in supplement.text.de


def test_with_calcium_corrected_the_agent_is_proposed_again() -> None:
    p = evaluate(case({"calcium_mmol_l": 2.1, "albumin_g_l": 40}))
    (za,) = [r for r in p.recommendations if r.code == "BMA.ZOLEDRONIC_ACID"]
    assert za.status is ItemStatus.firm and "4,0 mg" in za.text.de


def test_a_patient_on_zoledronic_acid_gets_no_next_dose_while_calcium_is_low() -> None:
    p = evaluate(case({"calcium_mmol_l": 1.95, "albumin_g_l": 40}, agent="zoledronic_acid"))
    assert "BMA.ZOLEDRONIC_ACID" not in codes(p)
    (supplement,) = [r for r in p.recommendations if r.code == "BMA.CALCIUM_VITAMIN_D"]
    assert "nächsten Gabe" in supplement.text.de


def test_vitamin_d_deficiency_with_normal_calcium_is_repleted_beside_the_agent() -> None:
    p = evaluate(case({"calcium_mmol_l": 2.3, "albumin_g_l": 40, "vitamin_d_25oh_nmol_l": 30}))
    (supplement,) = [r for r in p.recommendations if r.code == "BMA.CALCIUM_VITAMIN_D"]
    assert supplement.rule == "bone_modifying_agents.vitamin_d_deficiency"
    assert supplement.status is ItemStatus.firm and "aufsättigen" in supplement.text.de
    assert "BMA.ZOLEDRONIC_ACID" in codes(p, firm=True)


def test_vitamin_d_is_accepted_in_both_units_and_checked() -> None:
    ng = case({"vitamin_d_25oh_ng_ml": 20})
    assert ng.labs.vitamin_d_25oh_nmol_l == pytest.approx(49.92)
    with pytest.raises(CaseError, match="vitamin_d_25oh_ng_ml"):
        case({"vitamin_d_25oh_ng_ml": 20, "vitamin_d_25oh_nmol_l": 80})
    with pytest.raises(CaseError, match="vitamin_d_25oh_nmol_l"):
        case({"vitamin_d_25oh_nmol_l": 0})
