"""Values that cannot be taken as they stand, and what waits for them.

- A total calcium of 4.5 mmol/L or more is as high as a hypercalcaemic crisis rarely goes and
  exactly what a severe hypocalcaemia reported in mg/dL reads as in the mmol/L field: the
  emergency is suspected and starts with the ionised calcium; with documented tetany the
  hypocalcaemia is suspected too, and no antiresorptive is based on the value.
- A measured hypocalcaemia on an agent holds its next dose (XGEVA and Zometa SmPC 4.4).
- ECOG and Karnofsky two or more grades apart are a contradiction: what needs ECOG 0-1 waits.
"""

from __future__ import annotations

from typing import Any

import pytest

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import Proposal


def _breast(**changes: Any) -> Proposal:
    doc: dict[str, Any] = {
        "id": "checks",
        "board_date": "2026-11-20",
        "patient": {"age": 80, "sex": "female", "weight_kg": 61, "ecog": 2},
        "primary": {"site": "breast", "hormone_receptor": "positive", "her2": "negative"},
        "bone_metastases": {"vertebral_count": 10, "extraspinal_count": 15},
        "prior_therapy": {"bone_modifying_agent": "denosumab"},
        "labs": {"calcium_mmol_l": 2.4, "albumin_g_l": 40, "creatinine_umol_l": 88},
    }
    for path, value in changes.items():
        section, field = path.split("__")
        doc[section][field] = value
    return evaluate(parse_case(doc))


def _items(p: Proposal) -> list[Any]:
    return [*p.emergencies, *p.recommendations, *p.warnings]


def _one(p: Proposal, code: str) -> Any:
    (item,) = [i for i in _items(p) if i.code == code]
    return item


def test_a_mg_dl_number_in_the_mmol_field_beside_tetany() -> None:
    p = _breast(labs__calcium_mmol_l=5.2, patient__hypocalcemia_symptoms=True)
    hyper = _one(p, "EMERG.HYPERCALCEMIA")
    assert str(hyper.status) == "suspected"
    assert hyper.rule == "emerg.hypercalcemia_implausible"
    assert "ionisiertes Kalzium" in hyper.text.de
    hypo = _one(p, "EMERG.HYPOCALCEMIA")
    assert str(hypo.status) == "suspected"
    assert "1,3 mmol/l" in hypo.text.de  # 5.2 mg/dL
    warning = _one(p, "WARN.CALCIUM_IMPLAUSIBLE")
    assert "1,3 mmol/l" in warning.text.de
    # No antiresorptive on the value, and the next dose waits.
    codes = {i.code for i in _items(p)}
    assert not codes & {"BMA.DENOSUMAB", "BMA.ZOLEDRONIC_ACID"}
    assert "aufschieben" in _one(p, "BMA.DURATION_INTERVAL").text.de


def test_a_very_high_value_without_symptoms_is_checked_not_treated_blind() -> None:
    p = _breast(labs__calcium_mmol_l=4.6)
    hyper = _one(p, "EMERG.HYPERCALCEMIA")
    assert str(hyper.status) == "suspected"
    assert "Vor der Bestätigung kein Antiresorptivum" in hyper.text.de
    assert "EMERG.HYPOCALCEMIA" not in {i.code for i in _items(p)}
    assert "WARN.CALCIUM_IMPLAUSIBLE" in {i.code for i in _items(p)}


def test_a_severe_hypercalcaemia_below_the_check_is_treated() -> None:
    p = _breast(labs__calcium_mmol_l=4.4, patient__hypocalcemia_symptoms=True)
    hyper = _one(p, "EMERG.HYPERCALCEMIA")
    assert str(hyper.status) == "confirmed"
    codes = {i.code for i in _items(p)}
    assert "WARN.CALCIUM_IMPLAUSIBLE" not in codes
    assert "EMERG.HYPOCALCEMIA" not in codes


@pytest.mark.parametrize("creatinine", [88, 180])
def test_a_measured_hypocalcaemia_on_denosumab_holds_the_next_dose(creatinine: int) -> None:
    """Also where the clearance is below 30 mL/min (creatinine 180 µmol/L here): the warning
    says to hold, not only to monitor."""
    p = _breast(labs__calcium_mmol_l=2.0, labs__creatinine_umol_l=creatinine)
    assert "aufschieben" in _one(p, "BMA.DURATION_INTERVAL").text.de
    warning = _one(p, "WARN.HYPOCALCEMIA_DENOSUMAB")
    assert warning.rule == "bone_modifying_agents.hypocalcemia_present"
    assert "aussetzen" in warning.text.de


