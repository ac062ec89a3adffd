"""Hypercalcaemia that arises on a bisphosphonate: denosumab instead of another bisphosphonate
dose (Endocrine Society 2023), and the hypocalcaemia risk of denosumab with it."""

from __future__ import annotations

from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal


def case(agent: str, **patient: Any) -> dict[str, Any]:
    return {
        "id": "hca-bp",
        "board_date": "2026-11-20",
        "patient": {"age": 72, "sex": "female", "hypercalcemia_symptoms": True, **patient},
        "primary": {"site": "breast"},
        "prior_therapy": {"bone_modifying_agent": agent},
        "labs": {"calcium_mmol_l": 3.1, "albumin_g_l": 30, "creatinine_umol_l": 190},
        "bone_metastases": {"vertebral_count": 6, "extraspinal_count": 8},
    }


def run(agent: str, **patient: Any) -> Proposal:
    return evaluate(parse_case(case(agent, **patient)))


def codes(p: Proposal) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for item in [*p.emergencies, *p.recommendations, *p.warnings]:
        out.setdefault(item.code, []).append(item)
    return out


def test_on_zoledronic_acid_denosumab_replaces_the_next_bisphosphonate_dose() -> None:
    p = run("zoledronic_acid", weight_kg=90)  # clearance 33.6 mL/min
    found = codes(p)
    (emergency,) = found["EMERG.HYPERCALCEMIA"]
    assert emergency.rule == "emerg.hypercalcemia_on_bisphosphonate"
    assert "trotz laufender Bisphosphonat-Therapie" in emergency.text.de
    assert "keine weitere Bisphosphonat-Gabe" in emergency.text.de
    (denosumab,) = found["BMA.DENOSUMAB"]
    assert denosumab.status is ItemStatus.firm
    assert denosumab.rule == "bone_modifying_agents.denosumab_bisphosphonate_refractory"
    # Before, a zoledronic acid dose "counting as the first dose" was proposed firmly.
    assert "BMA.ZOLEDRONIC_ACID" not in found
    assert "BMA.CALCIUM_VITAMIN_D" not in found


def test_without_a_weight_the_clearance_may_be_below_30_and_the_warning_is_firm() -> None:
    found = codes(run("pamidronate"))  # clearance 14.9–56 mL/min
    assert [i.status for i in found["BMA.DENOSUMAB"]] == [ItemStatus.firm]
    assert [i.status for i in found["WARN.HYPOCALCEMIA_DENOSUMAB"]] == [ItemStatus.firm]


def test_on_denosumab_no_switch_to_denosumab_is_proposed() -> None:
    # Hypercalcaemia on denosumab has its own text (tests/test_hypercalcaemia_on_denosumab.py).
    found = codes(run("denosumab", weight_kg=90))
    (emergency,) = found["EMERG.HYPERCALCEMIA"]
    assert emergency.rule == "emerg.hypercalcemia_on_denosumab"
    assert not any(
        i.rule == "bone_modifying_agents.denosumab_bisphosphonate_refractory"
        for i in found.get("BMA.DENOSUMAB", [])
    )


def test_being_on_a_bisphosphonate_raises_nothing_without_a_calcium_finding() -> None:
    quiet = case("zoledronic_acid", weight_kg=90, hypercalcemia_symptoms=False)
    del quiet["labs"]["calcium_mmol_l"]
    p = evaluate(parse_case(quiet))
    assert "EMERG.HYPERCALCEMIA" not in codes(p)
