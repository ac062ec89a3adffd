"""Hypercalcaemia that arises on denosumab: denosumab has not prevented it, so it is not
proposed as the treatment; fluids, the date of the last dose, zoledronic acid as the add-on to
consider, calcitonin when severe and the search for a mechanism that antiresorptives control
poorly (PTH, PTHrP, 1,25-(OH)2 vitamin D). The long-term plan is set again, not continued."""

from __future__ import annotations

import json
from typing import Any

from osteoboard.caseio import parse_case
from osteoboard.engine import evaluate
from osteoboard.proposal import ItemStatus, Proposal
from osteoboard.render.letter import build_letter


def case(agent: str | None = "denosumab", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "hca-dmab",
        "board_date": "2026-11-27",
        "patient": {"age": 64, "sex": "male", "weight_kg": 70, "hypercalcemia_symptoms": True},
        "primary": {"site": "head_neck"},
        "labs": {"calcium_mg_dl": 13.1, "albumin_g_dl": 2.9, "creatinine_mg_dl": 1.6},
        "bone_metastases": {"vertebral_count": 3, "extraspinal_count": 4},
    }
    if agent is not None:
        doc["prior_therapy"] = {"bone_modifying_agent": agent}
    for key, value in changes.items():
        doc[key] = {**doc.get(key, {}), **value}
    return doc


def run(doc: dict[str, Any]) -> Proposal:
    return evaluate(parse_case(doc))


def items(p: Proposal, code: str) -> list[Any]:
    return [i for i in [*p.emergencies, *p.recommendations, *p.warnings] if i.code == code]


def letter_text(doc: dict[str, Any]) -> str:
    c = parse_case(doc)
    return json.dumps(build_letter(evaluate(c), c).model_dump(), ensure_ascii=False)


def test_on_denosumab_the_emergency_adds_rather_than_starts_an_agent() -> None:
    p = run(case())  # corrected 3.49 mmol/L, confused
    (emergency,) = items(p, "EMERG.HYPERCALCEMIA")
    assert emergency.rule == "emerg.hypercalcemia_on_denosumab"
    assert emergency.status is ItemStatus.confirmed and emergency.priority == "urgent"
    text = emergency.text.de
    assert "trotz laufender Denosumab-Therapie" in text
    assert "dann Denosumab" not in text and "Denosumab bevorzugt" not in text
    assert "letzten Denosumab-Gabe" in text
    assert "Zoledronsäure 4 mg einmalig zusätzlich erwägen" in text
    assert "PTHrP" in text and "1,25-(OH)2-Vitamin D" in text
    assert {"chukir2020", "stewart2005"} <= set(emergency.sources)
    # No second agent is proposed as a plain start, and the long-term plan is not "continue
    # monthly" beside the emergency.
    assert not items(p, "BMA.DENOSUMAB")
    (plan,) = items(p, "BMA.DURATION_INTERVAL")
    assert plan.rule == "bone_modifying_agents.duration_interval_hypercalcemia"
    assert "monatlich weiterführen" not in plan.text.de
    assert "neu festlegen" in plan.text.de


def test_with_a_creatinine_above_400_the_denosumab_text_still_applies() -> None:
    p = run(case(labs={"creatinine_mg_dl": 5.0}))  # 442 µmol/L
    (emergency,) = items(p, "EMERG.HYPERCALCEMIA")
    assert emergency.rule == "emerg.hypercalcemia_on_denosumab"
    assert "darüber nur nach Nutzen-Risiko-Abwägung" in emergency.text.de


def test_without_an_agent_the_general_text_proposes_denosumab_or_zoledronic_acid() -> None:
    p = run(case(agent=None))
    (emergency,) = items(p, "EMERG.HYPERCALCEMIA")
    assert emergency.rule == "emerg.hypercalcemia"
    assert "dann Denosumab" in emergency.text.de
    plans = items(p, "BMA.DURATION_INTERVAL")
    assert all(i.rule == "bone_modifying_agents.duration_interval" for i in plans)


def test_on_denosumab_with_a_normal_calcium_the_plan_is_continued() -> None:
    p = run(
        case(
            patient={"hypercalcemia_symptoms": False},
            labs={"calcium_mg_dl": 9.4, "albumin_g_dl": 4.0},
        )
    )
    assert not items(p, "EMERG.HYPERCALCEMIA")
    (plan,) = items(p, "BMA.DURATION_INTERVAL")
    assert plan.rule == "bone_modifying_agents.duration_interval"
    assert "Denosumab 120 mg alle 4 Wochen weiterführen" in plan.text.de


def test_on_a_bisphosphonate_the_switch_text_stays_and_the_plan_is_set_again() -> None:
    p = run(case(agent="zoledronic_acid"))
    (emergency,) = items(p, "EMERG.HYPERCALCEMIA")
    assert emergency.rule == "emerg.hypercalcemia_on_bisphosphonate"
    (plan,) = items(p, "BMA.DURATION_INTERVAL")
    assert plan.rule == "bone_modifying_agents.duration_interval_hypercalcemia"


def test_declined_agents_keep_the_declined_text() -> None:
    p = run(case(patient={"declines": ["bone_modifying_agent"]}))
    (emergency,) = items(p, "EMERG.HYPERCALCEMIA")
    assert emergency.rule == "emerg.hypercalcemia_bma_declined"
    assert not items(p, "BMA.DURATION_INTERVAL")


def test_the_letter_says_an_agent_already_given_may_be_added_to_or_changed() -> None:
    on = letter_text(case())
    assert "Sie bekommen schon ein Mittel für die Knochen" in on
    assert "Sie bekommen schon ein Mittel für die Knochen" not in letter_text(case(agent=None))


def test_being_on_denosumab_raises_nothing_without_a_calcium_finding() -> None:
    doc = case(patient={"hypercalcemia_symptoms": False})
    del doc["labs"]["calcium_mg_dl"]
    assert not items(run(doc), "EMERG.HYPERCALCEMIA")