def test_a_normal_calcium_on_denosumab_continues() -> None:
    p = _breast()
    assert "aufschieben" not in _one(p, "BMA.DURATION_INTERVAL").text.de


def _oligometastatic(ecog: int, karnofsky: int) -> Proposal:
    return evaluate(
        parse_case(
            {
                "id": "ps-conflict",
                "board_date": "2026-11-20",
                "patient": {
                    "age": 71,
                    "sex": "male",
                    "weight_kg": 72,
                    "ecog": ecog,
                    "karnofsky": karnofsky,
                    "life_expectancy_months": 24,
                },
                "primary": {"site": "kidney", "controlled": True},
                "visceral_metastases": {"present": False},
                "bone_metastases": {"vertebral_count": 0, "extraspinal_count": 2},
                "labs": {"calcium_mmol_l": 2.3, "albumin_g_l": 40, "creatinine_umol_l": 90},
                "neurology": {"new_deficit": False, "radicular_pain": False, "frankel": "E"},
            }
        )
    )


def test_ecog_and_karnofsky_two_grades_apart_leave_the_sbrt_open() -> None:
    p = _oligometastatic(1, 40)
    assert "WARN.PERFORMANCE_STATUS_CONFLICT" in {i.code for i in _items(p)}
    sbrt = _one(p, "RT.OLIGOMETASTATIC_SBRT")
    assert str(sbrt.status) == "conditional"
    assert [c.fact for c in sbrt.conditions] == ["patient.ecog_0_1"]
    assert any(q.fact == "patient.ecog_0_1" for q in p.questions)


@pytest.mark.parametrize(("ecog", "karnofsky"), [(1, 60), (1, 80), (0, 70)])
def test_one_grade_apart_is_a_conversion_difference(ecog: int, karnofsky: int) -> None:
    p = _oligometastatic(ecog, karnofsky)
    assert "WARN.PERFORMANCE_STATUS_CONFLICT" not in {i.code for i in _items(p)}
    assert str(_one(p, "RT.OLIGOMETASTATIC_SBRT").status) == "firm"


def test_both_poor_is_no_open_question() -> None:
    """ECOG 2 beside Karnofsky 20 (ECOG 4): a contradiction, but either way not ECOG 0-1."""
    p = _oligometastatic(2, 20)
    assert "WARN.PERFORMANCE_STATUS_CONFLICT" in {i.code for i in _items(p)}
    assert "RT.OLIGOMETASTATIC_SBRT" not in {i.code for i in _items(p)}


@pytest.mark.parametrize("symptoms", [True, False])
def test_no_agent_is_started_on_a_value_to_be_checked(symptoms: bool) -> None:
    p = _breast(
        labs__calcium_mmol_l=5.2,
        patient__hypocalcemia_symptoms=symptoms,
        prior_therapy__bone_modifying_agent="none",
    )
    codes = {i.code for i in _items(p)}
    assert not codes & {"BMA.DENOSUMAB", "BMA.ZOLEDRONIC_ACID", "BMA.CALCIUM_VITAMIN_D"}
    assert "WARN.CALCIUM_IMPLAUSIBLE" in codes


def test_documented_hypercalcaemia_symptoms_make_a_high_value_plausible() -> None:
    """18.5 mg/dL (4.6 mmol/L) with thirst, vomiting or confusion documented: the value fits
    the symptoms and is treated as the severe hypercalcaemia it is, not checked as a unit
    mix-up."""
    p = _breast(
        labs__calcium_mmol_l=4.6,
        patient__hypercalcemia_symptoms=True,
        prior_therapy__bone_modifying_agent="none",
    )
    hyper = _one(p, "EMERG.HYPERCALCEMIA")
    assert str(hyper.status) == "confirmed"
    assert "WARN.CALCIUM_IMPLAUSIBLE" not in {i.code for i in _items(p)}


def test_a_low_total_calcium_without_albumin_holds_the_next_dose_until_corrected() -> None:
    """Total calcium 1.64 mmol/L on denosumab, albumin not measured: the suspected emergency
    says to hold the agent, and the duration item no longer says "continue every 4 weeks"."""
    p = _breast(labs__calcium_mmol_l=1.64, labs__albumin_g_l=None)
    assert "aufschieben" in _one(p, "BMA.DURATION_INTERVAL").text.de
    normal = _breast(labs__calcium_mmol_l=2.3, labs__albumin_g_l=None)
    assert "aufschieben" not in _one(normal, "BMA.DURATION_INTERVAL").text.de
